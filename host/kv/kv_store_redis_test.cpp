// The KvStore API against a real Redis (WEBUI_TEST_REDIS_URL), and failover against a
// redis-server this test starts and stops itself. Label: services.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Process.h>
#include <Poco/Redis/Client.h>
#include <Poco/Redis/Command.h>
#include <Poco/Timespan.h>

#include "kv/kv_store.hpp"
#include "kv/kv_test_support.hpp"
#include "kv/redis_url.hpp"

namespace webui::kv::testing {
namespace {

// Prefix shared by every store of this test run, so stale keys of other runs never interfere.
const std::string& RunPrefix() {
  static const std::string prefix = RandomPrefix();
  return prefix;
}

// WEBUI_TEST_REDIS_URL, or nullopt when it is not set.
std::optional<std::string> TestRedisUrl() {
  const char* url = std::getenv("WEBUI_TEST_REDIS_URL");
  if (url != nullptr && *url != '\0') return std::string(url);
  return std::nullopt;
}

KvOptions StoreOptions(const std::string& url, const std::string& prefix) {
  KvOptions options;
  options.redis_url = url;
  options.key_prefix = prefix;
  options.connect_timeout = 1000ms;
  options.command_timeout = 1000ms;
  options.reconnect_interval = 100ms;
  return options;
}

// A plain Poco::Redis client, to look at what the store wrote from the outside.
class RawClient {
 public:
  explicit RawClient(const std::string& url) {
    const auto parsed = ParseRedisUrl(url);
    if (!parsed.endpoint) throw std::runtime_error(parsed.error);
    client_.connect(parsed.endpoint->host, parsed.endpoint->port, Poco::Timespan(2, 0));
    client_.setReceiveTimeout(Poco::Timespan(2, 0));
    if (!parsed.endpoint->password.empty()) {
      Poco::Redis::Command auth("AUTH");
      if (!parsed.endpoint->user.empty()) auth << parsed.endpoint->user;
      auth << parsed.endpoint->password;
      client_.execute<std::string>(auth);
    }
    Poco::Redis::Command select("SELECT");
    select << std::to_string(parsed.endpoint->db);
    client_.execute<std::string>(select);
  }
  std::optional<std::string> Get(const std::string& key) {
    Poco::Redis::Command get("GET");
    get << key;
    const auto value = client_.execute<Poco::Redis::BulkString>(get);
    if (value.isNull()) return std::nullopt;
    return value.value();
  }
  Poco::Int64 Integer(Poco::Redis::Command command) {
    return client_.execute<Poco::Int64>(command);
  }
  Poco::Int64 NumSub(const std::string& channel) {
    Poco::Redis::Command numsub("PUBSUB");
    numsub << "NUMSUB" << channel;
    const auto reply = client_.execute<Poco::Redis::Array>(numsub);
    return reply.get<Poco::Int64>(1);
  }
  void ShutdownServer() {
    Poco::Redis::Command shutdown("SHUTDOWN");
    shutdown << "NOSAVE";
    try {
      client_.execute<std::string>(shutdown);
    } catch (...) {  // the server closes the connection instead of answering
    }
  }

 private:
  Poco::Redis::Client client_;
};

int FreePort() {
  Poco::Net::ServerSocket socket;
  socket.bind(Poco::Net::SocketAddress("127.0.0.1", 0), true, false);
  const int port = socket.address().port();
  socket.close();
  return port;
}

bool OnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string_view dirs = path == nullptr ? "/usr/bin:/bin" : path;
  while (!dirs.empty()) {
    const auto colon = dirs.find(':');
    const std::string candidate = std::string(dirs.substr(0, colon)) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return true;
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return false;
}

// A redis-server of our own, so the test may stop and restart it.
class OwnRedis {
 public:
  explicit OwnRedis(int port, std::string password = "")
      : port_(port), password_(std::move(password)) {}
  ~OwnRedis() {
    Stop();
    std::remove(LogFile().c_str());
  }
  int port() const { return port_; }
  std::string Url(int db = 0) const {
    const std::string auth = password_.empty() ? "" : ":" + password_ + "@";
    return "redis://" + auth + "127.0.0.1:" + std::to_string(port_) + "/" + std::to_string(db);
  }

  bool Start() {
    Poco::Process::Args args = {"--port",       std::to_string(port_),
                                "--bind",       "127.0.0.1",
                                "--save",       "",
                                "--appendonly", "no",
                                "--dir",        "/tmp",
                                "--logfile",    LogFile()};
    if (!password_.empty()) {
      args.push_back("--requirepass");
      args.push_back(password_);
    }
    handle_ = std::make_unique<Poco::ProcessHandle>(Poco::Process::launch("redis-server", args));
    return PollUntil([&] {
      try {
        RawClient client(Url());
        return true;
      } catch (...) {
        return false;
      }
    });
  }

