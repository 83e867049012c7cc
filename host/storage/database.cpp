#include "storage/database.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <type_traits>
#include <utility>

#include "storage/connection.hpp"
#include "storage/connection_pool.hpp"
#include "storage/sql_text.hpp"

namespace webui::storage {
namespace {

using detail::Connection;
using detail::ConnectionPool;

constexpr const char* kCreateMigrationTableSql =
    "CREATE TABLE IF NOT EXISTS webui_host_migration ("
    "owner TEXT NOT NULL, version INTEGER NOT NULL, description TEXT, "
    "applied_at BIGINT NOT NULL, PRIMARY KEY (owner, version))";

// An outage fails every request until it ends: it is logged once as an error when it starts and
// once when the database answers again; the failures in between go to debug.
class OutageLog {
 public:
  explicit OutageLog(std::string target) : target_(std::move(target)) {}

  void Failed(const StorageUnavailable& e) noexcept {
    if (!down_.exchange(true)) {
      spdlog::error("database {} unavailable: {} (repeats are logged at debug until it recovers)",
                    target_, e.what());
    } else {
      spdlog::debug("database {} still unavailable: {}", target_, e.what());
    }
  }
  void Succeeded() noexcept {
    if (down_.load(std::memory_order_relaxed) && down_.exchange(false)) {
      spdlog::info("database {} available again", target_);
    }
  }
  // Runs `fn`, recording whether the database could serve it.
  template <typename Fn>
  auto Track(Fn&& fn) -> decltype(fn()) {
    try {
      if constexpr (std::is_void_v<decltype(fn())>) {
        fn();
        Succeeded();
      } else {
        auto result = fn();
        Succeeded();
        return result;
      }
    } catch (const StorageUnavailable& e) {
      Failed(e);
      throw;
    }
  }

 private:
  const std::string target_;
  std::atomic<bool> down_{false};
};

class PooledTransaction final : public Transaction {
 public:
  PooledTransaction(ConnectionPool::Lease lease, std::shared_ptr<OutageLog> outages)
      : lease_(std::move(lease)), outages_(std::move(outages)) {}

  ~PooledTransaction() override {
    if (lease_) End();
  }

  std::int64_t Exec(std::string_view sql, std::span<const Value> params,
                    const RowFn& on_row) override {
    Connection* conn = Active();
    return outages_->Track([&] { return conn->Exec(sql, params, on_row); });
  }

  void Commit() override {
    Connection* conn = Active();
    try {
      outages_->Track([&] { conn->Commit(); });
    } catch (...) {
      End();
      throw;
    }
    lease_.Release();
  }

  void Rollback() override {
    Connection* conn = Active();
    try {
      conn->Rollback();
    } catch (...) {
      lease_.Discard();
      throw;
    }
    lease_.Release();
  }

 private:
  Connection* Active() {
    if (!lease_) throw StorageError("transaction already ended");
    return &*lease_;
  }
  // Rolls back what is left and gives the connection back; a connection that cannot roll
  // back is closed so no other caller inherits its state.
  void End() noexcept {
    try {
      lease_->Rollback();
      lease_.Release();
    } catch (...) {
      lease_.Discard();
    }
  }

  ConnectionPool::Lease lease_;
  std::shared_ptr<OutageLog> outages_;
};

class PooledDatabase final : public Database {
 public:
  PooledDatabase(Dialect dialect, std::string description, std::shared_ptr<ConnectionPool> pool)
      : dialect_(dialect),
        description_(std::move(description)),
        pool_(std::move(pool)),
        outages_(std::make_shared<OutageLog>(description_)) {}

  Dialect dialect() const override { return dialect_; }

  std::int64_t Exec(std::string_view sql, std::span<const Value> params,
                    const RowFn& on_row) override {
    return outages_->Track([&] {
      ConnectionPool::Lease lease = pool_->Acquire();
      return lease->Exec(sql, params, on_row);
    });
  }

  std::unique_ptr<Transaction> Begin() override {
    ConnectionPool::Lease lease = outages_->Track([&] {
      ConnectionPool::Lease l = pool_->Acquire();
      l->Begin();
      return l;
    });
    return std::make_unique<PooledTransaction>(std::move(lease), outages_);
  }

