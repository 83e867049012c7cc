// /api/v1/auths: routers/auths.py of Open WebUI 0.6.32.
#include <ctime>

#include "auth_plugin.hpp"
#include "crypto.hpp"
#include "password.hpp"
#include "util.hpp"

namespace webui::auth {
namespace {

using nlohmann::json;
using sdk::Auth;
using sdk::HttpError;
using sdk::Request;
using sdk::Response;

constexpr const char* kBase = "/api/v1/auths";

std::string AuthsPath(const char* suffix) { return std::string(kBase) + suffix; }

// YYYY-MM-DD, as pydantic's datetime.date accepts from JSON.
bool ValidDate(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (s[i] < '0' || s[i] > '9') return false;
  const int m = std::stoi(s.substr(5, 2)), d = std::stoi(s.substr(8, 2));
  return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

}  // namespace

void AuthPlugin::RegisterAuthsRoutes() {
  // --- GET / : the session user (any role, pending included) ---
  AddRoute("GET", AuthsPath("/").c_str(), Auth::kAny, [this](Request& req, Response& res) {
    const auto caller = req.RequireCaller();
    const auto resolved = ResolveUser(caller.id, true);
    if (!resolved) throw HttpError(401, msg::kInvalidToken);
    IssuedToken token;
    // Unlike 0.6.32 (which read only the Authorization header and failed for cookie-only
    // callers), use the credential the request actually carried.
    if (auto t = RequestToken(req)) {
      token.token = *t;
      if (auto claims = VerifiedClaims(*t)) {
        token.expires_at = claims->exp;
        res.Header("Set-Cookie", SessionCookie(*t, claims->exp));
      }
    }
    res.Json(SessionUserText(resolved->user, token, true, resolved->permissions_text));
  });

  // --- POST /signup ---
  AddRoute(
      "POST", AuthsPath("/signup").c_str(), Auth::kPublic, [this](Request& req, Response& res) {
        const json body = ParseBodyObject(req.Body());
        const std::string name = RequireString(body, "name");
        const std::string email = RequireString(body, "email");
        const std::string password = RequireString(body, "password");
        const std::string image = OptionalString(body, "profile_image_url").value_or("/user.png");
        const User user = SignUp(name, email, password, image);
        const IssuedToken token = IssueToken(user.id);
        res.Header("Set-Cookie", SessionCookie(token.token, token.expires_at));
        res.Json(Dump(SessionUserJson(user, token, false)));
      });

  // --- POST /signin ---
  AddRoute("POST", AuthsPath("/signin").c_str(), Auth::kPublic,
           [this](Request& req, Response& res) {
             std::optional<User> user;
             if (!settings_.trusted_email_header.empty()) {
               auto header = req.Header(settings_.trusted_email_header);
               if (!header) throw HttpError(400, msg::kInvalidTrustedHeader);
               const std::string email = Lower(*header);
               std::string name = email;
               if (!settings_.trusted_name_header.empty())
                 if (auto n = req.Header(settings_.trusted_name_header)) name = std::string(*n);
               if (!store_->GetByEmail(email))
                 SignUp(name, email, Base64UrlEncode(RandomBytes(24)), "/user.png");
               user = store_->GetByEmail(email);
             } else if (!settings_.webui_auth) {
               constexpr const char* kAdminEmail = "admin@localhost";
               if (!store_->GetByEmail(kAdminEmail)) {
                 if (store_->Count() > 0) throw HttpError(400, msg::kExistingUsers);
                 SignUp("User", kAdminEmail, "admin", "/user.png");
               }
               if (auto a = store_->GetAuthByEmail(kAdminEmail);
                   a && a->active && VerifyPassword("admin", a->password_hash))
                 user = store_->GetById(a->id);
             } else {
               const json body = ParseBodyObject(req.Body());
               const std::string email = Lower(RequireString(body, "email"));
               const std::string password = RequireString(body, "password");
               // One address guessing across many accounts, then many addresses guessing one
               // account.
               const std::string client(req.RemoteAddr());
               std::optional<int64_t> wait = SigninAddressLimited(client);
               if (!wait) wait = SigninRateLimited(email);
               if (wait) {
                 res.Header("Retry-After", std::to_string(*wait));
                 throw HttpError(429, msg::kRateLimitExceeded);
               }
               auto auth = store_->GetAuthByEmail(email);
               if (!auth || !auth->active) {
                 // Same work, status and message as a wrong password: no account enumeration (T01).
                 BurnDummyVerify(password);
                 throw HttpError(400, msg::kInvalidCred);
               }
               if (!VerifyPassword(password, auth->password_hash))
                 throw HttpError(400, msg::kInvalidCred);
               user = store_->GetById(auth->id);
               if (user) SigninSucceededFrom(client);
             }
             if (!user) throw HttpError(400, msg::kInvalidCred);
             const IssuedToken token = IssueToken(user->id);
             res.Header("Set-Cookie", SessionCookie(token.token, token.expires_at));
             res.Json(Dump(SessionUserJson(*user, token, false)));
           });

  // --- GET|POST /signout: revoke the presented session, drop the cookies ---
  auto signout = [this](Request& req, Response& res) {
    if (auto t = RequestToken(req)) {
      if (auto claims = Decode(*t)) Revoke(*claims);
    }
    res.Header("Set-Cookie", ExpiredCookie("token"));
    res.Header("Set-Cookie", ExpiredCookie("oui-session"));
    json body = {{"status", true}};
    if (!settings_.signout_redirect_url.empty())
      body["redirect_url"] = settings_.signout_redirect_url;
    res.Json(Dump(body));
  };
  AddRoute("GET", AuthsPath("/signout").c_str(), Auth::kPublic, signout);
  AddRoute("POST", AuthsPath("/signout").c_str(), Auth::kPublic, signout);

  // --- POST /update/profile: only the profile fields, never role/email/id (T22) ---
  AddRoute("POST", AuthsPath("/update/profile").c_str(), Auth::kVerified,
           [this](Request& req, Response& res) {
             const auto caller = req.RequireCaller();
             const json body = ParseBodyObject(req.Body());
             UsersStore::ProfileUpdate p;
             p.profile_image_url = RequireString(body, "profile_image_url");
             p.name = RequireString(body, "name");
             // Optional fields default to None in UpdateProfileForm: an absent one is cleared.
             p.set_bio = p.set_gender = p.set_date_of_birth = true;
             p.bio = OptionalString(body, "bio");
             p.gender = OptionalString(body, "gender");
             p.date_of_birth = OptionalString(body, "date_of_birth");
             if (p.date_of_birth && !ValidDate(*p.date_of_birth))
               throw ValidationError("date_from_datetime_parsing", "date_of_birth",
                                     "Input should be a valid date");
             store_->UpdateProfile(caller.id, p);
             NotifyAuthChanged(std::string(caller.id));  // name and profile are cached
             auto user = store_->GetById(caller.id);
             if (!user) throw HttpError(400, msg::kInvalidCred);
             res.Json(Dump(json{{"id", user->id},
                                {"name", user->name},
                                {"email", user->email},
                                {"role", user->role},
                                {"profile_image_url", user->profile_image_url}}));
           });

  // --- POST /update/password ---
  AddRoute("POST", AuthsPath("/update/password").c_str(), Auth::kVerified,
           [this](Request& req, Response& res) {
             if (!settings_.trusted_email_header.empty())
               throw HttpError(400, msg::kActionProhibited);
             const auto caller = req.RequireCaller();
             const json body = ParseBodyObject(req.Body());
             const std::string current = RequireString(body, "password");
             const std::string next = RequireString(body, "new_password");
             auto auth = store_->GetAuthById(caller.id);
             if (!auth || !auth->active || !VerifyPassword(current, auth->password_hash))
               throw HttpError(400, msg::kInvalidPassword);
             store_->UpdatePassword(caller.id, HashNewPassword(next));
             res.Json("true");
           });

  // --- POST /add (admin) ---
  AddRoute("POST", AuthsPath("/add").c_str(), Auth::kAdmin, [this](Request& req, Response& res) {
    const json body = ParseBodyObject(req.Body());
    const std::string name = RequireString(body, "name");
    const std::string email = Lower(RequireString(body, "email"));
    const std::string password = RequireString(body, "password");
    const std::string image = OptionalString(body, "profile_image_url").value_or("/user.png");
    const std::string role = OptionalString(body, "role").value_or("pending");
    if (!ValidRole(role)) throw HttpError(400, msg::kActionProhibited);
    if (email.size() > 320 || !ValidEmailFormat(email))
      throw HttpError(400, msg::kInvalidEmailFormat);
    if (store_->GetByEmail(email)) throw HttpError(400, msg::kEmailTaken);
    NewUser nu;
    nu.email = email;
    nu.password_hash = HashNewPassword(password);
    nu.name = name;
    nu.profile_image_url = image;
    nu.role = role;
    nu.may_become_first_admin = false;
    auto r = store_->Create(nu);
    if (r.status == UsersStore::CreateStatus::kEmailTaken) throw HttpError(400, msg::kEmailTaken);
    if (!r.user) throw HttpError(500, msg::kCreateUserError);
    const IssuedToken token = IssueToken(r.user->id);
    res.Json(Dump(json{{"token", token.token},
                       {"token_type", "Bearer"},
                       {"id", r.user->id},
                       {"email", r.user->email},
                       {"name", r.user->name},
                       {"role", r.user->role},
                       {"profile_image_url", r.user->profile_image_url}}));
  });

  // --- GET /admin/details: shown to pending users too (the "contact your admin" overlay) ---
  AddRoute("GET", AuthsPath("/admin/details").c_str(), Auth::kAny, [this](Request&, Response& res) {
    if (!settings_.ShowAdminDetails()) throw HttpError(400, msg::kActionProhibited);
    json out = {{"name", nullptr}, {"email", nullptr}};
    if (auto email = settings_.AdminEmail()) {
      out["email"] = *email;
      if (auto admin = store_->GetByEmail(Lower(*email))) out["name"] = admin->name;
    } else if (auto first = PrimaryAdmin()) {
      out = {{"name", first->name}, {"email", first->email}};
    }
    res.Json(Dump(out));
  });

  // --- GET|POST /admin/config ---
  // Keys of 0.6.32 (ENABLE_API_KEY...) and of later releases (ENABLE_API_KEYS...) both work.
  struct Shared {
    const char* form;
    const char* key;
    const char* env;
    json def;
  };
  static const Shared kShared[] = {
      {"WEBUI_URL", "webui.url", "WEBUI_URL", ""},
      {"ENABLE_COMMUNITY_SHARING", "ui.enable_community_sharing", "ENABLE_COMMUNITY_SHARING", true},
      {"ENABLE_MESSAGE_RATING", "ui.enable_message_rating", "ENABLE_MESSAGE_RATING", true},
      {"ENABLE_CHANNELS", "channels.enable", "ENABLE_CHANNELS", false},
      {"ENABLE_NOTES", "notes.enable", "ENABLE_NOTES", true},
      {"ENABLE_USER_WEBHOOKS", "ui.enable_user_webhooks", "ENABLE_USER_WEBHOOKS", true},
      {"RESPONSE_WATERMARK", "ui.watermark", "RESPONSE_WATERMARK", ""},
  };
  auto admin_config = [this]() {
    json c = {
        {"SHOW_ADMIN_DETAILS", settings_.ShowAdminDetails()},
        {"ENABLE_SIGNUP", settings_.EnableSignup()},
        {"ENABLE_API_KEY", settings_.EnableApiKey()},
        {"ENABLE_API_KEY_ENDPOINT_RESTRICTIONS", settings_.ApiKeyRestrictions()},
        {"API_KEY_ALLOWED_ENDPOINTS", settings_.ApiKeyAllowedEndpoints()},
        {"ENABLE_API_KEYS", settings_.EnableApiKey()},
        {"ENABLE_API_KEYS_ENDPOINT_RESTRICTIONS", settings_.ApiKeyRestrictions()},
        {"API_KEYS_ALLOWED_ENDPOINTS", settings_.ApiKeyAllowedEndpoints()},
        {"DEFAULT_USER_ROLE", settings_.DefaultUserRole()},
        {"JWT_EXPIRES_IN", settings_.JwtExpiresIn()},
        {"PENDING_USER_OVERLAY_TITLE", settings_.PendingTitle()},
        {"PENDING_USER_OVERLAY_CONTENT", settings_.PendingContent()},
    };
    for (const auto& s : kShared) c[s.form] = settings_.Shared(s.key, s.env, s.def);
    return c;
  };
  AddRoute("GET", AuthsPath("/admin/config").c_str(), Auth::kAdmin,
           [admin_config](Request&, Response& res) { res.Json(Dump(admin_config())); });
  AddRoute("POST", AuthsPath("/admin/config").c_str(), Auth::kAdmin,
           [this, admin_config](Request& req, Response& res) {
             const json body = ParseBodyObject(req.Body());
             auto set_bool = [&](const char* field, const char* key) {
               if (auto v = OptionalBool(body, field)) settings_.Set(key, *v);
             };
             set_bool("SHOW_ADMIN_DETAILS", kShowAdminDetails);
             set_bool("ENABLE_SIGNUP", kEnableSignup);
             set_bool("ENABLE_API_KEY", kEnableApiKey);
             set_bool("ENABLE_API_KEYS", kEnableApiKey);
             set_bool("ENABLE_API_KEY_ENDPOINT_RESTRICTIONS", kApiKeyRestrictions);
             set_bool("ENABLE_API_KEYS_ENDPOINT_RESTRICTIONS", kApiKeyRestrictions);
             for (const char* f : {"API_KEY_ALLOWED_ENDPOINTS", "API_KEYS_ALLOWED_ENDPOINTS"})
               if (auto v = OptionalString(body, f)) settings_.Set(kApiKeyAllowedEndpoints, *v);
             // Invalid values are ignored, as in Open WebUI.
             if (auto v = OptionalString(body, "DEFAULT_USER_ROLE"); v && ValidRole(*v))
               settings_.Set(kDefaultUserRole, *v);
             if (auto v = OptionalString(body, "JWT_EXPIRES_IN"); v && IsValidJwtExpiry(*v))
               settings_.Set(kJwtExpiry, *v);
             if (body.contains("PENDING_USER_OVERLAY_TITLE"))
               settings_.Set(kPendingTitle,
                             OptionalString(body, "PENDING_USER_OVERLAY_TITLE").value_or(""));
             if (body.contains("PENDING_USER_OVERLAY_CONTENT"))
               settings_.Set(kPendingContent,
                             OptionalString(body, "PENDING_USER_OVERLAY_CONTENT").value_or(""));
             for (const auto& s : kShared) {
               auto it = body.find(s.form);
               if (it == body.end()) continue;
               if (it->type() != s.def.type() && !(s.def.is_string() && it->is_null()))
                 throw ValidationError("type_error", s.form, "Input has the wrong type");
               settings_.SetShared(s.key, s.env, s.def, it->is_null() ? json("") : *it);
             }
             res.Json(Dump(admin_config()));
           });

  // --- API keys: sk- + 32 hex, shown once; only a digest is stored ---
  AddRoute("POST", AuthsPath("/api_key").c_str(), Auth::kVerified,
           [this](Request& req, Response& res) {
             if (!settings_.EnableApiKey()) throw HttpError(403, msg::kApiKeyCreationNotAllowed);
             const auto caller = req.RequireCaller();
             const std::string key = "sk-" + HexEncode(RandomBytes(16));
             store_->SetApiKey(caller.id, UsersStore::StoredApiKey(key));
             res.Json(Dump(json{{"api_key", key}}));
           });
  AddRoute("GET", AuthsPath("/api_key").c_str(), Auth::kVerified,
           [this](Request& req, Response& res) {
             const auto caller = req.RequireCaller();
             auto stored = store_->GetStoredApiKey(caller.id);
             if (!stored) throw HttpError(404, msg::kApiKeyNotFound);
             // The key itself cannot be recovered from its digest: show which one it is.
             const std::string last4 = stored->substr(stored->size() >= 4 ? stored->size() - 4 : 0);
             res.Json(Dump(json{{"api_key", "sk-..." + last4}}));
           });
  AddRoute("DELETE", AuthsPath("/api_key").c_str(), Auth::kVerified,
           [this](Request& req, Response& res) {
             const auto caller = req.RequireCaller();
             store_->SetApiKey(caller.id, std::nullopt);
             res.Json("true");
           });
}

}  // namespace webui::auth
