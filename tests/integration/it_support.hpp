// Integration test support: the backend guard, the shared-host fixture, and what the suites of
// the real plugins share (their host's environment, accounts, event streams).
#pragma once

#include <gtest/gtest.h>

#include <cctype>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "host_process.hpp"

namespace webui::testing {

#define WH_REQUIRE_BACKEND()                                          \
  do {                                                                \
    std::string why_;                                                 \
    if (::webui::testing::BackendUnavailable(&why_)) {                \
      if (std::getenv("WEBUI_TEST_REQUIRE_SERVICES")) FAIL() << why_; \
      GTEST_SKIP() << why_;                                           \
    }                                                                 \
  } while (0)

// One webui-host per test suite, shared by the suite's tests (webui_add_suites in
// cmake/Testing.cmake runs each suite in one process, so the host really starts once per suite).
// `Suite::Configure(HostProcess::Options&)` adds the suite's plugins and environment over the
// backend's; a suite that needs per-test resets overrides SetUp and calls this one first.
template <typename Suite>
class SharedHostSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string why;
    if (BackendUnavailable(&why)) return;
    backend_ = new Backend();
    HostProcess::Options o;
    o.env = backend_->Env();
    Suite::Configure(o);
    host_ = new HostProcess(o);
    if (!host_->Start(&why)) start_error_ = new std::string(why);
  }
  static void TearDownTestSuite() {
    delete host_;
    delete backend_;
    delete start_error_;
    host_ = nullptr;
    backend_ = nullptr;
    start_error_ = nullptr;
  }
  void SetUp() override {
    WH_REQUIRE_BACKEND();
    ASSERT_EQ(start_error_, nullptr) << *start_error_;
  }
  static HostProcess& host() { return *host_; }
  static Backend& backend() { return *backend_; }

  static inline Backend* backend_ = nullptr;
  static inline HostProcess* host_ = nullptr;
  static inline std::string* start_error_ = nullptr;
};

// The good test plugins (basic, consumer, test_auth) with the settings the core suites test.
class SharedHost : public SharedHostSuite<SharedHost> {
 public:
  static void Configure(HostProcess::Options& o) {
    o.env["TEST_GREETING"] = "hi";
    o.env["CORS_ALLOW_ORIGIN"] = "http://allowed.example;http://other.example";
    o.env["WEBUI_MAX_BODY_SIZE"] = "64k";
    o.env["AUDIT_LOG_LEVEL"] = "REQUEST_RESPONSE";
  }
};

// ---- suites that run the real plugins ---------------------------------------------------------

// The environment of a host that runs the real `plugins` (WEBUI_PLUGINS, strictly: a plugin that
// does not load stops the start) from the build's plugin directory and `extra_dirs` (test
// plugins; ':'-separated), with cheap bcrypt (4 rounds) and `secret` as WEBUI_SECRET_KEY. Over
// the backend's database and Redis that `o.env` already holds (SharedHostSuite sets them; the
// data directory is the host's own).
inline void PluginHostEnv(HostProcess::Options& o, const std::string& plugins,
                          const std::string& secret, const std::string& extra_dirs = "") {
  o.env["WEBUI_PLUGIN_PATH"] =
      std::string(WEBUI_PLUGIN_BUILD_DIR) + (extra_dirs.empty() ? "" : ":" + extra_dirs);
  o.env["WEBUI_PLUGINS"] = plugins;
  o.env["WEBUI_PLUGINS_STRICT"] = "true";
  o.env["WEBUI_AUTH_BCRYPT_ROUNDS"] = "4";
  o.env["WEBUI_SECRET_KEY"] = secret;
}

// An account of the real auth plugin.
struct Account {
  std::string id, token;
  HeaderList auth() const { return {{"Authorization", "Bearer " + token}}; }
};

