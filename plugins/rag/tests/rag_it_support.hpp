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

// The test upstream at `base_url` (its embed-bow model: a hashed bag of words) as the OpenAI
// embedding engine of the host configured by `o`.
inline void EmbedderEnv(HostProcess::Options& o, const std::string& base_url) {
  o.env["RAG_EMBEDDING_ENGINE"] = "openai";
  o.env["RAG_EMBEDDING_MODEL"] = "embed-bow";
  o.env["RAG_OPENAI_API_BASE_URL"] = base_url + "/v1";
  o.env["RAG_OPENAI_API_KEY"] = "sk-test";
}

template <typename Suite>
class RagSuite : public AccountsSuite<Suite> {
 protected:
  using Base = AccountsSuite<Suite>;
  using Base::Admin;
  using Base::Alice;
  using Base::Call;
  using Base::Port;
  static void BaseEnv(HostProcess::Options& o) {
    PluginHostEnv(o, "auth,files,rag", "it-secret-for-the-rag-plugin-tests");
    o.env["CHUNK_SIZE"] = "200";
    o.env["CHUNK_OVERLAP"] = "20";
    o.env["USER_PERMISSIONS_WORKSPACE_KNOWLEDGE_ACCESS"] = "true";
  }
  static HttpResult Post(const std::string& path, const json& body, const HeaderList& who) {
    return Call("POST", path, body.dump(), who);
  }
  static HttpResult Get(const std::string& path, const HeaderList& who) {
    return Call("GET", path, "", who);
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
    return {id, StreamEvents(s.body)};
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
