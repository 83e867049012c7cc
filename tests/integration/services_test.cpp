// Database, key-value store and publish/subscribe as plugins see them, across several instances.
#include <thread>

#include "it_support.hpp"
#include "storage/database.hpp"

namespace webui::testing {
namespace {

using nlohmann::json;

class Services : public SharedHost {};

TEST_F(Services, DatabaseParameterisedAndTransactional) {
  ASSERT_EQ(host().Post("/api/v1/test/notes", R"({"text":"first"})").status, 200);
  ASSERT_EQ(host().Post("/api/v1/test/notes", R"({"text":"x'); DROP TABLE test_note; --"})").status,
            200);
  EXPECT_EQ(host().Post("/api/v1/test/notes", R"({"text":"rolled","rollback":true})").status, 409);
  auto notes = host().Get("/api/v1/test/notes").Json();
  std::vector<std::string> texts;
  for (const auto& n : notes) texts.push_back(n["text"]);
  EXPECT_NE(std::find(texts.begin(), texts.end(), "first"), texts.end());
  EXPECT_NE(std::find(texts.begin(), texts.end(), "x'); DROP TABLE test_note; --"), texts.end());
  EXPECT_EQ(std::find(texts.begin(), texts.end(), "rolled"), texts.end());
  auto found = host().Get("/api/v1/test/notes/search?q=first").Json();
  EXPECT_EQ(found, json::array({"first"}));
}

TEST_F(Services, KeyValueWithTtlAndCounters) {
  ASSERT_EQ(Http(host().port(), "PUT", "/api/v1/test/kv/k1?ttl_ms=60000", "v1").status, 200);
  auto got = host().Get("/api/v1/test/kv/k1").Json();
  EXPECT_EQ(got["value"], "v1");
  EXPECT_GT(got["ttl_ms"].get<int64_t>(), 50000);
  EXPECT_LE(got["ttl_ms"].get<int64_t>(), 60000);
  EXPECT_EQ(got["shared"], backend_->postgres());  // Redis in the postgres run
  EXPECT_EQ(host().Get("/api/v1/test/kv/missing").status, 404);
  EXPECT_EQ(host().Post("/api/v1/test/kv/c1/incr", "").Json()["value"], 1);
  EXPECT_EQ(host().Post("/api/v1/test/kv/c1/incr", "").Json()["value"], 2);

  ASSERT_EQ(Http(host().port(), "PUT", "/api/v1/test/kv/short?ttl_ms=200", "gone soon").status,
            200);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  int status = 200;
  while (status == 200 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    status = host().Get("/api/v1/test/kv/short").status;
  }
  EXPECT_EQ(status, 404);
}

TEST_F(Services, PublishSubscribeWithinOneInstance) {
  ASSERT_EQ(host().Post("/api/v1/test/publish", "hello-local").status, 200);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  json received;
  while (std::chrono::steady_clock::now() < deadline) {
    received = host().Get("/api/v1/test/received").Json();
    if (std::find(received.begin(), received.end(), "hello-local") != received.end()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(std::count(received.begin(), received.end(), "hello-local"), 1) << received.dump();
}

// Several instances on one database and one Redis (the postgres run).
TEST(MultiInstance, ThreeHostsMigrateOnceAndShareRedis) {
  WH_REQUIRE_BACKEND();
  Backend backend;
  if (!backend.postgres()) GTEST_SKIP() << "needs PostgreSQL and Redis (WEBUI_IT_BACKEND=postgres)";
  std::vector<std::unique_ptr<HostProcess>> hosts;
  for (int i = 0; i < 3; ++i) {
    HostProcess::Options o;
    o.env = backend.Env();
    hosts.push_back(std::make_unique<HostProcess>(o));
  }
  // Start all three at once on the empty database: launched from this thread (their parent
  // for DieWithParent), then waited for.
  for (auto& h : hosts) {
    std::string why;
    ASSERT_TRUE(h->Launch(&why)) << why;
  }
  for (auto& h : hosts) {
    std::string why;
    ASSERT_TRUE(h->WaitListening(&why)) << why;
  }
  storage::DatabaseOptions dbo;
  dbo.url = backend.database_url();
  auto db = storage::Database::Open(dbo);
  std::int64_t runs = -1, host_steps = -1;
  db->Exec("SELECT COUNT(*) FROM test_migration_run", {}, [&](const storage::Row& r) {
    runs = std::get<std::int64_t>(r.at(0));
    return false;
  });
  db->Exec("SELECT COUNT(*) FROM webui_host_migration WHERE owner = 'host'", {},
           [&](const storage::Row& r) {
             host_steps = std::get<std::int64_t>(r.at(0));
             return false;
           });
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(host_steps, 1);

  // A value written through instance 0 is read through instance 2; a counter is shared.
  ASSERT_EQ(Http(hosts[0]->port(), "PUT", "/api/v1/test/kv/shared-key", "from-0").status, 200);
  auto got = hosts[2]->Get("/api/v1/test/kv/shared-key").Json();
  EXPECT_EQ(got["value"], "from-0");
  EXPECT_EQ(got["shared"], true);
  hosts[0]->Post("/api/v1/test/kv/n/incr", "");
  hosts[1]->Post("/api/v1/test/kv/n/incr", "");
  EXPECT_EQ(hosts[2]->Post("/api/v1/test/kv/n/incr", "").Json()["value"], 3);

  // A message published on instance 1 reaches the subscribers on every instance, once.
  ASSERT_EQ(hosts[1]->Post("/api/v1/test/publish", "cross-instance").status, 200);
  for (auto& h : hosts) {
    json received;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      received = h->Get("/api/v1/test/received").Json();
      if (!received.empty()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(received, json::array({"cross-instance"}));
  }
  // An admin setting saved through instance 0 is honoured by instance 2 at once.
  ASSERT_EQ(
      hosts[0]->Post("/api/v1/test/config", R"({"greeting":"changed-on-0"})", As("admin")).status,
      200);
  std::string seen;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (seen != "changed-on-0" && std::chrono::steady_clock::now() < deadline) {
    seen = hosts[2]->Get("/api/v1/test/config").Json()["greeting"];
    if (seen != "changed-on-0") std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(seen, "changed-on-0");
  for (auto& h : hosts) EXPECT_EQ(h->Stop(), 0);
}

TEST(RedisFallback, UnreachableRedisFallsBackToInProcessAndSaysSoOnce) {
  HostProcess host({{{"REDIS_URL", "redis://127.0.0.1:1/0"}, {"REDIS_TIMEOUT_MS", "300"}}, {}, ""});
  std::string why;
  ASSERT_TRUE(host.Start(&why)) << why;
  ASSERT_EQ(Http(host.port(), "PUT", "/api/v1/test/kv/k", "local").status, 200);
  auto got = host.Get("/api/v1/test/kv/k").Json();
  EXPECT_EQ(got["value"], "local");
  EXPECT_EQ(got["shared"], false);
  for (int i = 0; i < 20; ++i) host.Post("/api/v1/test/kv/c/incr", "");
  EXPECT_EQ(host.Get("/health").status, 200);
  const std::string log = host.Log();
  size_t mentions = 0;
  for (size_t p = log.find("in-process"); p != std::string::npos; p = log.find("in-process", p + 1))
    ++mentions;
  EXPECT_GE(mentions, 1u);
  EXPECT_LE(mentions, 2u) << log;  // said once, not once per call
  EXPECT_EQ(host.Stop(), 0);
}

}  // namespace
}  // namespace webui::testing
