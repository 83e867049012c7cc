// The auth plugin through HTTP against the real webui-host binary. Runs twice: "sqlite." (no
// Redis) and "pg." (PostgreSQL + Redis from WEBUI_TEST_DATABASE_URL / WEBUI_TEST_REDIS_URL).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "auth_test_support.hpp"
#include "crypto.hpp"
#include "it_support.hpp"
#include "jwt.hpp"
#include "kv/kv_test_servers.hpp"

namespace webui::auth_it {
namespace {

using nlohmann::json;
using testing::HttpResult;

constexpr const char* kProhibited =
    "You do not have permission to access this resource. Please contact your administrator for "
    "assistance.";
constexpr const char* kInvalidCred =
    "The email or password provided is incorrect. Please check for typos and try logging in "
    "again.";

// Fixed PyJWT vector (see jwt_test.cpp): id kPyId, no exp, signed with kPySecret.
constexpr const char* kPySecret = "interop-secret-0.6.32";
constexpr const char* kPyId = "5d8c2c9e-3f5a-4c41-9b7e-1f2a3b4c5d6e";
constexpr const char* kPyJwtNoExp =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJpZCI6IjVkOGMyYzllLTNmNWEtNGM0MS05YjdlLTFmMmEzYjRjNWQ2ZSIsImp0aSI6IjBiOWU3YTUyLTZjM2QtNGU4"
    "Zi1hMWIyLWMzZDRlNWY2MDcxOCJ9."
    "6hihcHsfWK91XYBQC5EHYcQ9EwTvyHKWD-ZSXrlS-tM";
// pyca/bcrypt's published $2b$ vector.
constexpr const char* kPyPassword = "Kk4DQuMMfZL9o";
constexpr const char* kPyHash = "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm";

std::string Forge(const std::string& header, const std::string& payload, const std::string& key) {
  const std::string in = auth::Base64UrlEncode(header) + "." + auth::Base64UrlEncode(payload);
  return in + "." + auth::Base64UrlEncode(auth::HmacSha256(key, in));
}

json PayloadOf(const std::string& token) {
  const size_t d1 = token.find('.'), d2 = token.find('.', d1 + 1);
  return json::parse(*auth::Base64UrlDecode(token.substr(d1 + 1, d2 - d1 - 1)));
}

void Exec(storage::Database& db, const std::string& sql, std::vector<storage::Value> params) {
  db.Exec(sql, params);
}

// Sends the request head and only the first 64 KiB of `body`, then reads the status line: a
// server that refuses by Content-Length answers before the rest would have been sent.
int EarlyStatus(int port, const std::string& path, const std::string& body) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  const std::string head = "POST " + path +
                           " HTTP/1.1\r\nHost: localhost\r\n"
                           "Content-Type: application/json\r\nContent-Length: " +
                           std::to_string(body.size()) + "\r\n\r\n";
  const std::string msg = head + body.substr(0, 65536);
  (void)::send(fd, msg.data(), msg.size(), MSG_NOSIGNAL);
  char buf[512];
  const ssize_t n = ::recv(fd, buf, sizeof buf - 1, 0);
  ::close(fd);
  if (n <= 12) return -1;
  return std::atoi(std::string(buf, static_cast<size_t>(n)).substr(9, 3).c_str());
}

class Auth : public ::testing::Test {
 protected:
  // The backend is made only after the skip check: without services it must skip, not throw.
  void SetUp() override {
    WH_REQUIRE_BACKEND();
    backend_ptr_ = std::make_unique<Backend>();
  }
  std::unique_ptr<Backend> backend_ptr_;
  const Backend& backend() const { return *backend_ptr_; }
};

// ---------------------------------------------------------------------------------------------
// First account, sign-up gates, session user, cookie

TEST_F(Auth, FirstSignupBecomesAdminAndClosesSignup) {
  auto h = StartHost(backend());
  ASSERT_TRUE(h);
  auto cfg = h->Get("/api/config").Json();
  EXPECT_EQ(cfg["onboarding"], true);
  EXPECT_EQ(cfg["features"]["enable_signup"], true);
  EXPECT_EQ(cfg["features"]["auth"], true);

  auto r = SignUp(*h, "Ada", "Ada@Example.com", "pw-one");
  ASSERT_EQ(r.status, 200) << r.body;
  const json u = r.Json();
  EXPECT_EQ(u["role"], "admin");
  EXPECT_EQ(u["email"], "ada@example.com");
  EXPECT_EQ(u["token_type"], "Bearer");
  EXPECT_TRUE(u["expires_at"].is_null());  // JWT_EXPIRES_IN defaults to -1 in 0.6.32
  EXPECT_EQ(u["profile_image_url"], "/user.png");
  EXPECT_TRUE(u["permissions"]["chat"]["controls"].is_boolean());
  const std::string cookie = r.Header("Set-Cookie");
  EXPECT_EQ(cookie.rfind("token=" + u["token"].get<std::string>() + ";", 0), 0u) << cookie;
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=lax"), std::string::npos);
  EXPECT_EQ(cookie.find("Secure"), std::string::npos);
  EXPECT_EQ(cookie.find("expires="), std::string::npos);
  // Claims like Open WebUI's: id and jti, no exp.
  const json claims = PayloadOf(u["token"]);
  EXPECT_EQ(claims["id"], u["id"]);
  EXPECT_TRUE(claims["jti"].is_string());
  EXPECT_FALSE(claims.contains("exp"));

  cfg = h->Get("/api/config").Json();
  EXPECT_FALSE(cfg.contains("onboarding"));
  EXPECT_EQ(cfg["features"]["enable_signup"], false);
  r = SignUp(*h, "Bob", "bob@example.com", "pw-two");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.Json()["detail"], kProhibited);

  // Signed-in /api/config carries the user's count and permissions.
  cfg = h->Get("/api/config", Bearer(u["token"])).Json();
  EXPECT_EQ(cfg["user_count"], 1);
  EXPECT_TRUE(cfg["permissions"].is_object());
}

TEST_F(Auth, TwentyConcurrentFirstSignupsMakeExactlyOneAdmin) {
  auto h = StartHost(backend());
  ASSERT_TRUE(h);
  std::vector<HttpResult> results(20);
  std::vector<std::thread> threads;
  std::atomic<bool> go{false};
  for (int i = 0; i < 20; ++i)
    threads.emplace_back([&, i] {
      while (!go) std::this_thread::yield();
      results[i] = SignUp(*h, "U" + std::to_string(i), "racer" + std::to_string(i) + "@x.io", "pw");
    });
  go = true;
  for (auto& t : threads) t.join();
  int admins = 0, created = 0;
  std::string admin_token;
  for (const auto& r : results) {
    if (r.status != 200) {
      EXPECT_EQ(r.status, 403) << r.body;  // sign-up closed by the winner
      continue;
    }
    ++created;
    const std::string role = r.Json()["role"];
    if (role == "admin") {
      ++admins;
      admin_token = r.Json()["token"];
    } else {
      EXPECT_EQ(role, "pending");
    }
  }
  EXPECT_EQ(admins, 1);
  ASSERT_FALSE(admin_token.empty());
  // And in the database.
  auto list = h->Get("/api/v1/users/all", Bearer(admin_token)).Json();
  EXPECT_EQ(list["total"], created);
  int db_admins = 0;
  for (const auto& u : list["users"]) db_admins += u["role"] == "admin";
  EXPECT_EQ(db_admins, 1);
}

TEST_F(Auth, SigninSessionUserAndCookieOnlyCaller) {
  auto h = StartHost(backend());
  ASSERT_TRUE(h);
  MakeAdmin(*h, "root@example.com");
  auto bad = SignIn(*h, "root@example.com", "wrong");
  auto missing = SignIn(*h, "nobody@example.com", "wrong");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.Json()["detail"], kInvalidCred);
  // Same status and body for an unknown account (no enumeration, T01).
  EXPECT_EQ(missing.status, bad.status);
  EXPECT_EQ(missing.body, bad.body);

  auto ok = SignIn(*h, "ROOT@example.com", "admin-password");
  ASSERT_EQ(ok.status, 200) << ok.body;
  const std::string token = ok.Json()["token"];
  auto me = h->Get("/api/v1/auths/", Bearer(token));
  ASSERT_EQ(me.status, 200) << me.body;
  for (const char* f : {"token", "token_type", "expires_at", "id", "email", "name", "role",
                        "profile_image_url", "bio", "gender", "date_of_birth", "permissions"})
    EXPECT_TRUE(me.Json().contains(f)) << f;
  EXPECT_EQ(me.Json()["token"], token);
  // Serialised like the rest of the API: sorted keys, compact, the same as a re-dump — also with
  // text that needs escaping, and with the permissions the cache keeps serialised.
  EXPECT_EQ(me.body, me.Json().dump()) << me.body;
  ASSERT_EQ(Post(*h, "/api/v1/auths/update/profile",
                 {{"name", "Zo\u00eb \"Q\" \\ \n\x01"},
                  {"profile_image_url", "/a.png"},
                  {"bio", "caf\u00e9"}},
                 Bearer(token))
                .status,
            200);
  me = h->Get("/api/v1/auths/", Bearer(token));
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.Json()["name"], "Zo\u00eb \"Q\" \\ \n\x01");
  EXPECT_EQ(me.Json()["bio"], "caf\u00e9");
  EXPECT_EQ(me.Json()["expires_at"], nullptr);
  EXPECT_TRUE(me.Json()["permissions"]["chat"].is_object());
  EXPECT_EQ(me.body, me.Json().dump()) << me.body;

  // A caller holding only the cookie.
  auto by_cookie = h->Get("/api/v1/auths/", {{"Cookie", "token=" + token}});
  ASSERT_EQ(by_cookie.status, 200) << by_cookie.body;
  EXPECT_EQ(by_cookie.Json()["email"], "root@example.com");
  EXPECT_NE(by_cookie.Header("Set-Cookie").find("token=" + token), std::string::npos);
  EXPECT_EQ(h->Get("/api/v1/test/admin", {{"Cookie", "token=" + token}}).status, 200);

  // No credentials → 403 Not authenticated; bad ones → 401.
  auto none = h->Get("/api/v1/auths/");
  EXPECT_EQ(none.status, 403);
  EXPECT_EQ(none.Json()["detail"], "Not authenticated");
  EXPECT_EQ(h->Get("/api/v1/auths/", Bearer("garbage")).status, 401);
  EXPECT_EQ(h->Get("/api/config", Bearer("garbage")).status, 401);
}

