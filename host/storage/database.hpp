// The host's one database: SQLite (embedded default) or PostgreSQL, behind a bounded connection
// pool. Every statement is parameterised with `?` placeholders on both dialects (rewritten to
// $1.. for PostgreSQL); there is no way to splice values into SQL text.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace webui::storage {

enum class Dialect { kSqlite, kPostgres };

// A blob is kept apart from text so a parameter binds with the right type.
struct Blob {
  std::string bytes;
  bool operator==(const Blob&) const = default;
};

// One SQL value. monostate is NULL.
using Value = std::variant<std::monostate, std::int64_t, double, std::string, Blob>;
using Row = std::vector<Value>;

// Return false to stop reading further rows.
using RowFn = std::function<bool(const Row& row)>;

// Thrown for SQL errors and constraint violations (StorageUnavailable for connection failures).
// `what()` is the database's own message (never contains parameter values).
class StorageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The database cannot be reached right now: server down or restarting, connection lost, no
// pooled connection free within the wait, SQLite locked past its busy timeout or its file
// unreadable. Unlike a SQL error this says nothing about the request, so callers answer 503 and
// must never read it as "no such row" (a signed-in user is not signed out by an outage).
class StorageUnavailable : public StorageError {
 public:
  using StorageError::StorageError;
};

struct Migration {
  int version = 0;  // 1, 2, 3 ... per owner
  std::string description;
  std::string sql_sqlite;
  std::string sql_postgres;  // empty = use sql_sqlite
};

struct DatabaseOptions {
  // "" or "sqlite:///path/to/webui.db" (Open WebUI form) -> SQLite at `sqlite_path`;
  // "postgresql://user:pass@host:port/db" (also "postgres://") -> PostgreSQL.
  std::string url;
  std::string sqlite_path;  // used when url is empty
  std::size_t pool_size = 10;
  int busy_timeout_ms = 5000;  // SQLite busy_timeout / how long to wait for a pooled connection
  int connect_timeout_s = 10;  // PostgreSQL connect_timeout
};

class Transaction {
 public:
  virtual ~Transaction() = default;  // rolls back if neither Commit nor Rollback was called
  virtual std::int64_t Exec(std::string_view sql, std::span<const Value> params = {},
                            const RowFn& on_row = {}) = 0;
  virtual void Commit() = 0;
  virtual void Rollback() = 0;
};

class Database {
 public:
  virtual ~Database() = default;

  // Opens the pool (and creates the SQLite file/directory, WAL mode, busy timeout). Throws
  // StorageError with a message naming the target (password redacted).
  static std::unique_ptr<Database> Open(const DatabaseOptions& options);

  virtual Dialect dialect() const = 0;

  // Runs one statement on a pooled connection in autocommit. Returns rows affected (for
  // INSERT/UPDATE/DELETE; 0 for SELECT). Rows go to `on_row` as they are read.
  virtual std::int64_t Exec(std::string_view sql, std::span<const Value> params = {},
                            const RowFn& on_row = {}) = 0;

  // A transaction holds one pooled connection until it ends. On SQLite it starts with
  // BEGIN IMMEDIATE so writers queue on busy_timeout instead of failing late.
  virtual std::unique_ptr<Transaction> Begin() = 0;

  // Applies the steps of `owner` not applied yet, in version order, in ONE transaction that
  // holds a cluster-wide lock (PostgreSQL advisory xact lock; SQLite BEGIN IMMEDIATE), recording
  // each in `webui_host_migration(owner, version, description, applied_at)`. Several processes
  // calling this at once on one empty database apply each step exactly once. Any failure rolls
  // everything back and throws StorageError naming owner, version and the database message.
  virtual void Migrate(std::string_view owner, std::span<const Migration> steps) = 0;

  // Highest applied version for owner, 0 when none.
  virtual int AppliedVersion(std::string_view owner) = 0;

  // SELECT 1 on a pooled connection; false on any failure (never throws).
  virtual bool Ping() noexcept = 0;

  // For logs: "sqlite:/path" or "postgresql://user@host:port/db" (no password).
  virtual std::string Describe() const = 0;

  // How busy the connection pool is (for /metrics).
  struct PoolStats {
    std::size_t max_size = 0;
    std::size_t open = 0;
    std::size_t in_use = 0;
    std::uint64_t waits = 0;
    double wait_seconds = 0;
  };
  virtual PoolStats Pool() = 0;
};

}  // namespace webui::storage