  void Stop() {
    if (!handle_) return;
    try {
      RawClient(Url()).ShutdownServer();
    } catch (...) {
    }
    // tryWait also reaps the process; isRunning() would report the zombie as alive.
    if (!PollUntil([&] { return handle_->tryWait() != -1; }, 5s)) {
      try {
        Poco::Process::kill(*handle_);
        handle_->wait();
      } catch (...) {
      }
    }
    handle_.reset();
  }

 private:
  std::string LogFile() const { return "/tmp/kvtest-redis-" + std::to_string(port_) + ".log"; }

  int port_;
  std::string password_;
  std::unique_ptr<Poco::ProcessHandle> handle_;
};

}  // namespace

std::unique_ptr<KvStore> MakeConformanceStore(const std::string& backend) {
  if (backend != "redis") {
    ADD_FAILURE() << "unknown backend " << backend;
    return nullptr;
  }
  const auto url = TestRedisUrl();
  if (!url) return nullptr;
  // A fresh prefix per test: keys of one test never meet another's.
  auto store = KvStore::Create(StoreOptions(*url, RunPrefix() + "-" + RandomPrefix()));
  EXPECT_TRUE(store->IsShared()) << "Redis at " << *url << " did not answer";
  return store;
}

INSTANTIATE_TEST_SUITE_P(Redis, KvConformance, ::testing::Values("redis"));

class RedisKvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto url = TestRedisUrl();
    WEBUI_KV_REQUIRE_SERVICE(url.has_value(), "WEBUI_TEST_REDIS_URL is not set");
    url_ = *url;
    prefix_ = RunPrefix() + "-" + RandomPrefix();
  }
  std::unique_ptr<KvStore> NewStore() { return KvStore::Create(StoreOptions(url_, prefix_)); }

  std::string url_;
  std::string prefix_;
};

TEST_F(RedisKvTest, IsSharedAndDescribesTheServerWithoutPassword) {
  const auto store = NewStore();
  EXPECT_TRUE(store->IsShared());
  const auto endpoint = ParseRedisUrl(url_).endpoint;
  ASSERT_TRUE(endpoint.has_value());
  EXPECT_EQ(store->Describe(), endpoint->Describe());
}

TEST_F(RedisKvTest, KeysCarryThePrefixInRedis) {
  const auto store = NewStore();
  store->Set("visible", "value");
  EXPECT_EQ(store->Incr("counter", 4, 30s), 4);

  RawClient raw(url_);
  EXPECT_EQ(raw.Get(prefix_ + ":visible"), "value");
  EXPECT_EQ(raw.Get("visible"), std::nullopt);
  EXPECT_EQ(raw.Get(prefix_ + ":counter"), "4");
  Poco::Redis::Command pttl("PTTL");
  pttl << prefix_ + ":counter";
  const Poco::Int64 ttl = raw.Integer(pttl);
  EXPECT_GT(ttl, 0);
  EXPECT_LE(ttl, 30000);
}

TEST_F(RedisKvTest, TwoStoresShareKeysAndCounters) {
  const auto a = NewStore();
  const auto b = NewStore();
  a->Set("shared", "from-a");
  EXPECT_EQ(b->Get("shared"), "from-a");
  EXPECT_EQ(a->Incr("hits", 1, 10s), 1);
  EXPECT_EQ(b->Incr("hits", 1, 10s), 2);
  b->Del("shared");
  EXPECT_EQ(a->Get("shared"), std::nullopt);
}

TEST_F(RedisKvTest, PubSubCrossesStoresAndDeliversOnce) {
  const auto a = NewStore();
  const auto b = NewStore();
  Inbox on_a;
  Inbox on_b;
  const auto id_a = a->Subscribe("chat", on_a.Fn());
  const auto id_b = b->Subscribe("chat", on_b.Fn());
  a->Publish("chat", "from-a");
  b->Publish("chat", "from-b");
  ASSERT_TRUE(on_b.WaitFor("from-a"));
  ASSERT_TRUE(on_a.WaitFor("from-b"));
  ASSERT_TRUE(on_a.WaitFor("from-a"));
  ASSERT_TRUE(on_b.WaitFor("from-b"));
  // Order is kept per connection: once the marker is in, any duplicate would be as well.
  a->Publish("chat", "marker");
  ASSERT_TRUE(on_a.WaitFor("marker"));
  ASSERT_TRUE(on_b.WaitFor("marker"));
  for (Inbox* inbox : {&on_a, &on_b}) {
    EXPECT_EQ(inbox->Count("from-a"), 1u);
    EXPECT_EQ(inbox->Count("from-b"), 1u);
    for (const auto& [channel, message] : inbox->Messages()) EXPECT_EQ(channel, "chat");
  }
  a->Unsubscribe(id_a);
  b->Unsubscribe(id_b);
}

