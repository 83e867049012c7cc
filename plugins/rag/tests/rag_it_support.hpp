// What the rag plugin's integration suites share: a host with auth, files and rag (and what a
// suite adds), accounts, uploads with processing, searches and knowledge bases through HTTP.
#pragma once

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "it_support.hpp"
#include "upstream_double.hpp"

namespace webui::testing {
namespace rag_it {

using nlohmann::json;

inline constexpr const char* kBoundary = "----whrag7Hq2pX0bZ";
inline constexpr const char* kNotFound = "We could not find what you're looking for :/";

// Three topics, far apart in words, each longer than one chunk of 200 characters.
inline const std::string kDocument =
    "# Animals\n\nAlpacas graze on the high plateaus of the Andes. Alpacas are shorn once a year "
    "and their fleece is soft and warm. Herders move alpacas between pastures with the seasons, "
    "and the animals hum to each other.\n\n"
    "# Compilers\n\nThe compiler emits a warning for every unused variable. Optimising compilers "
    "inline small functions, unroll loops and remove dead code before they emit machine code for "
    "the target processor.\n\n"
    "# Spices\n\nSaffron is picked by hand from crocus flowers in autumn. Each flower gives three "
    "red threads, and a kilogram of saffron needs about one hundred and fifty thousand flowers.\n";

inline HeaderList Bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

inline std::vector<json> Events(const std::string& body) {
  std::vector<json> out;
  std::size_t at = 0;
  while ((at = body.find("data: ", at)) != std::string::npos) {
    const std::size_t end = body.find("\n\n", at);
    out.push_back(json::parse(body.substr(at + 6, end - at - 6)));
    at = end == std::string::npos ? body.size() : end;
  }
  return out;
}

template <typename Suite>
class RagSuite : public SharedHostSuite<Suite> {
 protected:
  using Base = SharedHostSuite<Suite>;
  struct Account {
    std::string id, token;
    HeaderList auth() const { return Bearer(token); }
  };
  static void BaseEnv(HostProcess::Options& o) {
    o.env["WEBUI_PLUGIN_PATH"] = WEBUI_PLUGIN_BUILD_DIR;
    o.env["WEBUI_PLUGINS"] = "auth,files,rag";
    o.env["WEBUI_PLUGINS_STRICT"] = "true";
    o.env["WEBUI_AUTH_BCRYPT_ROUNDS"] = "4";
    o.env["WEBUI_SECRET_KEY"] = "it-secret-for-the-rag-plugin-tests";
    o.env["CHUNK_SIZE"] = "200";
    o.env["CHUNK_OVERLAP"] = "20";
    o.env["USER_PERMISSIONS_WORKSPACE_KNOWLEDGE_ACCESS"] = "true";
  }
  static int Port() { return Base::host().port(); }
  static HttpResult Call(const std::string& method, const std::string& path,
                         const std::string& body, const HeaderList& who) {
    return Http(Port(), method, path, body, who);
  }
  static HttpResult Post(const std::string& path, const json& body, const HeaderList& who) {
    return Call("POST", path, body.dump(), who);
  }
  static HttpResult Get(const std::string& path, const HeaderList& who) {
    return Call("GET", path, "", who);
  }
  static const Account& Admin() {
    static const Account admin = [] {
      auto r = Http(
          Port(), "POST", "/api/v1/auths/signup",
          json{{"name", "Root"}, {"email", "root@example.com"}, {"password", "pw-root"}}.dump());
      EXPECT_EQ(r.status, 200) << r.body;
      return Account{r.Json().value("id", ""), r.Json().value("token", "")};
    }();
    return admin;
  }
  static Account AddUser(const std::string& name) {
    auto r = Post("/api/v1/auths/add",
                  {{"name", name},
                   {"email", name + "@example.com"},
                   {"password", "pw-" + name},
                   {"role", "user"}},
                  Admin().auth());
    EXPECT_EQ(r.status, 200) << r.body;
    return Account{r.Json().value("id", ""), r.Json().value("token", "")};
  }
  static const Account& Alice() {
    static const Account a = AddUser("alice");
    return a;
  }
  static const Account& Bob() {
    static const Account b = AddUser("bob");
    return b;
  }
  // Uploads with processing; returns the id and the whole status stream (it ends by itself).
  static std::pair<std::string, std::vector<json>> Upload(
      const Account& who, const std::string& filename, const std::string& text,
      const std::string& type = "text/markdown") {
    const std::string body = std::string("--") + kBoundary +
                             "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" +
                             filename + "\"\r\nContent-Type: " + type + "\r\n\r\n" + text +
                             "\r\n--" + kBoundary + "--\r\n";
    HeaderList h = who.auth();
    h.emplace_back("Content-Type", std::string("multipart/form-data; boundary=") + kBoundary);
    auto r = Call("POST", "/api/v1/files/", body, h);
    EXPECT_EQ(r.status, 200) << r.body;
    const std::string id = r.Json().value("id", "");
    auto s = Get("/api/v1/files/" + id + "/process/status?stream=true", who.auth());
    EXPECT_EQ(s.status, 200) << s.body;
    return {id, Events(s.body)};
  }
  static json Query(const Account& who, const json& names, const std::string& q,
                    json extra = json::object(), int want = 200) {
    extra["collection_names"] = names;
    extra["query"] = q;
    auto r = Post("/api/v1/retrieval/query/collection", extra, who.auth());
    EXPECT_EQ(r.status, want) << r.body;
    return r.status == 200 ? r.Json() : json();
  }
  static json CreateKb(const Account& who, const std::string& name, json access = nullptr) {
    auto r = Post("/api/v1/knowledge/create",
                  {{"name", name}, {"description", "about " + name}, {"access_control", access}},
                  who.auth());
    EXPECT_EQ(r.status, 200) << r.body;
    return r.Json();
  }
};

}  // namespace rag_it
}  // namespace webui::testing
