// The ldap plugin through HTTP on the real binary, with the real auth plugin behind users.v1 and
// groups.v1, against the slapd of scripts/slapd.sh (ldap://, StartTLS and ldaps:// with a test
// CA). Entries a test changes are its own (unique names), so the SQLite and PostgreSQL runs may
// share one slapd at the same time.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "it_support.hpp"

namespace webui::testing {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr const char* kSecret = "it-secret-for-the-ldap-plugin-tests";
constexpr const char* kBase = "dc=example,dc=org";
constexpr const char* kFailed = R"({"detail":"LDAP authentication failed."})";

std::string EnvOr(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}
// "ldap://127.0.0.1:3389" -> "3389".
std::string PortOf(const std::string& url) { return url.substr(url.rfind(':') + 1); }

bool LdapMissing(std::string* why) {
  for (const char* name : {"WEBUI_TEST_LDAP_URL", "WEBUI_TEST_LDAPS_URL", "WEBUI_TEST_LDAP_CA",
                           "WEBUI_TEST_LDAP_BAD_CA"})
    if (EnvOr(name).empty()) {
      *why = std::string(name) + " is not set: start a directory with `eval \"$(scripts/slapd.sh " +
             "start /tmp/slapd)\"` (scripts/test.sh does)";
      return true;
    }
  return false;
}

#define WH_REQUIRE_LDAP()                                             \
  do {                                                                \
    std::string why_;                                                 \
    if (LdapMissing(&why_)) {                                         \
      if (std::getenv("WEBUI_TEST_REQUIRE_SERVICES")) FAIL() << why_; \
      GTEST_SKIP() << why_;                                           \
    }                                                                 \
  } while (0)

std::string Unique(const std::string& tag) {
  static std::atomic<int> n{0};
  return tag + std::to_string(::getpid()) + "x" + std::to_string(++n);
}

// Runs ldapadd / ldapmodify as the directory's admin with `ldif` on stdin.
bool Ldif(const char* tool, const std::string& ldif) {
  const std::string cmd = std::string(tool) + " -x -H " + EnvOr("WEBUI_TEST_LDAP_URL") +
                          " -D cn=admin," + kBase + " -w adminpw >/dev/null";
  FILE* p = ::popen(cmd.c_str(), "w");
  if (p == nullptr) return false;
  std::fputs(ldif.c_str(), p);
  return ::pclose(p) == 0;
}

// A person of the test's own, with mail <uid>@example.org unless `mail` says otherwise.
void AddPerson(const std::string& uid, const std::string& password, const std::string& mail = "*") {
  std::string ldif = "dn: uid=" + uid + ",ou=people," + kBase +
                     "\nobjectClass: inetOrgPerson\nuid: " + uid + "\ncn: Person " + uid +
                     "\nsn: " + uid + "\nuserPassword: " + password + "\n";
  if (mail == "*") ldif += "mail: " + uid + "@example.org\n";
  ASSERT_TRUE(Ldif("ldapadd", ldif)) << ldif;
}
void AddGroup(const std::string& cn, const std::string& member_uid) {
  ASSERT_TRUE(Ldif("ldapadd", "dn: cn=" + cn + ",ou=groups," + kBase +
                                  "\nobjectClass: groupOfNames\ncn: " + cn +
                                  "\nmember: uid=" + member_uid + ",ou=people," + kBase + "\n"));
}
void SetMembers(const std::string& cn, const std::string& member_dn) {
  ASSERT_TRUE(Ldif("ldapmodify", "dn: cn=" + cn + ",ou=groups," + kBase +
                                     "\nchangetype: modify\nreplace: member\nmember: " + member_dn +
                                     "\n"));
}

HeaderList Bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

void Configure(HostProcess::Options& o) {
  o.env["WEBUI_PLUGIN_PATH"] = WEBUI_PLUGIN_BUILD_DIR;
  o.env["WEBUI_PLUGINS"] = "auth,ldap,ui_defaults";
  o.env["WEBUI_PLUGINS_STRICT"] = "true";
  o.env["WEBUI_AUTH_BCRYPT_ROUNDS"] = "4";
  o.env["WEBUI_SECRET_KEY"] = kSecret;
  o.env["ENABLE_LDAP"] = "true";
  o.env["LDAP_SERVER_HOST"] = "127.0.0.1";
  o.env["LDAP_SERVER_PORT"] = PortOf(EnvOr("WEBUI_TEST_LDAP_URL"));
  o.env["LDAP_USE_TLS"] = "false";
  o.env["LDAP_APP_DN"] = std::string("cn=svc-webui,") + kBase;
  o.env["LDAP_APP_PASSWORD"] = "svcpw";
  o.env["LDAP_SEARCH_BASE"] = std::string("ou=people,") + kBase;
  // The older spelling, which Open WebUI still reads.
  o.env["LDAP_SEARCH_FILTERS"] = "(objectClass=inetOrgPerson)";
  o.env["ENABLE_LDAP_GROUP_MANAGEMENT"] = "true";
  o.env["ENABLE_LDAP_GROUP_CREATION"] = "true";
  o.env["WEBUI_LDAP_TIMEOUT"] = "2";
}

template <typename Suite>
class LdapSuite : public SharedHostSuite<Suite> {
 public:
  static void Configure(HostProcess::Options& o) { testing::Configure(o); }