TEST_F(RedisKvTest, ChannelsCarryThePrefixAndLastUnsubscribeLeavesTheChannel) {
  const auto store = NewStore();
  RawClient raw(url_);
  const std::string channel = prefix_ + ":room";
  Inbox one;
  Inbox two;
  const auto id_one = store->Subscribe("room", one.Fn());
  const auto id_two = store->Subscribe("room", two.Fn());
  EXPECT_EQ(raw.NumSub(channel), 1);  // one subscriber connection per store
  Poco::Redis::Command publish("PUBLISH");
  publish << channel << "raw";
  EXPECT_EQ(raw.Integer(publish), 1);
  ASSERT_TRUE(one.WaitFor("raw"));
  store->Unsubscribe(id_one);
  EXPECT_EQ(raw.NumSub(channel), 1);
  store->Unsubscribe(id_two);
  EXPECT_TRUE(PollUntil([&] { return raw.NumSub(channel) == 0; }));
}

TEST(RedisUrlHandshake, PasswordAndDatabaseFromTheUrlAreUsed) {
  WEBUI_KV_REQUIRE_SERVICE(OnPath("redis-server"), "redis-server is not installed");
  OwnRedis server(FreePort(), "s3cret");
  ASSERT_TRUE(server.Start());
  const std::string prefix = RunPrefix() + "-auth";
  {
    const auto store = KvStore::Create(StoreOptions(server.Url(3), prefix));
    ASSERT_TRUE(store->IsShared());
    EXPECT_EQ(store->Describe(), "redis://127.0.0.1:" + std::to_string(server.port()) + "/3");
    store->Set("k", "in-db-3");
    EXPECT_EQ(RawClient(server.Url(3)).Get(prefix + ":k"), "in-db-3");
    EXPECT_EQ(RawClient(server.Url(0)).Get(prefix + ":k"), std::nullopt);
  }
  LogCapture log;
  const std::string wrong = "redis://:wrong@127.0.0.1:" + std::to_string(server.port()) + "/0";
  const auto store = KvStore::Create(StoreOptions(wrong, prefix));
  EXPECT_FALSE(store->IsShared());
  store->Set("k", "local");
  EXPECT_EQ(store->Get("k"), "local");
  EXPECT_EQ(log.Count(spdlog::level::warn, "WRONGPASS"), 1u);
  for (const auto& line : log.Lines()) EXPECT_EQ(line.find("wrong@"), std::string::npos);
}

TEST(RedisFailover, StoppedRedisFallsBackAndSharedStateReturnsWithIt) {
  WEBUI_KV_REQUIRE_SERVICE(OnPath("redis-server"), "redis-server is not installed");
  OwnRedis server(FreePort());
  ASSERT_TRUE(server.Start());
  LogCapture log;
  Inbox inbox;  // outlives the store, whose thread calls into it
  const std::string prefix = RunPrefix() + "-failover";
  const auto store = KvStore::Create(StoreOptions(server.Url(), prefix));
  ASSERT_TRUE(store->IsShared());
  store->Subscribe("events", inbox.Fn());
  store->Set("k", "before");
  EXPECT_EQ(RawClient(server.Url()).Get(prefix + ":k"), "before");
  store->Publish("events", "via-redis");
  ASSERT_TRUE(inbox.WaitFor("via-redis"));

  server.Stop();
  // Every call still answers, from the in-process store now.
  store->Set("k", "during", 60s);
  EXPECT_EQ(store->Get("k"), "during");
  EXPECT_EQ(store->Incr("n", 2, 60s), 2);
  EXPECT_EQ(store->Incr("n", 2, 60s), 4);
  EXPECT_TRUE(store->Ttl("n").has_value());
  EXPECT_TRUE(PollUntil([&] { return !store->IsShared(); }));
  EXPECT_EQ(store->Describe(), "in-process");
  store->Publish("events", "in-process");
  ASSERT_TRUE(inbox.WaitFor("in-process"));
  for (int i = 0; i < 20; ++i) EXPECT_EQ(store->Get("k"), "during");
  EXPECT_EQ(log.Count(spdlog::level::warn, "unreachable"), 1u);

  ASSERT_TRUE(server.Start());
  ASSERT_TRUE(PollUntil([&] { return store->IsShared(); }));
  store->Set("k", "after");
  EXPECT_EQ(RawClient(server.Url()).Get(prefix + ":k"), "after");
  EXPECT_EQ(log.Count(spdlog::level::info, "reachable again"), 1u);
  EXPECT_EQ(log.Count(spdlog::level::warn, "unreachable"), 1u);

  // The subscription was re-made on the new server: a second store's messages arrive.
  const auto other = KvStore::Create(StoreOptions(server.Url(), prefix));
  int attempt = 0;
  EXPECT_TRUE(PollUntil([&] {
    const std::string message = "again-" + std::to_string(attempt++);
    other->Publish("events", message);
    return inbox.WaitFor(message, 200ms);
  }));
}

}  // namespace webui::kv::testing