TEST_F(Auth, SignoutRevokesTheToken) {
  auto h = StartHost(backend(), WithEnv({{"JWT_EXPIRES_IN", "1h"}}));
  ASSERT_TRUE(h);
  MakeAdmin(*h);
  auto r = SignIn(*h, "admin@example.com", "admin-password");
  ASSERT_EQ(r.status, 200);
  const std::string token = r.Json()["token"];
  const int64_t exp = r.Json()["expires_at"];
  EXPECT_NEAR(static_cast<double>(exp), static_cast<double>(std::time(nullptr) + 3600), 5);
  EXPECT_NE(r.Header("Set-Cookie").find("expires="), std::string::npos);
  EXPECT_EQ(h->Get("/api/v1/auths/", Bearer(token)).status, 200);
  auto out = h->Get("/api/v1/auths/signout", Bearer(token));
  ASSERT_EQ(out.status, 200);
  EXPECT_EQ(out.Json(), json({{"status", true}}));
  EXPECT_NE(out.Header("Set-Cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(h->Get("/api/v1/auths/", Bearer(token)).status, 401);
  EXPECT_EQ(h->Get("/api/v1/auths/", {{"Cookie", "token=" + token}}).status, 401);
  // POST works too, and other sessions stay valid.
  auto again = SignIn(*h, "admin@example.com", "admin-password");
  const std::string t2 = again.Json()["token"];
  EXPECT_EQ(h->Post("/api/v1/auths/signout", "", {{"Cookie", "token=" + t2}}).status, 200);
  EXPECT_EQ(h->Get("/api/v1/auths/", Bearer(t2)).status, 401);
}

// ---------------------------------------------------------------------------------------------
// Roles: pending, privileged fields, primary admin

TEST_F(Auth, PendingUserIsRefusedEverywhereButSessionAndSignout) {
  auto h = StartHost(backend());
  ASSERT_TRUE(h);
  const std::string admin = MakeAdmin(*h);
  ASSERT_EQ(Post(*h, "/api/v1/auths/admin/config", {{"ENABLE_SIGNUP", true}}, Bearer(admin)).status,
            200);
  auto r = SignUp(*h, "Pat", "pat@example.com", "pending-pw");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["role"], "pending");
  const auto p = Bearer(r.Json()["token"]);

  EXPECT_EQ(h->Get("/api/v1/auths/", p).status, 200);
  struct Probe {
    const char* method;
    const char* path;
    const char* body;
  };
  for (const Probe& probe : std::vector<Probe>{
           {"GET", "/api/v1/users/", ""},
           {"GET", "/api/v1/users/all", ""},
           {"GET", "/api/v1/users/search?query=a", ""},
           {"GET", "/api/v1/users/user/settings", ""},
           {"POST", "/api/v1/users/user/settings/update", "{}"},
           {"GET", "/api/v1/users/user/info", ""},
           {"GET", "/api/v1/users/groups", ""},
           {"GET", "/api/v1/users/permissions", ""},
           {"GET", "/api/v1/users/default/permissions", ""},
           {"GET", "/api/v1/users/someid", ""},
           {"POST", "/api/v1/auths/update/profile",
            R"({"name":"x","profile_image_url":"y","role":"admin"})"},
           {"POST", "/api/v1/auths/update/password",
            R"({"password":"pending-pw","new_password":"z"})"},
           {"POST", "/api/v1/auths/api_key", ""},
           {"GET", "/api/v1/auths/api_key", ""},
           {"POST", "/api/v1/auths/add", R"({"name":"a","email":"a@b.c","password":"p"})"},
           {"GET", "/api/v1/auths/admin/config", ""},
           {"GET", "/api/v1/test/items/1", ""},
           {"GET", "/api/v1/test/admin", ""},
           {"GET", "/api/v1/plugins/", ""},
       }) {
    auto res = testing::Http(h->port(), probe.method, probe.path, probe.body, p);
    EXPECT_EQ(res.status, 401) << probe.method << " " << probe.path << " " << res.body;
    EXPECT_EQ(res.Json()["detail"], kProhibited) << probe.path;
  }
  // Still pending, and signing out works.
  EXPECT_EQ(h->Get("/api/v1/auths/", p).Json()["role"], "pending");
  EXPECT_EQ(h->Get("/api/v1/auths/signout", p).status, 200);
  // The pending overlay gets only the ui part of /api/config.
  auto pending_cfg =
      h->Get("/api/config", Bearer(SignIn(*h, "pat@example.com", "pending-pw").Json()["token"]))
          .Json();
  EXPECT_TRUE(pending_cfg.contains("ui"));
  EXPECT_FALSE(pending_cfg.contains("user_count"));
}

TEST_F(Auth, SelfServiceIgnoresPrivilegedFields) {
  auto h = StartHost(backend());
  ASSERT_TRUE(h);
  const std::string admin = MakeAdmin(*h);
  auto [token, id] = MakeUser(*h, admin, "user@example.com");
  auto r = Post(*h, "/api/v1/auths/update/profile",
                {{"name", "New Name"},
                 {"profile_image_url", "/pic.png"},
                 {"bio", "hello"},
                 {"role", "admin"},
                 {"id", "other"},
                 {"email", "evil@example.com"}},
                Bearer(token));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["role"], "user");
  EXPECT_EQ(r.Json()["email"], "user@example.com");
  EXPECT_EQ(r.Json()["name"], "New Name");
  auto me = h->Get("/api/v1/auths/", Bearer(token)).Json();
  EXPECT_EQ(me["role"], "user");
  EXPECT_EQ(me["bio"], "hello");
  EXPECT_EQ(me["id"], id);
  // Admin-only routes stay closed to a user (T22).
  EXPECT_EQ(Post(*h, "/api/v1/users/" + id + "/update",
                 {{"role", "admin"},
                  {"name", "x"},
                  {"email", "user@example.com"},
                  {"profile_image_url", "x"}},
                 Bearer(token))
                .status,
            401);
  EXPECT_EQ(Post(*h, "/api/v1/auths/admin/config", {{"ENABLE_SIGNUP", true}}, Bearer(token)).status,
            401);
  EXPECT_EQ(h->Get("/api/v1/auths/", Bearer(token)).Json()["role"], "user");
  // Password change needs the current password.
  EXPECT_EQ(Post(*h, "/api/v1/auths/update/password",
                 {{"password", "wrong"}, {"new_password", "next-pw"}}, Bearer(token))
                .status,
            400);
  auto ok = Post(*h, "/api/v1/auths/update/password",
                 {{"password", "user-password"}, {"new_password", "next-pw"}}, Bearer(token));
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "true");
  EXPECT_EQ(SignIn(*h, "user@example.com", "next-pw").status, 200);
  EXPECT_EQ(SignIn(*h, "user@example.com", "user-password").status, 400);
}

