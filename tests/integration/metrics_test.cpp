// GET /metrics (ENABLE_METRICS) and GET /health/ready over the real binary.
#include <chrono>
#include <regex>
#include <thread>

#include "it_support.hpp"
#include "kv/kv_test_servers.hpp"

namespace webui::testing {
namespace {

constexpr const char* kToken = "scrape-secret-token";

// The value of the sample whose name and labels are exactly `series`, or -1.
// The allow-list holds the loopback peer; a client behind the (trusted, loopback) proxy that
// says it is 203.0.113.9 is outside it.
class Metrics : public SharedHostSuite<Metrics> {
 public:
  static void Configure(HostProcess::Options& o) {
    o.env["ENABLE_METRICS"] = "true";
    o.env["WEBUI_METRICS_TOKEN"] = kToken;
    o.env["WEBUI_METRICS_ALLOW"] = "127.0.0.1,::1";
    o.env["FORWARDED_ALLOW_IPS"] = "127.0.0.1";
  }

 protected:
  static std::string Scrape() {
    auto r = host().Get("/metrics");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    return r.body;
  }
  static double Value(const std::string& text, const std::string& series) {
    return MetricSample(text, series);
  }
};

TEST_F(Metrics, RequestCountersMoveUnderTheRouteTemplate) {
  const std::string series =
      R"x(webui_http_requests_total{method="GET",route="/api/v1/test/items/{id}",status="200"})x";
  const double before = std::max(0.0, Value(Scrape(), series));
  for (const char* id : {"11", "12", "13"})
    ASSERT_EQ(host().Get(std::string("/api/v1/test/items/") + id, As("user")).status, 200);
  ASSERT_EQ(host().Get("/api/v1/test/items/14").status, 403);  // no credentials
  const std::string refused =
      R"x(webui_http_requests_total{method="GET",route="/api/v1/test/items/{id}",status="403"})x";
  // A request is counted just after its response left, so a scrape may overtake the last one.
  std::string text = Scrape();
  for (int i = 0; i < 100 && (Value(text, series) < before + 3 || Value(text, refused) < 1); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    text = Scrape();
  }
  EXPECT_EQ(Value(text, series), before + 3) << text;
  EXPECT_GE(Value(text, refused), 1);
  EXPECT_GE(
      Value(
          text,
          R"x(webui_http_request_duration_seconds_count{method="GET",route="/api/v1/test/items/{id}",status="200"})x"),
      before + 3);
  // Raw paths never become labels: the label set stays bounded whatever clients request.
  ASSERT_EQ(host().Get("/no/such/path/4711").status, 404);
  const std::string fallback =
      R"x(webui_http_requests_total{method="*",route="(fallback)",status="404"})x";
  std::string after = Scrape();
  for (int i = 0; i < 100 && Value(after, fallback) < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    after = Scrape();
  }
  EXPECT_EQ(after.find("4711"), std::string::npos);
  // Unknown paths are counted under the frontend fallback.
  EXPECT_GE(
      Value(after, R"x(webui_http_requests_total{method="*",route="(fallback)",status="404"})x"), 1)
      << after;
}

TEST_F(Metrics, HostGaugesAreReported) {
  const std::string text = Scrape();
  EXPECT_GE(Value(text, R"x(webui_plugins{state="loaded"})x"), 3) << text;
  EXPECT_GE(Value(text, R"x(webui_db_pool_connections{state="max"})x"), 1) << text;
  EXPECT_GE(Value(text, R"x(webui_db_pool_connections{state="in_use"})x"), 0) << text;
  EXPECT_GE(Value(text, "webui_db_pool_waits_total"), 0) << text;
  EXPECT_EQ(Value(text, "webui_kv_shared"), backend().redis_url().empty() ? 0 : 1) << text;
  EXPECT_EQ(Value(text, R"x(webui_streams_in_flight{mode="relay"})x"), 0) << text;
  EXPECT_GE(Value(text, "webui_socketio_connections"), 0) << text;
  // Every sample line is "name{labels} value" or "name value" (what Prometheus parses).
  const std::regex line(R"x([a-z_]+(\{([a-z_]+="([^"\\]|\\.)*",?)*\})? [-+0-9.eInf]+)x");
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    const std::string l = text.substr(start, end - start);
    if (!l.empty() && l[0] != '#') {
      EXPECT_TRUE(std::regex_match(l, line)) << l;
    }
    start = end + 1;
  }
}