 protected:
  using Base = SharedHostSuite<Suite>;
  void SetUp() override {
    Base::SetUp();
    if (::testing::Test::HasFatalFailure() || ::testing::Test::IsSkipped()) return;
    WH_REQUIRE_LDAP();
  }
  static HttpResult Login(const std::string& user, const std::string& password) {
    return Base::host().Post("/api/v1/auths/ldap",
                             json{{"user", user}, {"password", password}}.dump());
  }
  static const std::string& AdminToken() {
    static const std::string token = [] {
      auto r = Base::host().Post(
          "/api/v1/auths/signup",
          json{{"name", "Root"}, {"email", "root@example.com"}, {"password", "admin-password"}}
              .dump());
      EXPECT_EQ(r.status, 200) << r.body;
      return r.Json().value("token", "");
    }();
    return token;
  }
  // Saves the server form, starting from what GET answers (as the admin panel does).
  static void SetServer(const json& changes) {
    auto current = Base::host().Get("/api/v1/auths/admin/config/ldap/server", Bearer(AdminToken()));
    ASSERT_EQ(current.status, 200) << current.body;
    json form = current.Json();
    form.update(changes);
    auto saved = Base::host().Post("/api/v1/auths/admin/config/ldap/server", form.dump(),
                                   Bearer(AdminToken()));
    ASSERT_EQ(saved.status, 200) << saved.body;
  }
  static std::vector<std::string> GroupNamesOf(const std::string& user_id) {
    auto r = Base::host().Get("/api/v1/users/" + user_id + "/groups", Bearer(AdminToken()));
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> names;
    for (const auto& g : r.Json()) names.push_back(g.value("name", ""));
    std::sort(names.begin(), names.end());
    return names;
  }
};

// ---------------------------------------------------------------------------------------------
class LdapLogin : public LdapSuite<LdapLogin> {};

TEST_F(LdapLogin, SignsInLikeSigninAndSetsTheCookie) {
  AdminToken();
  auto r = Login("alice", "alicepw");
  ASSERT_EQ(r.status, 200) << r.body;
  const json u = r.Json();
  EXPECT_EQ(u["email"], "alice@example.org");
  EXPECT_EQ(u["name"], "Alice Liddell");
  EXPECT_EQ(u["token_type"], "Bearer");
  EXPECT_EQ(u["role"], "pending");  // DEFAULT_USER_ROLE: the admin exists already
  EXPECT_TRUE(u["permissions"].is_object());
  // The keys of POST /signin's answer, no more and no fewer.
  auto signin =
      host().Post("/api/v1/auths/signin",
                  json{{"email", "root@example.com"}, {"password", "admin-password"}}.dump());
  ASSERT_EQ(signin.status, 200) << signin.body;
  std::vector<std::string> ours, theirs;
  for (auto& [k, v] : u.items()) ours.push_back(k);
  const json signed_in = signin.Json();
  for (auto& [k, v] : signed_in.items()) theirs.push_back(k);
  EXPECT_EQ(ours, theirs);
  const std::string token = u["token"];
  EXPECT_EQ(r.Header("Set-Cookie").rfind("token=" + token + "; HttpOnly; Path=/", 0), 0u)
      << r.Header("Set-Cookie");
  auto me = host().Get("/api/v1/auths/", Bearer(token));
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.Json()["id"], u["id"]);
  // Names compare without regard to case; the same account comes back.
  auto again = Login("ALICE", "alicepw");
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.Json()["id"], u["id"]);
}

