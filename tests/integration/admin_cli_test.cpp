// The admin subcommands (`webui-host plugins|config|migrate ...`) on the configured database,
// then a server on the same database seeing what they changed.
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
  std::pair<int, std::string> Cli(std::vector<std::string> args) {
    HostProcess::Options o;
    o.env = backend_->Env();
    o.data_dir = data_dir_;
    o.args = std::move(args);
    HostProcess p(o);
    const int rc = p.RunToExit();
    return {rc, p.Log()};
  }
  std::unique_ptr<HostProcess> Server() {
    HostProcess::Options o;
    o.env = backend_->Env();
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

}  // namespace
}  // namespace webui::testing
