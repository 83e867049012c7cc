// Behaviour every backend must show. Instantiated for SQLite in sqlite_database_test.cpp and for
// PostgreSQL in postgres_database_test.cpp.
#include <unistd.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <mutex>
#include <random>
#include <thread>

#include "storage/database_test_support.hpp"

namespace webui::storage::testing {

std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

std::string PostgresTestUrl() {
  const char* url = std::getenv("WEBUI_TEST_DATABASE_URL");
  return url == nullptr ? std::string() : std::string(url);
}

void DatabaseTest::SetUp() {
  if (IsPostgres()) {
    std::string url = PostgresTestUrl();
    if (url.empty()) {
      const char* required = std::getenv("WEBUI_TEST_REQUIRE_SERVICES");
      if (required != nullptr && std::string(required) == "1") {
        FAIL() << "WEBUI_TEST_DATABASE_URL is not set but WEBUI_TEST_REQUIRE_SERVICES=1";
      }
      GTEST_SKIP() << "WEBUI_TEST_DATABASE_URL is not set";
    }
    static std::atomic<int> counter{0};
    std::random_device random;
    schema_ = "wh_storage_t" + std::to_string(getpid()) + "_" + std::to_string(counter++) + "_" +
              std::to_string(random() % 100000);
    DatabaseOptions admin_options;
    admin_options.url = url;
    admin_options.pool_size = 1;
    admin_ = Database::Open(admin_options);
    admin_->Exec("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
    admin_->Exec("CREATE SCHEMA " + schema_);
  } else {
    std::string pattern = (std::filesystem::temp_directory_path() / "wh-storage-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    temp_dir_ = pattern;
  }
}

void DatabaseTest::TearDown() {
  if (admin_) {
    admin_->Exec("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
  }
  if (!temp_dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(temp_dir_, ignored);
  }
}

DatabaseOptions DatabaseTest::Options(std::size_t pool_size, int busy_timeout_ms) const {
  DatabaseOptions options;
  options.pool_size = pool_size;
  options.busy_timeout_ms = busy_timeout_ms;
  if (IsPostgres()) {
    std::string url = PostgresTestUrl();
    url += url.find('?') == std::string::npos ? "?" : "&";
    url += "options=-csearch_path%3D" + schema_;
    options.url = url;
  } else {
    options.sqlite_path = temp_dir_ + "/nested/dir/test.db";
  }
  return options;
}

std::unique_ptr<Database> DatabaseTest::OpenDb(std::size_t pool_size, int busy_timeout_ms) const {
  return Database::Open(Options(pool_size, busy_timeout_ms));
}

std::vector<Row> Query(Database& db, std::string_view sql, std::vector<Value> params) {
  std::vector<Row> rows;
  db.Exec(sql, params, [&](const Row& row) {
    rows.push_back(row);
    return true;
  });
  return rows;
}

std::vector<Row> Query(Transaction& tx, std::string_view sql, std::vector<Value> params) {
  std::vector<Row> rows;
  tx.Exec(sql, params, [&](const Row& row) {
    rows.push_back(row);
    return true;
  });
  return rows;
}

std::int64_t Count(Database& db, std::string_view sql, std::vector<Value> params) {
  std::vector<Row> rows = Query(db, sql, std::move(params));
  if (rows.size() != 1 || rows[0].size() != 1) throw std::runtime_error("not a single value");
  return std::get<std::int64_t>(rows[0][0]);
}

namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string AllBytes() {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  return bytes;
}

TEST_P(DatabaseTest, ValuesRoundTripWithTheirTypes) {
  auto db = OpenDb();
  EXPECT_EQ(db->dialect(), IsPostgres() ? Dialect::kPostgres : Dialect::kSqlite);
  db->Exec(
      Sql("CREATE TABLE v (id INTEGER PRIMARY KEY, i BIGINT, d DOUBLE PRECISION, s TEXT, "
          "b BLOB)",
          "CREATE TABLE v (id INTEGER PRIMARY KEY, i BIGINT, d DOUBLE PRECISION, s TEXT, "
          "b BYTEA)"));
  const std::vector<Row> rows = {
      {std::int64_t{1}, std::numeric_limits<std::int64_t>::max(), 0.1, std::string(""), Blob{""}},
      {std::int64_t{2}, std::numeric_limits<std::int64_t>::min(), -2.5e-300,
       std::string("héllo wörld — 世界 🚀"), Blob{AllBytes()}},
      {std::int64_t{3}, std::int64_t{-1}, 1e300, std::string("it's a 'quoted' ? mark"),
       Blob{std::string("\0\0abc", 5)}},
      {std::int64_t{4}, std::monostate{}, std::monostate{}, std::monostate{}, std::monostate{}},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(db->Exec("INSERT INTO v (id, i, d, s, b) VALUES (?, ?, ?, ?, ?)", row), 1);
  }
  EXPECT_EQ(Query(*db, "SELECT id, i, d, s, b FROM v ORDER BY id"), rows);
  // Values used as parameters in comparisons find their rows again.
  EXPECT_EQ(
      Count(*db, "SELECT COUNT(*) FROM v WHERE i = ?", {std::numeric_limits<std::int64_t>::max()}),
      1);
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM v WHERE s = ?", {std::string("héllo wörld — 世界 🚀")}),
            1);
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM v WHERE b = ?", {Blob{AllBytes()}}), 1);
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM v WHERE s IS NULL"), 1);
}

TEST_P(DatabaseTest, ExpressionResultsAreTyped) {
  auto db = OpenDb();
  const Row expected = {std::int64_t{2}, 1.5, std::string("x"), std::monostate{}, std::int64_t{7}};
  EXPECT_EQ(Query(*db, "SELECT 1 + 1, 0.5 + 1.0, 'x', NULL, CAST(? AS BIGINT)", {std::int64_t{7}}),
            std::vector<Row>{expected});
}

TEST_P(DatabaseTest, QuestionMarksInLiteralsIdentifiersAndCommentsAreNotPlaceholders) {
  auto db = OpenDb();
  const std::vector<Row> rows = Query(*db,
                                      "SELECT '?' AS \"col?\", ? /* ? */ AS p, -- what?\n"
                                      " 'it''s ?' AS q",
                                      {std::string("x")});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], (Row{std::string("?"), std::string("x"), std::string("it's ?")}));
}

TEST_P(DatabaseTest, ParameterCountMismatchThrowsWithoutTheValues) {
  auto db = OpenDb(1);
  try {
    db->Exec("SELECT ?, ?", std::vector<Value>{std::string("secret-value-123")});
    FAIL() << "expected StorageError";
  } catch (const StorageError& e) {
    EXPECT_THAT(e.what(), Not(HasSubstr("secret-value-123")));
  }
  const std::vector<Value> three = {std::int64_t{1}, std::int64_t{2}, std::int64_t{3}};
  EXPECT_THROW(db->Exec("SELECT ?, ?", three), StorageError);
  EXPECT_THROW(db->Exec("SELECT 1", three), StorageError);
  EXPECT_TRUE(db->Ping());
}

TEST_P(DatabaseTest, SqlErrorsThrowStorageError) {
  auto db = OpenDb(1);
  EXPECT_THROW(db->Exec("SELEKT 1"), StorageError);
  EXPECT_THROW(db->Exec("SELECT * FROM no_such_table"), StorageError);
  EXPECT_THROW(db->Exec("CREATE TABLE a (x INTEGER); CREATE TABLE b (x INTEGER)"), StorageError);
  EXPECT_EQ(Count(*db, "SELECT 41 + 1"), 42);
}

TEST_P(DatabaseTest, ExecReturnsRowsAffected) {
  auto db = OpenDb(1);
  EXPECT_EQ(db->Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER)"), 0);
  for (std::int64_t i = 1; i <= 3; ++i) {
    EXPECT_EQ(db->Exec("INSERT INTO t (id, n) VALUES (?, ?)", std::vector<Value>{i, i * 10}), 1);
  }
  EXPECT_EQ(db->Exec("UPDATE t SET n = n + 1"), 3);
  // A statement that changes nothing must not report the previous statement's count.
  EXPECT_EQ(db->Exec("CREATE TABLE u (id INTEGER)"), 0);
  EXPECT_EQ(db->Exec("SELECT * FROM t"), 0);
  EXPECT_EQ(db->Exec("DELETE FROM t WHERE id > ?", std::vector<Value>{std::int64_t{1}}), 2);
  std::vector<Row> returned;
  EXPECT_EQ(db->Exec("INSERT INTO t (id, n) VALUES (9, 90) RETURNING id", {},
                     [&](const Row& row) {
                       returned.push_back(row);
                       return true;
                     }),
            1);
  EXPECT_EQ(returned, std::vector<Row>{Row{std::int64_t{9}}});
}

TEST_P(DatabaseTest, TransactionCommitRollbackAndDestructorRollback) {
  auto db = OpenDb(2);
  db->Exec("CREATE TABLE t (id INTEGER PRIMARY KEY)");
  {
    auto tx = db->Begin();
    tx->Exec("INSERT INTO t (id) VALUES (1)");
    EXPECT_EQ(Query(*tx, "SELECT id FROM t").size(), 1u);  // sees its own write
    EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM t"), 0);    // others do not, yet
    tx->Commit();
    EXPECT_THROW(tx->Exec("INSERT INTO t (id) VALUES (5)"), StorageError);
    EXPECT_THROW(tx->Commit(), StorageError);
  }
  {
    auto tx = db->Begin();
    tx->Exec("INSERT INTO t (id) VALUES (2)");
    tx->Rollback();
  }
  {
    auto tx = db->Begin();
    tx->Exec("INSERT INTO t (id) VALUES (3)");
  }  // destroyed without Commit
  EXPECT_EQ(Query(*db, "SELECT id FROM t ORDER BY id"), std::vector<Row>{Row{std::int64_t{1}}});
  // Both pooled connections are back and idle: two transactions can run one after the other.
  for (int i = 0; i < 3; ++i) {
    auto a = db->Begin();
    a->Commit();
  }
}

TEST_P(DatabaseTest, RowFnEarlyStopLeavesTheConnectionClean) {
  auto db = OpenDb(1);  // one connection: every call below reuses it
  db->Exec("CREATE TABLE t (id INTEGER PRIMARY KEY)");
  {
    auto tx = db->Begin();
    for (std::int64_t i = 0; i < 50; ++i) {
      tx->Exec("INSERT INTO t (id) VALUES (?)", std::vector<Value>{i});
    }
    tx->Commit();
  }
  int seen = 0;
  db->Exec("SELECT id FROM t ORDER BY id", {}, [&](const Row&) { return ++seen < 3; });
  EXPECT_EQ(seen, 3);
  // A statement left mid-way would keep the table locked (SQLite) or the connection busy (PG).
  db->Exec("DROP TABLE t");
  db->Exec("CREATE TABLE t (id INTEGER PRIMARY KEY)");
  db->Exec("INSERT INTO t (id) VALUES (1), (2), (3)");

  auto tx = db->Begin();
  seen = 0;
  tx->Exec("SELECT id FROM t", {}, [&](const Row&) {
    ++seen;
    return false;
  });
  EXPECT_EQ(seen, 1);
  tx->Exec("DELETE FROM t WHERE id = 1");
  tx->Commit();
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM t"), 2);
}

TEST_P(DatabaseTest, RowFnExceptionPropagatesAndTheConnectionStaysUsable) {
  auto db = OpenDb(1);
  db->Exec("CREATE TABLE t (id INTEGER)");
  db->Exec("INSERT INTO t (id) VALUES (1), (2)");
  EXPECT_THROW(
      db->Exec("SELECT id FROM t", {}, [](const Row&) -> bool { throw std::logic_error("stop"); }),
      std::logic_error);
  db->Exec("DROP TABLE t");
  EXPECT_TRUE(db->Ping());
}

TEST_P(DatabaseTest, RowFnMayRunStatementsOnTheSameTransaction) {
  auto db = OpenDb(1);
  db->Exec("CREATE TABLE src (id INTEGER)");
  db->Exec("CREATE TABLE dst (id INTEGER)");
  db->Exec("INSERT INTO src (id) VALUES (1), (2), (3)");
  auto tx = db->Begin();
  tx->Exec("SELECT id FROM src ORDER BY id", {}, [&](const Row& row) {
    tx->Exec("INSERT INTO dst (id) VALUES (?)", row);
    // The same SQL as the outer statement, nested: must not disturb the outer cursor.
    EXPECT_EQ(Query(*tx, "SELECT id FROM src ORDER BY id").size(), 3u);
    return true;
  });
  tx->Commit();
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM dst"), 3);
}

TEST_P(DatabaseTest, PoolExhaustionWaitsThenErrors) {
  auto db = OpenDb(1, 300);
  auto tx = db->Begin();  // holds the only connection
  const auto start = std::chrono::steady_clock::now();
  try {
    db->Exec("SELECT 1");
    FAIL() << "expected StorageError";
  } catch (const StorageError& e) {
    EXPECT_THAT(e.what(), HasSubstr("no free database connection"));
  }
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(250));
  EXPECT_FALSE(db->Ping());
  tx->Commit();
  EXPECT_TRUE(db->Ping());
}