TEST_F(LdapLogin, WrongPasswordUnknownUserAndNoMailLookTheSame) {
  for (const auto& [user, password] : std::vector<std::pair<std::string, std::string>>{
           {"alice", "wrong"}, {"nobody", "alicepw"}, {"bob", "bobpw"}, {"bob", "wrong"}}) {
    auto r = Login(user, password);
    EXPECT_EQ(r.status, 400) << user;
    EXPECT_EQ(r.body, kFailed) << user;
    EXPECT_TRUE(r.Header("Set-Cookie").empty()) << user;
  }
}

// docs/security.md T07: an empty simple bind is "unauthenticated" and some directories accept it.
TEST_F(LdapLogin, EmptyAndBlankPasswordsAreRefused) {
  for (const std::string password : {"", " ", "   ", "\t\n"}) {
    auto r = Login("alice", password);
    EXPECT_EQ(r.status, 400) << "'" << password << "'";
    EXPECT_EQ(r.body, kFailed);
  }
  auto missing = host().Post("/api/v1/auths/ldap", R"({"user":"alice"})");
  EXPECT_EQ(missing.status, 422) << missing.body;
}

// docs/security.md T08: the name is one escaped value; nothing matches more or other entries.
TEST_F(LdapLogin, InjectionStringsAreJustWrongNames) {
  for (const std::string& user : std::vector<std::string>{
           "*", "*)(uid=*))(|(uid=*", "admin)(|(password=*)", "al*", "alice)(uid=*", "alice\\",
           std::string("alice\0", 6), "*)(objectClass=*"}) {
    auto r = Login(user, "alicepw");
    EXPECT_EQ(r.status, 400) << json(user).dump();
    EXPECT_EQ(r.body, kFailed) << json(user).dump();
  }
}

TEST_F(LdapLogin, SpecialCharactersInTheName) {
  auto r = Login("o'brien+x", "obrienpw");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["email"], "obrien@example.org");
  EXPECT_EQ(r.Json()["name"], "Pat O'Brien");
}

TEST_F(LdapLogin, GroupsFollowTheDirectoryIncludingTheLastOne) {
  AdminToken();
  // alice's memberOf: ai-users and "R&D, Europe" (an escaped comma a naive split would cut).
  auto alice = Login("alice", "alicepw");
  ASSERT_EQ(alice.status, 200) << alice.body;
  EXPECT_EQ(GroupNamesOf(alice.Json()["id"]),
            (std::vector<std::string>{"R&D, Europe", "ai-users"}));

  const std::string uid = Unique("carol");
  const std::string g1 = Unique("team-a"), g2 = Unique("team-b");
  AddPerson(uid, "carolpw");
  AddGroup(g1, uid);
  AddGroup(g2, uid);
  auto first = Login(uid, "carolpw");
  ASSERT_EQ(first.status, 200) << first.body;
  const std::string id = first.Json()["id"];
  EXPECT_EQ(GroupNamesOf(id), (std::vector<std::string>{g1, g2}));

  // Revoked from one group, then from the last: each sign-in follows.
  SetMembers(g1, std::string("cn=admin,") + kBase);
  ASSERT_EQ(Login(uid, "carolpw").status, 200);
  EXPECT_EQ(GroupNamesOf(id), (std::vector<std::string>{g2}));
  SetMembers(g2, std::string("cn=admin,") + kBase);
  ASSERT_EQ(Login(uid, "carolpw").status, 200);
  EXPECT_TRUE(GroupNamesOf(id).empty());
}

