// Starts the real webui-host with the Socket.IO test plugins and runs client.js scenarios against
// it with Node (socket.io-client, ws). Each test is one scenario on a host configured for it.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "host_process.hpp"
#include "upstream_double.hpp"

extern char** environ;

namespace webui::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

bool RequireServices() { return std::getenv("WEBUI_TEST_REQUIRE_SERVICES") != nullptr; }

#define WH_SKIP_OR_FAIL(why)                \
  do {                                      \
    if (RequireServices()) FAIL() << (why); \
    GTEST_SKIP() << (why);                  \
  } while (0)

struct NodeResult {
  int code = -1;
  std::string output;
};

// Runs `node client.js <scenario>` with `env` added, collecting stdout+stderr.
NodeResult RunScenario(const std::string& scenario, const std::map<std::string, std::string>& env,
                       std::chrono::seconds timeout = 200s) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string node = WEBUI_NODE_EXECUTABLE;
  std::string script = std::string(WEBUI_SOCKETIO_DIR) + "/client.js";
  std::vector<char*> argv{node.data(), script.data(), const_cast<char*>(scenario.c_str()), nullptr};

  int fds[2];
  NodeResult r;
  if (::pipe(fds) != 0) return r;
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    DieWithParent(parent);
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    ::close(fds[0]);
    ::close(fds[1]);
    if (::chdir(WEBUI_SOCKETIO_DIR) != 0) ::_exit(126);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::kill(pid, SIGKILL);
      r.output += "\n[timed out]";
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 1000))) <= 0) continue;
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    r.output.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

class SocketIoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string(WEBUI_NODE_EXECUTABLE).empty() ||
        std::string(WEBUI_NODE_EXECUTABLE).find("NOTFOUND") != std::string::npos)
      WH_SKIP_OR_FAIL("node is not installed");
    if (!fs::exists(std::string(WEBUI_SOCKETIO_DIR) +
                    "/node_modules/socket.io-client/package.json"))
      WH_SKIP_OR_FAIL("socket.io-client missing: run `npm ci` in tests/socketio");
  }

  std::unique_ptr<HostProcess> StartHost(std::map<std::string, std::string> env = {}) {
    HostProcess::Options o;
    o.env = std::move(env);
    o.env["WEBUI_PLUGIN_PATH"] = WEBUI_SOCKETIO_PLUGIN_DIR;
    auto host = std::make_unique<HostProcess>(o);
    std::string why;
    if (!host->Start(&why)) {
      ADD_FAILURE() << why;
      return nullptr;
    }
    return host;
  }

  static std::string Base(const HostProcess& h) {
    return "http://127.0.0.1:" + std::to_string(h.port());
  }

  // Runs one scenario; the output is printed so a passing run shows what it checked.
  void Scenario(const HostProcess& h, const std::string& name,
                std::map<std::string, std::string> env = {}) {
    env["BASE"] = Base(h);
    const NodeResult r = RunScenario(name, env);
    std::cout << r.output;
    EXPECT_EQ(r.code, 0) << r.output;
  }
};

TEST_F(SocketIoTest, HandshakeOnBothPaths) {
  auto host = StartHost();
  ASSERT_TRUE(host);
  Scenario(*host, "handshake");
}

TEST_F(SocketIoTest, BothTransportsAndUpgradeOnBothPaths) {
  auto host = StartHost();
  ASSERT_TRUE(host);
  Scenario(*host, "transports");
}

TEST_F(SocketIoTest, ConnectAuthAndUserJoin) {
  auto host = StartHost();
  ASSERT_TRUE(host);
  Scenario(*host, "auth");
}

TEST_F(SocketIoTest, EmitToSidUserRoomAndEveryone) {
  auto host = StartHost();
  ASSERT_TRUE(host);
  Scenario(*host, "rooms");
}

TEST_F(SocketIoTest, ClientEventsReachPluginHandlers) {
  auto host = StartHost();
  ASSERT_TRUE(host);
  Scenario(*host, "plugin_events");
}

TEST_F(SocketIoTest, PingPongWithShortIntervals) {
  auto host = StartHost(
      {{"WEBUI_SOCKET_PING_INTERVAL_MS", "300"}, {"WEBUI_SOCKET_PING_TIMEOUT_MS", "300"}});
  ASSERT_TRUE(host);
  Scenario(*host, "pingpong");
}

TEST_F(SocketIoTest, RoleChangeAndRevocationApplyAtOnce) {
  // A long cache: only the auth-changed channel can make the change visible this fast.
  auto host = StartHost({{"WEBUI_SOCKET_AUTH_CACHE_MS", "3600000"}});
  ASSERT_TRUE(host);
  Scenario(*host, "revocation");
}

TEST_F(SocketIoTest, EveryEventRechecksTheToken) {
  auto host = StartHost({{"WEBUI_SOCKET_AUTH_CACHE_MS", "0"}});
  ASSERT_TRUE(host);
  Scenario(*host, "recheck");
}

TEST_F(SocketIoTest, PayloadLimit) {
  auto host = StartHost({{"WEBUI_SOCKET_MAX_PAYLOAD", "10000"}});
  ASSERT_TRUE(host);
  Scenario(*host, "payload");
}

TEST_F(SocketIoTest, ConnectionCaps) {
  auto host = StartHost({{"WEBUI_SOCKET_MAX_TOTAL", "5"}, {"WEBUI_SOCKET_MAX_PER_USER", "2"}});
  ASSERT_TRUE(host);
  Scenario(*host, "caps");
}

TEST_F(SocketIoTest, AnonymousSocketsCannotLockSignedInUsersOut) {
  auto host = StartHost({{"WEBUI_SOCKET_MAX_TOTAL", "40"}});
  ASSERT_TRUE(host);
  Scenario(*host, "anonymous_cap");
}

