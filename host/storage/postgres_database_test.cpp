// PostgreSQL: the shared behaviour tests plus type mapping, URL handling and broken-connection
// recovery. Needs WEBUI_TEST_DATABASE_URL (skips otherwise, fails under
// WEBUI_TEST_REQUIRE_SERVICES=1).
#include <gmock/gmock.h>

#include <chrono>
#include <cmath>
#include <thread>

#include "storage/database_test_support.hpp"

namespace webui::storage::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

INSTANTIATE_TEST_SUITE_P(Postgres, DatabaseTest, ::testing::Values(Backend::kPostgres),
                         BackendName);

// Reuses the fixture's per-test schema; every test here is PostgreSQL only.
class PostgresTest : public DatabaseTest {};
INSTANTIATE_TEST_SUITE_P(Postgres, PostgresTest, ::testing::Values(Backend::kPostgres),
                         BackendName);

// The test URL with a password spliced in (trust authentication ignores it).
std::string WithPassword(const std::string& url, const std::string& password) {
  const std::size_t scheme_end = url.find("://") + 3;
  const std::size_t at = url.find('@', scheme_end);
  const std::size_t slash = url.find('/', scheme_end);
  if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
    std::string userinfo = url.substr(scheme_end, at - scheme_end);
    userinfo = userinfo.substr(0, userinfo.find(':'));
    return url.substr(0, scheme_end) + userinfo + ":" + password + url.substr(at);
  }
  return url.substr(0, scheme_end) + "postgres:" + password + "@" + url.substr(scheme_end);
}

TEST_P(PostgresTest, ResultTypesMapByOid) {
  auto db = OpenDb();
  const std::vector<Row> rows = Query(
      *db,
      "SELECT true, false, CAST(-3 AS SMALLINT), CAST(2147483647 AS INTEGER), "
      "CAST(9223372036854775807 AS BIGINT), CAST(1.5 AS REAL), CAST(2.25 AS DOUBLE PRECISION), "
      "CAST(12.5 AS NUMERIC), CAST('{\"a\": 1}' AS JSONB), "
      "CAST('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' AS UUID), CAST('\\x00ff' AS BYTEA), "
      "CAST(NULL AS INTEGER), CAST('abc' AS VARCHAR(5)), "
      "CAST('2024-01-02 03:04:05+00' AS TIMESTAMPTZ) AT TIME ZONE 'UTC', "
      "CAST('NaN' AS DOUBLE PRECISION)");
  ASSERT_EQ(rows.size(), 1u);
  const Row& r = rows[0];
  ASSERT_EQ(r.size(), 15u);
  EXPECT_EQ(r[0], Value(std::int64_t{1}));
  EXPECT_EQ(r[1], Value(std::int64_t{0}));
  EXPECT_EQ(r[2], Value(std::int64_t{-3}));
  EXPECT_EQ(r[3], Value(std::int64_t{2147483647}));
  EXPECT_EQ(r[4], Value(std::int64_t{9223372036854775807}));
  EXPECT_EQ(r[5], Value(1.5));
  EXPECT_EQ(r[6], Value(2.25));
  EXPECT_EQ(r[7], Value(12.5));
  EXPECT_EQ(r[8], Value(std::string("{\"a\": 1}")));
  EXPECT_EQ(r[9], Value(std::string("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")));
  EXPECT_EQ(r[10], Value(Blob{std::string("\0\xff", 2)}));
  EXPECT_EQ(r[11], Value(std::monostate{}));
  EXPECT_EQ(r[12], Value(std::string("abc")));
  EXPECT_EQ(r[13], Value(std::string("2024-01-02 03:04:05")));
  ASSERT_TRUE(std::holds_alternative<double>(r[14]));
  EXPECT_TRUE(std::isnan(std::get<double>(r[14])));
}

