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
#include "kv/kv_test_servers.hpp"
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
  // A password the server rejects is a configuration error: with refuse_unusable the store is
  // not made at all; without, it runs in-process and says why once.
  LogCapture log;
  const std::string wrong = "redis://:wrong@127.0.0.1:" + std::to_string(server.port()) + "/0";
  KvOptions strict = StoreOptions(wrong, prefix);
  strict.refuse_unusable = true;
  try {
    KvStore::Create(strict);
    ADD_FAILURE() << "a refused password must not give a store";
  } catch (const KvConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("WRONGPASS"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("wrong@"), std::string::npos) << e.what();
  }
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

// Writes made during an outage reach Redis when it returns (docs/security.md T40, T42). The
// server comes back requiring a password that only the observer knows, so the store under test
// stays down until the test lifts it: the observer is subscribed before anything is replayed.
TEST(RedisOutage, WritesMadeWhileDownAreReplayedWhenRedisReturns) {
  WEBUI_KV_REQUIRE_SERVICE(ProgramOnPath("redis-server"), "redis-server is not installed");
  TestRedisServer server(FreeTcpPort());
  ASSERT_TRUE(server.Start());
  const std::string prefix = RunPrefix() + "-journal";
  Inbox resync;  // outlive the stores
  Inbox observed;
  KvOptions options = StoreOptions(server.Url(), prefix);
  options.replayed_channels = {"announce"};
  const auto store = KvStore::Create(options);
  ASSERT_TRUE(store->IsShared());
  const auto resync_id = store->Subscribe(kResyncChannel, resync.Fn());
  store->Set("deleted-while-down", "old");
  store->Set("overwritten-while-down", "old");

  server.Stop();
  ASSERT_TRUE(PollUntil([&] {
    store->Get("probe");
    return !store->IsShared();
  }));
  store->Set("revoked", "1", 60s);
  store->Set("forever", "v");
  store->Set("overwritten-while-down", "new");
  store->Set("short-lived", "x", 50ms);
  store->Set("deleted-while-down", "gone", 60s);
  store->Del("deleted-while-down");
  store->Publish("announce", "setting-changed");
  store->Publish("chatter", "not-replayed");
  std::this_thread::sleep_for(100ms);     // let "short-lived" expire before the replay
  EXPECT_EQ(store->Get("revoked"), "1");  // meanwhile this instance sees its own writes

  ASSERT_TRUE(server.Start({"--requirepass", "gate"}));
  const std::string gated = "redis://:gate@127.0.0.1:" + std::to_string(server.port()) + "/0";
  const auto observer = KvStore::Create(StoreOptions(gated, prefix));
  ASSERT_TRUE(observer->IsShared());
  const auto announce_id = observer->Subscribe("announce", observed.Fn());
  const auto chatter_id = observer->Subscribe("chatter", observed.Fn());
  RawClient raw(gated);
  EXPECT_EQ(raw.Get(prefix + ":revoked"), std::nullopt);  // nothing replayed through the gate
  Poco::Redis::Command open("CONFIG");
  open << "SET"
       << "requirepass"
       << "";
  try {
    raw.Integer(open);  // answers +OK, which Integer() rejects; the change is made regardless
  } catch (...) {
  }

  ASSERT_TRUE(observed.WaitFor("setting-changed"));
  ASSERT_TRUE(PollUntil([&] { return store->IsShared(); }));
  RawClient open_raw(server.Url());
  EXPECT_EQ(open_raw.Get(prefix + ":revoked"), "1");
  Poco::Redis::Command pttl("PTTL");
  pttl << prefix + ":revoked";
  const Poco::Int64 ttl = open_raw.Integer(pttl);
  EXPECT_GT(ttl, 0);
  EXPECT_LE(ttl, 60000);
  EXPECT_EQ(open_raw.Get(prefix + ":forever"), "v");
  EXPECT_EQ(open_raw.Get(prefix + ":overwritten-while-down"), "new");
  EXPECT_EQ(open_raw.Get(prefix + ":short-lived"), std::nullopt);
  EXPECT_EQ(open_raw.Get(prefix + ":deleted-while-down"), std::nullopt);
  EXPECT_EQ(observer->Get("revoked"), "1");
  // Publishes on other channels are never replayed: stale events would do harm.
  observer->Publish("chatter", "marker");
  ASSERT_TRUE(observed.WaitFor("marker"));
  EXPECT_EQ(observed.Count("not-replayed"), 0u);
  // The store re-subscribed after the outage and says so locally, so caches get re-read.
  EXPECT_TRUE(resync.WaitFor(""));
  observer->Unsubscribe(announce_id);
  observer->Unsubscribe(chatter_id);
  store->Unsubscribe(resync_id);
}