TEST_F(Metrics, PluginsAddTheirOwnSeriesThroughTheService) {
  for (int i = 0; i < 2; ++i) {
    auto r = host().Post("/api/v1/test/count?kind=alpha", "");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.Json()["ok"], true);
    EXPECT_EQ(r.Json()["available"], true);
  }
  EXPECT_EQ(host().Post("/api/v1/test/count?kind=Bad-Name", "").Json()["ok"], false);
  const std::string text = Scrape();
  EXPECT_EQ(Value(text, R"x(webui_test_events_total{plugin="basic",kind="alpha"})x"), 2) << text;
  EXPECT_NE(text.find("# TYPE webui_test_events_total counter"), std::string::npos);
}

TEST_F(Metrics, AnAddressOutsideTheAllowListNeedsTheToken) {
  const HeaderList outside = {{"X-Forwarded-For", "203.0.113.9"}};
  auto r = host().Get("/metrics", outside);
  EXPECT_EQ(r.status, 403);
  EXPECT_TRUE(r.Json()["detail"].is_string());
  HeaderList wrong = outside;
  wrong.push_back({"Authorization", "Bearer not-the-token"});
  EXPECT_EQ(host().Get("/metrics", wrong).status, 403);
  HeaderList right = outside;
  right.push_back({"Authorization", std::string("Bearer ") + kToken});
  EXPECT_EQ(host().Get("/metrics", right).status, 200);
}

TEST_F(Metrics, ReadyWhileTheDatabaseAnswers) {
  auto r = host().Get("/health/ready");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Json()["status"], true);
}

// The provider kit (plugins/common/providers) counts failed exchanges per connection: here the
// real openai plugin with connection 0 on a port nobody listens on, 1 on the same, disabled.
class UpstreamErrors : public SharedHostSuite<UpstreamErrors> {
 public:
  static void Configure(HostProcess::Options& o) {
    o.env["ENABLE_METRICS"] = "true";
    o.env["WEBUI_PLUGIN_PATH"] = PluginDir("good") + ":" + WEBUI_PLUGIN_BUILD_DIR;
    o.env["WEBUI_PLUGINS"] = "test_auth,openai";
    o.env["WEBUI_PLUGINS_STRICT"] = "true";
    const std::string closed =
        "http://127.0.0.1:" + std::to_string(kv::testing::FreeTcpPort()) + "/v1";
    o.env["OPENAI_API_BASE_URLS"] = closed + ";" + closed;
    o.env["OPENAI_API_KEYS"] = "sk-0;sk-1";
    o.env["OPENAI_API_CONFIGS"] = R"({"1": {"enable": false}})";
  }
};

TEST_F(UpstreamErrors, AnUnreachableConnectionMovesItsCounter) {
  const std::string series =
      R"x(webui_upstream_errors_total{plugin="openai",connection="0",reason="unreachable"})x";
  const auto scrape = [] {
    auto r = host().Get("/metrics");
    EXPECT_EQ(r.status, 200) << r.body;
    return r.body;
  };
  const double before = std::max(0.0, MetricSample(scrape(), series));
  // Each refresh asks every enabled connection for its models.
  for (int i = 0; i < 2; ++i) {
    auto r = host().Get("/openai/models?refresh=true", As("admin"));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["data"], nlohmann::json::array());
  }
  const std::string text = scrape();
  EXPECT_GE(MetricSample(text, series), before + 2) << text;
  EXPECT_NE(text.find("# TYPE webui_upstream_errors_total counter"), std::string::npos) << text;
  // A disabled connection is not asked, so it has no failures.
  EXPECT_EQ(text.find(R"x(webui_upstream_errors_total{plugin="openai",connection="1")x"),
            std::string::npos)
      << text;
}

// Without ENABLE_METRICS nothing is exposed.
class MetricsOff : public SharedHostSuite<MetricsOff> {
 public:
  static void Configure(HostProcess::Options&) {}
};

TEST_F(MetricsOff, NoMetricsRouteByDefault) {
  EXPECT_EQ(host().Get("/metrics").status, 404);
  EXPECT_EQ(host().Get("/health/ready").status, 200);
}

}  // namespace
}  // namespace webui::testing