TEST_F(Auth, UsersAdministrationAndPrimaryAdminProtections) {
  auto h = StartHost(backend());
  ASSERT_TRUE(h);
  const std::string primary = MakeAdmin(*h, "primary@example.com");
  const std::string primary_id = h->Get("/api/v1/auths/", Bearer(primary)).Json()["id"];
  auto [admin2, admin2_id] = MakeUser(*h, primary, "second@example.com", "admin");
  auto [user, user_id] = MakeUser(*h, primary, "carol@example.com", "user");
  MakeUser(*h, primary, "dave@example.com", "pending");

  // List: search, order, page.
  auto list = h->Get("/api/v1/users/?query=CAROL", Bearer(primary)).Json();
  ASSERT_EQ(list["total"], 1);
  EXPECT_EQ(list["users"][0]["email"], "carol@example.com");
  EXPECT_TRUE(list["users"][0].contains("group_ids"));
  EXPECT_FALSE(list["users"][0].contains("api_key"));
  list = h->Get("/api/v1/users/?order_by=email&direction=asc", Bearer(primary)).Json();
  ASSERT_EQ(list["users"].size(), 4u);
  EXPECT_EQ(list["users"][0]["email"], "carol@example.com");
  EXPECT_EQ(list["users"][3]["email"], "second@example.com");
  // Injection attempts are just no-ops (T24).
  auto inj =
      h->Get("/api/v1/users/?order_by=name;DROP%20TABLE%20user&page=-1&query=%27%20OR%201=1--",
             Bearer(primary));
  EXPECT_EQ(inj.status, 200);
  EXPECT_EQ(inj.Json()["total"], 0);
  EXPECT_EQ(h->Get("/api/v1/users/?page=2", Bearer(primary)).Json()["users"].size(), 0u);
  EXPECT_EQ(h->Get("/api/v1/users/?page=abc", Bearer(primary)).status, 422);
  // Search by a verified user returns public fields only.
  auto found = h->Get("/api/v1/users/search?query=dave", Bearer(user)).Json();
  ASSERT_EQ(found["total"], 1);
  EXPECT_FALSE(found["users"][0].contains("settings"));
  // The public card.
  auto card = h->Get("/api/v1/users/" + primary_id, Bearer(user));
  ASSERT_EQ(card.status, 200);
  EXPECT_EQ(card.Json()["name"], "Admin");
  EXPECT_EQ(h->Get("/api/v1/users/no-such-id", Bearer(user)).status, 400);

  // Primary admin: another admin may neither edit nor delete it; it may not demote itself.
  const json as_admin = {{"role", "user"},
                         {"name", "x"},
                         {"email", "primary@example.com"},
                         {"profile_image_url", "/user.png"}};
  EXPECT_EQ(Post(*h, "/api/v1/users/" + primary_id + "/update", as_admin, Bearer(admin2)).status,
            403);
  EXPECT_EQ(Post(*h, "/api/v1/users/" + primary_id + "/update", as_admin, Bearer(primary)).status,
            403);
  EXPECT_EQ(
      testing::Http(h->port(), "DELETE", "/api/v1/users/" + primary_id, "", Bearer(admin2)).status,
      403);
  EXPECT_EQ(
      testing::Http(h->port(), "DELETE", "/api/v1/users/" + admin2_id, "", Bearer(admin2)).status,
      403);  // not oneself

  // A role change applies to the very next request.
  EXPECT_EQ(h->Get("/api/v1/test/items/1", Bearer(user)).status, 200);
  auto upd = Post(*h, "/api/v1/users/" + user_id + "/update",
                  {{"role", "pending"},
                   {"name", "Carol"},
                   {"email", "carol@example.com"},
                   {"profile_image_url", "/user.png"}},
                  Bearer(primary));
  ASSERT_EQ(upd.status, 200) << upd.body;
  EXPECT_EQ(upd.Json()["role"], "pending");
  EXPECT_EQ(h->Get("/api/v1/test/items/1", Bearer(user)).status, 401);
  EXPECT_EQ(Post(*h, "/api/v1/users/" + user_id + "/update",
                 {{"role", "root"},
                  {"name", "C"},
                  {"email", "carol@example.com"},
                  {"profile_image_url", "/u"}},
                 Bearer(primary))
                .status,
            400);
  // Admin resets a password.
  ASSERT_EQ(Post(*h, "/api/v1/users/" + user_id + "/update",
                 {{"role", "user"},
                  {"name", "Carol"},
                  {"email", "carol2@example.com"},
                  {"profile_image_url", "/user.png"},
                  {"password", "reset-pw"}},
                 Bearer(primary))
                .status,
            200);
  EXPECT_EQ(SignIn(*h, "carol2@example.com", "reset-pw").status, 200);
  // Deletion applies at once too.
  auto del = testing::Http(h->port(), "DELETE", "/api/v1/users/" + user_id, "", Bearer(admin2));
  EXPECT_EQ(del.status, 200);
  EXPECT_EQ(del.body, "true");
  EXPECT_EQ(h->Get("/api/v1/auths/", Bearer(user)).status, 401);
  EXPECT_EQ(
      testing::Http(h->port(), "DELETE", "/api/v1/users/" + user_id, "", Bearer(admin2)).status,
      404);
}

// ---------------------------------------------------------------------------------------------
// Tokens

TEST_F(Auth, TamperedTokensAre401AndTheHostStaysHealthy) {
  auto h = StartHost(backend());
  ASSERT_TRUE(h);
  const std::string admin = MakeAdmin(*h);
  const std::string admin_id = h->Get("/api/v1/auths/", Bearer(admin)).Json()["id"];
  auto [user, user_id] = MakeUser(*h, admin, "mallory@example.com");
  const std::string jti = R"(,"jti":"11111111-2222-4333-8444-555555555555"})";
  const std::string now = std::to_string(std::time(nullptr));
  const std::string header = R"({"alg":"HS256","typ":"JWT"})";

  std::vector<std::pair<std::string, std::string>> cases = {
      {"alg none", auth::Base64UrlEncode(R"({"alg":"none","typ":"JWT"})") + "." +
                       auth::Base64UrlEncode(R"({"id":")" + admin_id + "\"}") + "."},
      {"other key", Forge(header, R"({"id":")" + admin_id + "\"" + jti, "not-the-secret")},
      {"claims swapped", user.substr(0, user.find('.') + 1) +
                             auth::Base64UrlEncode(R"({"id":")" + admin_id + "\"" + jti) +
                             user.substr(user.rfind('.'))},
      {"expired", Forge(header, R"({"id":")" + admin_id + R"(","exp":)" + now + jti, kSecret)},
      {"HS512 confusion",
       Forge(R"({"alg":"HS512","typ":"JWT"})", R"({"id":")" + admin_id + "\"}", kSecret)},
      {"RS256 confusion",
       Forge(R"({"alg":"RS256","typ":"JWT"})", R"({"id":")" + admin_id + "\"}", kSecret)},
      {"trailing garbage", admin + "x"},
      {"extra segment", admin + ".x"},
      {"6 KB", std::string(6000, 'A')},
      {"garbage", "%%%not-a-token%%%"},
      {"no id claim", Forge(header, R"({"sub":"x"})", kSecret)},
      {"unknown user", Forge(header, R"({"id":"ghost"})", kSecret)},
  };
  for (const auto& [what, token] : cases) {
    auto r = h->Get("/api/v1/test/admin", Bearer(token));
    EXPECT_EQ(r.status, 401) << what << ": " << r.body;
    EXPECT_EQ(h->Get("/api/v1/auths/", {{"Cookie", "token=" + token}}).status, 401) << what;
  }
  // 64 KB does not even get past the HTTP layer's header limit: refused, never a crash.
  for (const testing::HeaderList& hl :
       {Bearer(std::string(65536, 'A')),
        testing::HeaderList{{"Cookie", "token=" + std::string(65536, 'A')}}}) {
    try {
      const int status = h->Get("/api/v1/test/admin", hl).status;
      EXPECT_TRUE(status == 400 || status == 401 || status == 431) << status;
    } catch (const std::exception&) {
      // the server closed the connection on the oversized header: also a refusal
    }
  }
  EXPECT_EQ(h->Get("/health").status, 200);
  EXPECT_TRUE(h->Running());
  // A properly signed token still works.
  EXPECT_EQ(h->Get("/api/v1/test/admin",
                   Bearer(Forge(header, R"({"id":")" + admin_id + "\"" + jti, kSecret)))
                .status,
            200);
}

TEST_F(Auth, PyJwtTokensAndPythonBcryptHashesWorkOnAPythonMadeRow) {
  auto h = StartHost(backend(), WithEnv({{"WEBUI_SECRET_KEY", kPySecret}}));
  ASSERT_TRUE(h);
  MakeAdmin(*h);
  // A row as Python Open WebUI writes it: its uuid, passlib's $2b$ hash, plaintext api_key.
  auto db = OpenDb(backend(), *h);
  const int64_t t = std::time(nullptr);
  Exec(*db,
       "INSERT INTO \"user\" (id, name, email, role, profile_image_url, api_key, created_at, "
       "updated_at, last_active_at, settings, info) VALUES (?, 'Py', 'py@example.com', 'user', "
       "'/user.png', ?, ?, ?, ?, '{\"ui\":{\"theme\":\"dark\"}}', NULL)",
       {kPyId, "sk-0123456789abcdef0123456789abcdef", t, t, t});
  Exec(*db, "INSERT INTO auth (id, email, password, active) VALUES (?, 'py@example.com', ?, TRUE)",
       {kPyId, kPyHash});

  auto me = h->Get("/api/v1/auths/", Bearer(kPyJwtNoExp));
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.Json()["id"], kPyId);
  EXPECT_TRUE(me.Json()["expires_at"].is_null());
  EXPECT_EQ(h->Get("/api/v1/users/user/settings", Bearer(kPyJwtNoExp)).Json()["ui"]["theme"],
            "dark");
  auto in = SignIn(*h, "py@example.com", kPyPassword);
  ASSERT_EQ(in.status, 200) << in.body;
  // Our token is what PyJWT would have produced for these claims: same header bytes, and its
  // signature checks with plain HMAC-SHA256 over the secret.
  const std::string ours = in.Json()["token"];
  EXPECT_EQ(ours.substr(0, ours.find('.')), "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9");
  const std::string signing = ours.substr(0, ours.rfind('.'));
  EXPECT_EQ(ours.substr(ours.rfind('.') + 1),
            auth::Base64UrlEncode(auth::HmacSha256(kPySecret, signing)));
  EXPECT_EQ(
      auth::EncodeToken(kPySecret, kPyId, std::nullopt, PayloadOf(ours)["jti"].get<std::string>()),
      ours);
  // The legacy plaintext key Python stored is accepted.
  EXPECT_EQ(h->Get("/api/v1/test/items/1", Bearer("sk-0123456789abcdef0123456789abcdef")).status,
            200);
  EXPECT_EQ(h->Get("/api/v1/test/items/1", Bearer("sk-0123456789abcdef0123456789abcdee")).status,
            401);
}