TEST_P(DatabaseTest, PoolWaiterGetsAReleasedConnection) {
  auto db = OpenDb(1, 10000);
  auto tx = db->Begin();
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    tx->Commit();
  });
  EXPECT_EQ(Count(*db, "SELECT 2"), 2);  // waits for the commit above
  releaser.join();
}

TEST_P(DatabaseTest, ConstraintViolationThrowsAndTheConnectionStaysUsable) {
  auto db = OpenDb(1);
  db->Exec("CREATE TABLE u (email TEXT NOT NULL UNIQUE)");
  db->Exec("INSERT INTO u (email) VALUES (?)",
           std::vector<Value>{std::string("alice@secret.test")});
  try {
    db->Exec("INSERT INTO u (email) VALUES (?)",
             std::vector<Value>{std::string("alice@secret.test")});
    FAIL() << "expected StorageError";
  } catch (const StorageError& e) {
    EXPECT_THAT(e.what(), Not(HasSubstr("alice@secret.test")));
  }
  EXPECT_THROW(db->Exec("INSERT INTO u (email) VALUES (NULL)"), StorageError);
  db->Exec("INSERT INTO u (email) VALUES (?)", std::vector<Value>{std::string("bob@test")});
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM u"), 2);

  // Inside a transaction: SQLite keeps the transaction, PostgreSQL aborts it, and Commit
  // must then say so rather than pretend.
  auto tx = db->Begin();
  tx->Exec("INSERT INTO u (email) VALUES ('carol@test')");
  EXPECT_THROW(tx->Exec("INSERT INTO u (email) VALUES ('bob@test')"), StorageError);
  if (IsPostgres()) {
    EXPECT_THROW(tx->Commit(), StorageError);
    EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM u"), 2);
  } else {
    tx->Commit();
    EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM u"), 3);
  }
}

