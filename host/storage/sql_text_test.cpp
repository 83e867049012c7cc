#include "storage/sql_text.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/database.hpp"

namespace webui::storage::detail {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(RewritePlaceholders, NumbersEachPlaceholder) {
  RewrittenSql out = RewritePlaceholders("SELECT * FROM t WHERE a = ? AND b IN (?, ?)");
  EXPECT_EQ(out.sql, "SELECT * FROM t WHERE a = $1 AND b IN ($2, $3)");
  EXPECT_EQ(out.placeholders, 3u);
  EXPECT_EQ(RewritePlaceholders("SELECT 1").placeholders, 0u);
  EXPECT_EQ(RewritePlaceholders("?").sql, "$1");
}

TEST(RewritePlaceholders, SkipsLiteralsIdentifiersAndComments) {
  const std::string sql =
      "SELECT '?', 'it''s ?', \"odd?\"\"name\", E'\\'?', e'x\\\\', ?, -- why?\n"
      " ? /* a? /* nested ? */ still? */, $$dollar?$$, $t$tagged?$t$, ?";
  RewrittenSql out = RewritePlaceholders(sql);
  EXPECT_EQ(out.placeholders, 3u);
  EXPECT_EQ(out.sql,
            "SELECT '?', 'it''s ?', \"odd?\"\"name\", E'\\'?', e'x\\\\', $1, -- why?\n"
            " $2 /* a? /* nested ? */ still? */, $$dollar?$$, $t$tagged?$t$, $3");
}

TEST(RewritePlaceholders, PlainStringsTreatBackslashLiterally) {
  // standard_conforming_strings: '\' is a one-character string, so the ? after it counts.
  RewrittenSql out = RewritePlaceholders("SELECT '\\', ?");
  EXPECT_EQ(out.sql, "SELECT '\\', $1");
  EXPECT_EQ(out.placeholders, 1u);
  // An identifier ending in e before a quote is not an E'' prefix.
  EXPECT_EQ(RewritePlaceholders("SELECT name'\\', ?").placeholders, 1u);
}

TEST(RewritePlaceholders, DollarSignsThatAreNotQuotes) {
  // $1 is a positional parameter, not the start of a $1$ dollar quote, so the ? after it is
  // still seen (only ? are counted).
  EXPECT_EQ(RewritePlaceholders("SELECT $1, ?, '$1$'").sql, "SELECT $1, $1, '$1$'");
  EXPECT_EQ(RewritePlaceholders("SELECT a$b, ?").sql, "SELECT a$b, $1");
  // Unterminated constructs swallow the rest rather than inventing placeholders.
  EXPECT_EQ(RewritePlaceholders("SELECT 'open ?").placeholders, 0u);
  EXPECT_EQ(RewritePlaceholders("SELECT /* open ?").placeholders, 0u);
}

TEST(PostgresUrl, SplitsAndDecodesEveryPart) {
  PostgresTarget t = ParsePostgresUrl(
      "postgresql://us%40er:p%40ss%3Aw%2Frd@db.example.com:6543/my%20db?sslmode=require&"
      "application_name=web%20ui");
  EXPECT_EQ(t.user, "us@er");
  EXPECT_EQ(t.password, "p@ss:w/rd");
  EXPECT_EQ(t.host, "db.example.com");
  EXPECT_EQ(t.port, "6543");
  EXPECT_EQ(t.dbname, "my db");
  ASSERT_EQ(t.params.size(), 2u);
  EXPECT_EQ(t.params[0], (std::pair<std::string, std::string>{"sslmode", "require"}));
  EXPECT_EQ(t.params[1], (std::pair<std::string, std::string>{"application_name", "web ui"}));
  EXPECT_EQ(t.Describe(), "postgresql://us@er@db.example.com:6543/my db");
  EXPECT_THAT(t.Describe(), Not(HasSubstr("p@ss")));
}

TEST(PostgresUrl, AcceptsShortFormsAndOtherSchemes) {
  PostgresTarget t = ParsePostgresUrl("postgres://localhost/webui");
  EXPECT_EQ(t.user, "");
  EXPECT_EQ(t.password, "");
  EXPECT_EQ(t.host, "localhost");
  EXPECT_EQ(t.port, "");
  EXPECT_EQ(t.dbname, "webui");
  EXPECT_EQ(t.Describe(), "postgresql://localhost:5432/webui");

  t = ParsePostgresUrl("postgresql+psycopg2://bob@[::1]:5433/x");
  EXPECT_EQ(t.user, "bob");
  EXPECT_EQ(t.host, "::1");
  EXPECT_EQ(t.port, "5433");
  EXPECT_EQ(t.Describe(), "postgresql://bob@[::1]:5433/x");

  t = ParsePostgresUrl("postgresql:///webui?host=%2Fvar%2Frun%2Fpostgresql&password=pw");
  EXPECT_EQ(t.host, "/var/run/postgresql");
  EXPECT_EQ(t.password, "pw");
  EXPECT_TRUE(t.params.empty());
  EXPECT_THAT(t.Describe(), Not(HasSubstr("pw")));

  EXPECT_TRUE(IsPostgresUrl("postgresql://h/d"));
  EXPECT_TRUE(IsPostgresUrl("postgres://h/d"));
  EXPECT_FALSE(IsPostgresUrl("postgresqlx://h/d"));
  EXPECT_FALSE(IsPostgresUrl("sqlite:///x.db"));
}

TEST(PostgresUrl, RejectsBadPortsWithoutEchoingThePassword) {
  try {
    ParsePostgresUrl("postgresql://u:topsecret@host:54x2/db");
    FAIL() << "expected StorageError";
  } catch (const StorageError& e) {
    EXPECT_THAT(e.what(), HasSubstr("port"));
    EXPECT_THAT(e.what(), Not(HasSubstr("topsecret")));
  }
}

TEST(SqliteUrl, FollowsSqlAlchemyRules) {
  EXPECT_EQ(SqlitePathFromUrl("sqlite:////app/backend/data/webui.db"),
            "/app/backend/data/webui.db");
  EXPECT_EQ(SqlitePathFromUrl("sqlite:///data/webui.db"), "data/webui.db");
  EXPECT_EQ(SqlitePathFromUrl("sqlite:///data/webui.db?timeout=5"), "data/webui.db");
  EXPECT_EQ(SqlitePathFromUrl("sqlite://"), ":memory:");
  EXPECT_EQ(SqlitePathFromUrl("sqlite:///:memory:"), ":memory:");
  EXPECT_THROW(SqlitePathFromUrl("sqlite://host/x.db"), StorageError);
  EXPECT_TRUE(IsSqliteUrl("sqlite:///x"));
  EXPECT_FALSE(IsSqliteUrl("postgresql://x"));
}

TEST(PercentDecode, DecodesValidEscapesOnly) {
  EXPECT_EQ(PercentDecode("a%20b%2fc"), "a b/c");
  EXPECT_EQ(PercentDecode("100%"), "100%");
  EXPECT_EQ(PercentDecode("%zz%4"), "%zz%4");
}

}  // namespace
}  // namespace webui::storage::detail