TEST_F(LdapLogin, ALocalAccountWithTheSameEmailIsNotTakenOver) {
  const std::string uid = Unique("dave");
  auto local = host().Post("/api/v1/auths/add",
                           json{{"name", "Local Dave"},
                                {"email", uid + "@example.org"},
                                {"password", "local-password"},
                                {"role", "user"}}
                               .dump(),
                           Bearer(AdminToken()));
  ASSERT_EQ(local.status, 200) << local.body;
  AddPerson(uid, "davepw");
  auto r = Login(uid, "davepw");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.Json().value("detail", "").find("not linked to the directory"), std::string::npos)
      << r.body;
  // The wrong password still gets the generic answer: the refusal comes only after the bind.
  EXPECT_EQ(Login(uid, "wrong").body, kFailed);
}

TEST_F(LdapLogin, AdminSettingsRoundTrip) {
  auto cfg = host().Get("/api/v1/auths/admin/config/ldap", Bearer(AdminToken()));
  ASSERT_EQ(cfg.status, 200) << cfg.body;
  EXPECT_EQ(cfg.Json(), json({{"ENABLE_LDAP", true}}));
  auto server = host().Get("/api/v1/auths/admin/config/ldap/server", Bearer(AdminToken()));
  ASSERT_EQ(server.status, 200) << server.body;
  const json s = server.Json();
  for (const char* key : {"label", "host", "port", "attribute_for_mail", "attribute_for_username",
                          "app_dn", "app_dn_password", "search_base", "search_filters", "use_tls",
                          "certificate_path", "validate_cert", "ciphers"})
    EXPECT_TRUE(s.contains(key)) << key;
  EXPECT_EQ(s["search_base"], std::string("ou=people,") + kBase);
  EXPECT_EQ(s["search_filters"], "(objectClass=inetOrgPerson)");  // from LDAP_SEARCH_FILTERS
  EXPECT_EQ(s["port"], std::stoi(PortOf(EnvOr("WEBUI_TEST_LDAP_URL"))));

  json bad = s;
  bad["host"] = "";
  auto refused =
      host().Post("/api/v1/auths/admin/config/ldap/server", bad.dump(), Bearer(AdminToken()));
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(refused.body, R"({"detail":"Required field host is empty"})");
  bad = s;
  bad["port"] = "not a port";
  EXPECT_EQ(host()
                .Post("/api/v1/auths/admin/config/ldap/server", bad.dump(), Bearer(AdminToken()))
                .status,
            422);

  // Not for anyone else.
  auto user = Login("alice", "alicepw");
  ASSERT_EQ(user.status, 200);
  EXPECT_EQ(host().Get("/api/v1/auths/admin/config/ldap/server").status, 403);
  EXPECT_GE(
      host().Get("/api/v1/auths/admin/config/ldap/server", Bearer(user.Json()["token"])).status,
      401);

  // Switched off: the login page hides it and the route says so, as Open WebUI.
  auto off = host().Post("/api/v1/auths/admin/config/ldap", R"({"enable_ldap":false})",
                         Bearer(AdminToken()));
  ASSERT_EQ(off.status, 200) << off.body;
  EXPECT_EQ(off.Json(), json({{"ENABLE_LDAP", false}}));
  EXPECT_EQ(host().Get("/api/config").Json()["features"]["enable_ldap"], false);
  auto r = Login("alice", "alicepw");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"({"detail":"LDAP authentication is not enabled"})");
  ASSERT_EQ(
      host()
          .Post("/api/v1/auths/admin/config/ldap", R"({"enable_ldap":true})", Bearer(AdminToken()))
          .status,
      200);
  EXPECT_EQ(host().Get("/api/config").Json()["features"]["enable_ldap"], true);
  EXPECT_EQ(Login("alice", "alicepw").status, 200);
}