TEST_P(DatabaseTest, ForeignKeysAreEnforced) {
  auto db = OpenDb(1);
  db->Exec("CREATE TABLE parent (id INTEGER PRIMARY KEY)");
  db->Exec("CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id))");
  EXPECT_THROW(db->Exec("INSERT INTO child (id, parent_id) VALUES (1, 42)"), StorageError);
  db->Exec("INSERT INTO parent (id) VALUES (42)");
  EXPECT_EQ(db->Exec("INSERT INTO child (id, parent_id) VALUES (1, 42)"), 1);
}

std::vector<Migration> CounterSteps(int count) {
  std::vector<Migration> steps;
  steps.push_back({1, "create counter", "CREATE TABLE counter (step INTEGER NOT NULL)", ""});
  for (int v = 2; v <= count; ++v) {
    steps.push_back({v, "count step " + std::to_string(v),
                     "INSERT INTO counter (step) VALUES (" + std::to_string(v) + ")", ""});
  }
  return steps;
}

TEST_P(DatabaseTest, MigrateAppliesEachStepOnce) {
  auto db = OpenDb();
  EXPECT_EQ(db->AppliedVersion("core"), 0);  // no migration table yet
  std::vector<Migration> steps = CounterSteps(2);
  db->Migrate("core", steps);
  EXPECT_EQ(db->AppliedVersion("core"), 2);
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM counter"), 1);

  db->Migrate("core", steps);  // no-op
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM counter"), 1);

  steps = CounterSteps(3);
  db->Migrate("core", steps);  // only v3 runs
  EXPECT_EQ(db->AppliedVersion("core"), 3);
  EXPECT_EQ(Query(*db, "SELECT step FROM counter ORDER BY step"),
            (std::vector<Row>{Row{std::int64_t{2}}, Row{std::int64_t{3}}}));
  EXPECT_EQ(Query(*db,
                  "SELECT version, description FROM webui_host_migration WHERE owner = ? "
                  "ORDER BY version",
                  {std::string("core")}),
            (std::vector<Row>{Row{std::int64_t{1}, std::string("create counter")},
                              Row{std::int64_t{2}, std::string("count step 2")},
                              Row{std::int64_t{3}, std::string("count step 3")}}));

  // Owners are independent; steps given out of order are sorted.
  std::vector<Migration> other = {
      {2, "fill", "INSERT INTO other_t (x) VALUES (1)", ""},
      {1, "create", "CREATE TABLE other_t (x INTEGER)", "CREATE TABLE other_t (x BIGINT)"},
  };
  EXPECT_EQ(db->AppliedVersion("plugin.other"), 0);
  db->Migrate("plugin.other", other);
  EXPECT_EQ(db->AppliedVersion("plugin.other"), 2);
  EXPECT_EQ(db->AppliedVersion("core"), 3);
}

