// The "auth" plugin: accounts, sessions (JWT), API keys, roles and the users API of Open WebUI
// 0.6.32, plus the deployment's single authenticator. This header is the state every route
// file shares; the routes live in auths_routes.cpp and users_routes.cpp.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>
#include <webui_host/sdk.hpp>
#include <webui_host/sdk/json.hpp>

#include "expiring_cache.hpp"
#include "jwt.hpp"
#include "settings.hpp"
#include "users_store.hpp"

namespace webui::auth {

// ERROR_MESSAGES of open_webui/constants.py (the SDK holds them), and this plugin's own.
namespace msg {
using namespace sdk::messages;
inline constexpr const char* kPasswordNul = "The password must not contain NUL characters.";
}  // namespace msg

// What a signed-in request needs about its caller, as cached per instance (ResolveUser). The
// user's settings, info and API key are left out: routes that serve them read the database.
struct ResolvedUser {
  User user;
  std::optional<nlohmann::json> permissions;  // EffectivePermissions, when someone needed them
  std::string permissions_text;               // the same, serialised
};

struct IssuedToken {
  std::string token;
  std::optional<int64_t> expires_at;
};

class AuthPlugin : public sdk::Plugin {
 public:
  void Init(sdk::Host& host) override;
  void Shutdown() override;

  sdk::Host& host() { return *host_; }
  UsersStore& store() { return *store_; }
  AuthSettings& settings() { return settings_; }

  // --- sessions ---
  IssuedToken IssueToken(const std::string& user_id);
  std::string SessionCookie(const std::string& token, std::optional<int64_t> expires_at) const;
  std::string ExpiredCookie(const std::string& name) const;
  // Bearer credentials, else the `token` cookie (no x-api-key: that is for API keys only).
  std::optional<std::string> RequestToken(const sdk::Request& req) const;
  void Revoke(const TokenClaims& claims);
  // Drops the user's cached row here and on every other instance, and has their sockets
  // re-checked; "" = everyone. Call it after the change is committed.
  void NotifyAuthChanged(const std::string& user_id);
  bool IsRevoked(const std::string& jti);
  std::optional<TokenClaims> Decode(std::string_view token) const;
  // Decode, or the claims the authenticator has just verified for this very request's token.
  std::optional<TokenClaims> VerifiedClaims(std::string_view token) const;

  // --- users ---
  // The caller's row (and, with `need_permissions`, effective permissions) from the per-instance
  // cache, else from the database; nullptr when there is no such user (docs/security.md T05: see
  // UserCacheUsable). The authenticator passes `check_stamp`; routes resolving the caller of a
  // request it has just authenticated need not check again.
  std::shared_ptr<const ResolvedUser> ResolveUser(std::string_view id, bool need_permissions,
                                                  bool check_stamp = false);
  nlohmann::json EffectivePermissions(const std::string& user_id);
  // Through ResolveUser: the cached permissions when the user exists, else computed.
  nlohmann::json PermissionsOf(const std::string& user_id);
  // SessionUser(Info)Response of routers/auths.py.
  nlohmann::json SessionUserJson(const User& user, const IssuedToken& token, bool with_info);
  // The same, serialised, with permissions already serialised (the cached session user).
  static std::string SessionUserText(const User& user, const IssuedToken& token, bool with_info,
                                     std::string_view permissions_json);
  // Signs up (all of /signup's rules); used by the route and by trusted-header / no-auth sign-in.
  User SignUp(const std::string& name, const std::string& email, const std::string& password,
              const std::string& profile_image_url);
  // Creates the account under signup's race-safe first-admin rule (docs/security.md T03): the
  // only account becomes admin, is recorded as primary admin and closes sign-up behind it.
  // Shared by SignUp, the admin's add-user route and the users.v1 service.
  UsersStore::CreateResult CreateAccount(const NewUser& nu);
  // The first account (the one Open WebUI protects as "primary admin").
  std::optional<User> PrimaryAdmin();
  // Seconds to wait when `email` is over the sign-in limit (every attempt counts).
  std::optional<int64_t> SigninRateLimited(const std::string& email);
  // Seconds to wait when the client address is over the per-address limit. Every attempt counts
  // when it starts (so concurrent guesses cannot overshoot) and a successful sign-in gives its
  // count back (SigninSucceededFrom): in effect failed sign-ins per window (docs/security.md T02).
  std::optional<int64_t> SigninAddressLimited(const std::string& address);
  void SigninSucceededFrom(const std::string& address);
  // A bcrypt check that costs what a real one costs (unknown accounts, T01).
  void BurnDummyVerify(std::string_view password) const;
  std::string HashNewPassword(const std::string& password) const;  // 400 when bcrypt can't

  // Counts one attempt under `key` in a fixed window shared by every instance (Redis); the
  // seconds to wait once the count is over `limit`.
  std::optional<int64_t> CountAttempt(const std::string& key, int limit);

  // Registers a route whose handler may throw ValidationError (answered 422 FastAPI-style).
  void AddRoute(const char* method, const char* path, sdk::Auth auth, sdk::Handler fn);

 private:
  wh_authn_result Authenticate(sdk::Request& req, sdk::AuthnResult& out);
  wh_authn_result AuthenticateApiKey(sdk::Request& req, sdk::AuthnResult& out,
                                     const std::string& key);
  // This plugin's part of GET /api/config.
  nlohmann::json ConfigContribution(const sdk::Request& req);
  void RegisterAuthsRoutes();
  void RegisterUsersRoutes();
  // users.v1 and groups.v1 (directory_services.cpp).
  void OfferDirectoryServices();
  friend class DirectoryServices;
  // Subscribes to the channels that invalidate cached users.
  void ListenForAuthChanges();
  // Whether a cached user may be served now: always without Redis (one instance; our own
  // changes drop entries directly). With Redis only while the store is on Redis, and, with
  // `check_stamp`, after comparing the change stamp other instances write (a changed stamp
  // empties the cache). Coming back from an outage empties it too.
  bool UserCacheUsable(bool check_stamp);
  void ForgetUser(std::string_view user_id);  // this instance only; "" = everyone

 public:
  // groups_of answers per user, dropped with the user cache (ForgetUser); nullopt when absent or
  // when the cache may not be trusted now (UserCacheUsable). `generation` is set to the cache's
  // generation: RememberGroupsOf keeps an answer only if nothing was dropped since, so a reading
  // that raced with a change is never cached.
  std::optional<std::string> CachedGroupsOf(const std::string& user_id, uint64_t& generation);
  void RememberGroupsOf(const std::string& user_id, std::string ids_json, uint64_t generation);

 private:
  std::mutex groups_of_mu_;
  std::unordered_map<std::string, std::string> groups_of_;
  uint64_t groups_of_generation_ = 0;
  std::shared_ptr<void> directory_services_;  // directory_services.cpp

  sdk::Host* host_ = nullptr;
  std::unique_ptr<UsersStore> store_;
  AuthSettings settings_;
  std::string secret_;
  std::unique_ptr<TokenVerifier> tokens_;  // checks tokens signed with secret_
  std::string dummy_hash_;
  std::unique_ptr<ExpiringCache<ResolvedUser>> users_;
  bool redis_configured_ = false;
  bool listening_ = false;
  std::atomic<bool> cache_bypassed_{false};
  std::mutex stamp_mu_;
  std::string seen_stamp_;  // kUsersStampKey as last compared
  std::vector<uint64_t> subscriptions_;
};

}  // namespace webui::auth
