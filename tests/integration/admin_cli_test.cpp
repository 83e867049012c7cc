// The admin subcommands (`webui-host plugins|config|migrate|user ...`) on the configured
// database, then a server on the same database seeing what they changed.
#include <nlohmann/json.hpp>

#include "it_support.hpp"

namespace webui::testing {
namespace {

class AdminCli : public ::testing::Test {
 protected:
  void SetUp() override {
    WH_REQUIRE_BACKEND();
    backend_ = std::make_unique<Backend>();
    data_dir_ = TempDir("admin-cli");
  }
  // `webui-host <args...>`: the exit code and what it printed.
  std::pair<int, std::string> Cli(std::vector<std::string> args,
                                  std::optional<std::string> stdin_text = std::nullopt) {
    HostProcess::Options o;
    o.env = Env();
    o.stdin_text = std::move(stdin_text);
    o.data_dir = data_dir_;
    o.args = std::move(args);
    HostProcess p(o);
    const int rc = p.RunToExit();
    return {rc, p.Log()};
  }
  virtual std::map<std::string, std::string> Env() const { return backend_->Env(); }
  std::unique_ptr<HostProcess> Server() {
    HostProcess::Options o;
    o.env = Env();
    o.data_dir = data_dir_;
    auto host = std::make_unique<HostProcess>(o);
    std::string why;
    EXPECT_TRUE(host->Start(&why)) << why;
    return host;
  }
  std::unique_ptr<Backend> backend_;
  std::string data_dir_;
};

TEST_F(AdminCli, PluginTogglesPersistForTheServer) {
  auto [rc, list] = Cli({"plugins", "list"});
  ASSERT_EQ(rc, 0) << list;
  for (const char* name : {"basic\t", "consumer\t", "test_auth\t"})
    EXPECT_NE(list.find(name), std::string::npos) << list;

  EXPECT_EQ(Cli({"plugins", "disable", "consumer"}).first, 0);
  EXPECT_EQ(Cli({"plugins", "disable", "nonexistent"}).first, 4);
  // The authenticator's plugin stays: disabling it would lock everyone out.
  auto [auth_rc, auth_out] = Cli({"plugins", "disable", "test_auth"});
  EXPECT_EQ(auth_rc, 1);
  EXPECT_NE(auth_out.find("lock every user out"), std::string::npos) << auth_out;
  EXPECT_NE(Cli({"plugins", "list"}).second.find("consumer\t0.1.0\tdisabled"), std::string::npos);

  auto server = Server();
  EXPECT_EQ(server->Get("/api/v1/plugins/consumer", As("admin")).Json()["state"], "disabled");
  EXPECT_EQ(server->Stop(), 0);
  EXPECT_EQ(Cli({"plugins", "enable", "consumer"}).first, 0);
  server = Server();
  EXPECT_EQ(server->Get("/api/v1/plugins/consumer", As("admin")).Json()["state"], "loaded");
  EXPECT_EQ(server->Stop(), 0);
}

TEST_F(AdminCli, ConfigGetAndSetAPersistentSetting) {
  auto [rc, value] = Cli({"config", "get", "test.greeting"});
  ASSERT_EQ(rc, 0) << value;
  EXPECT_NE(value.find("\"hello\""), std::string::npos) << value;
  // Plain text is taken as a JSON string.
  ASSERT_EQ(Cli({"config", "set", "test.greeting", "from the cli"}).first, 0);
  EXPECT_NE(Cli({"config", "get", "test.greeting"}).second.find("\"from the cli\""),
            std::string::npos);
  EXPECT_EQ(Cli({"config", "get", "no.such.key"}).first, 4);
  EXPECT_EQ(Cli({"config", "set", "no.such.key", "1"}).first, 4);
  EXPECT_EQ(Cli({"config", "frob"}).first, 2);

  auto server = Server();
  EXPECT_EQ(server->Get("/api/v1/test/config").Json()["greeting"], "from the cli");
  EXPECT_EQ(server->Stop(), 0);
}

TEST_F(AdminCli, MigrateStatusListsWhatIsApplied) {
  ASSERT_EQ(Cli({"migrate"}).first, 0);  // applies the host's and the plugins' migrations
  auto [rc, out] = Cli({"migrate", "--status"});
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("host\t1\t"), std::string::npos) << out;
  EXPECT_NE(out.find("basic\t"), std::string::npos) << out;
}

// `user ...` goes through the real auth plugin's users.v1: the host runs no SQL on its tables.
class AdminCliUsers : public AdminCli {
 protected:
  std::map<std::string, std::string> Env() const override {
    auto env = backend_->Env();
    env["WEBUI_PLUGIN_PATH"] = WEBUI_PLUGIN_BUILD_DIR;
    env["WEBUI_PLUGINS"] = "auth";
    env["WEBUI_PLUGINS_STRICT"] = "true";
    env["WEBUI_AUTH_BCRYPT_ROUNDS"] = "4";
    env["WEBUI_SECRET_KEY"] = "it-secret-for-the-admin-cli-tests";
    return env;
  }
  static HttpResult SignUp(const HostProcess& h, const std::string& name, const std::string& email,
                           const std::string& password) {
    return h.Post("/api/v1/auths/signup",
                  nlohmann::json{{"name", name}, {"email", email}, {"password", password}}.dump());
  }
  static HttpResult SignIn(const HostProcess& h, const std::string& email,
                           const std::string& password) {
    return h.Post("/api/v1/auths/signin",
                  nlohmann::json{{"email", email}, {"password", password}}.dump());
  }
  static HeaderList Bearer(const std::string& token) {
    return {{"Authorization", "Bearer " + token}};
  }
};

TEST_F(AdminCliUsers, ListResetPasswordAndSetRole) {
  auto server = Server();
  const auto ada = SignUp(*server, "Ada Admin", "ada@example.com", "ada-password");
  ASSERT_EQ(ada.status, 200) << ada.body;
  // The first sign-up closes sign-up (as Open WebUI): the admin adds the second account.
  const auto bob = server->Post(
      "/api/v1/auths/add",
      nlohmann::json{{"name", "Bob"}, {"email", "bob@example.com"}, {"password", "old-password"}}
          .dump(),
      Bearer(ada.Json().value("token", "")));
  ASSERT_EQ(bob.status, 200) << bob.body;
  const std::string old_token = bob.Json().value("token", "");
  ASSERT_EQ(server->Stop(), 0);

  auto [rc, list] = Cli({"user", "list"});
  ASSERT_EQ(rc, 0) << list;
  EXPECT_NE(list.find("\tada@example.com\tadmin\tAda Admin\n"), std::string::npos) << list;
  EXPECT_NE(list.find("\tbob@example.com\tpending\tBob\n"), std::string::npos) << list;

  // From a pipe: the first line. The password is never echoed back.
  auto [reset_rc, reset_out] =
      Cli({"user", "reset-password", "BOB@example.com"}, std::string("new-password-42\n"));
  EXPECT_EQ(reset_rc, 0) << reset_out;
  EXPECT_EQ(reset_out.find("new-password-42"), std::string::npos) << reset_out;
  auto [role_rc, role_out] = Cli({"user", "set-role", "bob@example.com", "user"});
  EXPECT_EQ(role_rc, 0) << role_out;

  server = Server();
  EXPECT_EQ(SignIn(*server, "bob@example.com", "old-password").status, 400);
  const auto signed_in = SignIn(*server, "bob@example.com", "new-password-42");
  ASSERT_EQ(signed_in.status, 200) << signed_in.body;
  const auto me = server->Get("/api/v1/auths/", Bearer(signed_in.Json().value("token", "")));
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(me.Json()["role"], "user");
  // As Open WebUI's admin password change: sessions already signed in stay valid.
  EXPECT_EQ(server->Get("/api/v1/auths/", Bearer(old_token)).status, 200);
  EXPECT_EQ(server->Stop(), 0);
}

TEST_F(AdminCliUsers, RefusesWhatItCannotDo) {
  auto server = Server();
  ASSERT_EQ(SignUp(*server, "Ada Admin", "ada@example.com", "ada-password").status, 200);
  ASSERT_EQ(server->Stop(), 0);

  auto [unknown_rc, unknown_out] = Cli({"user", "set-role", "nobody@example.com", "user"});
  EXPECT_EQ(unknown_rc, 4);
  EXPECT_NE(unknown_out.find("no user with the e-mail address nobody@example.com"),
            std::string::npos)
      << unknown_out;
  EXPECT_EQ(Cli({"user", "reset-password", "nobody@example.com"}, std::string("pw\n")).first, 4);
  auto [role_rc, role_out] = Cli({"user", "set-role", "ada@example.com", "wizard"});
  EXPECT_EQ(role_rc, 2);
  EXPECT_NE(role_out.find("pending, user or admin"), std::string::npos) << role_out;
  // The first account stays admin, as through the HTTP API.
  auto [primary_rc, primary_out] = Cli({"user", "set-role", "ada@example.com", "user"});
  EXPECT_EQ(primary_rc, 1);
  EXPECT_NE(primary_out.find("primary admin"), std::string::npos) << primary_out;
  auto [empty_rc, empty_out] =
      Cli({"user", "reset-password", "ada@example.com"}, std::string("\n"));
  EXPECT_EQ(empty_rc, 1);
  EXPECT_NE(empty_out.find("empty password"), std::string::npos) << empty_out;
  EXPECT_EQ(Cli({"user", "reset-password", "ada@example.com"}, std::string("")).first, 1);
  EXPECT_EQ(Cli({"user", "frob"}).first, 2);

  // Nothing was changed by the refused commands.
  server = Server();
  EXPECT_EQ(SignIn(*server, "ada@example.com", "ada-password").status, 200);
  EXPECT_EQ(server->Stop(), 0);
}

}  // namespace
}  // namespace webui::testing