TEST_P(DatabaseTest, MigrationStepMayHoldSeveralStatementsAndDialectSql) {
  auto db = OpenDb();
  std::vector<Migration> steps = {
      {1, "two tables",
       "CREATE TABLE a (id INTEGER PRIMARY KEY, note TEXT);\n"
       "-- a comment; with a semicolon\n"
       "CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a(id));\n"
       "INSERT INTO a (id, note) VALUES (1, 'one; still one');",
       "CREATE TABLE a (id BIGSERIAL PRIMARY KEY, note TEXT);\n"
       "-- a comment; with a semicolon\n"
       "CREATE TABLE b (id BIGSERIAL PRIMARY KEY, a_id BIGINT REFERENCES a(id));\n"
       "INSERT INTO a (id, note) VALUES (1, 'one; still one');"},
  };
  db->Migrate("multi", steps);
  EXPECT_EQ(Query(*db, "SELECT note FROM a"), std::vector<Row>{Row{std::string("one; still one")}});
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM b"), 0);
}

TEST_P(DatabaseTest, FailingStepRollsBackTheWholeCall) {
  auto db = OpenDb();
  std::vector<Migration> steps = {
      {1, "create t1", "CREATE TABLE t1 (x INTEGER)", ""},
      {2, "fill t1", "INSERT INTO t1 (x) VALUES (1)", ""},
      {3, "broken step", "INSERT INTO t1 (x) VALUES (2); INSERT INTO missing_table VALUES (1)", ""},
  };
  try {
    db->Migrate("owner.x", steps);
    FAIL() << "expected StorageError";
  } catch (const StorageError& e) {
    EXPECT_THAT(e.what(), HasSubstr("migration owner.x v3 (broken step) failed: "));
    EXPECT_THAT(e.what(), HasSubstr("missing_table"));
  }
  EXPECT_EQ(db->AppliedVersion("owner.x"), 0);
  EXPECT_THROW(db->Exec("SELECT COUNT(*) FROM t1"), StorageError);  // step 1 was undone

  steps[2].sql_sqlite = "INSERT INTO t1 (x) VALUES (2)";
  db->Migrate("owner.x", steps);
  EXPECT_EQ(db->AppliedVersion("owner.x"), 3);
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM t1"), 2);
}

