// ABI freeze: a plugin built against the frozen 1.0 headers (tests/abi/v1_0) loads into the
// current host and every host service it calls still works: routes and errors, configuration,
// database with migrations and transactions, key-value store and publish/subscribe, outbound
// HTTP and streamed responses.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "host_process.hpp"

namespace webui::testing {
namespace {

class Abi10Plugin : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    HostProcess::Options o;
    o.env["WEBUI_PLUGIN_PATH"] = WEBUI_ABI_1_0_PLUGIN_DIR;
    o.env["TEST_GREETING"] = "frozen";
    host_ = new HostProcess(o);
    std::string why;
    if (!host_->Start(&why)) start_error_ = new std::string(why);
  }
  static void TearDownTestSuite() {
    delete host_;
    delete start_error_;
    host_ = nullptr;
    start_error_ = nullptr;
  }
  void SetUp() override { ASSERT_EQ(start_error_, nullptr) << *start_error_; }
  static HostProcess& host() { return *host_; }

  static inline HostProcess* host_ = nullptr;
  static inline std::string* start_error_ = nullptr;
};

TEST_F(Abi10Plugin, LoadsAndServesItsRoutes) {
  auto r = host().Get("/api/v1/test/echo?q=frozen", {{"X-Request-ID", "abi-1-0"}});
  ASSERT_EQ(r.status, 200) << r.body << host().Log();
  auto j = r.Json();
  EXPECT_EQ(j["method"], "GET");
  EXPECT_EQ(j["path"], "/api/v1/test/echo");
  EXPECT_EQ(j["q"], "frozen");
  EXPECT_EQ(j["request_id"], "abi-1-0");
  // It really is a 1.0 build in a newer host.
  EXPECT_NE(host().Log().find("plugin loaded: basic 1.2.3 (ABI 1.0)"), std::string::npos)
      << host().Log();
}

TEST_F(Abi10Plugin, ErrorsKeepTheOpenWebUiShape) {
  auto r = host().Get("/api/v1/test/http-error");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.Json()["detail"], "bad thing");
  r = host().Get("/api/v1/test/throw");
  EXPECT_EQ(r.status, 500);
  EXPECT_TRUE(r.Json()["detail"].is_string());
  EXPECT_EQ(r.body.find("deliberate"), std::string::npos) << "internal text leaked: " << r.body;
}

TEST_F(Abi10Plugin, ReadsItsDeclaredConfiguration) {
  EXPECT_EQ(host().Get("/api/v1/test/config").Json()["greeting"], "frozen");
}

TEST_F(Abi10Plugin, MigratesAndUsesTheDatabase) {
  ASSERT_EQ(host().Post("/api/v1/test/notes", R"({"text":"kept"})").status, 200);
  EXPECT_EQ(host().Post("/api/v1/test/notes", R"({"text":"dropped","rollback":true})").status, 409);
  auto notes = host().Get("/api/v1/test/notes").Json();
  ASSERT_TRUE(notes.is_array());
  bool kept = false;
  for (const auto& n : notes) {
    EXPECT_NE(n["text"], "dropped");
    kept = kept || n["text"] == "kept";
  }
  EXPECT_TRUE(kept) << notes.dump();
  EXPECT_EQ(host().Get("/api/v1/test/notes/search?q=kept").Json(), nlohmann::json({"kept"}));
}

TEST_F(Abi10Plugin, UsesTheKeyValueStoreAndPublishSubscribe) {
  ASSERT_EQ(Http(host().port(), "PUT", "/api/v1/test/kv/k1", "v1").status, 200);
  auto kv = host().Get("/api/v1/test/kv/k1");
  ASSERT_EQ(kv.status, 200);
  EXPECT_EQ(kv.Json()["value"], "v1");
  EXPECT_EQ(host().Get("/api/v1/test/kv/absent").status, 404);
  EXPECT_EQ(host().Post("/api/v1/test/kv/n/incr", "").Json()["value"], 1);
  EXPECT_EQ(host().Post("/api/v1/test/kv/n/incr", "").Json()["value"], 2);

  ASSERT_EQ(host().Post("/api/v1/test/publish", "hello 1.0").status, 200);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  nlohmann::json received;
  do {
    received = host().Get("/api/v1/test/received").Json();
    if (received.is_array() && !received.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(received, nlohmann::json({"hello 1.0"}));
}

TEST_F(Abi10Plugin, StreamsAResponse) {
  auto r = host().Get("/api/v1/test/stream?n=3&delay_ms=1");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.Header("Content-Type").find("text/event-stream"), std::string::npos);
  EXPECT_EQ(r.body, "data: {\"i\":0}\n\ndata: {\"i\":1}\n\ndata: {\"i\":2}\n\ndata: [DONE]\n\n");
}

TEST_F(Abi10Plugin, FetchesThroughTheHostsOutboundClient) {
  // The host's own /health is the upstream: no other server needed.
  auto r = host().Get("/api/v1/test/fetch?url=http://127.0.0.1:" + std::to_string(host().port()) +
                      "/health");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(nlohmann::json::parse(r.body)["status"], true) << r.body;
}

}  // namespace
}  // namespace webui::testing
