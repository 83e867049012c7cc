#include "app/core_routes.hpp"

#include <spdlog/spdlog.h>

#include <webui_host/services/api_config.h>
#include <algorithm>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <webui_host/sdk/json.hpp>

namespace webui::app {
namespace {

using http::AuthLevel;
using http::RequestContext;
using nlohmann::json;

void Merge(json& into, const json& from) {
  if (!into.is_object() || !from.is_object()) {
    into = from;
    return;
  }
  for (auto it = from.begin(); it != from.end(); ++it) {
    if (into.contains(it.key()) && into[it.key()].is_object() && it.value().is_object()) {
      Merge(into[it.key()], it.value());
    } else {
      into[it.key()] = it.value();
    }
  }
}

void Reply(RequestContext& ctx, int status, const json& body) {
  ctx.SendJson(status, body.dump(-1, ' ', false, json::error_handler_t::replace));
}

// The order a table asks for; tables from before the field was appended get the default.
int32_t ContributionOrder(const plugins::ServiceRegistry::Entry& svc) {
  const auto* vt = static_cast<const wh_api_config_v1*>(svc.vtable);
  if (svc.vtable_size < offsetof(wh_api_config_v1, order) + sizeof(vt->order))
    return WH_API_CONFIG_ORDER_DEFAULT;
  return vt->order;
}

// The host's own fields (its name and version, Socket.IO). Everything else comes from the
// plugin that owns it through api_config.v1, merged in ascending order so a module's own block
// replaces the UI defaults a plugin contributes for modules that do not exist yet.
json ApiConfig(const plugins::HostServices& host, RequestContext& ctx) {
  json c = {
      {"status", true},
      {"name", host.config.webui_name},
      {"version", CompatVersion()},
      {"default_locale", host.settings.String("DEFAULT_LOCALE", "")},
      {"oauth", {{"providers", json::object()}}},
      {"features", {{"enable_websocket", host.settings.Bool("ENABLE_WEBSOCKET_SUPPORT", true)}}},
  };
  auto contributions = host.services.Find(WH_SERVICE_API_CONFIG_V1);
  std::stable_sort(contributions.begin(), contributions.end(), [](const auto& a, const auto& b) {
    return ContributionOrder(a) < ContributionOrder(b);
  });
  for (const auto& svc : contributions) {
    if (svc.vtable_size < offsetof(wh_api_config_v1, contribute) + sizeof(void*)) continue;
    const auto* vt = static_cast<const wh_api_config_v1*>(svc.vtable);
    if (vt->contribute == nullptr) continue;
    std::string out;
    const wh_status st = vt->contribute(
        svc.user, reinterpret_cast<const wh_request_host_ptr*>(&ctx),
        [](void* u, wh_str s) { static_cast<std::string*>(u)->append(s.ptr ? s.ptr : "", s.len); },
        &out);
    json part = sdk::json::Parse(out).value_or(json(json::value_t::discarded));
    if (st != WH_OK || part.is_discarded() || !part.is_object()) {
      spdlog::warn("api_config contribution from {} ignored (status {}, not a JSON object)",
                   svc.provider->name, static_cast<int>(st));
      continue;
    }
    Merge(c, part);
  }
  return c;
}

}  // namespace

const char* CompatVersion() { return WEBUI_COMPAT_VERSION; }

void AddCoreRoutes(plugins::HostServices& host, plugins::PluginManager& plugins) {
  auto add = [&](const char* method, const char* path, AuthLevel auth,
                 std::function<void(RequestContext&)> fn) {
    http::Route r;
    r.method = method;
    r.pattern = path;
    r.auth = auth;
    r.owner = "host";
    r.handler = std::move(fn);
    if (host.router.Add(std::move(r)) != http::Router::AddResult::kOk)
      throw std::logic_error(std::string("cannot register core route ") + path);
  };

  add("GET", "/health", AuthLevel::kPublic,
      [](RequestContext& ctx) { ctx.SendJson(200, R"({"status":true})"); });

  add("GET", "/health/db", AuthLevel::kPublic, [&host](RequestContext& ctx) {
    if (host.db.Ping()) {
      ctx.SendJson(200, R"({"status":true})");
    } else {
      ctx.SendError(500, "Database is not reachable");
    }
  });

  add("GET", "/api/version", AuthLevel::kPublic, [](RequestContext& ctx) {
    Reply(ctx, 200, json{{"version", CompatVersion()}});
  });

  add("GET", "/api/config", AuthLevel::kOptional,
      [&host](RequestContext& ctx) { Reply(ctx, 200, ApiConfig(host, ctx)); });

  add("GET", "/api/v1/plugins/", AuthLevel::kAdmin,
      [&plugins](RequestContext& ctx) { Reply(ctx, 200, plugins.Describe()); });

  add("GET", "/api/v1/plugins/{name}", AuthLevel::kAdmin, [&plugins](RequestContext& ctx) {
    auto p = plugins.Describe(std::string(*ctx.PathParam("name")));
    if (!p) return (void)ctx.SendError(404, "Plugin not found");
    Reply(ctx, 200, *p);
  });

  auto toggle = [&plugins](bool enable) {
    return [&plugins, enable](RequestContext& ctx) {
      const std::string name(*ctx.PathParam("name"));
      std::string message;
      const auto result = enable ? plugins.Enable(name, &message) : plugins.Disable(name, &message);
      switch (result) {
        case plugins::PluginManager::Toggle::kOk:
          Reply(ctx, 200, *plugins.Describe(name));
          return;
        case plugins::PluginManager::Toggle::kNotFound:
          ctx.SendError(404, "Plugin not found");
          return;
        case plugins::PluginManager::Toggle::kConflict:
          ctx.SendError(409, message);
          return;
        case plugins::PluginManager::Toggle::kFailed:
          ctx.SendError(500, message);
          return;
      }
    };
  };
  add("POST", "/api/v1/plugins/{name}/enable", AuthLevel::kAdmin, toggle(true));
  add("POST", "/api/v1/plugins/{name}/disable", AuthLevel::kAdmin, toggle(false));
}

}  // namespace webui::app