TEST_P(DatabaseTest, MigrateRejectsVersionsThatAreNotOneToN) {
  auto db = OpenDb();
  const std::vector<std::vector<int>> bad = {{1, 3}, {1, 1}, {2}, {0, 1}, {-1}};
  for (const auto& versions : bad) {
    std::vector<Migration> steps;
    for (int v : versions) steps.push_back({v, "step", "CREATE TABLE never (x INTEGER)", ""});
    EXPECT_THROW(db->Migrate("bad", steps), StorageError);
  }
  EXPECT_EQ(db->AppliedVersion("bad"), 0);
  EXPECT_THROW(db->Exec("SELECT * FROM never"), StorageError);
  db->Migrate("bad", {});  // nothing to do
}

TEST_P(DatabaseTest, ConcurrentMigratorsApplyEachStepExactlyOnce) {
  // Three independent Database objects (as three host processes would have) race on one
  // empty database, opening it at the same moment too.
  for (int round = 0; round < 3; ++round) {
    const std::string owner = "race" + std::to_string(round);
    const std::string table = "counter_" + owner;
    std::vector<Migration> steps = {
        {1, "create", "CREATE TABLE " + table + " (step INTEGER NOT NULL)", ""},
        {2, "insert 2", "INSERT INTO " + table + " (step) VALUES (2)", ""},
        {3, "insert 3", "INSERT INTO " + table + " (step) VALUES (3)", ""},
    };
    constexpr int kMigrators = 3;
    std::barrier start(kMigrators);
    std::atomic<int> failures{0};
    std::vector<std::string> errors(kMigrators);
    std::vector<std::thread> threads;
    for (int i = 0; i < kMigrators; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        try {
          auto db = OpenDb(2, 20000);
          db->Migrate(owner, steps);
        } catch (const std::exception& e) {
          errors[static_cast<std::size_t>(i)] = e.what();
          ++failures;
        }
      });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(failures.load(), 0) << errors[0] << " | " << errors[1] << " | " << errors[2];
    auto db = OpenDb();
    EXPECT_EQ(Query(*db, "SELECT step FROM " + table + " ORDER BY step"),
              (std::vector<Row>{Row{std::int64_t{2}}, Row{std::int64_t{3}}}));
    EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM webui_host_migration WHERE owner = ?", {owner}), 3);
  }
}

