// Shared fixture: one host with the good test plugins on the selected backend.
#pragma once

#include <gtest/gtest.h>

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

class SharedHost : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string why;
    if (BackendUnavailable(&why)) return;
    backend_ = new Backend();
    HostProcess::Options o;
    o.env = backend_->Env();
    o.env["TEST_GREETING"] = "hi";
    o.env["CORS_ALLOW_ORIGIN"] = "http://allowed.example;http://other.example";
    o.env["WEBUI_MAX_BODY_SIZE"] = "64k";
    o.env["AUDIT_LOG_LEVEL"] = "REQUEST_RESPONSE";
    host_ = new HostProcess(o);
    if (!host_->Start(&why)) {
      start_error_ = new std::string(why);
    }
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

  static inline Backend* backend_ = nullptr;
  static inline HostProcess* host_ = nullptr;
  static inline std::string* start_error_ = nullptr;
};

}  // namespace webui::testing
