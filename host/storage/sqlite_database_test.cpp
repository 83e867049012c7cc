// SQLite: the shared behaviour tests plus what only SQLite has (files, URLs, pragmas).
#include <gmock/gmock.h>
#include <unistd.h>

#include <filesystem>
#include <functional>

#include "storage/database_test_support.hpp"

namespace webui::storage::testing {
namespace {

using ::testing::HasSubstr;

INSTANTIATE_TEST_SUITE_P(Sqlite, DatabaseTest, ::testing::Values(Backend::kSqlite), BackendName);

class SqliteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "wh-sqlite-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  static Value Pragma(Database& db, const std::string& name) {
    std::vector<Row> rows = Query(db, "PRAGMA " + name);
    return rows.size() == 1 && rows[0].size() == 1 ? rows[0][0] : Value{};
  }

  std::string dir_;
};

TEST_F(SqliteTest, OpenCreatesDirectoriesAndConfiguresEveryConnection) {
  DatabaseOptions options;
  options.sqlite_path = dir_ + "/a/b/webui.db";
  options.busy_timeout_ms = 1234;
  options.pool_size = 3;
  auto db = Database::Open(options);
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/a/b/webui.db"));
  EXPECT_EQ(db->dialect(), Dialect::kSqlite);
  EXPECT_EQ(db->Describe(), "sqlite:" + dir_ + "/a/b/webui.db");
  // Nest the checks inside row callbacks so each level runs on a different pooled connection.
  int checked = 0;
  std::function<void(int)> check_level = [&](int level) {
    EXPECT_EQ(Pragma(*db, "journal_mode"), Value(std::string("wal")));
    EXPECT_EQ(Pragma(*db, "foreign_keys"), Value(std::int64_t{1}));
    EXPECT_EQ(Pragma(*db, "synchronous"), Value(std::int64_t{1}));  // NORMAL
    EXPECT_EQ(Pragma(*db, "busy_timeout"), Value(std::int64_t{1234}));
    ++checked;
    if (level < 3) {
      db->Exec("SELECT 1", {}, [&](const Row&) {
        check_level(level + 1);
        return true;
      });
    }
  };
  check_level(1);
  EXPECT_EQ(checked, 3);
}

TEST_F(SqliteTest, OpenWebUiUrlForms) {
  // sqlite:////abs/path (four slashes, as Open WebUI writes DATA_DIR paths)
  {
    DatabaseOptions options;
    options.url = "sqlite:///" + dir_ + "/abs.db";
    auto db = Database::Open(options);
    db->Exec("CREATE TABLE t (x INTEGER)");
    EXPECT_TRUE(std::filesystem::exists(dir_ + "/abs.db"));
    EXPECT_EQ(db->Describe(), "sqlite:" + dir_ + "/abs.db");
  }
  // sqlite:///rel/path is relative to the working directory.
  {
    const auto previous = std::filesystem::current_path();
    std::filesystem::current_path(dir_);
    DatabaseOptions options;
    options.url = "sqlite:///data/rel.db";
    options.sqlite_path = "/ignored/when/url/is/set.db";
    auto db = Database::Open(options);
    db->Exec("CREATE TABLE t (x INTEGER)");
    std::filesystem::current_path(previous);
    EXPECT_TRUE(std::filesystem::exists(dir_ + "/data/rel.db"));
  }
}

TEST_F(SqliteTest, InMemoryDatabaseUsesOneConnection) {
  DatabaseOptions options;
  options.url = "sqlite://";
  options.pool_size = 5;
  auto db = Database::Open(options);
  db->Exec("CREATE TABLE t (x INTEGER)");
  db->Exec("INSERT INTO t (x) VALUES (1)");
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM t"), 1);
}