TEST_F(Auth, SecretIsGeneratedOncePrivateAndReused) {
  const std::string dir = testing::TempDir("auth-secret");
  HostOptions o;
  o.with_secret = false;
  o.data_dir = dir;
  std::string token;
  {
    auto h = StartHost(backend(), o);
    ASSERT_TRUE(h);
    token = MakeAdmin(*h);
    EXPECT_EQ(h->Stop(), 0);
  }
  const std::string path = dir + "/.webui_secret_key";
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::ifstream in(path);
  std::string key;
  std::getline(in, key);
  EXPECT_GE(key.size(), 43u);  // 32 random bytes, base64url
  auto h = StartHost(backend(), o);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->Get("/api/v1/auths/", Bearer(token)).status, 200);  // same key after restart
  // And it is not some fixed default: a token signed with another host's key fails.
  EXPECT_EQ(h->Get("/api/v1/auths/", Bearer(Forge(R"({"alg":"HS256","typ":"JWT"})",
                                                  PayloadOf(token).dump(), kSecret)))
                .status,
            401);
}

// DATA_DIR made by the host, the database (and its WAL files) and the audit log: owner-only
// whatever the umask, since they hold password and API-key hashes and every chat.
TEST_F(Auth, DataDirDatabaseAndAuditLogAreOwnerOnly) {
  const std::string harness_dir = testing::TempDir("auth-perm");
  const std::string data_dir = harness_dir + "/data";  // does not exist yet
  HostOptions o = WithEnv({{"DATA_DIR", data_dir}, {"AUDIT_LOG_LEVEL", "REQUEST"}});
  o.data_dir = harness_dir;
  const mode_t old_umask = ::umask(022);  // the usual one, inherited by the host
  auto h = StartHost(backend(), o);
  ::umask(old_umask);
  ASSERT_TRUE(h);
  MakeAdmin(*h);  // writes the database and an audit line
  auto mode = [](const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? st.st_mode & 07777 : 0u;
  };
  EXPECT_EQ(mode(data_dir), 0700u);
  EXPECT_EQ(mode(data_dir + "/audit.log"), 0600u);
  EXPECT_GT(std::filesystem::file_size(data_dir + "/audit.log"), 0u);
  if (!backend().postgres()) {
    EXPECT_EQ(mode(data_dir + "/webui.db"), 0600u);
    for (const char* suffix : {"-wal", "-shm"}) {
      if (std::filesystem::exists(data_dir + "/webui.db" + suffix)) {
        EXPECT_EQ(mode(data_dir + "/webui.db" + suffix), 0600u) << suffix;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Limits

TEST_F(Auth, OversizedAndMalformedBodies) {
  auto h = StartHost(backend());
  ASSERT_TRUE(h);
  const std::string big(10 * 1024 * 1024, 'a');
  for (const json& body : {json{{"name", big}, {"email", "x@y.z"}, {"password", "p"}},
                           json{{"name", "n"}, {"email", "x@y.z"}, {"password", big}}}) {
    for (const char* path : {"/api/v1/auths/signup", "/api/v1/auths/signin"}) {
      const auto t0 = std::chrono::steady_clock::now();
      EXPECT_EQ(EarlyStatus(h->port(), path, body.dump()), 413) << path;
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - t0)
                          .count();
      EXPECT_LT(ms, 5000) << "413 must come before the body is read";
    }
  }
  auto r = Post(*h, "/api/v1/auths/signin",
                {{"email", big.substr(0, 1024 * 1024)}, {"password", big.substr(0, 1024 * 1024)}});
  EXPECT_EQ(r.status, 400);
  r = SignUp(*h, "n", "x@y.z", std::string(73, 'p'));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.Json()["detail"].get<std::string>().find("72 bytes"), std::string::npos);
  EXPECT_EQ(SignUp(*h, "n", "not-an-email", "p").status, 400);
  EXPECT_EQ(h->Post("/api/v1/auths/signup", std::string(100000, '[')).status, 422);
  auto missing = h->Post("/api/v1/auths/signup", R"({"name":"n"})");
  EXPECT_EQ(missing.status, 422);
  EXPECT_EQ(missing.Json()["detail"][0]["loc"][0], "body");
  EXPECT_EQ(h->Get("/health").status, 200);
  // Exactly 72 bytes is fine.
  EXPECT_EQ(SignUp(*h, "n", "x@y.z", std::string(72, 'p')).status, 200);
}

TEST_F(Auth, SigninRateLimitReturns429WithRetryAfter) {
  auto h = StartHost(backend());
  ASSERT_TRUE(h);
  MakeAdmin(*h, "victim@example.com");
  for (int i = 0; i < 15; ++i) EXPECT_EQ(SignIn(*h, "victim@example.com", "nope").status, 400) << i;
  auto r = SignIn(*h, "VICTIM@example.com", "admin-password");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.Json()["detail"], "API rate limit exceeded");
  const int retry = std::stoi(r.Header("Retry-After"));
  EXPECT_GT(retry, 0);
  EXPECT_LE(retry, 180);
  // Another account is not affected.
  EXPECT_EQ(SignIn(*h, "other@example.com", "x").status, 400);
}

// docs/security.md T02, per-address mode: one client guessing across many accounts. The client
// is the peer, or the X-Forwarded-For hop a trusted proxy (FORWARDED_ALLOW_IPS, default
// 127.0.0.1) vouches for.
TEST_F(Auth, SigninLimitPerClientAddressBehindATrustedProxy) {
  auto h = StartHost(backend(), WithEnv({{"WEBUI_AUTH_SIGNIN_IP_RATE_LIMIT", "5"}}));
  ASSERT_TRUE(h);
  MakeAdmin(*h, "owner@example.com");
  auto from = [&](const std::string& ip, const std::string& email, const std::string& password) {
    return Post(*h, "/api/v1/auths/signin", {{"email", email}, {"password", password}},
                {{"X-Forwarded-For", ip}});
  };
  // Successful sign-ins do not use up the allowance.
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(from("203.0.113.7", "owner@example.com", "admin-password").status, 200) << i;
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(from("203.0.113.7", "guess" + std::to_string(i) + "@example.com", "x").status, 400)
        << i;
  auto r = from("203.0.113.7", "guess-next@example.com", "x");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.Json()["detail"], "API rate limit exceeded");
  EXPECT_GT(std::stoi(r.Header("Retry-After")), 0);
  // Even the right password, from that client, until the window ends.
  EXPECT_EQ(from("203.0.113.7", "owner@example.com", "admin-password").status, 429);
  // Another client behind the same proxy has its own count.
  EXPECT_EQ(from("203.0.113.8", "owner@example.com", "admin-password").status, 200);
  EXPECT_EQ(from("203.0.113.8", "guess0@example.com", "x").status, 400);
  // Prepending hops does not make a new client: the proxy's own (right-most) hop counts.
  EXPECT_EQ(from("198.51.100.1, 203.0.113.7", "owner@example.com", "admin-password").status, 429);
}

TEST_F(Auth, ForwardedForFromAnUntrustedPeerIsIgnored) {
  auto h = StartHost(backend(), WithEnv({{"WEBUI_AUTH_SIGNIN_IP_RATE_LIMIT", "3"},
                                         {"FORWARDED_ALLOW_IPS", "192.0.2.1"}}));
  ASSERT_TRUE(h);
  MakeAdmin(*h, "owner@example.com");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Post(*h, "/api/v1/auths/signin",
                   {{"email", "g" + std::to_string(i) + "@example.com"}, {"password", "x"}},
                   {{"X-Forwarded-For", "203.0.113." + std::to_string(i)}})
                  .status,
              400)
        << i;
  }
  // Every "client" above was the loopback peer, so a fresh claimed address changes nothing.
  EXPECT_EQ(Post(*h, "/api/v1/auths/signin",
                 {{"email", "owner@example.com"}, {"password", "admin-password"}},
                 {{"X-Forwarded-For", "203.0.113.99"}})
                .status,
            429);
}

