// The auth plugin's settings. Admin-changeable ones are declared with the host under Open
// WebUI 0.6.32's config paths and environment names (persisted in `config`); the rest are read
// from the environment once, like Open WebUI's env.py.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>
#include <webui_host/sdk.hpp>

namespace webui::auth {

// Config paths (Open WebUI 0.6.32 config.py).
inline constexpr const char* kEnableSignup = "ui.enable_signup";
inline constexpr const char* kEnableLoginForm = "ui.ENABLE_LOGIN_FORM";
inline constexpr const char* kDefaultUserRole = "ui.default_user_role";
inline constexpr const char* kJwtExpiry = "auth.jwt_expiry";
inline constexpr const char* kEnableApiKey = "auth.api_key.enable";
inline constexpr const char* kApiKeyRestrictions = "auth.api_key.endpoint_restrictions";
inline constexpr const char* kApiKeyAllowedEndpoints = "auth.api_key.allowed_endpoints";
inline constexpr const char* kShowAdminDetails = "auth.admin.show";
inline constexpr const char* kAdminEmail = "auth.admin.email";
inline constexpr const char* kUserPermissions = "user.permissions";
inline constexpr const char* kPendingTitle = "ui.pending_user_overlay_title";
inline constexpr const char* kPendingContent = "ui.pending_user_overlay_content";
// Not an Open WebUI setting: the id of the account that became the first admin, so "primary
// admin" stays well defined when several accounts share its created_at second.
inline constexpr const char* kPrimaryAdmin = "auth.primary_admin_id";

class AuthSettings {
 public:
  // Declares the settings and reads the environment. Throws on an invalid JWT_EXPIRES_IN.
  void Init(sdk::Host& host);

  // --- environment only (fixed for the process) ---
  bool webui_auth = true;                // WEBUI_AUTH
  std::string trusted_email_header;      // WEBUI_AUTH_TRUSTED_EMAIL_HEADER
  std::string trusted_name_header;       // WEBUI_AUTH_TRUSTED_NAME_HEADER
  std::string cookie_same_site = "lax";  // WEBUI_AUTH_COOKIE_SAME_SITE
  bool cookie_secure = false;            // WEBUI_AUTH_COOKIE_SECURE
  std::string signout_redirect_url;      // WEBUI_AUTH_SIGNOUT_REDIRECT_URL
  int bcrypt_cost = 12;                  // WEBUI_AUTH_BCRYPT_ROUNDS (not in Open WebUI)
  int signin_limit = 15;                 // WEBUI_AUTH_SIGNIN_RATE_LIMIT (per email / window)
  int signin_window_s = 180;             // WEBUI_AUTH_SIGNIN_RATE_WINDOW
  int signin_ip_limit = 20;  // WEBUI_AUTH_SIGNIN_IP_RATE_LIMIT (failed per client address / window)
  // The per-instance cache of signed-in users: seconds an entry may be served without a change
  // announcement (0 = no cache), and how many users it holds.
  int user_cache_max_age_s = 30;  // WEBUI_AUTH_USER_CACHE_MAX_AGE
  int user_cache_size = 10000;    // WEBUI_AUTH_USER_CACHE_SIZE
  std::string redis_url;          // REDIS_URL (the host's): "" = a single instance, no Redis

  // --- declared settings (current value on every call) ---
  bool EnableSignup() const;
  bool EnableLoginForm() const;
  std::string DefaultUserRole() const;
  std::string JwtExpiresIn() const;
  bool EnableApiKey() const;
  bool ApiKeyRestrictions() const;
  std::string ApiKeyAllowedEndpoints() const;
  bool ShowAdminDetails() const;
  std::optional<std::string> AdminEmail() const;
  nlohmann::json UserPermissions() const;
  std::string PendingTitle() const;
  std::string PendingContent() const;

  nlohmann::json Get(const char* key) const;
  void Set(const char* key, const nlohmann::json& value);

  // A setting another plugin may own (e.g. ui.enable_message_rating): its value when someone
  // declared it; otherwise auth declares it on first use so the admin form still persists it.
  nlohmann::json Shared(const char* key, const char* env, const nlohmann::json& def);
  void SetShared(const char* key, const char* env, const nlohmann::json& def,
                 const nlohmann::json& value);

 private:
  sdk::Host* host_ = nullptr;
};

// Open WebUI 0.6.32's DEFAULT_USER_PERMISSIONS, each flag overridable by its
// USER_PERMISSIONS_* variable.
nlohmann::json DefaultUserPermissions(const sdk::Host& host);

// Open WebUI's get_permissions(): defaults OR-combined with every group the user is in.
nlohmann::json CombinePermissions(nlohmann::json base, const nlohmann::json& extra);

}  // namespace webui::auth
