// The host's own endpoints and the middleware chain, through HTTP against the real binary.
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include <Poco/InflatingStream.h>
#include <Poco/Net/StreamSocket.h>

#include "it_support.hpp"

namespace webui::testing {
namespace {

using nlohmann::json;

class CoreTest : public SharedHost {};

TEST_F(CoreTest, HealthVersionAndDb) {
  auto r = host().Get("/health");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Json(), json({{"status", true}}));
  r = host().Get("/health/db");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Json()["status"], true);
  r = host().Get("/api/version");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.Json()["version"].is_string());
  EXPECT_EQ(r.Json()["version"].get<std::string>().rfind("0.6.", 0), 0u);
}

TEST_F(CoreTest, PublicConfigIsBootstrapDataOnly) {
  auto r = host().Get("/api/config");
  ASSERT_EQ(r.status, 200);
  auto c = r.Json();
  EXPECT_EQ(c["status"], true);
  EXPECT_TRUE(c["name"].is_string());
  EXPECT_TRUE(c.contains("default_locale"));
  EXPECT_TRUE(c["features"].is_object());
  EXPECT_EQ(c["features"]["test_basic"], true);  // merged from a plugin's api_config.v1
  EXPECT_FALSE(c.contains("default_models"));    // signed-in part only
  EXPECT_FALSE(c.contains("permissions"));

  // The host contributes only what it owns; module fields come from plugins (ui_defaults, chat,
  // auth), none of which this plugin set loads.
  auto signed_in = host().Get("/api/config", As("user")).Json();
  EXPECT_EQ(signed_in["features"]["enable_websocket"], true);
  EXPECT_FALSE(signed_in.contains("default_models"));
  EXPECT_FALSE(signed_in["features"].contains("enable_web_search"));
  // A bad token on this optional-auth route is refused, as Open WebUI does.
  EXPECT_EQ(host().Get("/api/config", {{"Authorization", "Bearer garbage"}}).status, 401);
}

TEST_F(CoreTest, UnknownPathAndWrongMethodUseTheDetailShape) {
  auto r = host().Get("/api/v1/does-not-exist");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.Json(), json({{"detail", "Not Found"}}));
  r = host().Post("/health", "{}");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.Json(), json({{"detail", "Method Not Allowed"}}));
}

TEST_F(CoreTest, RequestIdIsEchoedOrGenerated) {
  auto r = host().Get("/health", {{"X-Request-ID", "abc-123"}});
  EXPECT_EQ(r.Header("X-Request-ID"), "abc-123");
  auto echoed = host().Get("/api/v1/test/echo", {{"X-Request-ID", "abc-123"}}).Json();
  EXPECT_EQ(echoed["request_id"], "abc-123");
  r = host().Get("/health", {{"X-Request-ID", "bad id with spaces\x01"}});
  EXPECT_NE(r.Header("X-Request-ID"), "");
  EXPECT_EQ(r.Header("X-Request-ID").find(' '), std::string::npos);
  EXPECT_NE(host().Get("/health").Header("X-Request-ID"),
            host().Get("/health").Header("X-Request-ID"));
}

TEST_F(CoreTest, SecurityHeadersOnEveryResponse) {
  for (const char* path : {"/health", "/nope", "/api/v1/test/throw"}) {
    auto r = host().Get(path);
    EXPECT_EQ(r.Header("X-Content-Type-Options"), "nosniff") << path;
    EXPECT_EQ(r.Header("X-Frame-Options"), "SAMEORIGIN") << path;
    EXPECT_FALSE(r.Header("Referrer-Policy").empty()) << path;
  }
}

