// GET /metrics (Prometheus text format; ENABLE_METRICS) and GET /health/ready (storage reachable).
#pragma once

#include <cstddef>
#include <functional>

#include "metrics/plugin_metrics.hpp"
#include "plugins/host_services.hpp"
#include "plugins/plugin_manager.hpp"

namespace webui::app {

// Gauges owned by parts that start after the routes are registered (the connection front, the
// Socket.IO server): set by app.cpp once those exist; unset ones read as 0.
struct LateGauges {
  std::function<std::size_t()> relayed_streams;
  std::function<std::size_t()> socketio_connected;
  std::function<std::size_t()> socketio_sessions;
};

// `plugin_series`: what plugins report through metrics.v1, rendered after the host's own.
void AddMetricsRoutes(plugins::HostServices& host, plugins::PluginManager& plugins,
                      const LateGauges& late, const metrics::PluginMetrics& plugin_series);

}  // namespace webui::app