TEST_F(SocketIoTest, SessionsWithoutConnectAreClosedAfterTheDeadline) {
  auto host = StartHost();
  ASSERT_TRUE(host);
  Scenario(*host, "connect_deadline");
}

// Needs the depth-bounded JSON parser: before it, this packet overflowed the stack.
TEST_F(SocketIoTest, DeeplyNestedJsonFromAnAnonymousClientIsRefused) {
  auto host = StartHost();
  ASSERT_TRUE(host);
  Scenario(*host, "deep_json");
  EXPECT_TRUE(host->Running()) << host->Log();
}

TEST_F(SocketIoTest, DisabledPluginHandlersReceiveNoEvents) {
  auto host = StartHost();
  ASSERT_TRUE(host);
  Scenario(*host, "plugin_disable");
}

TEST_F(SocketIoTest, RawWebSocketFrames) {
  auto host = StartHost();
  ASSERT_TRUE(host);
  Scenario(*host, "raw_ws");
}

TEST_F(SocketIoTest, WebSocketDisabledMeansPollingOnly) {
  auto host = StartHost({{"ENABLE_WEBSOCKET_SUPPORT", "false"}});
  ASSERT_TRUE(host);
  Scenario(*host, "polling_only");
}

TEST_F(SocketIoTest, IdleWebSocketsDoNotAddThreads) {
  auto host = StartHost();
  ASSERT_TRUE(host);
  Scenario(*host, "idle", {{"HOST_PID", std::to_string(host->pid())}, {"IDLE_CLIENTS", "2000"}});
}

TEST_F(SocketIoTest, ShutdownClosesEverySocketQuickly) {
  auto host = StartHost();
  ASSERT_TRUE(host);
  Scenario(*host, "shutdown", {{"HOST_PID", std::to_string(host->pid())}});
  // The scenario sent SIGTERM and saw every client disconnected. The process must exit cleanly.
  // (Generous: after a burst of short HTTP connections the HTTP server's own shutdown can wait
  // out its thread idle time, a Poco dispatcher race unrelated to sockets.)
  EXPECT_EQ(host->Stop(SIGTERM, 90s), 0) << host->Log();
  // Socket.IO's part of the shutdown (closing every socket, joining its threads) is quick: the
  // server logs how long it took.
  const std::string log = host->Log();
  const auto at = log.find("socket.io: stopped, ");
  ASSERT_NE(at, std::string::npos) << log;
  const auto in = log.find(" closed in ", at);
  ASSERT_NE(in, std::string::npos) << log;
  EXPECT_LT(std::stol(log.substr(in + 11)), 1000) << log.substr(at, 80);
}

TEST_F(SocketIoTest, CrossInstanceDeliveryThroughRedis) {
  const char* redis = std::getenv("WEBUI_TEST_REDIS_URL");
  if (redis == nullptr || *redis == '\0') WH_SKIP_OR_FAIL("WEBUI_TEST_REDIS_URL is not set");
  // One key space for both instances, unique to this run.
  const std::string prefix = "it-socketio-" + std::to_string(::getpid());
  const std::map<std::string, std::string> env = {
      {"REDIS_URL", redis}, {"REDIS_KEY_PREFIX", prefix}, {"WEBSOCKET_MANAGER", "redis"}};
  auto a = StartHost(env);
  auto b = StartHost(env);
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->Log().find("events shared through redis://"), std::string::npos) << a->Log();
  Scenario(*a, "cross", {{"BASE_B", Base(*b)}});
}

TEST_F(SocketIoTest, ChatAnswerArrivesAsChatEventsAndStopCancels) {
  UpstreamDouble upstream;
  std::string why;
  ASSERT_TRUE(upstream.Start(&why)) << why;
  HostProcess::Options o;
  o.env["WEBUI_PLUGIN_PATH"] =
      std::string(WEBUI_SOCKETIO_PLUGIN_DIR) + ":" + std::string(WEBUI_PLUGIN_BUILD_DIR);
  o.env["WEBUI_PLUGINS"] = "revocable_auth,socket_probe,chat,openai";
  o.env["OPENAI_API_BASE_URLS"] = upstream.BaseUrl() + "/v1";
  o.env["OPENAI_API_KEYS"] = "";
  o.env["OPENAI_API_CONFIGS"] = "{}";
  o.env["BYPASS_MODEL_ACCESS_CONTROL"] = "true";
  HostProcess host(o);
  ASSERT_TRUE(host.Start(&why)) << why;
  Scenario(host, "chat", {{"UPSTREAM", upstream.BaseUrl()}});
}

TEST_F(SocketIoTest, FrontendFlowWithTheRealPlugins) {
  UpstreamDouble upstream;
  std::string why;
  ASSERT_TRUE(upstream.Start(&why)) << why;
  HostProcess::Options o;
  o.env["WEBUI_PLUGIN_PATH"] = std::string(WEBUI_PLUGIN_BUILD_DIR);
  o.env["WEBUI_PLUGINS"] = "auth,chat,openai,workspace,ui_defaults";
  o.env["OPENAI_API_BASE_URLS"] = upstream.BaseUrl() + "/v1";
  o.env["OPENAI_API_KEYS"] = "";
  o.env["OPENAI_API_CONFIGS"] = "{}";
  o.env["WEBUI_AUTH_BCRYPT_ROUNDS"] = "4";
  HostProcess host(o);
  ASSERT_TRUE(host.Start(&why)) << why;
  Scenario(host, "frontend_flow", {{"UPSTREAM", upstream.BaseUrl()}});
}

}  // namespace
}  // namespace webui::testing
