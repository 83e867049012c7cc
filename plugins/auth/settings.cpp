#include "settings.hpp"

#include <webui_host/sdk/json.hpp>

#include <stdexcept>

#include "util.hpp"

namespace webui::auth {
namespace {

using nlohmann::json;

// Python's `os.environ.get(name, default).lower() == "true"`.
bool EnvTrue(const sdk::Host& host, const char* name, bool def) {
  auto v = host.Env(name);
  if (!v) return def;
  return Lower(*v) == "true";
}

std::string EnvString(const sdk::Host& host, const char* name, const std::string& def) {
  auto v = host.Env(name);
  return v ? *v : def;
}

int EnvInt(const sdk::Host& host, const char* name, int def, int min, int max) {
  auto v = host.Env(name);
  if (!v || v->empty()) return def;
  try {
    size_t used = 0;
    const int n = std::stoi(*v, &used);
    if (used == v->size() && n >= min && n <= max) return n;
  } catch (...) {
  }
  throw std::runtime_error(std::string(name) + ": expected an integer in [" + std::to_string(min) +
                           ", " + std::to_string(max) + "]");
}

bool AsBool(const json& j, bool def) { return j.is_boolean() ? j.get<bool>() : def; }
std::string AsString(const json& j, const std::string& def) {
  return j.is_string() ? j.get<std::string>() : def;
}

}  // namespace

json DefaultUserPermissions(const sdk::Host& host) {
  struct Flag {
    const char* section;
    const char* key;
    const char* env;
    bool def;
  };
  static const Flag kFlags[] = {
      {"workspace", "models", "USER_PERMISSIONS_WORKSPACE_MODELS_ACCESS", false},
      {"workspace", "knowledge", "USER_PERMISSIONS_WORKSPACE_KNOWLEDGE_ACCESS", false},
      {"workspace", "prompts", "USER_PERMISSIONS_WORKSPACE_PROMPTS_ACCESS", false},
      {"workspace", "tools", "USER_PERMISSIONS_WORKSPACE_TOOLS_ACCESS", false},
      {"sharing", "public_models", "USER_PERMISSIONS_WORKSPACE_MODELS_ALLOW_PUBLIC_SHARING", false},
      {"sharing", "public_knowledge", "USER_PERMISSIONS_WORKSPACE_KNOWLEDGE_ALLOW_PUBLIC_SHARING",
       false},
      {"sharing", "public_prompts", "USER_PERMISSIONS_WORKSPACE_PROMPTS_ALLOW_PUBLIC_SHARING",
       false},
      {"sharing", "public_tools", "USER_PERMISSIONS_WORKSPACE_TOOLS_ALLOW_PUBLIC_SHARING", false},
      {"chat", "controls", "USER_PERMISSIONS_CHAT_CONTROLS", true},
      {"chat", "valves", "USER_PERMISSIONS_CHAT_VALVES", true},
      {"chat", "system_prompt", "USER_PERMISSIONS_CHAT_SYSTEM_PROMPT", true},
      {"chat", "params", "USER_PERMISSIONS_CHAT_PARAMS", true},
      {"chat", "file_upload", "USER_PERMISSIONS_CHAT_FILE_UPLOAD", true},
      {"chat", "delete", "USER_PERMISSIONS_CHAT_DELETE", true},
      {"chat", "delete_message", "USER_PERMISSIONS_CHAT_DELETE_MESSAGE", true},
      {"chat", "continue_response", "USER_PERMISSIONS_CHAT_CONTINUE_RESPONSE", true},
      {"chat", "regenerate_response", "USER_PERMISSIONS_CHAT_REGENERATE_RESPONSE", true},
      {"chat", "rate_response", "USER_PERMISSIONS_CHAT_RATE_RESPONSE", true},
      {"chat", "edit", "USER_PERMISSIONS_CHAT_EDIT", true},
      {"chat", "share", "USER_PERMISSIONS_CHAT_SHARE", true},
      {"chat", "export", "USER_PERMISSIONS_CHAT_EXPORT", true},
      {"chat", "stt", "USER_PERMISSIONS_CHAT_STT", true},
      {"chat", "tts", "USER_PERMISSIONS_CHAT_TTS", true},
      {"chat", "call", "USER_PERMISSIONS_CHAT_CALL", true},
      {"chat", "multiple_models", "USER_PERMISSIONS_CHAT_MULTIPLE_MODELS", true},
      {"chat", "temporary", "USER_PERMISSIONS_CHAT_TEMPORARY", true},
      {"chat", "temporary_enforced", "USER_PERMISSIONS_CHAT_TEMPORARY_ENFORCED", false},
      {"features", "direct_tool_servers", "USER_PERMISSIONS_FEATURES_DIRECT_TOOL_SERVERS", false},
      {"features", "web_search", "USER_PERMISSIONS_FEATURES_WEB_SEARCH", true},
      {"features", "image_generation", "USER_PERMISSIONS_FEATURES_IMAGE_GENERATION", true},
      {"features", "code_interpreter", "USER_PERMISSIONS_FEATURES_CODE_INTERPRETER", true},
      {"features", "notes", "USER_PERMISSIONS_FEATURES_NOTES", true},
  };
  json p = json::object();
  for (const auto& f : kFlags) p[f.section][f.key] = EnvTrue(host, f.env, f.def);
  return p;
}

json CombinePermissions(json base, const json& extra) {
  if (!base.is_object()) base = json::object();
  if (!extra.is_object()) return base;
  for (auto it = extra.begin(); it != extra.end(); ++it) {
    if (it.value().is_object()) {
      base[it.key()] = CombinePermissions(base.value(it.key(), json::object()), it.value());
    } else if (!base.contains(it.key())) {
      base[it.key()] = it.value();
    } else {
      // Python's `a or b` on booleans: a group can grant, never take away.
      const json& a = base[it.key()];
      const bool a_true = a.is_boolean() ? a.get<bool>() : !a.is_null();
      if (!a_true) base[it.key()] = it.value();
    }
  }
  return base;
}

void AuthSettings::Init(sdk::Host& host) {
  host_ = &host;
  webui_auth = EnvTrue(host, "WEBUI_AUTH", true);
  trusted_email_header = EnvString(host, "WEBUI_AUTH_TRUSTED_EMAIL_HEADER", "");
  trusted_name_header = EnvString(host, "WEBUI_AUTH_TRUSTED_NAME_HEADER", "");
  cookie_same_site = EnvString(host, "WEBUI_AUTH_COOKIE_SAME_SITE",
                               EnvString(host, "WEBUI_SESSION_COOKIE_SAME_SITE", "lax"));
  cookie_secure = EnvTrue(host, "WEBUI_AUTH_COOKIE_SECURE",
                          EnvTrue(host, "WEBUI_SESSION_COOKIE_SECURE", false));
  signout_redirect_url = EnvString(host, "WEBUI_AUTH_SIGNOUT_REDIRECT_URL", "");
  bcrypt_cost = EnvInt(host, "WEBUI_AUTH_BCRYPT_ROUNDS", 12, 4, 20);
  signin_limit = EnvInt(host, "WEBUI_AUTH_SIGNIN_RATE_LIMIT", 15, 1, 1000000);
  signin_window_s = EnvInt(host, "WEBUI_AUTH_SIGNIN_RATE_WINDOW", 180, 1, 86400);
  signin_ip_limit = EnvInt(host, "WEBUI_AUTH_SIGNIN_IP_RATE_LIMIT", 20, 0, 1000000);
  user_cache_max_age_s = EnvInt(host, "WEBUI_AUTH_USER_CACHE_MAX_AGE", 30, 0, 3600);
  user_cache_size = EnvInt(host, "WEBUI_AUTH_USER_CACHE_SIZE", 10000, 0, 10000000);
  redis_url = EnvString(host, "REDIS_URL", "");

  // ENABLE_SIGNUP is forced off without WEBUI_AUTH, like config.py.
  host.DeclareConfig(kEnableSignup, "ENABLE_SIGNUP", webui_auth ? "true" : "false");
  host.DeclareConfig(kEnableLoginForm, "ENABLE_LOGIN_FORM", "true");
  host.DeclareConfig(kDefaultUserRole, "DEFAULT_USER_ROLE", "\"pending\"");
  // 0.6.32's default is "-1" (no expiry); 0.6.34 moved to "4w".
  host.DeclareConfig(kJwtExpiry, "JWT_EXPIRES_IN", "\"-1\"");
  // 0.6.32 names (ENABLE_API_KEY ...); the later plural names are accepted as defaults.
  host.DeclareConfig(kEnableApiKey, "ENABLE_API_KEY",
                     EnvTrue(host, "ENABLE_API_KEYS", true) ? "true" : "false");
  host.DeclareConfig(
      kApiKeyRestrictions, "ENABLE_API_KEY_ENDPOINT_RESTRICTIONS",
      EnvTrue(host, "ENABLE_API_KEYS_ENDPOINT_RESTRICTIONS", false) ? "true" : "false");
  host.DeclareConfig(kApiKeyAllowedEndpoints, "API_KEY_ALLOWED_ENDPOINTS",
                     json(EnvString(host, "API_KEYS_ALLOWED_ENDPOINTS", "")).dump());
  host.DeclareConfig(kShowAdminDetails, "SHOW_ADMIN_DETAILS", "true");
  host.DeclareConfig(kAdminEmail, "ADMIN_EMAIL", "null");
  host.DeclareConfig(kUserPermissions, "", DefaultUserPermissions(host).dump());
  host.DeclareConfig(kPendingTitle, "PENDING_USER_OVERLAY_TITLE", "\"\"");
  host.DeclareConfig(kPendingContent, "PENDING_USER_OVERLAY_CONTENT", "\"\"");
  host.DeclareConfig(kPrimaryAdmin, "", "null");

  // Fail at start rather than at the first sign-in (Python raises there).
  const std::string expiry = JwtExpiresIn();
  if (!ParseDuration(expiry).valid)
    throw std::runtime_error("JWT_EXPIRES_IN: invalid duration '" + expiry +
                             "' (use -1, 0 or <number><ms|s|m|h|d|w>)");
}

json AuthSettings::Get(const char* key) const {
  auto text = host_->ConfigJson(key);
  if (!text) return nullptr;
  json j = sdk::json::Parse(*text).value_or(json(json::value_t::discarded));
  return j.is_discarded() ? json(nullptr) : j;
}

void AuthSettings::Set(const char* key, const json& value) { host_->SetConfig(key, value.dump()); }

bool AuthSettings::EnableSignup() const { return webui_auth && AsBool(Get(kEnableSignup), true); }
bool AuthSettings::EnableLoginForm() const { return AsBool(Get(kEnableLoginForm), true); }
std::string AuthSettings::DefaultUserRole() const {
  const std::string r = AsString(Get(kDefaultUserRole), "pending");
  return r == "user" || r == "admin" ? r : "pending";
}
std::string AuthSettings::JwtExpiresIn() const { return AsString(Get(kJwtExpiry), "-1"); }
bool AuthSettings::EnableApiKey() const { return AsBool(Get(kEnableApiKey), true); }
bool AuthSettings::ApiKeyRestrictions() const { return AsBool(Get(kApiKeyRestrictions), false); }
std::string AuthSettings::ApiKeyAllowedEndpoints() const {
  return AsString(Get(kApiKeyAllowedEndpoints), "");
}
bool AuthSettings::ShowAdminDetails() const { return AsBool(Get(kShowAdminDetails), true); }
std::optional<std::string> AuthSettings::AdminEmail() const {
  json j = Get(kAdminEmail);
  if (!j.is_string() || j.get<std::string>().empty()) return std::nullopt;
  return j.get<std::string>();
}
json AuthSettings::UserPermissions() const {
  json j = Get(kUserPermissions);
  return j.is_object() ? j : json::object();
}
std::string AuthSettings::PendingTitle() const { return AsString(Get(kPendingTitle), ""); }
std::string AuthSettings::PendingContent() const { return AsString(Get(kPendingContent), ""); }

json AuthSettings::Shared(const char* key, const char* env, const json& def) {
  if (auto text = host_->ConfigJson(key)) {
    json j = sdk::json::Parse(*text).value_or(json(json::value_t::discarded));
    return j.is_discarded() ? def : j;
  }
  try {
    host_->DeclareConfig(key, env, def.dump());
  } catch (const std::exception&) {
    return def;  // e.g. an environment value of the wrong type
  }
  return Get(key);
}

void AuthSettings::SetShared(const char* key, const char* env, const json& def, const json& value) {
  Shared(key, env, def);
  try {
    host_->SetConfig(key, value.dump());
  } catch (const std::exception&) {
    // Owned by another plugin, which has its own form for it.
  }
}

}  // namespace webui::auth
