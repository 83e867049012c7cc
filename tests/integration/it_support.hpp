// Integration test support: the backend guard and the shared-host fixture.
#pragma once

#include <gtest/gtest.h>

#include <string>

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