// Open WebUI's UserIdNameListResponse: other accounts' e-mails and roles are not for every user.
TEST_F(Auth, UserSearchShowsIdAndNameOnly) {
  auto h = StartHost(backend());
  ASSERT_TRUE(h);
  const std::string admin = MakeAdmin(*h, "boss@example.com");
  const std::string token = MakeUser(*h, admin, "plain@example.com").first;
  for (const std::string& who : {token, admin}) {
    auto r = h->Get("/api/v1/users/search?query=boss", Bearer(who));
    ASSERT_EQ(r.status, 200) << r.body;
    const json body = r.Json();
    EXPECT_EQ(body["total"], 1);
    ASSERT_EQ(body["users"].size(), 1u);
    const json& u = body["users"][0];
    EXPECT_EQ(u["name"], "Admin");
    EXPECT_TRUE(u["id"].is_string());
    EXPECT_EQ(u.size(), 2u) << u.dump();  // no email, role, or anything else
    EXPECT_EQ(r.body.find("boss@example.com"), std::string::npos);
  }
}

// ---------------------------------------------------------------------------------------------
// API keys (T09)

TEST_F(Auth, ApiKeysHashedBothHeadersSameRestrictions) {
  auto h = StartHost(backend());
  ASSERT_TRUE(h);
  const std::string admin = MakeAdmin(*h);
  auto [user, user_id] = MakeUser(*h, admin, "keys@example.com");
  EXPECT_EQ(h->Get("/api/v1/auths/api_key", Bearer(user)).status, 404);
  auto created = h->Post("/api/v1/auths/api_key", "", Bearer(user));
  ASSERT_EQ(created.status, 200) << created.body;
  const std::string key = created.Json()["api_key"];
  EXPECT_TRUE(std::regex_match(key, std::regex("sk-[0-9a-f]{32}"))) << key;
  auto shown = h->Get("/api/v1/auths/api_key", Bearer(user)).Json()["api_key"].get<std::string>();
  EXPECT_EQ(shown, "sk-..." + key.substr(key.size() - 4));

  // Only a digest is in the database.
  auto db = OpenDb(backend(), *h);
  std::string stored;
  const std::vector<storage::Value> p{user_id};
  db->Exec("SELECT api_key FROM \"user\" WHERE id = ?", p, [&](const storage::Row& row) {
    stored = std::get<std::string>(row.at(0));
    return false;
  });
  EXPECT_EQ(stored.find(key.substr(3)), std::string::npos);
  EXPECT_EQ(stored.rfind("sha256:", 0), 0u);

  const testing::HeaderList bearer = Bearer(key), header = {{"x-api-key", key}};
  for (const auto& hdr : {bearer, header}) {
    auto me = h->Get("/api/v1/test/items/7", hdr);
    ASSERT_EQ(me.status, 200) << me.body;
    EXPECT_EQ(me.Json()["caller"]["id"], user_id);
  }
  // Restrict keys to one endpoint: both headers obey it.
  ASSERT_EQ(Post(*h, "/api/v1/auths/admin/config",
                 {{"ENABLE_API_KEY_ENDPOINT_RESTRICTIONS", true},
                  {"API_KEY_ALLOWED_ENDPOINTS", "/api/v1/test/any, /api/v1/auths"}},
                 Bearer(admin))
                .status,
            200);
  for (const auto& hdr : {bearer, header}) {
    EXPECT_EQ(h->Get("/api/v1/test/any", hdr).status, 200);
    EXPECT_EQ(h->Get("/api/v1/auths/", hdr).status, 200);
    auto denied = h->Get("/api/v1/test/items/7", hdr);
    EXPECT_EQ(denied.status, 403);
    EXPECT_EQ(denied.Json()["detail"], "Use of API key is not enabled in the environment.");
    // Prefix match on whole segments, and no escaping the allow-list through dot segments.
    EXPECT_NE(h->Get("/api/v1/test/anyway", hdr).status, 200);
    EXPECT_NE(h->Get("/api/v1/test/any/../items/7", hdr).status, 200);
    EXPECT_NE(h->Get("/api/v1/test/any/%2e%2e/items/7", hdr).status, 200);
  }
  // JWTs are not subject to the key allow-list.
  EXPECT_EQ(h->Get("/api/v1/test/items/7", Bearer(user)).status, 200);
  // Keys disabled globally: both headers refused.
  ASSERT_EQ(
      Post(*h, "/api/v1/auths/admin/config", {{"ENABLE_API_KEY", false}}, Bearer(admin)).status,
      200);
  for (const auto& hdr : {bearer, header}) EXPECT_EQ(h->Get("/api/v1/test/any", hdr).status, 403);
  EXPECT_EQ(h->Post("/api/v1/auths/api_key", "", Bearer(user)).status, 403);
  ASSERT_EQ(Post(*h, "/api/v1/auths/admin/config",
                 {{"ENABLE_API_KEYS", true}, {"ENABLE_API_KEYS_ENDPOINT_RESTRICTIONS", false}},
                 Bearer(admin))
                .status,
            200);
  EXPECT_EQ(h->Get("/api/v1/test/items/7", header).status, 200);
  // A JWT in x-api-key is not accepted; a deleted key stops working.
  EXPECT_EQ(h->Get("/api/v1/test/any", {{"x-api-key", user}}).status, 401);
  EXPECT_EQ(testing::Http(h->port(), "DELETE", "/api/v1/auths/api_key", "", Bearer(user)).body,
            "true");
  EXPECT_EQ(h->Get("/api/v1/test/any", bearer).status, 401);
  EXPECT_EQ(h->Get("/api/v1/test/any", header).status, 401);
  // Never logged.
  EXPECT_EQ(h->Log().find(key), std::string::npos);
  EXPECT_EQ(h->Log().find("admin-password"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Settings, info, permissions, groups, admin config

TEST_F(Auth, SettingsInfoPermissionsAndGroups) {
  auto h = StartHost(backend());
  ASSERT_TRUE(h);
  const std::string admin = MakeAdmin(*h);
  auto [user, user_id] = MakeUser(*h, admin, "sue@example.com");
  EXPECT_TRUE(h->Get("/api/v1/users/user/settings", Bearer(user)).Json().is_null());
  auto s =
      Post(*h, "/api/v1/users/user/settings/update", {{"ui", {{"theme", "dark"}}}}, Bearer(user));
  ASSERT_EQ(s.status, 200) << s.body;
  s = Post(*h, "/api/v1/users/user/settings/update", {{"audio", {{"tts", 1}}}}, Bearer(user));
  EXPECT_EQ(s.Json()["ui"]["theme"], "dark");
  EXPECT_EQ(s.Json()["audio"]["tts"], 1);
  EXPECT_EQ(h->Get("/api/v1/users/user/settings", Bearer(user)).Json()["ui"]["theme"], "dark");
  // Direct tool servers need their permission (off by default) for non-admins.
  EXPECT_EQ(Post(*h, "/api/v1/users/user/settings/update",
                 {{"ui", {{"toolServers", json::array()}}}}, Bearer(user))
                .status,
            403);
  auto info = Post(*h, "/api/v1/users/user/info/update", {{"location", "Paris"}}, Bearer(user));
  EXPECT_EQ(info.Json()["location"], "Paris");
  EXPECT_EQ(h->Get("/api/v1/users/user/info", Bearer(user)).Json()["location"], "Paris");

  // A group (Open WebUI's table) grants more. It is written straight into the database, which no
  // instance announces: cached users see it at the next announced change (here the default
  // permissions below) or within WEBUI_AUTH_USER_CACHE_MAX_AGE.
  auto db = OpenDb(backend(), *h);
  const bool pg = db->dialect() == storage::Dialect::kPostgres;
  Exec(*db,
       std::string("INSERT INTO \"group\" (id, user_id, name, description, permissions, user_ids, "
                   "created_at, updated_at) VALUES ('g1', ?, 'Modelers', 'd', ") +
           (pg ? "CAST(? AS json), CAST(? AS json)" : "?, ?") + ", 1, 1)",
       {user_id, R"({"workspace":{"models":true}})", json::array({user_id}).dump()});

  // Default permissions: admin reads and changes them; users see the effect.
  auto perms = h->Get("/api/v1/users/default/permissions", Bearer(admin)).Json();
  EXPECT_EQ(perms["workspace"]["models"], false);
  perms["chat"]["delete"] = false;
  ASSERT_EQ(Post(*h, "/api/v1/users/default/permissions", perms, Bearer(admin)).status, 200);
  EXPECT_EQ(h->Get("/api/v1/auths/", Bearer(user)).Json()["permissions"]["chat"]["delete"], false);
  EXPECT_EQ(
      Post(*h, "/api/v1/users/default/permissions", {{"chat", {{"delete", "no"}}}}, Bearer(admin))
          .status,
      422);

  EXPECT_EQ(h->Get("/api/v1/users/permissions", Bearer(user)).Json()["workspace"]["models"], true);
  EXPECT_EQ(h->Get("/api/config", Bearer(user)).Json()["permissions"]["workspace"]["models"], true);
  auto groups = h->Get("/api/v1/users/groups", Bearer(user)).Json();
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0]["name"], "Modelers");
  EXPECT_EQ(h->Get("/api/v1/users/" + user_id + "/groups", Bearer(admin)).Json().size(), 1u);
  EXPECT_EQ(h->Get("/api/v1/users/groups", Bearer(admin)).Json().size(), 0u);
  EXPECT_EQ(h->Get("/api/v1/users/?query=sue", Bearer(admin)).Json()["users"][0]["group_ids"],
            json::array({"g1"}));
}

TEST_F(Auth, AdminConfigIsValidatedAndPersisted) {
  const std::string dir = testing::TempDir("auth-config");
  HostOptions o;
  o.data_dir = dir;
  std::string admin;
  {
    auto h = StartHost(backend(), o);
    ASSERT_TRUE(h);
    admin = MakeAdmin(*h);
    auto c = h->Get("/api/v1/auths/admin/config", Bearer(admin)).Json();
    for (const char* f :
         {"SHOW_ADMIN_DETAILS", "WEBUI_URL", "ENABLE_SIGNUP", "ENABLE_API_KEY",
          "ENABLE_API_KEY_ENDPOINT_RESTRICTIONS", "API_KEY_ALLOWED_ENDPOINTS", "DEFAULT_USER_ROLE",
          "JWT_EXPIRES_IN", "ENABLE_COMMUNITY_SHARING", "ENABLE_MESSAGE_RATING", "ENABLE_CHANNELS",
          "ENABLE_NOTES", "ENABLE_USER_WEBHOOKS", "PENDING_USER_OVERLAY_TITLE",
          "PENDING_USER_OVERLAY_CONTENT", "RESPONSE_WATERMARK"})
      EXPECT_TRUE(c.contains(f)) << f;
    EXPECT_EQ(c["ENABLE_SIGNUP"], false);
    c["ENABLE_SIGNUP"] = true;
    c["DEFAULT_USER_ROLE"] = "user";
    c["JWT_EXPIRES_IN"] = "2h";
    c["PENDING_USER_OVERLAY_TITLE"] = "Wait";
    c["ENABLE_MESSAGE_RATING"] = false;
    auto r = Post(*h, "/api/v1/auths/admin/config", c, Bearer(admin));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["JWT_EXPIRES_IN"], "2h");
    EXPECT_EQ(r.Json()["ENABLE_MESSAGE_RATING"], false);
    // Invalid values are ignored, like Open WebUI.
    r = Post(*h, "/api/v1/auths/admin/config",
             {{"JWT_EXPIRES_IN", "5y"}, {"DEFAULT_USER_ROLE", "root"}}, Bearer(admin));
    EXPECT_EQ(r.Json()["JWT_EXPIRES_IN"], "2h");
    EXPECT_EQ(r.Json()["DEFAULT_USER_ROLE"], "user");
    EXPECT_EQ(
        Post(*h, "/api/v1/auths/admin/config", {{"ENABLE_SIGNUP", "yes"}}, Bearer(admin)).status,
        422);
    auto u = SignUp(*h, "New", "new@example.com", "pw");
    ASSERT_EQ(u.status, 200);
    EXPECT_EQ(u.Json()["role"], "user");
    EXPECT_NEAR(u.Json()["expires_at"].get<double>(),
                static_cast<double>(std::time(nullptr) + 7200), 5);
    auto details = h->Get("/api/v1/auths/admin/details", Bearer(u.Json()["token"]));
    EXPECT_EQ(details.Json(), json({{"name", "Admin"}, {"email", "admin@example.com"}}));
    EXPECT_EQ(
        h->Get("/api/config", Bearer(u.Json()["token"])).Json()["ui"]["pending_user_overlay_title"],
        "Wait");
    EXPECT_EQ(h->Stop(), 0);
  }
  // Persisted across a restart (stored config wins over the environment).
  o.env["ENABLE_SIGNUP"] = "false";
  auto h = StartHost(backend(), o);
  ASSERT_TRUE(h);
  auto c = h->Get("/api/v1/auths/admin/config", Bearer(admin)).Json();
  EXPECT_EQ(c["ENABLE_SIGNUP"], true);
  EXPECT_EQ(c["JWT_EXPIRES_IN"], "2h");
  EXPECT_EQ(c["DEFAULT_USER_ROLE"], "user");
  ASSERT_EQ(
      Post(*h, "/api/v1/auths/admin/config", {{"SHOW_ADMIN_DETAILS", false}}, Bearer(admin)).status,
      200);
  EXPECT_EQ(h->Get("/api/v1/auths/admin/details", Bearer(admin)).status, 400);
}