  void Migrate(std::string_view owner, std::span<const Migration> steps) override {
    const std::string who(owner);
    std::vector<const Migration*> ordered;
    for (const Migration& step : steps) ordered.push_back(&step);
    std::sort(ordered.begin(), ordered.end(),
              [](const Migration* a, const Migration* b) { return a->version < b->version; });
    for (std::size_t i = 0; i < ordered.size(); ++i) {
      if (ordered[i]->version != static_cast<int>(i + 1)) {
        throw StorageError("migration " + who + ": versions must be 1.." +
                           std::to_string(ordered.size()) + " without gaps or duplicates");
      }
    }
    if (ordered.empty()) return;

    ConnectionPool::Lease lease = pool_->Acquire();
    Connection& conn = *lease;
    int applied = 0;
    try {
      conn.BeginMigration();
      conn.ExecScript(kCreateMigrationTableSql);
      applied = ReadAppliedVersion(conn, who);
    } catch (const StorageError& e) {
      Abort(lease);
      throw StorageError("migration " + who + " failed: " + e.what());
    }
    if (applied > static_cast<int>(ordered.size())) {
      spdlog::warn("database has {} migrations up to v{}, this build knows v{}", who, applied,
                   ordered.size());
    }
    int applied_now = 0;
    for (const Migration* step : ordered) {
      if (step->version <= applied) continue;
      const std::string& sql = dialect_ == Dialect::kPostgres && !step->sql_postgres.empty()
                                   ? step->sql_postgres
                                   : step->sql_sqlite;
      try {
        conn.ExecScript(sql);
        const Value record[] = {who, std::int64_t{step->version}, step->description, Now()};
        conn.Exec(
            "INSERT INTO webui_host_migration (owner, version, description, applied_at) "
            "VALUES (?, ?, ?, ?)",
            record, {});
      } catch (const StorageError& e) {
        Abort(lease);
        throw StorageError("migration " + who + " v" + std::to_string(step->version) + " (" +
                           step->description + ") failed: " + e.what());
      }
      ++applied_now;
    }
    try {
      conn.Commit();
    } catch (const StorageError& e) {
      Abort(lease);
      throw StorageError("migration " + who + " failed at commit: " + e.what());
    }
    if (applied_now > 0) {
      spdlog::info("migration {}: applied {} step(s), now at v{}", who, applied_now,
                   ordered.size());
    }
  }

  int AppliedVersion(std::string_view owner) override {
    ConnectionPool::Lease lease = pool_->Acquire();
    bool exists = false;
    const char* probe =
        dialect_ == Dialect::kPostgres
            ? "SELECT 1 WHERE to_regclass('webui_host_migration') IS NOT NULL"
            : "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'webui_host_migration'";
    lease->Exec(probe, {}, [&](const Row&) {
      exists = true;
      return false;
    });
    return exists ? ReadAppliedVersion(*lease, std::string(owner)) : 0;
  }

  bool Ping() noexcept override {
    try {
      bool ok = false;
      Exec("SELECT 1", {}, [&](const Row& row) {
        ok = row.size() == 1 && row[0] == Value(std::int64_t{1});
        return false;
      });
      return ok;
    } catch (...) {
      return false;
    }
  }

  std::string Describe() const override { return description_; }

  PoolStats Pool() override {
    const auto s = pool_->Snapshot();
    return PoolStats{s.max_size, s.open, s.in_use, s.waits, s.wait_seconds};
  }

 private:
  // Rolls back everything the migration did; a connection that cannot roll back is closed,
  // which ends its transaction just the same.
  static void Abort(ConnectionPool::Lease& lease) noexcept {
    try {
      lease->Rollback();
      lease.Release();
    } catch (...) {
      lease.Discard();
    }
  }

  static int ReadAppliedVersion(Connection& conn, const std::string& owner) {
    std::int64_t version = 0;
    const Value params[] = {owner};
    conn.Exec("SELECT COALESCE(MAX(version), 0) FROM webui_host_migration WHERE owner = ?", params,
              [&](const Row& row) {
                if (const auto* v = std::get_if<std::int64_t>(&row.at(0))) version = *v;
                return false;
              });
    return static_cast<int>(version);
  }

  static std::int64_t Now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  const Dialect dialect_;
  const std::string description_;
  std::shared_ptr<ConnectionPool> pool_;
  std::shared_ptr<OutageLog> outages_;
};

}  // namespace

std::unique_ptr<Database> Database::Open(const DatabaseOptions& options) {
  const auto acquire_timeout = std::chrono::milliseconds(std::max(options.busy_timeout_ms, 0));
  if (detail::IsPostgresUrl(options.url)) {
    detail::PostgresTarget target = detail::ParsePostgresUrl(options.url);
    std::string description = target.Describe();
    const int connect_timeout = options.connect_timeout_s;
    auto pool = ConnectionPool::Create(
        options.pool_size, acquire_timeout, [target = std::move(target), connect_timeout] {
          return detail::OpenPostgresConnection(target, connect_timeout);
        });
    try {
      pool->Warm();
    } catch (const StorageError& e) {
      throw StorageError("cannot open " + description + ": " + e.what());
    }
    return std::make_unique<PooledDatabase>(Dialect::kPostgres, std::move(description),
                                            std::move(pool));
  }

  std::string path;
  if (detail::IsSqliteUrl(options.url)) {
    path = detail::SqlitePathFromUrl(options.url);
  } else if (options.url.empty()) {
    path = options.sqlite_path;
  } else {
    const std::size_t scheme_end = options.url.find("://");
    throw StorageError("unsupported database URL scheme: " +
                       (scheme_end == std::string::npos ? std::string("(none)")
                                                        : options.url.substr(0, scheme_end)));
  }
  if (path.empty()) throw StorageError("no database configured (empty url and sqlite_path)");
  std::string description = "sqlite:" + path;
  // Every connection to ":memory:" is a separate database, so there can be only one.
  const std::size_t pool_size = path == ":memory:" ? 1 : options.pool_size;
  const int busy_timeout = options.busy_timeout_ms;
  auto pool = ConnectionPool::Create(pool_size, acquire_timeout, [path, busy_timeout] {
    return detail::OpenSqliteConnection(path, busy_timeout);
  });
  try {
    pool->Warm();
  } catch (const StorageError& e) {
    throw StorageError("cannot open " + description + ": " + e.what());
  }
  return std::make_unique<PooledDatabase>(Dialect::kSqlite, std::move(description),
                                          std::move(pool));
}

}  // namespace webui::storage
