#include "auth_plugin.hpp"

#include <cmath>
#include <ctime>

#include "crypto.hpp"
#include "password.hpp"
#include "secret.hpp"
#include "util.hpp"

namespace webui::auth {
namespace {

using nlohmann::json;
using sdk::AuthnResult;
using sdk::HttpError;
using sdk::Request;
using sdk::Response;

constexpr const char* kAuthChangedChannel = WH_CHANNEL_AUTH_CHANGED;
// Published locally by the host's key-value store after its Redis subscription was re-established
// (host/kv/kv_store.hpp kResyncChannel): announcements may have been missed meanwhile.
constexpr const char* kKvResyncChannel = "webui-host:kv-resync";
// Rewritten (a fresh random value) after every auth change. Instances compare it on each request
// before trusting their cache: a change committed before a request started is never missed, even
// when its announcement has not been delivered yet. A Set, so a change made during a Redis outage
// is replayed to Redis with the store's journal.
constexpr const char* kUsersStampKey = "auth:users:stamp";

std::string HttpDate(int64_t t) {
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// The JWT the authenticator accepted for the request this thread is serving: the route handler
// runs on the same thread right after it, and GET /auths/ needs the token's claims again.
// Reset at the start of every authentication, so it never outlives its request's verdict.
struct VerifiedToken {
  bool set = false;
  std::string token;
  TokenClaims claims;
};
thread_local VerifiedToken t_verified;

std::string_view TrimView(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// FastAPI's HTTPBearer: "<scheme> <credentials>", scheme compared case-insensitively.
std::optional<std::string> BearerCredentials(std::optional<std::string_view> header) {
  if (!header) return std::nullopt;
  const size_t sp = header->find(' ');
  if (sp == std::string_view::npos) return std::nullopt;
  if (Lower(header->substr(0, sp)) != "bearer") return std::nullopt;
  std::string_view cred = TrimView(header->substr(sp + 1));
  if (cred.empty()) return std::nullopt;
  return std::string(cred);
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The request path as the router sees it (percent-decoded per segment), or nullopt when it
// hides a "." / ".." segment or an encoded '/': an API key's allow-list must not be escapable
// through path tricks.
std::optional<std::string> CanonicalPath(std::string_view raw) {
  std::string out;
  size_t pos = 0;
  while (pos < raw.size()) {
    if (raw[pos] != '/') return std::nullopt;
    size_t next = raw.find('/', pos + 1);
    if (next == std::string_view::npos) next = raw.size();
    std::string_view seg = raw.substr(pos + 1, next - pos - 1);
    std::string decoded;
    for (size_t i = 0; i < seg.size(); ++i) {
      if (seg[i] == '%') {
        if (i + 2 >= seg.size()) return std::nullopt;
        const int hi = HexValue(seg[i + 1]), lo = HexValue(seg[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        decoded += static_cast<char>(hi * 16 + lo);
        i += 2;
      } else {
        decoded += seg[i];
      }
    }
    if (decoded == "." || decoded == ".." || decoded.find('/') != std::string::npos ||
        decoded.find('\0') != std::string::npos)
      return std::nullopt;
    out += "/" + decoded;
    pos = next;
  }
  return out.empty() ? "/" : out;
}

bool PathAllowed(const std::string& path, const std::string& allowed_csv) {
  size_t pos = 0;
  while (pos <= allowed_csv.size()) {
    size_t comma = allowed_csv.find(',', pos);
    if (comma == std::string::npos) comma = allowed_csv.size();
    const std::string allowed(TrimView(std::string_view(allowed_csv).substr(pos, comma - pos)));
    // An empty entry would make every path match ("/" prefix): skip it.
    if (!allowed.empty() && (path == allowed || StartsWith(path, allowed + "/"))) return true;
    pos = comma + 1;
  }
  return false;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Start-up

void AuthPlugin::Init(sdk::Host& host) {
  host_ = &host;
  settings_.Init(host);
  secret_ = ResolveSecret(host);
  // Same bounds as the user cache: one token per signed-in client is the common case.
  tokens_ = std::make_unique<TokenVerifier>(secret_, static_cast<size_t>(settings_.user_cache_size),
                                            std::chrono::seconds(settings_.user_cache_max_age_s));
  store_ = std::make_unique<UsersStore>(host);
  store_->Migrate();
  // Unknown accounts are checked against this, at the same cost as real hashes (T01). Made
  // without running bcrypt: a cost-12 hash here was most of the start-up time.
  dummy_hash_ = UnmatchableHash(settings_.bcrypt_cost);
  users_ = std::make_unique<ExpiringCache<ResolvedUser>>(
      static_cast<size_t>(settings_.user_cache_size),
      std::chrono::seconds(settings_.user_cache_max_age_s));
  redis_configured_ = !settings_.redis_url.empty();
  if (!settings_.webui_auth)
    host.Warn("WEBUI_AUTH is off: single-user mode, anyone reaching the server is the admin");

  host.SetAuthenticator([this](Request& req, AuthnResult& out) { return Authenticate(req, out); });
  RegisterAuthsRoutes();
  RegisterUsersRoutes();
  sdk::OfferApiConfigJson(host, [this](Request& req) { return ConfigContribution(req); });
  OfferDirectoryServices();
  // Last: nothing after it can fail, so Shutdown() always ends what it starts.
  ListenForAuthChanges();
}

void AuthPlugin::Shutdown() {
  for (uint64_t id : subscriptions_) host_->Unsubscribe(id);
  subscriptions_.clear();
}

void AuthPlugin::ListenForAuthChanges() {
  try {
    subscriptions_.push_back(host_->Subscribe(
        kAuthChangedChannel,
        [this](std::string_view, std::string_view user_id) { ForgetUser(user_id); }));
    subscriptions_.push_back(host_->Subscribe(
        kKvResyncChannel, [this](std::string_view, std::string_view) { ForgetUser(""); }));
    listening_ = true;
  } catch (const std::exception& e) {
    // Without the announcements of other instances every request reads the database.
    host_->Warn(std::string("user cache off, cannot follow auth changes: ") + e.what());
  }
}

void AuthPlugin::AddRoute(const char* method, const char* path, sdk::Auth auth, sdk::Handler fn) {
  // ValidationError is the SDK's Unprocessable: the route thunk answers it (FastAPI's 422).
  host_->Route(method, path, auth, std::move(fn));
}

// ---------------------------------------------------------------------------------------------
// Tokens and cookies

IssuedToken AuthPlugin::IssueToken(const std::string& user_id) {
  const Duration d = ParseDuration(settings_.JwtExpiresIn());
  IssuedToken out;
  // Python: `if expires_delta:` — no expiry for -1/0, and a zero timedelta is falsy too.
  if (d.valid && !d.none && d.seconds != 0)
    out.expires_at = Now() + static_cast<int64_t>(std::trunc(d.seconds));
  out.token = EncodeToken(secret_, user_id, out.expires_at, NewUuid4());
  return out;
}

std::string AuthPlugin::SessionCookie(const std::string& token,
                                      std::optional<int64_t> expires_at) const {
  std::string c = "token=" + token;
  if (expires_at) c += "; expires=" + HttpDate(*expires_at);
  c += "; HttpOnly; Path=/; SameSite=" + settings_.cookie_same_site;
  if (settings_.cookie_secure) c += "; Secure";
  return c;
}

std::string AuthPlugin::ExpiredCookie(const std::string& name) const {
  std::string c = name +
                  "=\"\"; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; "
                  "SameSite=" +
                  settings_.cookie_same_site;
  if (settings_.cookie_secure) c += "; Secure";
  return c;
}

std::optional<std::string> AuthPlugin::RequestToken(const Request& req) const {
  if (auto bearer = BearerCredentials(req.Header("Authorization"))) return bearer;
  if (auto cookie = req.Cookie("token"); cookie && !cookie->empty()) return std::string(*cookie);
  return std::nullopt;
}

std::optional<TokenClaims> AuthPlugin::Decode(std::string_view token) const {
  return tokens_->Verify(token, Now());
}

void AuthPlugin::Revoke(const TokenClaims& claims) {
  if (!claims.jti) return;  // tokens older than 0.6.x carry no jti; nothing to key on
  int64_t ttl_ms = 0;       // no exp: the token never expires, so neither does its revocation
  if (claims.exp) {
    ttl_ms = (*claims.exp - Now()) * 1000;
    if (ttl_ms <= 0) return;
  }
  host_->KvSet("auth:token:" + *claims.jti + ":revoked", "1", ttl_ms);
  NotifyAuthChanged(claims.id);
}

// Drops the cached row here at once, and tells every other instance (their auth plugin drops it
// too; their Socket.IO server re-checks the user's sockets), so a signed-out, demoted or deleted
// user loses access on the next request everywhere (docs/security.md T05).
void AuthPlugin::NotifyAuthChanged(const std::string& user_id) {
  ForgetUser(user_id);
  try {
    if (redis_configured_) host_->KvSet(kUsersStampKey, NewUuid4());
  } catch (const std::exception& e) {
    host_->Warn(std::string("could not record an auth change: ") + e.what());
  }
  try {
    host_->Publish(kAuthChangedChannel, user_id);
  } catch (const std::exception& e) {
    host_->Warn(std::string("could not announce an auth change: ") + e.what());
  }
}

void AuthPlugin::ForgetUser(std::string_view user_id) {
  if (user_id.empty()) {
    users_->Clear();
  } else {
    users_->Erase(user_id);
  }
  std::lock_guard lock(groups_of_mu_);
  ++groups_of_generation_;
  if (user_id.empty()) {
    groups_of_.clear();
  } else {
    groups_of_.erase(std::string(user_id));
  }
}

std::optional<std::string> AuthPlugin::CachedGroupsOf(const std::string& user_id,
                                                      uint64_t& generation) {
  const bool usable = UserCacheUsable(false);
  std::lock_guard lock(groups_of_mu_);
  generation = groups_of_generation_;
  if (!usable) return std::nullopt;
  auto it = groups_of_.find(user_id);
  if (it == groups_of_.end()) return std::nullopt;
  return it->second;
}

void AuthPlugin::RememberGroupsOf(const std::string& user_id, std::string ids_json,
                                  uint64_t generation) {
  if (!UserCacheUsable(false)) return;
  std::lock_guard lock(groups_of_mu_);
  if (generation != groups_of_generation_) return;
  // Bounded like the user cache: a full map starts over rather than growing without limit.
  if (groups_of_.size() >= static_cast<size_t>(settings_.user_cache_size)) groups_of_.clear();
  groups_of_[user_id] = std::move(ids_json);
}

bool AuthPlugin::UserCacheUsable(bool check_stamp) {
  if (!redis_configured_) return true;
  // Redis down (the store falls back to in-process) or never subscribed: other instances'
  // changes would not reach us, so read the database; the entries kept from before may have
  // missed changes, hence the clear once it is back.
  const auto bypass = [this] {
    cache_bypassed_.store(true, std::memory_order_relaxed);
    return false;
  };
  if (!listening_ || !host_->KvShared()) return bypass();
  if (check_stamp) {
    const std::string stamp = host_->KvGet(kUsersStampKey).value_or("");
    if (!host_->KvShared()) return bypass();  // that read fell back to the in-process store
    std::lock_guard lock(stamp_mu_);
    if (stamp != seen_stamp_) {
      ForgetUser("");
      seen_stamp_ = stamp;
    }
  }
  if (cache_bypassed_.exchange(false)) ForgetUser("");
  return true;
}

std::shared_ptr<const ResolvedUser> AuthPlugin::ResolveUser(std::string_view id,
                                                            bool need_permissions,
                                                            bool check_stamp) {
  const bool cached = UserCacheUsable(check_stamp);
  // Taken before anything is read (the cached row included): a change announced meanwhile
  // keeps what is read here out of the cache.
  const uint64_t epoch = users_->Epoch();
  std::shared_ptr<const ResolvedUser> hit = cached ? users_->Get(id) : nullptr;
  if (hit && (hit->permissions || !need_permissions)) return hit;
  auto fresh = std::make_shared<ResolvedUser>();
  if (hit) {
    fresh->user = hit->user;
  } else {
    auto user = store_->GetById(id);
    if (!user) return nullptr;
    fresh->user = std::move(*user);
    fresh->user.settings = nullptr;
    fresh->user.info = nullptr;
  }
  if (need_permissions) {
    fresh->permissions = EffectivePermissions(fresh->user.id);
    fresh->permissions_text = Dump(*fresh->permissions);
  }
  if (cached) users_->Put(id, fresh, epoch);
  return fresh;
}

bool AuthPlugin::IsRevoked(const std::string& jti) {
  return host_->KvGet("auth:token:" + jti + ":revoked").has_value();
}

// ---------------------------------------------------------------------------------------------
// The authenticator: every non-public route of every plugin comes through here.

std::optional<TokenClaims> AuthPlugin::VerifiedClaims(std::string_view token) const {
  if (t_verified.set && t_verified.token == token) return t_verified.claims;
  return Decode(token);
}

wh_authn_result AuthPlugin::Authenticate(Request& req, AuthnResult& out) {
  t_verified.set = false;
  std::optional<std::string> token = BearerCredentials(req.Header("Authorization"));
  if (!token) {
    // x-api-key carries API keys only, and goes through exactly the same checks as a Bearer
    // key (GHSA-57q6-fvp4-pqmm).
    if (auto k = req.Header("x-api-key"); k && !TrimView(*k).empty()) {
      const std::string key(TrimView(*k));
      if (!StartsWith(key, "sk-")) return out.Reject(401, msg::kInvalidToken);
      return AuthenticateApiKey(req, out, key);
    }
  }
  if (!token) {
    if (auto cookie = req.Cookie("token"); cookie && !cookie->empty()) token = std::string(*cookie);
  }
  if (!token) return WH_AUTHN_NONE;
  if (StartsWith(*token, "sk-")) return AuthenticateApiKey(req, out, *token);

  auto claims = Decode(*token);
  if (!claims || claims->id.empty()) return out.Reject(401, msg::kUnauthorized);
  // Checked on every request, like the signature and expiry: only the user row is cached.
  if (claims->jti && IsRevoked(*claims->jti)) return out.Reject(401, "Invalid token");
  // A role change or a deletion applies to the very next call: every change drops the cached
  // row (NotifyAuthChanged), here and on the other instances.
  const auto resolved = ResolveUser(claims->id, false, true);
  if (!resolved) return out.Reject(401, msg::kInvalidToken);
  const User* user = &resolved->user;
  if (!settings_.trusted_email_header.empty()) {
    auto trusted = req.Header(settings_.trusted_email_header);
    if (trusted && !trusted->empty() && Lower(*trusted) != user->email)
      return out.Reject(401, msg::kUserMismatch);
  }
  store_->TouchLastActive(user->id);
  t_verified.token = std::move(*token);
  t_verified.claims = std::move(*claims);
  t_verified.set = true;
  return out.Accept(user->id, user->role, user->email, user->name);
}

wh_authn_result AuthPlugin::AuthenticateApiKey(Request& req, AuthnResult& out,
                                               const std::string& key) {
  if (!settings_.EnableApiKey()) return out.Reject(403, msg::kApiKeyNotAllowed);
  if (settings_.ApiKeyRestrictions()) {
    auto path = CanonicalPath(req.Path());
    if (!path || !PathAllowed(*path, settings_.ApiKeyAllowedEndpoints()))
      return out.Reject(403, msg::kApiKeyNotAllowed);
  }
  // sk- + 32 hex; anything else cannot be ours (and is not worth a database round trip).
  if (key.size() > 128) return out.Reject(401, msg::kInvalidToken);
  auto user = store_->GetByApiKey(key);
  if (!user) return out.Reject(401, msg::kInvalidToken);
  store_->TouchLastActive(user->id);
  return out.Accept(user->id, user->role, user->email, user->name);
}

// ---------------------------------------------------------------------------------------------
// Users, permissions, sign-up

json AuthPlugin::EffectivePermissions(const std::string& user_id) {
  json perms = settings_.UserPermissions();
  for (const auto& group : store_->GroupsOfMember(user_id))
    perms = CombinePermissions(std::move(perms), group.value("permissions", json::object()));
  return perms;
}

json AuthPlugin::PermissionsOf(const std::string& user_id) {
  if (auto resolved = ResolveUser(user_id, true)) return *resolved->permissions;
  return EffectivePermissions(user_id);
}

json AuthPlugin::SessionUserJson(const User& user, const IssuedToken& token, bool with_info) {
  json j = {{"token", token.token},
            {"token_type", "Bearer"},
            {"expires_at", token.expires_at ? json(*token.expires_at) : json(nullptr)},
            {"id", user.id},
            {"email", user.email},
            {"name", user.name},
            {"role", user.role},
            {"profile_image_url", user.profile_image_url},
            {"permissions", EffectivePermissions(user.id)}};
  if (with_info) {
    j["bio"] = user.bio ? json(*user.bio) : json(nullptr);
    j["gender"] = user.gender ? json(*user.gender) : json(nullptr);
    j["date_of_birth"] = user.date_of_birth ? json(*user.date_of_birth) : json(nullptr);
  }
  return j;
}

std::string AuthPlugin::SessionUserText(const User& user, const IssuedToken& token, bool with_info,
                                        std::string_view permissions_json) {
  // Byte for byte what Dump(SessionUserJson(...)) gives (keys in nlohmann's sorted order), with
  // the permissions spliced in as they were serialised once: the members before "permissions"
  // and those after it are two objects whose braces are dropped.
  json head = {{"email", user.email}, {"id", user.id}, {"name", user.name}};
  head["expires_at"] = token.expires_at ? json(*token.expires_at) : json(nullptr);
  if (with_info) {
    head["bio"] = user.bio ? json(*user.bio) : json(nullptr);
    head["gender"] = user.gender ? json(*user.gender) : json(nullptr);
    head["date_of_birth"] = user.date_of_birth ? json(*user.date_of_birth) : json(nullptr);
  }
  const json tail = {{"profile_image_url", user.profile_image_url},
                     {"role", user.role},
                     {"token", token.token},
                     {"token_type", "Bearer"}};
  std::string out = Dump(head);
  out.pop_back();  // '}'
  out += ",\"permissions\":";
  out += permissions_json;
  out += ',';
  const std::string rest = Dump(tail);
  out.append(rest, 1, std::string::npos);  // without '{'
  return out;
}

std::string AuthPlugin::HashNewPassword(const std::string& password) const {
  if (password.size() > kMaxPasswordBytes) throw HttpError(400, msg::kPasswordTooLong);
  if (password.find('\0') != std::string::npos) throw HttpError(400, msg::kPasswordNul);
  return HashPassword(password, settings_.bcrypt_cost);
}

void AuthPlugin::BurnDummyVerify(std::string_view password) const {
  (void)VerifyPassword(password, dummy_hash_);
}

User AuthPlugin::SignUp(const std::string& name, const std::string& email,
                        const std::string& password, const std::string& profile_image_url) {
  const bool has_users = store_->Count() > 0;
  if (settings_.webui_auth) {
    if (!settings_.EnableSignup() || !settings_.EnableLoginForm())
      throw HttpError(403, msg::kAccessProhibited);
  } else if (has_users) {
    throw HttpError(403, msg::kAccessProhibited);
  }
  const std::string e = Lower(email);
  if (e.size() > 320 || !ValidEmailFormat(e)) throw HttpError(400, msg::kInvalidEmailFormat);
  if (store_->GetByEmail(e)) throw HttpError(400, msg::kEmailTaken);
  NewUser nu;
  nu.email = e;
  nu.password_hash = HashNewPassword(password);
  nu.name = name;
  nu.profile_image_url = profile_image_url;
  nu.role = settings_.DefaultUserRole();
  auto result = CreateAccount(nu);
  if (result.status == UsersStore::CreateStatus::kEmailTaken)
    throw HttpError(400, msg::kEmailTaken);
  if (!result.user) throw HttpError(500, msg::kCreateUserError);
  host_->Info("account created (" + result.user->role + ")");
  return *result.user;
}

UsersStore::CreateResult AuthPlugin::CreateAccount(const NewUser& nu) {
  auto result = store_->Create(nu);
  // Like Open WebUI: the first account closes sign-up behind it.
  if (result.became_admin && result.user) {
    settings_.Set(kPrimaryAdmin, result.user->id);
    settings_.Set(kEnableSignup, false);
  }
  return result;
}

std::optional<int64_t> AuthPlugin::SigninRateLimited(const std::string& email) {
  // Keyed by a digest: the e-mail is attacker-sized and should not sit in Redis as is.
  return CountAttempt("auth:signin:" + Sha256Hex(email), settings_.signin_limit);
}

namespace {
std::string AddressKey(const std::string& address) { return "auth:signin-ip:" + address; }
}  // namespace

std::optional<int64_t> AuthPlugin::SigninAddressLimited(const std::string& address) {
  if (settings_.signin_ip_limit == 0 || address.empty()) return std::nullopt;
  return CountAttempt(AddressKey(address), settings_.signin_ip_limit);
}

void AuthPlugin::SigninSucceededFrom(const std::string& address) {
  if (settings_.signin_ip_limit == 0 || address.empty()) return;
  try {
    host_->KvIncr(AddressKey(address), -1, int64_t{settings_.signin_window_s} * 1000);
  } catch (const std::exception& e) {
    host_->Warn(std::string("sign-in rate limiter unavailable: ") + e.what());
  }
}

std::optional<int64_t> AuthPlugin::CountAttempt(const std::string& key, int limit) {
  const int64_t window_ms = int64_t{settings_.signin_window_s} * 1000;
  int64_t n = 0;
  try {
    n = host_->KvIncr(key, 1, window_ms);
  } catch (const std::exception& e) {
    host_->Warn(std::string("sign-in rate limiter unavailable: ") + e.what());
    return std::nullopt;
  }
  if (n <= limit) return std::nullopt;
  int64_t wait = settings_.signin_window_s;
  try {
    if (auto ttl = host_->KvTtl(key); ttl && *ttl > 0) wait = (*ttl + 999) / 1000;
  } catch (...) {
  }
  return std::max<int64_t>(wait, 1);
}

std::optional<User> AuthPlugin::PrimaryAdmin() {
  if (const json id = settings_.Get(kPrimaryAdmin); id.is_string())
    if (auto u = store_->GetById(id.get<std::string>())) return u;
  return store_->GetFirstUser();  // a database made by Python Open WebUI
}

// ---------------------------------------------------------------------------------------------
// GET /api/config contribution

json AuthPlugin::ConfigContribution(const Request& req) {
  const AuthSettings& s = settings_;
  json part;
  const bool api_keys = s.EnableApiKey();
  part["features"] = {{"auth", s.webui_auth},
                      {"auth_trusted_header", !s.trusted_email_header.empty()},
                      {"enable_api_key", api_keys},
                      {"enable_api_keys", api_keys},
                      {"enable_signup", s.EnableSignup()},
                      {"enable_login_form", s.EnableLoginForm()}};
  const std::optional<sdk::Caller> caller = req.GetCaller();
  if (!caller) {
    if (store_->Count() == 0) part["onboarding"] = true;
  } else {
    part["ui"] = {{"pending_user_overlay_title", s.PendingTitle()},
                  {"pending_user_overlay_content", s.PendingContent()}};
    if (caller->role == "user" || caller->role == "admin") {
      part["user_count"] = store_->Count();
      part["permissions"] = PermissionsOf(std::string(caller->id));
    }
  }
  return part;
}

}  // namespace webui::auth

WEBUI_HOST_PLUGIN(webui::auth::AuthPlugin, "auth", "1.0.0",
                  "Accounts, sessions, API keys, roles and users (Open WebUI 0.6.32 API)")
