// Fixture for the chat plugin's integration tests: one real webui-host per test suite
// (SharedHostSuite, tests/integration/it_support.hpp) with the chat plugin, the test
// authenticator ("Bearer <role>:<id>"), two scripted model providers, a recording retrieval.v1
// and (optionally) the recording socket emitter, on the backend WEBUI_IT_BACKEND selects.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "it_support.hpp"

namespace webui::testing {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

inline constexpr const char* kProviderA = "test_chat_provider_a";
inline constexpr const char* kProviderB = "test_chat_provider_b";

// An access_control that lets `user_ids` and `group_ids` read, and no one but the owner write.
inline json ReadGrant(const json& user_ids, const json& group_ids) {
  return {{"read", {{"user_ids", user_ids}, {"group_ids", group_ids}}},
          {"write", {{"user_ids", json::array()}, {"group_ids", json::array()}}}};
}

template <bool kWithEmitter>
class ChatHostT : public SharedHostSuite<ChatHostT<kWithEmitter>> {
  using Base = SharedHostSuite<ChatHostT<kWithEmitter>>;

 public:
  static void Configure(HostProcess::Options& o) {
    o.env["WEBUI_PLUGIN_PATH"] =
        std::string(WEBUI_PLUGIN_BUILD_DIR) + ":" + PluginDir("good") + ":" + CHAT_TEST_PLUGIN_DIR;
    o.env["WEBUI_PLUGINS"] = std::string("chat,test_auth,test_chat_retrieval,") + kProviderA + "," +
                             kProviderB + (kWithEmitter ? ",test_chat_emitter" : "");
    o.env["MODELS_CACHE_TTL"] = "1";
  }

 protected:
  void SetUp() override {
    Base::SetUp();
    if (this->HasFatalFailure() || this->IsSkipped()) return;
    ASSERT_EQ(Call("POST", std::string("/api/v1/test-provider/") + kProviderA + "/reset").status,
              200);
    ASSERT_EQ(Call("POST", std::string("/api/v1/test-provider/") + kProviderB + "/reset").status,
              200);
    if (kWithEmitter) {
      ASSERT_EQ(Call("POST", "/api/v1/test-emitter/reset").status, 200);
    }
  }

  using Base::host;
  using Base::host_;

  static HttpResult Call(const std::string& method, const std::string& path,
                         const json& body = json(), const HeaderList& headers = {}) {
    return Http(host_->port(), method, path, body.is_null() ? std::string() : body.dump(), headers);
  }
  static HttpResult Get(const std::string& path, const HeaderList& h) {
    return Call("GET", path, json(), h);
  }
  static HttpResult Post(const std::string& path, const json& body, const HeaderList& h) {
    return Call("POST", path, body, h);
  }
  static HttpResult Delete(const std::string& path, const HeaderList& h,
                           const json& body = json()) {
    return Call("DELETE", path, body, h);
  }

  static json ProviderCalls(const char* provider = kProviderA) {
    return Call("GET", std::string("/api/v1/test-provider/") + provider + "/calls").Json();
  }
  static json Events() { return Call("GET", "/api/v1/test-emitter/events").Json(); }

  // Polls `done` every 20 ms until true or `timeout`; returns its last answer.
  static bool WaitFor(const std::function<bool()>& done,
                      std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto until = Clock::now() + timeout;
    while (Clock::now() < until) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return done();
  }

  // A user message whose content scripts the fake provider.
  static json Script(const json& script) {
    return json::array({{{"role", "user"}, {"content", json{{"script", script}}.dump()}}});
  }

  // Makes a provider model visible to users (a public override row).
  static void Publish(const std::string& model_id, const HeaderList& admin) {
    auto r = Post("/api/v1/models/create",
                  {{"id", model_id},
                   {"name", model_id},
                   {"meta", json::object()},
                   {"params", json::object()},
                   {"access_control", nullptr}},
                  admin);
    ASSERT_EQ(r.status, 200) << r.body;
  }

  static json NewChat(const HeaderList& who, const json& chat, const json& folder_id = json()) {
    json body = {{"chat", chat}};
    if (!folder_id.is_null()) body["folder_id"] = folder_id;
    auto r = Post("/api/v1/chats/new", body, who);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.Json();
  }
};

using ChatHost = ChatHostT<true>;

inline int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

}  // namespace webui::testing