// ---------------------------------------------------------------------------------------------
// ldaps:// and StartTLS with the test CA, and the same with a CA that did not sign the server.
class LdapTls : public LdapSuite<LdapTls> {};

TEST_F(LdapTls, LdapsAndStartTlsVerifyTheServer) {
  const int ldap_port = std::stoi(PortOf(EnvOr("WEBUI_TEST_LDAP_URL")));
  const int ldaps_port = std::stoi(PortOf(EnvOr("WEBUI_TEST_LDAPS_URL")));
  const std::string ca = EnvOr("WEBUI_TEST_LDAP_CA"), bad_ca = EnvOr("WEBUI_TEST_LDAP_BAD_CA");

  SetServer({{"use_tls", true}, {"port", ldaps_port}, {"certificate_path", ca}});
  EXPECT_EQ(Login("alice", "alicepw").status, 200);
  EXPECT_EQ(Login("alice", "wrong").body, kFailed);

  // A certificate the CA does not vouch for: the generic failure, not an outage.
  SetServer({{"certificate_path", bad_ca}});
  auto r = Login("alice", "alicepw");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, kFailed);
  // ... unless the admin turned verification off.
  SetServer({{"validate_cert", false}});
  EXPECT_EQ(Login("alice", "alicepw").status, 200);
  SetServer({{"validate_cert", true}});

  SetServer(
      {{"use_tls", false}, {"use_starttls", true}, {"port", ldap_port}, {"certificate_path", ca}});
  EXPECT_EQ(Login("alice", "alicepw").status, 200);
  SetServer({{"certificate_path", bad_ca}});
  r = Login("alice", "alicepw");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, kFailed);

  // TLS settings libldap cannot use: Open WebUI's own answer for them.
  SetServer({{"certificate_path", "/nonexistent/ca.crt"}});
  r = Login("alice", "alicepw");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"({"detail":"Failed to configure TLS for LDAP connection."})");

  // Open WebUI's default cipher value "ALL" is not a GnuTLS priority: it means the default.
  SetServer({{"certificate_path", ca}, {"ciphers", "ALL"}});
  EXPECT_EQ(Login("alice", "alicepw").status, 200);
  SetServer({{"use_starttls", false}});
}

// ---------------------------------------------------------------------------------------------
// A directory that is down or does not answer: an honest 503 within the deadline
// (WEBUI_LDAP_TIMEOUT=2), the server stays healthy.
class LdapUnavailable : public LdapSuite<LdapUnavailable> {};

// A port that accepts connections (the kernel's backlog) and never says a word.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 64);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~SilentListener() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

int ClosedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);  // nothing listens there now
  return ntohs(a.sin_port);
}