// Makes the account `name` (email `<name>@example.com` and password `pw-<name>`, in lower case)
// on the host at `port`: it signs up (the first account of a host is its admin), or, with
// `admin_token`, that admin adds it with `role`. A test failure when refused.
inline Account SignUp(int port, const std::string& name, const std::string& admin_token = "",
                      const std::string& role = "user") {
  std::string lower = name;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  nlohmann::json form = {
      {"name", name}, {"email", lower + "@example.com"}, {"password", "pw-" + lower}};
  HeaderList headers = {{"Content-Type", "application/json"}};
  std::string path = "/api/v1/auths/signup";
  if (!admin_token.empty()) {
    form["role"] = role;
    path = "/api/v1/auths/add";
    headers.emplace_back("Authorization", "Bearer " + admin_token);
  }
  const HttpResult r = Http(port, "POST", path, form.dump(), headers);
  EXPECT_EQ(r.status, 200) << r.body;
  return r.status == 200 ? Account{r.Json().value("id", ""), r.Json().value("token", "")}
                         : Account{};
}

// A SharedHostSuite whose host runs the auth plugin, with its accounts made once per suite: the
// admin Root (the first to sign up), and users Alice and Bob.
template <typename Suite>
class AccountsSuite : public SharedHostSuite<Suite> {
 protected:
  static int Port() { return SharedHostSuite<Suite>::host().port(); }
  static HttpResult Call(const std::string& method, const std::string& path,
                         const std::string& body, const HeaderList& who) {
    return Http(Port(), method, path, body, who);
  }
  static const Account& Admin() {
    static const Account admin = SignUp(Port(), "Root");
    return admin;
  }
  static Account AddUser(const std::string& name, const std::string& role = "user") {
    return SignUp(Port(), name, Admin().token, role);
  }
  static const Account& Alice() {
    static const Account a = AddUser("alice");
    return a;
  }
  static const Account& Bob() {
    static const Account b = AddUser("bob");
    return b;
  }
};

// A multipart/form-data body as a browser sends it, with `boundary`: parts, then End().
class MultipartForm {
 public:
  explicit MultipartForm(std::string boundary) : boundary_(std::move(boundary)) {}
  std::string File(const std::string& filename, const std::string& bytes,
                   const std::string& type = "application/octet-stream") const {
    return "--" + boundary_ + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" +
           filename + "\"\r\nContent-Type: " + type + "\r\n\r\n" + bytes + "\r\n";
  }
  std::string Field(const std::string& name, const std::string& value) const {
    return "--" + boundary_ + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" +
           value + "\r\n";
  }
  std::string End() const { return "--" + boundary_ + "--\r\n"; }
  std::string ContentType() const { return "multipart/form-data; boundary=" + boundary_; }

 private:
  std::string boundary_;
};

// The openai plugin pointed at one OpenAI-compatible test upstream (`base_url`: .../v1), Ollama
// off, every model open to every user.
inline void OpenAiUpstreamEnv(HostProcess::Options& o, const std::string& base_url) {
  o.env["ENABLE_OPENAI_API"] = "true";
  o.env["ENABLE_OLLAMA_API"] = "false";
  o.env["OPENAI_API_BASE_URLS"] = base_url;
  o.env["OPENAI_API_KEYS"] = "sk-test";
  o.env["BYPASS_MODEL_ACCESS_CONTROL"] = "true";
}

// The `data: {...}` events of an event-stream body.
inline std::vector<nlohmann::json> StreamEvents(const std::string& body) {
  std::vector<nlohmann::json> out;
  std::size_t at = 0;
  while ((at = body.find("data: ", at)) != std::string::npos) {
    const std::size_t end = body.find("\n\n", at);
    out.push_back(nlohmann::json::parse(body.substr(at + 6, end - at - 6)));
    at = end == std::string::npos ? body.size() : end;
  }
  return out;
}

// A chat as the web UI creates it before a background completion: the user's `question` (u1)
// and the assistant message a1 waiting for its answer.
inline nlohmann::json PendingReplyChat(const std::string& question) {
  using nlohmann::json;
  json user = {{"id", "u1"}, {"role", "user"}, {"content", question}, {"parentId", nullptr}};
  user["childrenIds"] = {"a1"};
  json assistant = {{"id", "a1"}, {"role", "assistant"}, {"content", ""}, {"parentId", "u1"}};
  assistant["childrenIds"] = json::array();
  return {{"title", "New Chat"},
          {"history", {{"messages", {{"u1", user}, {"a1", assistant}}}, {"currentId", "a1"}}}};
}

}  // namespace webui::testing
