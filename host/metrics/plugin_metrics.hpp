// The series plugins add through metrics.v1 (services/metrics.h), kept per plugin and rendered
// into /metrics after the host's own. Validation and the per-plugin series cap live here.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <webui_host/services/metrics.h>

#include "metrics/exposition.hpp"

namespace webui::metrics {

class PluginMetrics {
 public:
  static constexpr std::size_t kMaxSeriesPerPlugin = 1000;

  enum class Kind { kCounter, kGauge };
  // WH_OK, WH_INVALID, WH_DENIED or WH_CONFLICT (see services/metrics.h).
  wh_status Record(std::string_view plugin, Kind kind, std::string_view name,
                   std::string_view labels_json, double value);

  // Families for Render: webui_<name>[_total], each sample with its plugin label first.
  std::vector<Family> Families() const;

  // The metrics.v1 table, and the service_user of one consumer (lives as long as this object).
  static const wh_metrics_v1* Table();
  void* UserFor(const std::string& plugin);

 private:
  struct Series {
    std::string labels;  // rendered, plugin label first
    double value = 0;
  };
  struct FamilyData {
    Kind kind = Kind::kCounter;
    std::map<std::string, double> series;  // rendered labels -> value
  };
  struct Consumer {
    PluginMetrics* self;
    std::string plugin;
  };
  mutable std::mutex mu_;
  std::map<std::string, FamilyData> families_;       // by exposed name
  std::map<std::string, std::size_t> series_count_;  // by plugin
  std::map<std::string, std::unique_ptr<Consumer>> consumers_;
};

}  // namespace webui::metrics