TEST_P(PostgresTest, ParametersTakeTheTypeOfTheirColumn) {
  auto db = OpenDb();
  db->Exec(
      "CREATE TABLE typed (flag BOOLEAN, doc JSONB, id UUID, at TIMESTAMPTZ, small INTEGER, "
      "ratio NUMERIC, payload BYTEA)");
  const std::vector<Value> row = {std::int64_t{1},
                                  std::string("{\"k\": [1, 2]}"),
                                  std::string("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
                                  std::string("2024-01-02T03:04:05Z"),
                                  std::int64_t{7},
                                  0.25,
                                  Blob{std::string("\0\x01", 2)}};
  EXPECT_EQ(db->Exec("INSERT INTO typed VALUES (?, ?, ?, ?, ?, ?, ?)", row), 1);
  EXPECT_EQ(db->Exec("INSERT INTO typed (flag) VALUES (?)", std::vector<Value>{std::int64_t{0}}),
            1);
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM typed WHERE flag = ?", {std::int64_t{1}}), 1);
  EXPECT_EQ(Count(*db, "SELECT COUNT(*) FROM typed WHERE doc -> 'k' = ?", {std::string("[1,2]")}),
            1);
  EXPECT_EQ(Query(*db,
                  "SELECT flag, small, ratio, payload, EXTRACT(EPOCH FROM at) FROM typed "
                  "WHERE flag = ?",
                  {std::int64_t{1}}),
            (std::vector<Row>{Row{std::int64_t{1}, std::int64_t{7}, 0.25,
                                  Blob{std::string("\0\x01", 2)}, 1704164645.0}}));
}

TEST_P(PostgresTest, PostgresQuotingFormsKeepTheirQuestionMarks) {
  auto db = OpenDb();
  EXPECT_EQ(Query(*db, "SELECT $$a?$$, $tag$b?'$tag$, E'c\\'?', ? /* d? /* nested? */ ? */",
                  {std::string("p")}),
            (std::vector<Row>{
                Row{std::string("a?"), std::string("b?'"), std::string("c'?"), std::string("p")}}));
}

TEST_P(PostgresTest, DataErrorsDoNotEchoTheInput) {
  auto db = OpenDb();
  db->Exec("CREATE TABLE n (x BIGINT)");
  try {
    db->Exec("INSERT INTO n (x) VALUES (?)",
             std::vector<Value>{std::string("secret-not-a-number")});
    FAIL() << "expected StorageError";
  } catch (const StorageError& e) {
    EXPECT_THAT(e.what(), HasSubstr("invalid input syntax"));
    EXPECT_THAT(e.what(), HasSubstr("22P02"));
    EXPECT_THAT(e.what(), Not(HasSubstr("secret")));
  }
  db->Exec("CREATE TABLE small (x SMALLINT)");
  try {
    db->Exec("INSERT INTO small (x) VALUES (?)", std::vector<Value>{std::int64_t{987654321}});
    FAIL() << "expected StorageError";
  } catch (const StorageError& e) {
    EXPECT_THAT(e.what(), HasSubstr("out of range"));
    EXPECT_THAT(e.what(), Not(HasSubstr("987654321")));
  }
  EXPECT_THROW(db->Exec("SELECT ?", std::vector<Value>{std::string("nul\0byte", 8)}), StorageError);
}

TEST_P(PostgresTest, PasswordNeverShows) {
  DatabaseOptions options = Options();
  options.url = WithPassword(options.url, "hunter%402");
  auto db = Database::Open(options);
  EXPECT_TRUE(db->Ping());
  EXPECT_THAT(db->Describe(), Not(HasSubstr("hunter")));
  EXPECT_THAT(db->Describe(), HasSubstr("postgresql://"));

  DatabaseOptions unreachable;
  unreachable.url = "postgresql://someone:hunter2@127.0.0.1:1/nodb";
  unreachable.connect_timeout_s = 2;
  try {
    Database::Open(unreachable);
    FAIL() << "expected StorageError";
  } catch (const StorageError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot open postgresql://someone@127.0.0.1:1/nodb"));
    EXPECT_THAT(e.what(), Not(HasSubstr("hunter2")));
  }
}

TEST_P(PostgresTest, BrokenConnectionIsReplaced) {
  auto db = OpenDb(1);
  const std::int64_t pid = Count(*db, "SELECT pg_backend_pid()");
  EXPECT_EQ(Count(*admin_, "SELECT COUNT(*) FROM pg_stat_activity WHERE pid = ?", {pid}), 1);
  EXPECT_EQ(Count(*admin_, "SELECT COUNT(*) FROM (SELECT pg_terminate_backend(?)) AS t", {pid}), 1);
  for (int i = 0; i < 100; ++i) {
    if (Count(*admin_, "SELECT COUNT(*) FROM pg_stat_activity WHERE pid = ?", {pid}) == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // The pool notices the dead connection when handing it out and opens a new one.
  const std::int64_t new_pid = Count(*db, "SELECT pg_backend_pid()");
  EXPECT_NE(new_pid, pid);
  EXPECT_TRUE(db->Ping());
}

TEST_P(PostgresTest, ConnectionBrokenMidStatementIsNotReused) {
  auto db = OpenDb(1);
  const std::int64_t pid = Count(*db, "SELECT pg_backend_pid()");
  // The statement kills its own backend: the error surfaces, then the pool recovers.
  EXPECT_THROW(db->Exec("SELECT pg_terminate_backend(pg_backend_pid())"), StorageError);
  EXPECT_NE(Count(*db, "SELECT pg_backend_pid()"), pid);
}

TEST_P(PostgresTest, NoticesDoNotReachStderr) {
  auto db = OpenDb(1);
  ::testing::internal::CaptureStderr();
  db->Exec("DROP TABLE IF EXISTS surely_not_here");
  db->Exec("CREATE TABLE IF NOT EXISTS once (x INTEGER)");
  db->Exec("CREATE TABLE IF NOT EXISTS once (x INTEGER)");
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(err, Not(HasSubstr("NOTICE")));
}

TEST_P(PostgresTest, MigrationUsesPostgresSqlWhenGiven) {
  auto db = OpenDb();
  std::vector<Migration> steps = {
      {1, "serial table", "CREATE TABLE s (id INTEGER PRIMARY KEY AUTOINCREMENT)",
       "CREATE TABLE s (id BIGSERIAL PRIMARY KEY); CREATE INDEX IF NOT EXISTS s_id ON s (id)"},
  };
  db->Migrate("pg", steps);
  EXPECT_EQ(db->Exec("INSERT INTO s DEFAULT VALUES"), 1);
  EXPECT_EQ(db->AppliedVersion("pg"), 1);
}

}  // namespace
}  // namespace webui::storage::testing
