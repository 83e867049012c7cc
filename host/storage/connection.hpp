// Internal: one driver connection (SQLite or PostgreSQL) as the pool and the Database see it.
// A connection is used by one thread at a time (the pool guarantees that).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "storage/database.hpp"

namespace webui::storage::detail {

class Connection {
 public:
  virtual ~Connection() = default;

  // One statement with `?` placeholders. Rows affected for writes, 0 for queries.
  virtual std::int64_t Exec(std::string_view sql, std::span<const Value> params,
                            const RowFn& on_row) = 0;
  // Several statements, no parameters, result rows discarded (migration steps).
  virtual void ExecScript(const std::string& sql) = 0;

  virtual void Begin() = 0;  // SQLite: BEGIN IMMEDIATE
  virtual void Commit() = 0;
  virtual void Rollback() = 0;
  // Starts a transaction that holds the cluster-wide migration lock.
  virtual void BeginMigration() = 0;

  // Checked when leaving the pool: false = broken, replace it.
  virtual bool Alive() = 0;
  // Called when going back to the pool: ends a transaction left open; false = discard it.
  virtual bool ResetForReuse() = 0;
};

// busy_timeout_ms is applied as SQLite's busy_timeout.
std::unique_ptr<Connection> OpenSqliteConnection(const std::string& path, int busy_timeout_ms);

struct PostgresTarget;
std::unique_ptr<Connection> OpenPostgresConnection(const PostgresTarget& target,
                                                   int connect_timeout_s);

}  // namespace webui::storage::detail
