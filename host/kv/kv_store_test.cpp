// The KvStore API without any service: the in-process store, a store whose Redis port is closed
// (so it runs on its fallback), URL parsing and unsupported schemes.
#include <gtest/gtest.h>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include "kv/kv_store.hpp"
#include "kv/kv_test_support.hpp"
#include "kv/memory_store.hpp"
#include "kv/redis_url.hpp"

namespace webui::kv::testing {
namespace {

// A port nothing listens on: bind an ephemeral one and release it.
int ClosedPort() {
  Poco::Net::ServerSocket socket;
  socket.bind(Poco::Net::SocketAddress("127.0.0.1", 0), true, false);
  const int port = socket.address().port();
  socket.close();
  return port;
}

KvOptions ClosedPortOptions() {
  KvOptions options;
  options.redis_url = "redis://127.0.0.1:" + std::to_string(ClosedPort()) + "/0";
  options.key_prefix = RandomPrefix();
  options.connect_timeout = 500ms;
  options.command_timeout = 500ms;
  options.reconnect_interval = 50ms;
  return options;
}

}  // namespace

std::unique_ptr<KvStore> MakeConformanceStore(const std::string& backend) {
  if (backend == "memory") return KvStore::Create(KvOptions{});
  if (backend == "fallback") return KvStore::Create(ClosedPortOptions());
  ADD_FAILURE() << "unknown backend " << backend;
  return nullptr;
}

INSTANTIATE_TEST_SUITE_P(InProcess, KvConformance, ::testing::Values("memory", "fallback"));

TEST(KvStoreCreate, EmptyUrlIsInProcessAndSaysSoOnce) {
  LogCapture log;
  const auto store = KvStore::Create(KvOptions{});
  EXPECT_FALSE(store->IsShared());
  EXPECT_EQ(store->Describe(), "in-process");
  EXPECT_EQ(log.Count(spdlog::level::info, "in-process"), 1u);
  EXPECT_EQ(log.Count(spdlog::level::warn, ""), 0u);
}

TEST(KvStoreCreate, UnusableUrlIsRefusedWhenTheHostAsksForIt) {
  for (const std::string url : {"unix://:secret@/run/redis.sock", "redis://:secret@host:port/0",
                                "redis+sentinel://:secret@127.0.0.1:26379"}) {
    LogCapture log;
    KvOptions options;
    options.redis_url = url;
    options.refuse_unusable = true;
    try {
      KvStore::Create(options);
      ADD_FAILURE() << url << " gave a store";
    } catch (const KvConfigError& e) {
      EXPECT_EQ(std::string(e.what()).find("secret"), std::string::npos) << e.what();
    }
    EXPECT_EQ(log.Lines().size(), 0u);
  }
}

TEST(KvStoreCreate, UnusableUrlWarnsOnceAndRunsInProcessOtherwise) {
  LogCapture log;
  KvOptions options;
  options.redis_url = "unix://:secret@/run/redis.sock";
  const auto store = KvStore::Create(options);
  EXPECT_FALSE(store->IsShared());
  EXPECT_EQ(store->Describe(), "in-process");
  store->Set("k", "v");
  EXPECT_EQ(store->Get("k"), "v");
  const auto lines = log.Lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(log.Count(spdlog::level::warn, "'unix://'"), 1u) << lines[0];
  EXPECT_EQ(lines[0].find("secret"), std::string::npos) << "password leaked into the log";
}

TEST(KvStoreCreate, UnreadableTlsCaFileIsAConfigurationError) {
  KvOptions options;
  options.redis_url = "rediss://127.0.0.1:1/0?ssl_ca_certs=/nonexistent/ca.pem";
  options.refuse_unusable = true;
  EXPECT_THROW(KvStore::Create(options), KvConfigError);
}

// While Redis is down writes are journaled for replay; a full journal refuses further writes
// (an honest error for the caller) instead of keeping them on this instance only.
TEST(KvStoreOutage, FullJournalFailsWritesAndSaysSoOnce) {
  LogCapture log;
  KvOptions options = ClosedPortOptions();
  options.journal_max_entries = 3;
  options.replayed_channels = {"announce"};
  Inbox inbox;
  const auto store = KvStore::Create(options);
  const auto id = store->Subscribe("announce", inbox.Fn());
  store->Set("a", "1", 60s);
  store->Del("b");
  store->Publish("announce", "x");
  EXPECT_THROW(store->Set("c", "3"), KvUnavailable);
  EXPECT_THROW(store->Del("a"), KvUnavailable);
  EXPECT_EQ(store->Get("a"), "1");  // the refused Del did not happen locally either
  EXPECT_EQ(store->Get("c"), std::nullopt);
  store->Publish("announce", "y");  // announcements still reach this instance
  EXPECT_TRUE(inbox.WaitFor("y"));
  EXPECT_EQ(store->Incr("counter", 1, 1s), 1);  // counters are never journaled
  store->Publish("elsewhere", "z");             // nor publishes on other channels
  EXPECT_EQ(log.Count(spdlog::level::err, "writes fail"), 1u);
  store->Unsubscribe(id);
}

TEST(KvStoreCreate, ClosedPortFallsBackWithOneWarningAndKeepsRetrying) {
  LogCapture log;
  const KvOptions options = ClosedPortOptions();
  const auto store = KvStore::Create(options);
  EXPECT_FALSE(store->IsShared());
  EXPECT_EQ(store->Describe(), "in-process");
  store->Set("k", "v");
  EXPECT_EQ(store->Get("k"), "v");
  EXPECT_EQ(store->Incr("n", 3, 1s), 3);
  // Let several background retries (every 50 ms) fail: the outage is still reported once.
  std::this_thread::sleep_for(400ms);
  EXPECT_FALSE(store->IsShared());
  EXPECT_EQ(log.Count(spdlog::level::warn, "unreachable"), 1u);
  EXPECT_EQ(log.Count(spdlog::level::warn, "using the in-process store until it returns"), 1u);
  EXPECT_EQ(log.Count(spdlog::level::info, "reachable again"), 0u);
}

TEST(KvStoreCreate, ServerThatNeverAnswersCountsAsDown) {
  // Accepts connections (the kernel completes them from the backlog) but never replies.
  Poco::Net::ServerSocket silent;
  silent.bind(Poco::Net::SocketAddress("127.0.0.1", 0), true, false);
  silent.listen(64);
  LogCapture log;
  KvOptions options;
  options.redis_url = "redis://127.0.0.1:" + std::to_string(silent.address().port()) + "/0";
  options.connect_timeout = 300ms;
  options.command_timeout = 300ms;
  options.reconnect_interval = 50ms;
  const auto store = KvStore::Create(options);
  EXPECT_FALSE(store->IsShared());
  store->Set("k", "v");
  EXPECT_EQ(store->Get("k"), "v");
  Inbox inbox;
  const auto id = store->Subscribe("c", inbox.Fn());
  store->Publish("c", "m");
  EXPECT_TRUE(inbox.WaitFor("m"));
  store->Unsubscribe(id);
  EXPECT_EQ(log.Count(spdlog::level::warn, "unreachable (no reply within 300 ms)"), 1u);
}

TEST(MemoryStore, PurgeDropsExpiredKeysNobodyReads) {
  MemoryStore store(MemoryStore::Options{20ms, 1000});
  KvStore& kv = store;  // the defaulted arguments live on the interface
  for (int i = 0; i < 1000; ++i) kv.Set("k" + std::to_string(i), "v", 50ms);
  kv.Set("stays", "v");
  EXPECT_GE(store.StoredKeyCount(), 1u);
  EXPECT_TRUE(PollUntil([&] { return store.StoredKeyCount() == 1; }));
  EXPECT_EQ(kv.Get("stays"), "v");
}

TEST(MemoryStore, PublishWithoutSubscribersIsDropped) {
  Inbox inbox;  // outlives the store, whose thread calls into it
  MemoryStore store;
  store.Publish("nobody", "m");  // must not queue forever or throw
  store.Subscribe("nobody", inbox.Fn());
  store.Publish("nobody", "later");
  ASSERT_TRUE(inbox.WaitFor("later"));
  EXPECT_EQ(inbox.Count("m"), 0u);
}

TEST(MemoryStore, IncrOverflowThrowsAndKeepsTheValue) {
  MemoryStore store;
  KvStore& kv = store;
  kv.Set("big", std::to_string(INT64_MAX));
  EXPECT_THROW(kv.Incr("big", 1), std::runtime_error);
  EXPECT_EQ(kv.Get("big"), std::to_string(INT64_MAX));
}

TEST(RedisUrl, ParsesAllParts) {
  const auto parsed = ParseRedisUrl("redis://alice:p%40ss:w@cache.local:6380/3");
  ASSERT_TRUE(parsed.endpoint.has_value()) << parsed.error;
  EXPECT_EQ(parsed.endpoint->host, "cache.local");
  EXPECT_EQ(parsed.endpoint->port, 6380);
  EXPECT_EQ(parsed.endpoint->db, 3);
  EXPECT_EQ(parsed.endpoint->user, "alice");
  EXPECT_EQ(parsed.endpoint->password, "p@ss:w");
  EXPECT_EQ(parsed.endpoint->Describe(), "redis://cache.local:6380/3");
}

TEST(RedisUrl, DefaultsAndVariants) {
  auto parsed = ParseRedisUrl("redis://localhost");
  ASSERT_TRUE(parsed.endpoint.has_value());
  EXPECT_EQ(parsed.endpoint->port, 6379);
  EXPECT_EQ(parsed.endpoint->db, 0);
  EXPECT_TRUE(parsed.endpoint->password.empty());
  EXPECT_EQ(parsed.endpoint->Describe(), "redis://localhost:6379/0");

  parsed = ParseRedisUrl("REDIS://:only-pass@10.0.0.1:7000/");
  ASSERT_TRUE(parsed.endpoint.has_value());
  EXPECT_EQ(parsed.endpoint->user, "");
  EXPECT_EQ(parsed.endpoint->password, "only-pass");
  EXPECT_EQ(parsed.endpoint->db, 0);

  parsed = ParseRedisUrl("redis://[::1]:6390/2?timeout=5");
  ASSERT_TRUE(parsed.endpoint.has_value());
  EXPECT_EQ(parsed.endpoint->host, "::1");
  EXPECT_EQ(parsed.endpoint->port, 6390);
  EXPECT_EQ(parsed.endpoint->db, 2);
  EXPECT_EQ(parsed.endpoint->Describe(), "redis://[::1]:6390/2");

  parsed = ParseRedisUrl("redis://a@b@host:1/0");  // '@' inside the password part
  ASSERT_TRUE(parsed.endpoint.has_value());
  EXPECT_EQ(parsed.endpoint->host, "host");
}

TEST(RedisUrl, RejectsMalformedUrls) {
  EXPECT_FALSE(ParseRedisUrl("unix:///run/redis.sock").endpoint.has_value());
  EXPECT_EQ(ParseRedisUrl("unix:///run/redis.sock").scheme, "unix");
  EXPECT_FALSE(ParseRedisUrl("localhost:6379").endpoint.has_value());
  EXPECT_FALSE(ParseRedisUrl("redis://").endpoint.has_value());
  EXPECT_FALSE(ParseRedisUrl("redis://host:0").endpoint.has_value());
  EXPECT_FALSE(ParseRedisUrl("redis://host:99999").endpoint.has_value());
  EXPECT_FALSE(ParseRedisUrl("redis://host:6379/x").endpoint.has_value());
  EXPECT_FALSE(ParseRedisUrl("rediss://host/0?ssl_cert_reqs=maybe").endpoint.has_value());
  EXPECT_FALSE(ParseRedisUrl("redis+sentinel://host:26379").endpoint.has_value());  // no master
  EXPECT_FALSE(ParseRedisUrl("redis+sentinel://h1,:x/m").endpoint.has_value());
  EXPECT_FALSE(ParseRedisUrl("redis://m/0", {"h1:notaport", 26379}).endpoint.has_value());
  const auto parsed = ParseRedisUrl("redis://:topsecret@host:port/0");
  EXPECT_FALSE(parsed.endpoint.has_value());
  EXPECT_EQ(parsed.error.find("topsecret"), std::string::npos);
}

TEST(RedisUrl, TlsSchemeAndRedisPyQueryParameters) {
  auto parsed = ParseRedisUrl("rediss://:pw@cache.example:6380/1");
  ASSERT_TRUE(parsed.endpoint.has_value()) << parsed.error;
  EXPECT_EQ(parsed.scheme, "rediss");
  EXPECT_TRUE(parsed.endpoint->tls);
  EXPECT_TRUE(parsed.endpoint->tls_verify);  // verified unless the URL says otherwise
  EXPECT_EQ(parsed.endpoint->tls_ca_file, "");
  EXPECT_EQ(parsed.endpoint->password, "pw");
  EXPECT_EQ(parsed.endpoint->Describe(), "rediss://cache.example:6380/1");

  parsed = ParseRedisUrl("rediss://h/0?ssl_cert_reqs=none&ssl_ca_certs=%2Fetc%2Fca.pem");
  ASSERT_TRUE(parsed.endpoint.has_value()) << parsed.error;
  EXPECT_FALSE(parsed.endpoint->tls_verify);
  EXPECT_EQ(parsed.endpoint->tls_ca_file, "/etc/ca.pem");
  parsed = ParseRedisUrl("rediss://h/0?ssl_cert_reqs=CERT_REQUIRED&timeout=3");
  ASSERT_TRUE(parsed.endpoint.has_value()) << parsed.error;
  EXPECT_TRUE(parsed.endpoint->tls_verify);
  EXPECT_FALSE(ParseRedisUrl("redis://h/0").endpoint->tls);
}

TEST(RedisUrl, SentinelFromOpenWebUIEnvironment) {
  // REDIS_SENTINEL_HOSTS + REDIS_SENTINEL_PORT; the URL's host is the master's service name.
  const auto parsed = ParseRedisUrl("redis://:pw@mymaster/2", {"s1, s2:26380 ,[::1]", 26379});
  ASSERT_TRUE(parsed.endpoint.has_value()) << parsed.error;
  const RedisEndpoint& e = *parsed.endpoint;
  EXPECT_TRUE(e.UsesSentinel());
  EXPECT_EQ(e.master_name, "mymaster");
  EXPECT_EQ(e.db, 2);
  EXPECT_EQ(e.password, "pw");
  ASSERT_EQ(e.sentinels.size(), 3u);
  EXPECT_EQ(e.sentinels[0], (HostPort{"s1", 26379}));
  EXPECT_EQ(e.sentinels[1], (HostPort{"s2", 26380}));
  EXPECT_EQ(e.sentinels[2], (HostPort{"::1", 26379}));
  EXPECT_EQ(e.Describe(), "sentinel master 'mymaster' via s1:26379,s2:26380,[::1]:26379 db 2");
  EXPECT_EQ(e.Describe().find("pw"), std::string::npos);
  // Without sentinel hosts the same URL is a plain server called "mymaster".
  EXPECT_FALSE(ParseRedisUrl("redis://mymaster/2", {"", 26379}).endpoint->UsesSentinel());
}

TEST(RedisUrl, SentinelSchemeNamesSentinelsAndMaster) {
  const auto parsed = ParseRedisUrl("redis+sentinel://:pw@10.0.0.1,10.0.0.2:26380/cache-master/4");
  ASSERT_TRUE(parsed.endpoint.has_value()) << parsed.error;
  const RedisEndpoint& e = *parsed.endpoint;
  EXPECT_EQ(parsed.scheme, "redis+sentinel");
  EXPECT_EQ(e.master_name, "cache-master");
  EXPECT_EQ(e.db, 4);
  EXPECT_EQ(e.password, "pw");
  ASSERT_EQ(e.sentinels.size(), 2u);
  EXPECT_EQ(e.sentinels[0], (HostPort{"10.0.0.1", 26379}));
  EXPECT_EQ(e.sentinels[1], (HostPort{"10.0.0.2", 26380}));
  const auto no_db = ParseRedisUrl("redis+sentinel://s/m");
  ASSERT_TRUE(no_db.endpoint.has_value()) << no_db.error;
  EXPECT_EQ(no_db.endpoint->db, 0);
}

}  // namespace webui::kv::testing
