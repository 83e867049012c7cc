// Text-level helpers of the storage layer: database URL parsing and `?` -> `$n` rewriting. Kept
// apart from the drivers so they are unit-testable without a database.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace webui::storage::detail {

// A postgresql:// URL split into libpq connection keywords (all values percent-decoded).
struct PostgresTarget {
  std::string user;
  std::string password;
  std::string host;  // empty = libpq default
  std::string port;  // empty = libpq default (5432)
  std::string dbname;
  // Query-string parameters (sslmode, options, ...) passed through as libpq keywords.
  std::vector<std::pair<std::string, std::string>> params;

  // "postgresql://user@host:port/db": never the password.
  std::string Describe() const;
};

// True for postgresql://, postgres:// and SQLAlchemy's postgresql+driver:// forms.
bool IsPostgresUrl(std::string_view url);
// True for sqlite:// URLs (SQLAlchemy form).
bool IsSqliteUrl(std::string_view url);

// Throws StorageError for a malformed URL (the message never repeats the password).
PostgresTarget ParsePostgresUrl(std::string_view url);

// "sqlite:///rel/path" -> "rel/path", "sqlite:////abs/path" -> "/abs/path" (SQLAlchemy rules:
// everything after the third slash is the path). "sqlite://" and "sqlite:///:memory:" ->
// ":memory:". A query string is ignored.
std::string SqlitePathFromUrl(std::string_view url);

std::string PercentDecode(std::string_view text);

struct RewrittenSql {
  std::string sql;
  std::size_t placeholders = 0;
};

// Replaces each `?` placeholder by $1, $2, ... for PostgreSQL, leaving alone `?` inside
// '...' / E'...' string literals, "..." identifiers, $tag$...$tag$ bodies, -- and /* */
// comments. Note: the jsonb operators ?, ?| and ?& cannot be told apart from placeholders;
// use jsonb_exists()/jsonb_exists_any()/jsonb_exists_all() instead.
RewrittenSql RewritePlaceholders(std::string_view sql);

}  // namespace webui::storage::detail
