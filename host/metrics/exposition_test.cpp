#include "metrics/exposition.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace webui::metrics {
namespace {

bool Has(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

TEST(RouteStats, CountsPerStatusAndBucketsByLatency) {
  RouteStats stats;
  stats.Record(200, 0.002);
  stats.Record(200, 0.2);
  stats.Record(404, 30);  // beyond the last bucket: only +Inf
  const std::string text = Render({{"GET", "/api/v1/chats/{id}", &stats}}, {});
  const std::string l200 = R"(method="GET",route="/api/v1/chats/{id}",status="200")";
  const std::string l404 = R"(method="GET",route="/api/v1/chats/{id}",status="404")";
  EXPECT_TRUE(Has(text, "webui_http_requests_total{" + l200 + "} 2")) << text;
  EXPECT_TRUE(Has(text, "webui_http_requests_total{" + l404 + "} 1")) << text;
  EXPECT_TRUE(
      Has(text, "webui_http_request_duration_seconds_bucket{" + l200 + R"(,le="0.005"} 1)"));
  EXPECT_TRUE(Has(text, "webui_http_request_duration_seconds_bucket{" + l200 + R"(,le="0.1"} 1)"));
  EXPECT_TRUE(Has(text, "webui_http_request_duration_seconds_bucket{" + l200 + R"(,le="0.25"} 2)"));
  EXPECT_TRUE(Has(text, "webui_http_request_duration_seconds_bucket{" + l404 + R"(,le="10"} 0)"));
  EXPECT_TRUE(Has(text, "webui_http_request_duration_seconds_bucket{" + l404 + R"(,le="+Inf"} 1)"));
  EXPECT_TRUE(Has(text, "webui_http_request_duration_seconds_count{" + l404 + "} 1"));
  EXPECT_TRUE(Has(text, "# TYPE webui_http_request_duration_seconds histogram"));
}

TEST(RouteStats, ConcurrentRecordsAreAllCounted) {
  RouteStats stats;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&stats, t] {
      for (int i = 0; i < 10000; ++i) stats.Record(200 + (i + t) % 3, 0.001);
    });
  for (auto& th : threads) th.join();
  std::uint64_t total = 0;
  int statuses = 0;
  stats.ForEach([&](const RouteStats::Snapshot& s) {
    total += s.count;
    ++statuses;
  });
  EXPECT_EQ(total, 40000u);
  EXPECT_EQ(statuses, 3);  // each status claimed exactly one slot
}

TEST(RouteStats, MoreStatusesThanSlotsFallIntoTheRest) {
  RouteStats stats;
  for (int s = 100; s < 140; ++s) stats.Record(s, 0.001);
  std::uint64_t total = 0;
  bool rest = false;
  stats.ForEach([&](const RouteStats::Snapshot& s) {
    total += s.count;
    rest = rest || s.status == 0;
  });
  EXPECT_EQ(total, 40u);
  EXPECT_TRUE(rest);
}

TEST(Exposition, LabelValuesAreEscapedAndFamiliesRendered) {
  EXPECT_EQ(Label("route", "a\"b\\c\nd"), R"(route="a\"b\\c\nd")");
  Family f{"webui_plugins", "Plugins by state.", "gauge", [](std::vector<Sample>& out) {
             out.push_back({Label("state", "enabled"), 3});
             out.push_back({"", 0.5});
           }};
  const std::string text = Render({}, {f});
  EXPECT_TRUE(Has(text, "# TYPE webui_plugins gauge")) << text;
  EXPECT_TRUE(Has(text, R"(webui_plugins{state="enabled"} 3)")) << text;
  EXPECT_TRUE(Has(text, "webui_plugins 0.5")) << text;
}

}  // namespace
}  // namespace webui::metrics
