#include "app/metrics_routes.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "metrics/exposition.hpp"

namespace webui::app {
namespace {

using http::RequestContext;
using metrics::Family;
using metrics::Label;
using metrics::Sample;

// Compares the bearer token with the configured one in constant time (digests of equal length,
// so neither the length nor a common prefix shows in the timing).
bool BearerMatches(RequestContext& ctx, const std::string& token) {
  if (token.empty()) return false;
  const auto header = ctx.Header("Authorization");
  if (!header || header->size() < 7 || header->substr(0, 7) != "Bearer ") return false;
  const std::string_view given = header->substr(7);
  unsigned char a[SHA256_DIGEST_LENGTH], b[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(given.data()), given.size(), a);
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), b);
  return CRYPTO_memcmp(a, b, sizeof a) == 0;
}

std::vector<Family> Families(plugins::HostServices& host, plugins::PluginManager& plugins,
                             const LateGauges& late) {
  auto gauge = [](const std::function<std::size_t()>& fn) {
    return [&fn](std::vector<Sample>& out) {
      out.push_back({"", fn ? static_cast<double>(fn()) : 0.0});
    };
  };
  std::vector<Family> f;
  f.push_back({"webui_http_requests_in_flight", "Requests a worker is handling now.", "gauge",
               [&host](std::vector<Sample>& out) {
                 out.push_back({"", static_cast<double>(host.pipeline.inflight())});
               }});
  f.push_back({"webui_streams_in_flight",
               "Streaming responses in progress, by how they are carried.", "gauge",
               [&host, &late](std::vector<Sample>& out) {
                 out.push_back({Label("mode", "worker"),
                                static_cast<double>(host.pipeline.streams_in_flight())});
                 out.push_back({Label("mode", "relay"),
                                late.relayed_streams ? double(late.relayed_streams()) : 0.0});
               }});
  f.push_back({"webui_socketio_connections", "Socket.IO sockets connected to this instance.",
               "gauge", gauge(late.socketio_connected)});
  f.push_back({"webui_socketio_sessions", "Engine.IO sessions (polling or WebSocket).", "gauge",
               gauge(late.socketio_sessions)});
  f.push_back({"webui_plugins", "Plugins by state (enabled, disabled, refused, ...).", "gauge",
               [&plugins](std::vector<Sample>& out) {
                 std::map<std::string, int> by_state;
                 for (const auto& p : plugins.Describe())
                   ++by_state[p.value("state", std::string("unknown"))];
                 for (const auto& [state, n] : by_state)
                   out.push_back({Label("state", state), static_cast<double>(n)});
               }});
  f.push_back({"webui_db_pool_connections", "Database connections: open, in use, and the cap.",
               "gauge", [&host](std::vector<Sample>& out) {
                 const auto p = host.db.Pool();
                 out.push_back({Label("state", "open"), static_cast<double>(p.open)});
                 out.push_back({Label("state", "in_use"), static_cast<double>(p.in_use)});
                 out.push_back({Label("state", "max"), static_cast<double>(p.max_size)});
               }});
  f.push_back({"webui_db_pool_waits_total",
               "Times a request found no free database connection and waited.", "counter",
               [&host](std::vector<Sample>& out) {
                 out.push_back({"", static_cast<double>(host.db.Pool().waits)});
               }});
  f.push_back({"webui_db_pool_wait_seconds_total", "Time spent waiting for a connection.",
               "counter", [&host](std::vector<Sample>& out) {
                 out.push_back({"", host.db.Pool().wait_seconds});
               }});
  f.push_back({"webui_kv_shared",
               "1 when the key-value store is Redis (shared by instances), 0 for the in-process "
               "fallback.",
               "gauge", [&host](std::vector<Sample>& out) {
                 out.push_back({"", host.kv.IsShared() ? 1.0 : 0.0});
               }});
  return f;
}

}  // namespace

void AddMetricsRoutes(plugins::HostServices& host, plugins::PluginManager& plugins,
                      const LateGauges& late, const metrics::PluginMetrics& plugin_series) {
  auto add = [&](const char* path, std::function<void(RequestContext&)> fn) {
    http::Route r;
    r.method = "GET";
    r.pattern = path;
    r.auth = http::AuthLevel::kPublic;
    r.owner = "host";
    r.handler = std::move(fn);
    if (host.router.Add(std::move(r)) != http::Router::AddResult::kOk)
      throw std::logic_error(std::string("cannot register core route ") + path);
  };

  // Ready = able to serve: the database answers. (/health says only that the process is up.)
  add("/health/ready", [&host](RequestContext& ctx) {
    if (host.db.Ping()) {
      ctx.SendJson(200, R"({"status":true})");
    } else {
      ctx.SendError(503, "Database is not reachable");
    }
  });

  if (!host.config.metrics_enabled) return;
  add("/metrics", [&host, &plugins, &late, &plugin_series](RequestContext& ctx) {
    const bool allowed = host.config.metrics_allow.Trusts(ctx.remote_addr()) ||
                         BearerMatches(ctx, host.config.metrics_token);
    if (!allowed) return (void)ctx.SendError(403, "Forbidden");
    std::vector<metrics::RouteSeries> routes;
    const auto all = host.router.AllRoutes();
    routes.reserve(all.size() + 1);
    const auto fallback = host.router.fallback();
    for (const auto& r : all)
      routes.push_back({r->method, r == fallback ? "(fallback)" : r->pattern, r->stats.get()});
    routes.push_back({"", "(none)", &host.pipeline.unrouted_stats()});
    ctx.SetStatus(200);
    ctx.SetHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    auto families = Families(host, plugins, late);
    for (auto& f : plugin_series.Families()) families.push_back(std::move(f));
    ctx.Send(metrics::Render(routes, families));
  });
}

}  // namespace webui::app