// ---------------------------------------------------------------------------------------------
// Modes: WEBUI_AUTH=false, trusted header, login form off

TEST_F(Auth, NoAuthModeSignsInAsAdminAtLocalhost) {
  auto h = StartHost(backend(), WithEnv({{"WEBUI_AUTH", "False"}}));
  ASSERT_TRUE(h);
  auto cfg = h->Get("/api/config").Json();
  EXPECT_EQ(cfg["features"]["auth"], false);
  EXPECT_EQ(cfg["features"]["enable_signup"], false);
  auto r = Post(*h, "/api/v1/auths/signin", {{"email", ""}, {"password", ""}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["email"], "admin@localhost");
  EXPECT_EQ(r.Json()["role"], "admin");
  EXPECT_EQ(Post(*h, "/api/v1/auths/signin", json::object()).Json()["id"], r.Json()["id"]);
  EXPECT_EQ(SignUp(*h, "x", "x@y.z", "p").status, 403);
}

TEST_F(Auth, TrustedEmailHeader) {
  auto h = StartHost(backend(), WithEnv({{"WEBUI_AUTH_TRUSTED_EMAIL_HEADER", "X-User-Email"},
                                         {"WEBUI_AUTH_TRUSTED_NAME_HEADER", "X-User-Name"}}));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->Get("/api/config").Json()["features"]["auth_trusted_header"], true);
  auto missing = Post(*h, "/api/v1/auths/signin", json::object());
  EXPECT_EQ(missing.status, 400);
  auto r = Post(*h, "/api/v1/auths/signin", json::object(),
                {{"X-User-Email", "Boss@Example.com"}, {"X-User-Name", "The Boss"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["email"], "boss@example.com");
  EXPECT_EQ(r.Json()["name"], "The Boss");
  EXPECT_EQ(r.Json()["role"], "admin");
  const std::string token = r.Json()["token"];
  auto same = h->Get("/api/v1/auths/",
                     {{"Authorization", "Bearer " + token}, {"X-User-Email", "boss@example.com"}});
  EXPECT_EQ(same.status, 200);
  auto other = h->Get("/api/v1/auths/", {{"Authorization", "Bearer " + token},
                                         {"X-User-Email", "intruder@example.com"}});
  EXPECT_EQ(other.status, 401);
  EXPECT_EQ(other.Json()["detail"], "User mismatch. Please sign in again.");
  EXPECT_EQ(Post(*h, "/api/v1/auths/update/password", {{"password", "a"}, {"new_password", "b"}},
                 Bearer(token))
                .status,
            400);
}

TEST_F(Auth, LoginFormOffClosesSignup) {
  auto h = StartHost(backend(), WithEnv({{"ENABLE_LOGIN_FORM", "false"}}));
  ASSERT_TRUE(h);
  EXPECT_EQ(h->Get("/api/config").Json()["features"]["enable_login_form"], false);
  EXPECT_EQ(SignUp(*h, "a", "a@b.c", "p").status, 403);
}

// ---------------------------------------------------------------------------------------------
// A database outage (docs/security.md: a dependency outage is an honest 5xx, never 401)

// A PostgreSQL server of this test's own, so it can be stopped and started again. As root the
// server runs as the `postgres` account (initdb and postgres refuse root).
class PrivatePostgres {
 public:
  PrivatePostgres() {
    const char* bin = std::getenv("WEBUI_TEST_PG_BIN");
    bin_ = bin != nullptr ? bin : "/usr/lib/postgresql/15/bin";
    std::string pattern = (std::filesystem::temp_directory_path() / "wh-pg-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) return;
    dir_ = pattern;
    port_ = FreePort();
  }
  ~PrivatePostgres() {
    if (started_) Run("pg_ctl -D " + dir_ + "/data -m immediate -w stop");
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }
  bool Available() const { return std::filesystem::exists(bin_ + "/initdb") && port_ > 0; }
  // The server's files go to data/ (owned by the server's account), the tools' output beside.
  bool Init() {
    const std::string data = dir_ + "/data";
    if (::mkdir(data.c_str(), 0700) != 0) return false;
    if (::geteuid() == 0) {
      ::chmod(dir_.c_str(), 0711);
      if (std::system(("chown postgres:postgres " + data).c_str()) != 0) return false;
    }
    return Run("initdb -D " + data + " -U postgres -A trust -E UTF8 --no-sync");
  }
  bool Start() {
    const std::string data = dir_ + "/data";
    started_ = Run("pg_ctl -D " + data + " -l " + data + "/server.log -w -t 60 -o \"-p " +
                   std::to_string(port_) + " -k " + data +
                   " -c listen_addresses=127.0.0.1 -c fsync=off\" start");
    return started_;
  }
  // A fast shutdown: the server closes every client connection, as in a real restart.
  bool Stop() {
    started_ = !Run("pg_ctl -D " + dir_ + "/data -m fast -w -t 60 stop");
    return !started_;
  }
  std::string Url() const {
    return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/postgres";
  }

 private:
  bool Run(const std::string& command) const {
    const std::string line = (::geteuid() == 0 ? "runuser -u postgres -- " : "") + bin_ + "/" +
                             command + " >>" + dir_ + "/ctl.log 2>&1";
    return std::system(line.c_str()) == 0;
  }
  static int FreePort() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    int port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
      port = ntohs(addr.sin_port);
    ::close(fd);
    return port;
  }
  std::string bin_, dir_;
  int port_ = 0;
  bool started_ = false;
};

size_t CountLines(const std::string& log, const std::string& needle) {
  size_t n = 0;
  for (size_t at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) ++n;
  return n;
}

// The pg backend only (the server is private, so one run is enough): sign in, stop PostgreSQL,
// and every request that needs the database is 503 {"detail"} — not 401, so the web UI keeps
// its token — logged once; after the restart the same token works. A caller the authenticator
// has already resolved is answered from its cache meanwhile (nothing can change that user while
// the database is down; the cache's max age still applies).
TEST_F(Auth, PostgresOutageIs503LoggedOnceAndTheSessionSurvives) {
  if (!backend().postgres()) GTEST_SKIP() << "runs in the pg variant";
  PrivatePostgres pg;
  if (!pg.Available()) {
    if (std::getenv("WEBUI_TEST_REQUIRE_SERVICES")) FAIL() << "no PostgreSQL binaries";
    GTEST_SKIP() << "no PostgreSQL binaries (WEBUI_TEST_PG_BIN)";
  }
  ASSERT_TRUE(pg.Init());
  ASSERT_TRUE(pg.Start());
  auto h = StartHost(backend(), WithEnv({{"DATABASE_URL", pg.Url()}}));
  ASSERT_TRUE(h);
  const std::string token = MakeAdmin(*h);
  // Never used before the outage: the authenticator has to read its row.
  const std::string uncached = MakeUser(*h, token, "other@example.com").first;
  ASSERT_EQ(h->Get("/api/v1/auths/", Bearer(token)).status, 200);

  ASSERT_TRUE(pg.Stop());
  EXPECT_EQ(h->Get("/api/v1/auths/", Bearer(token)).status, 200);  // resolved before: cached
  for (int i = 0; i < 5; ++i) {
    for (const auto& r : {h->Get("/api/v1/auths/", Bearer(uncached)),  // the authenticator
                          h->Get("/api/v1/test/notes"),                // a plugin's query
                          SignIn(*h, "admin@example.com", "admin-password")}) {  // a route
      EXPECT_EQ(r.status, 503) << i << " " << r.body;
      EXPECT_TRUE(r.Json()["detail"].is_string()) << r.body;
    }
  }
  EXPECT_EQ(h->Get("/health").status, 200);  // the process is fine
  const std::string during = h->Log();
  EXPECT_EQ(CountLines(during, "unavailable: "), 1u) << during;
  EXPECT_EQ(CountLines(during, "handler failed"), 0u) << during;
  EXPECT_EQ(CountLines(during, "authenticator failed"), 0u) << during;

  ASSERT_TRUE(pg.Start());
  auto again = h->Get("/api/v1/auths/", Bearer(token));
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.Json()["email"], "admin@example.com");
  EXPECT_EQ(h->Get("/api/v1/test/notes").status, 200);
  EXPECT_EQ(CountLines(h->Log(), "available again"), 1u);
}

// ---------------------------------------------------------------------------------------------
// Several instances on one PostgreSQL + Redis

class AuthShared : public Auth {
 protected:
  void SetUp() override {
    Auth::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (!backend().postgres()) GTEST_SKIP() << "needs the pg backend (shared Redis)";
  }
};

TEST_F(AuthShared, RevocationIsSeenByASecondInstance) {
  auto a = StartHost(backend());
  ASSERT_TRUE(a);
  auto b = StartHost(backend());
  ASSERT_TRUE(b);
  MakeAdmin(*a);
  const std::string token = SignIn(*b, "admin@example.com", "admin-password").Json()["token"];
  EXPECT_EQ(a->Get("/api/v1/auths/", Bearer(token)).status, 200);
  EXPECT_EQ(b->Get("/api/v1/auths/", Bearer(token)).status, 200);
  EXPECT_EQ(a->Get("/api/v1/auths/signout", Bearer(token)).status, 200);
  EXPECT_EQ(b->Get("/api/v1/auths/", Bearer(token)).status, 401);
  EXPECT_EQ(a->Get("/api/v1/auths/", Bearer(token)).status, 401);
}

// An admin route refuses a signed-in non-admin with 401, like Open WebUI's get_admin_user.
constexpr int kAdminRefused = 401;

HttpResult UpdateUser(const HostProcess& h, const std::string& admin_token, const std::string& id,
                      const std::string& email, const std::string& role) {
  return Post(h, "/api/v1/users/" + id + "/update",
              {{"role", role}, {"name", "Second"}, {"email", email}, {"profile_image_url", "/u"}},
              Bearer(admin_token));
}

// docs/security.md T05 with the per-instance user cache: the user is cached on both instances
// (a request on each) before every change made through A, and the very next request on B sees
// the change.
TEST_F(AuthShared, ChangesMadeOnOneInstanceApplyToTheNextRequestOnTheOther) {
  auto a = StartHost(backend());
  ASSERT_TRUE(a);
  auto b = StartHost(backend());
  ASSERT_TRUE(b);
  const std::string primary = MakeAdmin(*a);
  auto [second, second_id] = MakeUser(*a, primary, "second@example.com", "admin");
  for (HostProcess* h : {a.get(), b.get()}) {
    ASSERT_EQ(h->Get("/api/v1/auths/admin/config", Bearer(second)).status, 200);
    ASSERT_EQ(h->Get("/api/v1/auths/", Bearer(second)).Json()["role"], "admin");
  }

  // Demoted through A.
  ASSERT_EQ(UpdateUser(*a, primary, second_id, "second@example.com", "user").status, 200);
  EXPECT_EQ(b->Get("/api/v1/auths/admin/config", Bearer(second)).status, kAdminRefused);
  EXPECT_EQ(b->Get("/api/v1/auths/", Bearer(second)).Json()["role"], "user");
  EXPECT_EQ(a->Get("/api/v1/auths/admin/config", Bearer(second)).status, kAdminRefused);
  // Promoted again: the cache does not keep the refusal either.
  ASSERT_EQ(UpdateUser(*a, primary, second_id, "second@example.com", "admin").status, 200);
  EXPECT_EQ(b->Get("/api/v1/auths/admin/config", Bearer(second)).status, 200);

  // The user's own profile change through A.
  ASSERT_EQ(Post(*a, "/api/v1/auths/update/profile",
                 {{"name", "Renamed"}, {"profile_image_url", "/renamed.png"}}, Bearer(second))
                .status,
            200);
  auto session = b->Get("/api/v1/auths/", Bearer(second)).Json();
  EXPECT_EQ(session["name"], "Renamed");
  EXPECT_EQ(session["profile_image_url"], "/renamed.png");

  // Default permissions changed through A (cached with the user on B just above).
  auto perms = a->Get("/api/v1/users/default/permissions", Bearer(primary)).Json();
  ASSERT_EQ(perms["chat"]["delete"], true);
  perms["chat"]["delete"] = false;
  ASSERT_EQ(Post(*a, "/api/v1/users/default/permissions", perms, Bearer(primary)).status, 200);
  // B re-reads a setting when its announcement arrives (the host's config-changed), so this one
  // is awaited (bounded) rather than expected on the very next request.
  bool applied = false;
  for (int i = 0; i < 100 && !applied; ++i) {
    applied = b->Get("/api/v1/users/permissions", Bearer(second)).Json()["chat"]["delete"] == false;
    if (!applied) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(applied) << "B kept the old default permissions";
  EXPECT_EQ(b->Get("/api/v1/auths/", Bearer(second)).Json()["permissions"]["chat"]["delete"],
            false);

  // Deleted through A.
  ASSERT_EQ(
      testing::Http(a->port(), "DELETE", "/api/v1/users/" + second_id, "", Bearer(primary)).status,
      200);
  EXPECT_EQ(b->Get("/api/v1/auths/", Bearer(second)).status, 401);
  EXPECT_EQ(b->Get("/api/v1/auths/admin/config", Bearer(second)).status, 401);
  EXPECT_EQ(a->Get("/api/v1/auths/", Bearer(second)).status, 401);
}

// While Redis is down B cannot hear A's announcements: it must not answer from its cache, but
// read the database on every request (exact), and use the cache again once Redis is back.
TEST_F(AuthShared, TheUserCacheIsBypassedWhileRedisIsDown) {
  if (!kv::testing::ProgramOnPath("redis-server")) {
    if (std::getenv("WEBUI_TEST_REQUIRE_SERVICES")) FAIL() << "redis-server is not installed";
    GTEST_SKIP() << "redis-server is not installed";
  }
  kv::testing::TestRedisServer redis(kv::testing::FreeTcpPort());
  ASSERT_TRUE(redis.Start());
  // A max age far beyond the test: only the bypass, announcements and resyncs can be at work.
  const auto options = WithEnv({{"REDIS_URL", redis.Url()},
                                {"REDIS_TIMEOUT_MS", "1000"},
                                {"WEBUI_AUTH_USER_CACHE_MAX_AGE", "3600"}});
  auto a = StartHost(backend(), options);
  ASSERT_TRUE(a);
  auto b = StartHost(backend(), options);
  ASSERT_TRUE(b);
  const std::string primary = MakeAdmin(*a);
  auto [second, second_id] = MakeUser(*a, primary, "second@example.com", "admin");
  ASSERT_EQ(b->Get("/api/v1/auths/admin/config", Bearer(second)).status, 200);  // cached on B

  redis.Stop();
  ASSERT_EQ(UpdateUser(*a, primary, second_id, "second@example.com", "user").status, 200);
  EXPECT_EQ(b->Get("/api/v1/auths/admin/config", Bearer(second)).status, kAdminRefused);
  EXPECT_EQ(b->Get("/api/v1/auths/", Bearer(second)).Json()["role"], "user");
  ASSERT_EQ(UpdateUser(*a, primary, second_id, "second@example.com", "admin").status, 200);
  EXPECT_EQ(b->Get("/api/v1/auths/admin/config", Bearer(second)).status, 200);

  ASSERT_TRUE(redis.Start());
  const auto back = [](const HostProcess& h) {
    return h.Log().find("reachable again") != std::string::npos;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!(back(*a) && back(*b)) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_TRUE(back(*a) && back(*b)) << a->Log() << b->Log();
  // Cached again on B, then demoted through A: B learns it through Redis again, at once.
  ASSERT_EQ(b->Get("/api/v1/auths/admin/config", Bearer(second)).status, 200);
  ASSERT_EQ(b->Get("/api/v1/auths/admin/config", Bearer(second)).status, 200);
  ASSERT_EQ(UpdateUser(*a, primary, second_id, "second@example.com", "user").status, 200);
  EXPECT_EQ(b->Get("/api/v1/auths/admin/config", Bearer(second)).status, kAdminRefused);
}

TEST_F(AuthShared, RateLimitIsSharedByTwoInstances) {
  auto a = StartHost(backend());
  ASSERT_TRUE(a);
  auto b = StartHost(backend());
  ASSERT_TRUE(b);
  MakeAdmin(*a, "shared@example.com");
  for (int i = 0; i < 15; ++i)
    EXPECT_EQ(SignIn(i % 2 ? *a : *b, "shared@example.com", "nope").status, 400) << i;
  for (HostProcess* h : {a.get(), b.get()}) {
    auto r = SignIn(*h, "shared@example.com", "admin-password");
    EXPECT_EQ(r.status, 429);
    EXPECT_FALSE(r.Header("Retry-After").empty());
  }
}

TEST_F(AuthShared, AddressLimitIsSharedByTwoInstances) {
  const std::map<std::string, std::string> env = {{"WEBUI_AUTH_SIGNIN_IP_RATE_LIMIT", "6"}};
  auto a = StartHost(backend(), WithEnv(env));
  ASSERT_TRUE(a);
  auto b = StartHost(backend(), WithEnv(env));
  ASSERT_TRUE(b);
  MakeAdmin(*a, "shared@example.com");
  const HeaderList client = {{"X-Forwarded-For", "203.0.113.50"}};
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(Post(i % 2 ? *a : *b, "/api/v1/auths/signin",
                   {{"email", "n" + std::to_string(i) + "@example.com"}, {"password", "x"}}, client)
                  .status,
              400)
        << i;
  }
  for (HostProcess* h : {a.get(), b.get()}) {
    auto r = Post(*h, "/api/v1/auths/signin",
                  {{"email", "shared@example.com"}, {"password", "admin-password"}}, client);
    EXPECT_EQ(r.status, 429);
    EXPECT_FALSE(r.Header("Retry-After").empty());
  }
}

// ---------------------------------------------------------------------------------------------
// users.v1 / groups.v1 through the "directory_probe" test plugin (tests/plugins)

HostOptions WithDirectoryProbe() {
  return WithEnv({{"WEBUI_PLUGINS", "auth,basic,directory_probe"},
                  {"WEBUI_PLUGIN_PATH", std::string(WEBUI_PLUGIN_BUILD_DIR) + ":" +
                                            testing::PluginDir("good") + ":" +
                                            testing::PluginDir("directory")}});
}
constexpr const char* kProbe = "/api/v1/directory_probe";

TEST_F(Auth, ConcurrentServiceCreatesOnAnEmptyDbMakeExactlyOneAdmin) {
  auto h = StartHost(backend(), WithDirectoryProbe());
  ASSERT_TRUE(h);
  std::vector<HttpResult> results(12);
  std::vector<std::thread> threads;
  std::atomic<bool> go{false};
  for (int i = 0; i < 12; ++i)
    threads.emplace_back([&, i] {
      while (!go) std::this_thread::yield();
      results[i] =
          Post(*h, std::string(kProbe) + "/users",
               {{"name", "S" + std::to_string(i)}, {"email", "svc" + std::to_string(i) + "@x.io"}});
    });
  go = true;
  for (auto& t : threads) t.join();
  int admins = 0;
  for (const auto& r : results) {
    ASSERT_EQ(r.status, 200) << r.body;
    admins += r.Json()["role"] == "admin";
    EXPECT_FALSE(r.Json().contains("password"));
  }
  EXPECT_EQ(admins, 1);
  // An e-mail already taken is a conflict, not a second account.
  EXPECT_NE(
      Post(*h, std::string(kProbe) + "/users", {{"name", "Dup"}, {"email", "svc0@x.io"}}).status,
      200);
}

TEST_F(Auth, ServiceTokenRoleChangeAndGroupsTakeEffectOnTheNextRequest) {
  auto h = StartHost(backend(), WithDirectoryProbe());
  ASSERT_TRUE(h);
  const std::string admin = MakeAdmin(*h);
  const std::string base(kProbe);
  auto made = Post(*h, base + "/users",
                   {{"name", "Lee"}, {"email", "Lee@Dir.io"}, {"role", "user"}}, Bearer(admin));
  ASSERT_EQ(made.status, 200) << made.body;
  const std::string id = made.Json()["id"];
  EXPECT_EQ(made.Json()["role"], "user");
  EXPECT_EQ(h->Get(base + "/users/by_email?email=lee@dir.io", Bearer(admin)).Json()["id"], id);

  // issue_token answers like sign-in, and the token works on /api/v1/auths/.
  auto tok = Post(*h, base + "/users/" + id + "/token", json::object(), Bearer(admin));
  ASSERT_EQ(tok.status, 200) << tok.body;
  EXPECT_EQ(tok.Json()["token_type"], "Bearer");
  EXPECT_TRUE(tok.Json()["expires_at"].is_null());
  const std::string token = tok.Json()["token"];
  // With sign-in's permissions and cookie, so a plugin signing users in answers like sign-in.
  EXPECT_TRUE(tok.Json()["permissions"].is_object()) << tok.body;
  EXPECT_TRUE(tok.Json()["permissions"].contains("chat")) << tok.body;
  EXPECT_EQ(tok.Json().value("cookie", "").rfind("token=" + token + "; HttpOnly; Path=/", 0), 0u)
      << tok.body;
  auto me = h->Get("/api/v1/auths/", Bearer(token));
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.Json()["id"], id);
  EXPECT_EQ(me.Json()["role"], "user");

  // Groups: membership seen by groups_of at once, in both directions.
  auto g =
      Post(*h, base + "/groups", {{"name", "ops"}, {"user_ids", {id, "nobody"}}}, Bearer(admin));
  ASSERT_EQ(g.status, 200) << g.body;
  const std::string gid = g.Json()["id"];
  EXPECT_EQ(g.Json()["user_ids"], json::array({id}));  // unknown ids are ignored
  EXPECT_EQ(h->Get(base + "/groups_of/" + id, Bearer(admin)).Json(), json::array({gid}));
  ASSERT_EQ(Post(*h, base + "/groups/" + gid + "/remove", json::array({id}), Bearer(admin)).status,
            200);
  EXPECT_EQ(h->Get(base + "/groups_of/" + id, Bearer(admin)).Json(), json::array());
  ASSERT_EQ(Post(*h, base + "/groups/" + gid + "/add", json::array({id}), Bearer(admin)).status,
            200);
  EXPECT_EQ(h->Get(base + "/groups_of/" + id, Bearer(admin)).Json(), json::array({gid}));

  // T05 through the service: demoted to pending, the very next request is refused.
  ASSERT_EQ(h->Get("/api/v1/users/user/settings", Bearer(token)).status, 200);
  auto upd = Post(*h, base + "/users/" + id + "/update", {{"role", "pending"}}, Bearer(admin));
  ASSERT_EQ(upd.status, 200) << upd.body;
  EXPECT_EQ(upd.Json()["role"], "pending");
  EXPECT_EQ(h->Get("/api/v1/users/user/settings", Bearer(token)).status, 401);
}

}  // namespace
}  // namespace webui::auth_it
