// Command line, configuration errors, binding, graceful shutdown, persisted settings.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <future>
#include <thread>

#include <Poco/Net/ServerSocket.h>

#include "it_support.hpp"

namespace webui::testing {
namespace {

// Whether process `pid` still runs: a zombie (killed, not yet reaped by whoever inherited it)
// does not count.
bool Alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const std::size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] != 'Z';
}

TEST(Lifecycle, HostDiesWithADriverThatAborts) {
  // A driver (a child of this test) starts a host, tells us its pid, and aborts as an ASan
  // report does: no destructor, no Stop. The host must not outlive it (DieWithParent).
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t driver = ::fork();
  ASSERT_GE(driver, 0);
  if (driver == 0) {
    ::close(fds[0]);
    const rlimit no_core{0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    HostProcess host({{}, {}, ""});
    std::string why;
    const pid_t pid = host.Start(&why) ? host.pid() : -1;
    if (::write(fds[1], &pid, sizeof pid) != static_cast<ssize_t>(sizeof pid)) ::_exit(3);
    std::abort();
  }
  ::close(fds[1]);
  pid_t host = -1;
  const bool got = ::read(fds[0], &host, sizeof host) == static_cast<ssize_t>(sizeof host);
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(driver, &status, 0), driver);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT) << status;
  ASSERT_TRUE(got && host > 0) << "the driver's host did not start";

  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (Alive(host) && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const bool orphaned = Alive(host);
  if (orphaned) ::kill(host, SIGKILL);  // do not leave it behind when the test fails
  EXPECT_FALSE(orphaned) << "host " << host << " outlived its driver";
}

TEST(Lifecycle, HelpAndVersion) {
  HostProcess help({{}, {"--help"}, ""});
  EXPECT_EQ(help.RunToExit(), 0);
  EXPECT_NE(help.Log().find("--check-config"), std::string::npos);
  HostProcess version({{}, {"--version"}, ""});
  EXPECT_EQ(version.RunToExit(), 0);
  EXPECT_NE(version.Log().find("plugin ABI 1."), std::string::npos);
  HostProcess bad({{}, {"--frobnicate"}, ""});
  EXPECT_EQ(bad.RunToExit(), 2);
}

TEST(Lifecycle, InvalidConfigurationIsRefusedNamingTheVariable) {
  for (auto [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"PORT", "eighty"},
           {"WEBUI_HTTP_THREADS", "-3"},
           {"AUDIT_LOG_LEVEL", "LOUD"},
           {"ENABLE_COMPRESSION_MIDDLEWARE", "perhaps"},
           {"DATABASE_URL", "mysql://x/y"}}) {
    HostProcess host({{{name, value}}, {}, ""});
    EXPECT_EQ(host.RunToExit(), 1) << name;
    EXPECT_NE(host.Log().find(name), std::string::npos) << host.Log();
  }
  // A plugin's declared setting with a value of the wrong type stops the start too.
  HostProcess host({{{"TEST_FLAG", "maybe"}}, {}, ""});
  EXPECT_EQ(host.RunToExit(), 1);
  EXPECT_NE(host.Log().find("TEST_FLAG"), std::string::npos) << host.Log();
}

TEST(Lifecycle, CheckConfigValidatesAndExits) {
  WH_REQUIRE_BACKEND();
  Backend backend;
  HostProcess ok({backend.Env(), {"--check-config"}, ""});
  EXPECT_EQ(ok.RunToExit(), 0) << ok.Log();
  EXPECT_NE(ok.Log().find("configuration OK"), std::string::npos);
  auto env = backend.Env();
  env["WEBUI_PLUGIN_PATH"] = PluginDir("bad");
  HostProcess refused({env, {"--check-config"}, ""});
  EXPECT_EQ(refused.RunToExit(), 3);
}

TEST(Lifecycle, DotenvFileIsReadAndEnvironmentWins) {
  const std::string dir = TempDir("dotenv");
  std::ofstream(dir + "/.env") << "TEST_GREETING=from-dotenv\nWEBUI_NAME='Dot Env UI'\n";
  HostProcess host({{{"WEBUI_NAME", "Env UI"}}, {}, dir});
  std::string why;
  ASSERT_TRUE(host.Start(&why)) << why;
  EXPECT_EQ(host.Get("/api/v1/test/config").Json()["greeting"], "from-dotenv");
  EXPECT_EQ(host.Get("/api/config").Json()["name"], "Env UI");
  EXPECT_EQ(host.Stop(), 0);
}

TEST(Lifecycle, PersistedAdminSettingWinsOverEnvLikeOpenWebUI) {
  WH_REQUIRE_BACKEND();
  Backend backend;
  auto env = backend.Env();
  env["TEST_GREETING"] = "from-env";
  HostProcess host({env, {}, ""});
  std::string why;
  ASSERT_TRUE(host.Start(&why)) << why;
  EXPECT_EQ(host.Get("/api/v1/test/config").Json()["greeting"], "from-env");
  ASSERT_EQ(host.Post("/api/v1/test/config", R"({"greeting":"saved"})", As("admin")).status, 200);
  EXPECT_EQ(host.Get("/api/v1/test/config").Json()["greeting"], "saved");
  EXPECT_EQ(host.Stop(), 0);

  HostProcess again({env, {}, host.data_dir()});
  ASSERT_TRUE(again.Start(&why)) << why;
  EXPECT_EQ(again.Get("/api/v1/test/config").Json()["greeting"], "saved");
  EXPECT_EQ(again.Stop(), 0);

  env["ENABLE_PERSISTENT_CONFIG"] = "false";
  HostProcess ephemeral({env, {}, host.data_dir()});
  ASSERT_TRUE(ephemeral.Start(&why)) << why;
  EXPECT_EQ(ephemeral.Get("/api/v1/test/config").Json()["greeting"], "from-env");
  EXPECT_EQ(ephemeral.Stop(), 0);
}

TEST(Lifecycle, SecondInstanceOnABusyPortFailsLoudly) {
  Poco::Net::ServerSocket taken;
  taken.bind(Poco::Net::SocketAddress("127.0.0.1", 0), true, false);
  taken.listen();
  const int port = taken.address().port();
  HostProcess host({{{"PORT", std::to_string(port)}}, {}, ""});
  // The harness sets PORT=0; the test's PORT overrides it.
  EXPECT_EQ(host.RunToExit(), 1);
  EXPECT_NE(host.Log().find("cannot listen"), std::string::npos) << host.Log();
}

TEST(Lifecycle, SigtermDrainsInFlightRequestsThenExitsZero) {
  HostProcess host({{}, {}, ""});
  std::string why;
  ASSERT_TRUE(host.Start(&why)) << why;
  auto slow = std::async(std::launch::async, [&] { return host.Get("/api/v1/test/slow?ms=1500"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(host.Stop(SIGTERM), 0);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(800));
  auto r = slow.get();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Json()["slow"], true);
  const std::string log = host.Log();
  EXPECT_NE(log.find("received SIGTERM"), std::string::npos);
  EXPECT_NE(log.find("plugin stopped: basic"), std::string::npos);
}

TEST(Lifecycle, SigintAlsoStopsCleanly) {
  HostProcess host({{}, {}, ""});
  std::string why;
  ASSERT_TRUE(host.Start(&why)) << why;
  EXPECT_EQ(host.Stop(SIGINT), 0);
}

}  // namespace
}  // namespace webui::testing