TEST(RedisTls, VerifiedServerIsUsedAndUntrustedOneIsRefused) {
  WEBUI_KV_REQUIRE_SERVICE(ProgramOnPath("redis-server") && ProgramOnPath("openssl"),
                           "redis-server or openssl is not installed");
  const auto certs = TestCertificates::Make();
  ASSERT_TRUE(certs) << "openssl could not make the test certificates";
  const int port = FreeTcpPort();
  TestRedisServer server(port, certs->ServerOptions(port));
  ASSERT_TRUE(server.Start()) << server.Log();
  const std::string base = "rediss://127.0.0.1:" + std::to_string(port) + "/0";
  const std::string prefix = RunPrefix() + "-tls";
  {
    Inbox inbox;
    KvOptions options = StoreOptions(base + "?ssl_ca_certs=" + certs->ca, prefix);
    options.refuse_unusable = true;
    const auto a = KvStore::Create(options);
    const auto b = KvStore::Create(options);
    ASSERT_TRUE(a->IsShared());
    EXPECT_EQ(a->Describe(), "rediss://127.0.0.1:" + std::to_string(port) + "/0");
    a->Set("k", "over-tls", 30s);
    EXPECT_EQ(b->Get("k"), "over-tls");
    const auto id = b->Subscribe("events", inbox.Fn());
    a->Publish("events", "hello");
    EXPECT_TRUE(inbox.WaitFor("hello"));
    b->Unsubscribe(id);
  }
  for (const std::string& url : {base + "?ssl_ca_certs=" + certs->other_ca, base}) {
    KvOptions options = StoreOptions(url, prefix);
    options.refuse_unusable = true;
    try {
      KvStore::Create(options);
      ADD_FAILURE() << url << ": an untrusted certificate must be refused";
    } catch (const KvConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("TLS"), std::string::npos) << e.what();
    }
  }
  // Verification switched off explicitly, as redis-py's ssl_cert_reqs=none.
  const auto unverified = KvStore::Create(StoreOptions(base + "?ssl_cert_reqs=none", prefix));
  EXPECT_TRUE(unverified->IsShared());
  EXPECT_EQ(unverified->Get("k"), "over-tls");
}

class RawTarget {  // a raw client on a port, for servers that answer other than plain strings
 public:
  explicit RawTarget(int port) {
    client_.connect("127.0.0.1", port, Poco::Timespan(2, 0));
    client_.setReceiveTimeout(Poco::Timespan(5, 0));
  }
  Poco::Redis::RedisType::Ptr Send(Poco::Redis::Command command) {
    return client_.sendCommand(command);
  }
  std::string Role() {
    const auto reply = Send(Poco::Redis::Command("ROLE"));
    const auto* array = dynamic_cast<const Poco::Redis::Type<Poco::Redis::Array>*>(reply.get());
    if (array == nullptr || array->value().size() == 0) return "";
    return array->value().get<Poco::Redis::BulkString>(0).value();
  }

 private:
  Poco::Redis::Client client_;
};

TEST(RedisSentinel, MasterIsResolvedAndFollowedThroughAFailover) {
  WEBUI_KV_REQUIRE_SERVICE(ProgramOnPath("redis-server"), "redis-server is not installed");
  const int master_port = FreeTcpPort();
  const int replica_port = FreeTcpPort();
  const int sentinel_port = FreeTcpPort();
  TestRedisServer master(master_port);
  TestRedisServer replica(replica_port, {"--replicaof", "127.0.0.1", std::to_string(master_port)});
  TestRedisServer sentinel(sentinel_port);
  ASSERT_TRUE(master.Start());
  ASSERT_TRUE(replica.Start());
  ASSERT_TRUE(sentinel.StartSentinel("kvmaster", master_port)) << sentinel.Log();
  const std::string prefix = RunPrefix() + "-sentinel";

  // Open WebUI's form: REDIS_SENTINEL_HOSTS names the sentinels, REDIS_URL the master service.
  KvOptions options = StoreOptions("redis://kvmaster/0", prefix);
  options.sentinel_hosts = "127.0.0.1:" + std::to_string(sentinel_port);
  options.refuse_unusable = true;
  const auto store = KvStore::Create(options);
  ASSERT_TRUE(store->IsShared());
  store->Set("session", "alive", 120s);
  EXPECT_EQ(RawClient(master.Url()).Get(prefix + ":session"), "alive");
  // The URL form names the sentinels itself.
  const auto by_url = KvStore::Create(StoreOptions(
      "redis+sentinel://127.0.0.1:" + std::to_string(sentinel_port) + "/kvmaster/0", prefix));
  ASSERT_TRUE(by_url->IsShared());
  EXPECT_EQ(by_url->Get("session"), "alive");
  ASSERT_TRUE(
      PollUntil([&] { return RawClient(replica.Url()).Get(prefix + ":session") == "alive"; }));

  // Failover: the sentinel may need a moment to learn about the replica first.
  RawTarget ask(sentinel_port);
  ASSERT_TRUE(PollUntil(
      [&] {
        Poco::Redis::Command failover("SENTINEL");
        failover << "FAILOVER"
                 << "kvmaster";
        const auto reply = ask.Send(failover);
        return !reply.isNull() && !reply->isError();
      },
      30s));
  ASSERT_TRUE(PollUntil([&] { return RawTarget(replica_port).Role() == "master"; }, 30s));
  // The store notices (a write refused by the demoted master, or the ROLE check) and follows.
  ASSERT_TRUE(PollUntil(
      [&] {
        try {
          store->Set("after", "failover", 120s);
        } catch (...) {
        }
        return store->IsShared() && RawClient(replica.Url()).Get(prefix + ":after") == "failover";
      },
      30s));
  EXPECT_EQ(store->Get("session"), "alive");  // sessions survive the failover
}

}  // namespace webui::kv::testing