TEST_F(CoreTest, CorsAllowsConfiguredOriginsWithCredentials) {
  auto r = host().Get("/health", {{"Origin", "http://allowed.example"}});
  EXPECT_EQ(r.Header("Access-Control-Allow-Origin"), "http://allowed.example");
  EXPECT_EQ(r.Header("Access-Control-Allow-Credentials"), "true");
  r = host().Get("/health", {{"Origin", "http://evil.example"}});
  EXPECT_EQ(r.Header("Access-Control-Allow-Origin"), "");

  auto pre = Http(host().port(), "OPTIONS", "/api/v1/test/echo", "",
                  {{"Origin", "http://other.example"},
                   {"Access-Control-Request-Method", "POST"},
                   {"Access-Control-Request-Headers", "authorization,content-type"}});
  EXPECT_EQ(pre.status, 200);
  EXPECT_EQ(pre.Header("Access-Control-Allow-Origin"), "http://other.example");
  EXPECT_NE(pre.Header("Access-Control-Allow-Methods").find("POST"), std::string::npos);
  EXPECT_EQ(pre.Header("Access-Control-Allow-Headers"), "authorization,content-type");
  pre = Http(host().port(), "OPTIONS", "/api/v1/test/echo", "",
             {{"Origin", "http://evil.example"}, {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(pre.status, 400);
}

TEST_F(CoreTest, GzipWhenAcceptedAndLarge) {
  auto plain = host().Get("/api/v1/test/big");
  ASSERT_EQ(plain.status, 200);
  EXPECT_EQ(plain.Header("Content-Encoding"), "");
  auto gz = host().Get("/api/v1/test/big", {{"Accept-Encoding", "gzip, deflate"}});
  ASSERT_EQ(gz.status, 200);
  EXPECT_EQ(gz.Header("Content-Encoding"), "gzip");
  EXPECT_LT(gz.body.size(), plain.body.size() / 4);
  std::istringstream in(gz.body);
  Poco::InflatingInputStream inflate(in, Poco::InflatingStreamBuf::STREAM_GZIP);
  std::string unpacked((std::istreambuf_iterator<char>(inflate)), std::istreambuf_iterator<char>());
  EXPECT_EQ(unpacked, plain.body);
  // Small bodies are not worth compressing.
  EXPECT_EQ(host().Get("/health", {{"Accept-Encoding", "gzip"}}).Header("Content-Encoding"), "");
}

TEST_F(CoreTest, OversizedBodiesAre413BeforeBuffering) {
  const std::string big(65 * 1024, 'x');
  auto r = host().Post("/api/v1/test/echo", big);
  EXPECT_EQ(r.status, 413);
  EXPECT_TRUE(r.Json()["detail"].is_string());

  // A declared 10 GB body is refused at once, without sending (or the server reading) it.
  Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", host().port()));
  s.setReceiveTimeout(Poco::Timespan(5, 0));
  const std::string head =
      "POST /api/v1/test/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 10000000000\r\n\r\n";
  s.sendBytes(head.data(), static_cast<int>(head.size()));
  char buf[512] = {};
  const int n = s.receiveBytes(buf, sizeof buf - 1);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, n).rfind("HTTP/1.1 413", 0), 0u) << std::string(buf, n);

  // Chunked bodies are counted as they arrive.
  Poco::Net::StreamSocket c(Poco::Net::SocketAddress("127.0.0.1", host().port()));
  c.setReceiveTimeout(Poco::Timespan(5, 0));
  std::string chunked =
      "POST /api/v1/test/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 80; ++i) chunked += "400\r\n" + std::string(1024, 'y') + "\r\n";
  c.sendBytes(chunked.data(), static_cast<int>(chunked.size()));
  const int m = c.receiveBytes(buf, sizeof buf - 1);
  ASSERT_GT(m, 0);
  EXPECT_EQ(std::string(buf, m).rfind("HTTP/1.1 413", 0), 0u);
  EXPECT_EQ(host().Get("/health").status, 200);
}

TEST_F(CoreTest, HandlerFailuresAre500AndTheServerKeepsServing) {
  auto r = host().Get("/api/v1/test/throw", {{"X-Request-ID", "boom-1"}});
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.Json(), json({{"detail", "Internal Server Error"}}));
  EXPECT_EQ(r.Json()["detail"].get<std::string>().find("deliberate"), std::string::npos);
  r = host().Get("/api/v1/test/no-response");
  EXPECT_EQ(r.status, 500);
  r = host().Get("/api/v1/test/http-error");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.Json(), json({{"detail", "bad thing"}}));
  EXPECT_EQ(host().Get("/health").status, 200);
  EXPECT_NE(host().Log().find("deliberate failure"), std::string::npos);
}

TEST_F(CoreTest, RequestAccessorsReachThePlugin) {
  auto r = Http(host().port(), "POST", "/api/v1/test/echo?q=a%20b&x=1", R"({"k":"v"})",
                {{"Cookie", "other=1; c=cookie-value"}, {"X-Custom", "yes"}});
  ASSERT_EQ(r.status, 200);
  auto j = r.Json();
  EXPECT_EQ(j["method"], "POST");
  EXPECT_EQ(j["path"], "/api/v1/test/echo");
  EXPECT_EQ(j["q"], "a b");
  EXPECT_EQ(j["cookie"], "cookie-value");
  EXPECT_EQ(j["body"], R"({"k":"v"})");
  EXPECT_EQ(j["headers"]["X-Custom"], "yes");
}

TEST_F(CoreTest, HeadAndTrailingSlash) {
  auto r = Http(host().port(), "HEAD", "/api/v1/test/big");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(host().Get("/api/v1/plugins", As("admin")).status, 200);  // registered with a slash
  EXPECT_EQ(host().Get("/api/v1/test/echo/").status, 200);
}

TEST_F(CoreTest, AuditLogRedactsSecrets) {
  host().Post("/api/v1/test/notes",
              R"({"text":"a@b.c","password":"hunter2","api_key":"sk-1","nested":{"token":"t0k"}})",
              As("user", "audit-user"));
  std::ifstream in(host().data_dir() + "/audit.log");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string log = ss.str();
  EXPECT_NE(log.find("a@b.c"), std::string::npos);
  EXPECT_EQ(log.find("hunter2"), std::string::npos);
  EXPECT_EQ(log.find("sk-1"), std::string::npos);
  EXPECT_EQ(log.find("t0k"), std::string::npos);
  EXPECT_NE(log.find("********"), std::string::npos);
  EXPECT_EQ(host().Log().find("hunter2"), std::string::npos);
}

TEST_F(CoreTest, ManyConcurrentKeepAliveClientsAreNotStarved) {
  // Open 200 idle keep-alive connections (more than Poco's default 16 threads); a new request
  // must still be served promptly.
  std::vector<std::unique_ptr<Poco::Net::StreamSocket>> idle;
  for (int i = 0; i < 200; ++i) {
    auto s = std::make_unique<Poco::Net::StreamSocket>(
        Poco::Net::SocketAddress("127.0.0.1", host().port()));
    const std::string req = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
    s->sendBytes(req.data(), static_cast<int>(req.size()));
    idle.push_back(std::move(s));
  }
  for (auto& s : idle) {
    char buf[256];
    s->setReceiveTimeout(Poco::Timespan(10, 0));
    EXPECT_GT(s->receiveBytes(buf, sizeof buf), 0);
  }
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(host().Get("/health").status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

}  // namespace
}  // namespace webui::testing
