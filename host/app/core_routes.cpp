#include "app/core_routes.hpp"

#include <spdlog/spdlog.h>
#include <webui_host/services/api_config.h>
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

// Base document; plugins (auth, chat, ...) merge their parts over it.
json ApiConfig(const plugins::HostServices& host, RequestContext& ctx) {
  json c = {
      {"status", true},
      {"name", host.config.webui_name},
      {"version", CompatVersion()},
      {"default_locale", host.settings.String("DEFAULT_LOCALE", "")},
      {"oauth", {{"providers", json::object()}}},
      {"features",
       {{"auth", true},
        {"auth_trusted_header", false},
        {"enable_ldap", false},
        {"enable_api_key", false},
        {"enable_api_keys", false},
        {"enable_signup", false},
        {"enable_login_form", true},
        {"enable_websocket", host.settings.Bool("ENABLE_WEBSOCKET_SUPPORT", true)},
        {"enable_version_update_check", false}}},
  };
  const auto& caller = ctx.caller();
  if (caller && (caller->role == "user" || caller->role == "admin")) {
    for (const char* flag :
         {"enable_direct_connections", "enable_channels", "enable_notes", "enable_web_search",
          "enable_code_execution", "enable_code_interpreter", "enable_image_generation",
          "enable_autocomplete_generation", "enable_community_sharing", "enable_message_rating",
          "enable_user_webhooks", "enable_admin_export", "enable_admin_chat_access",
          "enable_google_drive_integration", "enable_onedrive_integration"})
      c["features"][flag] = false;
    c["default_models"] = "";
    c["default_prompt_suggestions"] = json::array();
    c["code"] = {{"engine", "pyodide"}};
    c["audio"] = {{"tts", {{"engine", ""}, {"voice", ""}, {"split_on", "punctuation"}}},
                  {"stt", {{"engine", ""}}}};
    c["file"] = {{"max_size", nullptr},
                 {"max_count", nullptr},
                 {"image_compression", {{"width", nullptr}, {"height", nullptr}}}};
    c["permissions"] = json::object();
    c["google_drive"] = {{"client_id", ""}, {"api_key", ""}};
    c["onedrive"] = json::object();
    c["ui"] = {{"pending_user_overlay_title", ""}, {"pending_user_overlay_content", ""}};
    c["license_metadata"] = nullptr;
  } else if (caller) {
    c["ui"] = {{"pending_user_overlay_title", ""}, {"pending_user_overlay_content", ""}};
  }
  for (const auto& svc : host.services.Find(WH_SERVICE_API_CONFIG_V1)) {
    if (svc.vtable_size < sizeof(wh_api_config_v1)) continue;
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