TEST_P(DatabaseTest, ConcurrentWritersAllSucceed) {
  auto db = OpenDb(8, 30000);  // fewer connections than threads: callers also queue for one
  db->Exec("CREATE TABLE w (thread INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (thread, n))");
  constexpr int kThreads = 20;
  constexpr int kInserts = 25;
  std::atomic<int> errors{0};
  std::string first_error;
  std::mutex error_mutex;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0; n < kInserts; ++n) {
        try {
          const std::vector<Value> row = {std::int64_t{t}, std::int64_t{n}};
          if (n % 2 == 0) {
            db->Exec("INSERT INTO w (thread, n) VALUES (?, ?)", row);
          } else {
            auto tx = db->Begin();
            tx->Exec("INSERT INTO w (thread, n) VALUES (?, ?)", row);
            tx->Exec("SELECT COUNT(*) FROM w WHERE thread = ?", std::vector<Value>{row[0]});
            tx->Commit();
          }
        } catch (const std::exception& e) {
          std::lock_guard lock(error_mutex);
          if (errors++ == 0) first_error = e.what();
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 0) << first_error;
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM w"), kThreads * kInserts);
  EXPECT_EQ(Count(*db, "SELECT COUNT(DISTINCT thread) FROM w"), kThreads);
}

TEST_P(DatabaseTest, PingAndDescribe) {
  auto db = OpenDb();
  EXPECT_TRUE(db->Ping());
  EXPECT_THAT(db->Describe(), HasSubstr(IsPostgres() ? "postgresql://" : "sqlite:"));
}

}  // namespace
}  // namespace webui::storage::testing