TEST_F(SqliteTest, OpenErrorsNameTheTarget) {
  DatabaseOptions options;
  options.sqlite_path = dir_;  // a directory is not a database file
  try {
    Database::Open(options);
    FAIL() << "expected StorageError";
  } catch (const StorageError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot open sqlite:" + dir_));
  }
  EXPECT_THROW(Database::Open(DatabaseOptions{}), StorageError);  // nothing configured
  DatabaseOptions mysql;
  mysql.url = "mysql://root:pw@localhost/db";
  try {
    Database::Open(mysql);
    FAIL() << "expected StorageError";
  } catch (const StorageError& e) {
    EXPECT_THAT(e.what(), HasSubstr("mysql"));
    EXPECT_THAT(e.what(), ::testing::Not(HasSubstr("pw")));
  }
}

TEST_F(SqliteTest, ValuesKeepTheirStorageClass) {
  DatabaseOptions options;
  options.sqlite_path = dir_ + "/t.db";
  auto db = Database::Open(options);
  EXPECT_EQ(
      Query(*db, "SELECT 1, 1.5, 'x', x'00ff', NULL, ?, ?", {std::int64_t{1} << 62, Blob{"b"}}),
      (std::vector<Row>{Row{std::int64_t{1}, 1.5, std::string("x"), Blob{std::string("\0\xff", 2)},
                            std::monostate{}, std::int64_t{1} << 62, Blob{"b"}}}));
  // Trailing semicolons and comments are still one statement.
  EXPECT_EQ(Count(*db, "SELECT 5; -- done"), 5);
}

TEST_F(SqliteTest, ManyDistinctStatementsWhileOneIsStillReading) {
  // More distinct statements than the per-connection cache holds, run while an outer
  // statement is still stepping: the busy outer statement must survive eviction.
  DatabaseOptions options;
  options.sqlite_path = dir_ + "/t.db";
  options.pool_size = 1;
  auto db = Database::Open(options);
  db->Exec("CREATE TABLE t (x INTEGER)");
  db->Exec("INSERT INTO t (x) VALUES (1), (2), (3)");
  auto tx = db->Begin();
  int outer_rows = 0;
  std::int64_t sum = 0;
  tx->Exec("SELECT x FROM t ORDER BY x", {}, [&](const Row& row) {
    ++outer_rows;
    sum += std::get<std::int64_t>(row[0]);
    for (int i = 0; i < 100; ++i) {
      tx->Exec("SELECT " + std::to_string(i) + " + " + std::to_string(outer_rows));
    }
    return true;
  });
  tx->Commit();
  EXPECT_EQ(outer_rows, 3);
  EXPECT_EQ(sum, 6);
}

}  // namespace
}  // namespace webui::storage::testing

namespace webui::storage::testing {
namespace {

bool ThrowsUnavailable(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const StorageUnavailable&) {
    return true;
  } catch (const StorageError&) {
    return false;
  }
  return false;
}

// Busy past the timeout and an exhausted pool are outages (503 upstream), a bad statement is not.
TEST(SqliteUnavailable, LockedDatabaseAndExhaustedPoolAreUnavailableSqlErrorsAreNot) {
  std::string pattern = (std::filesystem::temp_directory_path() / "wh-busy-XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  DatabaseOptions options;
  options.sqlite_path = pattern + "/webui.db";
  options.busy_timeout_ms = 100;
  options.pool_size = 1;
  auto writer = Database::Open(options);
  auto other = Database::Open(options);
  writer->Exec("CREATE TABLE t (x INTEGER)");
  {
    auto tx = writer->Begin();  // BEGIN IMMEDIATE: the one write lock
    EXPECT_TRUE(ThrowsUnavailable([&] { other->Exec("INSERT INTO t (x) VALUES (1)"); }));
    // The writer's only pooled connection is taken by the transaction.
    EXPECT_TRUE(ThrowsUnavailable([&] { writer->Exec("SELECT 1"); }));
  }
  other->Exec("INSERT INTO t (x) VALUES (1)");
  EXPECT_FALSE(ThrowsUnavailable([&] { other->Exec("SELEC nonsense"); }));
  EXPECT_THROW(other->Exec("SELEC nonsense"), StorageError);
  std::error_code ignored;
  std::filesystem::remove_all(pattern, ignored);
}

}  // namespace
}  // namespace webui::storage::testing