TEST_F(LdapUnavailable, StoppedOrSilentDirectoryIs503WithinTheDeadline) {
  auto expect_unavailable = [&](const char* what) {
    const auto t0 = Clock::now();
    auto r = Login("alice", "alicepw");
    const auto took = Clock::now() - t0;
    EXPECT_EQ(r.status, 503) << what << ": " << r.body;
    EXPECT_EQ(r.Json().value("detail", ""),
              "The LDAP server is unavailable. Please try again later.")
        << what;
    // 2 s deadline; generous for ASan on a loaded machine.
    EXPECT_LT(took, std::chrono::seconds(12)) << what;
    EXPECT_EQ(host().Get("/health").status, 200) << what;
  };

  SetServer({{"use_tls", false}, {"use_starttls", false}, {"port", ClosedPort()}});
  expect_unavailable("stopped directory");
  // No bind is attempted with an empty password: the dead directory is never even asked.
  for (const char* password : {"", "   "}) {
    auto empty = Login("alice", password);
    EXPECT_EQ(empty.status, 400) << "'" << password << "'";
    EXPECT_EQ(empty.body, kFailed);
  }

  SilentListener silent;
  SetServer({{"port", silent.port()}});
  expect_unavailable("silent ldap://");
  SetServer({{"use_starttls", true}, {"certificate_path", EnvOr("WEBUI_TEST_LDAP_CA")}});
  expect_unavailable("silent StartTLS");
  // libldap alone would spin in the TLS handshake far past its network timeout here.
  SetServer({{"use_tls", true}, {"use_starttls", false}});
  expect_unavailable("silent ldaps://");

  // Several at once: each bounded, none holds the others.
  std::vector<std::thread> threads;
  std::atomic<int> unavailable{0};
  const auto t0 = Clock::now();
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      if (Login("alice", "alicepw").status == 503) ++unavailable;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(unavailable.load(), 4);
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(15));
  EXPECT_EQ(host().Get("/health").status, 200);
}

// ---------------------------------------------------------------------------------------------
// docs/security.md T03: on an empty database, concurrent first sign-ins through LDAP make
// exactly one admin.
class LdapFirstAdmin : public LdapSuite<LdapFirstAdmin> {};

TEST_F(LdapFirstAdmin, ConcurrentFirstLoginsMakeOneAdmin) {
  std::vector<std::string> uids;
  for (int i = 0; i < 12; ++i) {
    uids.push_back(Unique("race"));
    AddPerson(uids.back(), "racepw");
  }
  std::vector<int> statuses(uids.size());
  std::vector<std::string> roles(uids.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < uids.size(); ++i)
    threads.emplace_back([&, i] {
      auto r = Login(uids[i], "racepw");
      statuses[i] = r.status;
      if (r.status == 200) roles[i] = r.Json().value("role", "");
    });
  for (auto& t : threads) t.join();
  int admins = 0;
  for (size_t i = 0; i < uids.size(); ++i) {
    EXPECT_EQ(statuses[i], 200) << uids[i];
    admins += roles[i] == "admin";
  }
  EXPECT_EQ(admins, 1);
}

// ---------------------------------------------------------------------------------------------
// The module switched off by an admin: its routes answer 404 and /api/config shows no LDAP.
class LdapDisabled : public LdapSuite<LdapDisabled> {};

TEST_F(LdapDisabled, DisabledModuleRoutesAre404) {
  AdminToken();
  ASSERT_EQ(Login("alice", "alicepw").status, 200);
  auto off = host().Post("/api/v1/plugins/ldap/disable", "", Bearer(AdminToken()));
  ASSERT_EQ(off.status, 200) << off.body;
  EXPECT_EQ(Login("alice", "alicepw").status, 404);
  EXPECT_EQ(host().Get("/api/v1/auths/admin/config/ldap", Bearer(AdminToken())).status, 404);
  EXPECT_EQ(host().Get("/api/v1/auths/admin/config/ldap/server", Bearer(AdminToken())).status, 404);
  EXPECT_EQ(host().Get("/api/config").Json()["features"]["enable_ldap"], false);
  // Nothing else changed: password sign-in works as before.
  EXPECT_EQ(host()
                .Post("/api/v1/auths/signin",
                      json{{"email", "root@example.com"}, {"password", "admin-password"}}.dump())
                .status,
            200);
  ASSERT_EQ(host().Post("/api/v1/plugins/ldap/enable", "", Bearer(AdminToken())).status, 200);
  EXPECT_EQ(Login("alice", "alicepw").status, 200);
}

}  // namespace
}  // namespace webui::testing
