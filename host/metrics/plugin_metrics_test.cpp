#include "metrics/plugin_metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace webui::metrics {
namespace {

using Kind = PluginMetrics::Kind;

std::string Text(const PluginMetrics& m) { return Render({}, m.Families()); }

TEST(PluginMetrics, CountersAndGaugesCarryThePluginLabel) {
  PluginMetrics m;
  EXPECT_EQ(m.Record("openai", Kind::kCounter, "upstream_errors", R"({"connection":"0"})", 1),
            WH_OK);
  EXPECT_EQ(m.Record("openai", Kind::kCounter, "upstream_errors", R"({"connection":"0"})", 2),
            WH_OK);
  EXPECT_EQ(m.Record("ollama", Kind::kCounter, "upstream_errors", R"({"connection":"0"})", 1),
            WH_OK);
  EXPECT_EQ(m.Record("rag", Kind::kGauge, "queue_depth", "", 7), WH_OK);
  EXPECT_EQ(m.Record("rag", Kind::kGauge, "queue_depth", "", 4), WH_OK);
  const std::string t = Text(m);
  EXPECT_NE(t.find("\nwebui_upstream_errors_total{plugin=\"openai\",connection=\"0\"} 3\n"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("\nwebui_upstream_errors_total{plugin=\"ollama\",connection=\"0\"} 1\n"),
            std::string::npos);
  EXPECT_NE(t.find("# TYPE webui_upstream_errors_total counter"), std::string::npos);
  EXPECT_NE(t.find("\nwebui_queue_depth{plugin=\"rag\"} 4\n"), std::string::npos) << t;
}

TEST(PluginMetrics, BadInputIsRefused) {
  PluginMetrics m;
  for (const char* name : {"", "Upper", "9lead", "has-dash", "has space"})
    EXPECT_EQ(m.Record("p", Kind::kCounter, name, "", 1), WH_INVALID) << name;
  EXPECT_EQ(m.Record("p", Kind::kCounter, "ok", R"({"plugin":"spoof"})", 1), WH_INVALID);
  EXPECT_EQ(m.Record("p", Kind::kCounter, "ok", R"({"n":1})", 1), WH_INVALID);
  EXPECT_EQ(m.Record("p", Kind::kCounter, "ok", "not json", 1), WH_INVALID);
  EXPECT_EQ(m.Record("p", Kind::kCounter, "ok", "", -1), WH_INVALID);
  EXPECT_EQ(m.Record("p", Kind::kGauge, "ok", "", std::nan("")), WH_INVALID);
  // Label values are escaped, not trusted.
  EXPECT_EQ(m.Record("p", Kind::kCounter, "ok", R"({"k":"a\"}\nb"})", 1), WH_OK);
  EXPECT_NE(Text(m).find(R"(k="a\"}\nb")"), std::string::npos) << Text(m);
  // One name, one type.
  EXPECT_EQ(m.Record("p", Kind::kGauge, "ok", "", 1), WH_CONFLICT);
}

TEST(PluginMetrics, APluginCannotGrowTheSeriesWithoutBound) {
  PluginMetrics m;
  for (std::size_t i = 0; i < PluginMetrics::kMaxSeriesPerPlugin; ++i)
    ASSERT_EQ(
        m.Record("noisy", Kind::kCounter, "hits", R"({"id":")" + std::to_string(i) + R"("})", 1),
        WH_OK);
  EXPECT_EQ(m.Record("noisy", Kind::kCounter, "hits", R"({"id":"one-more"})", 1), WH_DENIED);
  EXPECT_EQ(m.Record("noisy", Kind::kCounter, "hits", R"({"id":"5"})", 1), WH_OK);  // existing
  EXPECT_EQ(m.Record("quiet", Kind::kCounter, "hits", "", 1), WH_OK);  // others unaffected
}

}  // namespace
}  // namespace webui::metrics
