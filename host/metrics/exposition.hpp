// The Prometheus text format (version 0.0.4) of /metrics: per-route request counters and latency
// histograms (route templates, never raw paths, so the label set stays bounded) and the gauges
// the host wires in (streams, sockets, plugins, database pool, key-value backend).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "metrics/route_stats.hpp"

namespace webui::metrics {

// One sample: its labels, already rendered (`a="x",b="y"`, or empty), and its value.
struct Sample {
  std::string labels;
  double value = 0;
};

// A gauge or counter family, read when /metrics is scraped.
struct Family {
  std::string name;  // webui_...
  std::string help;
  std::string type;  // "gauge" | "counter"
  std::function<void(std::vector<Sample>&)> collect;
};

// A route's stats with its template, as the histogram's labels show it.
struct RouteSeries {
  std::string method;
  std::string route;  // the pattern, e.g. /api/v1/chats/{id}
  const RouteStats* stats = nullptr;
};

// `name="value"` with the value escaped as the format requires (\\, \", \n).
std::string Label(std::string_view name, std::string_view value);

// The whole exposition: webui_http_requests_total and webui_http_request_duration_seconds from
// `routes`, then each family.
std::string Render(const std::vector<RouteSeries>& routes, const std::vector<Family>& families);

}  // namespace webui::metrics
