// SQLite through its C API: each value binds and reads back with its exact storage class.
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <list>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>

#include "storage/connection.hpp"
#include "storage/private_files.hpp"

namespace webui::storage::detail {
namespace {

constexpr std::size_t kStatementCacheSize = 64;

// Busy or locked past the busy timeout, the file unopenable or unreadable, the disk full: the
// database cannot serve anyone right now, whatever the statement.
bool Unavailable(int code) {
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_NOMEM:
      return true;
    default:
      return false;
  }
}

[[noreturn]] void Fail(sqlite3* db) {
  if (Unavailable(sqlite3_extended_errcode(db))) throw StorageUnavailable(sqlite3_errmsg(db));
  throw StorageError(sqlite3_errmsg(db));
}

// Runs a setup statement, retrying while the database is busy: SQLite does not consult the busy
// handler on every path of a fresh connection's first read or of a journal-mode change, so
// several processes opening one database at once could otherwise fail with "database is
// locked". `first_value` receives the first column of the last result row.
void ExecSetup(sqlite3* db, const char* sql, std::chrono::steady_clock::time_point deadline,
               std::string* first_value = nullptr) {
  auto callback = [](void* out, int columns, char** values, char**) {
    if (out != nullptr && columns > 0 && values[0] != nullptr) {
      *static_cast<std::string*>(out) = values[0];
    }
    return 0;
  };
  while (true) {
    const int rc = sqlite3_exec(db, sql, callback, first_value, nullptr);
    if (rc == SQLITE_OK) return;
    const int primary = rc & 0xff;
    if ((primary != SQLITE_BUSY && primary != SQLITE_LOCKED) ||
        std::chrono::steady_clock::now() >= deadline) {
      Fail(db);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// Prepared statements are cached per connection; SQLite re-prepares them itself after a
// schema change. A statement still stepping (a RowFn that runs another statement on the same
// transaction) is marked busy, so it is neither handed out twice nor evicted.
class StatementCache {
 public:
  struct Entry {
    std::string sql;
    sqlite3_stmt* stmt = nullptr;
    bool busy = false;
  };

  ~StatementCache() { Clear(); }

  // nullptr when not cached or busy.
  Entry* Find(const std::string& sql) {
    auto it = map_.find(sql);
    if (it == map_.end() || it->second->busy) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second);
    return &*it->second;
  }

  // nullptr when every cached statement is busy (the caller then owns `stmt`).
  Entry* Put(const std::string& sql, sqlite3_stmt* stmt) {
    if (map_.count(sql) != 0) return nullptr;  // the same SQL is busy further up the stack
    if (map_.size() >= kStatementCacheSize) {
      auto victim = lru_.end();
      for (auto it = lru_.begin(); it != lru_.end(); ++it) {
        if (!it->busy) victim = it;
      }
      if (victim == lru_.end()) return nullptr;
      sqlite3_finalize(victim->stmt);
      map_.erase(victim->sql);
      lru_.erase(victim);
    }
    lru_.push_front(Entry{sql, stmt, false});
    map_.emplace(sql, lru_.begin());
    return &lru_.front();
  }

  void Clear() {
    for (auto& entry : lru_) sqlite3_finalize(entry.stmt);
    lru_.clear();
    map_.clear();
  }

 private:
  std::list<Entry> lru_;
  std::unordered_map<std::string, std::list<Entry>::iterator> map_;
};

// Leaves a statement ready for its next use however the caller exits (early stop, exception):
// a statement that is not reset would keep its read snapshot open.
class StatementUse {
 public:
  // `entry` null = an uncached statement owned here.
  StatementUse(sqlite3_stmt* stmt, StatementCache::Entry* entry) : stmt_(stmt), entry_(entry) {
    if (entry_ != nullptr) entry_->busy = true;
  }
  ~StatementUse() {
    if (entry_ == nullptr) {
      sqlite3_finalize(stmt_);
      return;
    }
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    entry_->busy = false;
  }
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;

  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_;
  StatementCache::Entry* entry_;
};

bool OnlyWhitespace(const char* text) {
  for (; *text != '\0'; ++text) {
    if (*text != ' ' && *text != '\n' && *text != '\t' && *text != '\r' && *text != ';') {
      return false;
    }
  }
  return true;
}

class SqliteConnection final : public Connection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  ~SqliteConnection() override {
    cache_.Clear();
    sqlite3_close_v2(db_);
  }

  std::int64_t Exec(std::string_view sql, std::span<const Value> params,
                    const RowFn& on_row) override {
    StatementUse use = Prepare(sql);
    sqlite3_stmt* stmt = use.get();
    const int expected = sqlite3_bind_parameter_count(stmt);
    if (static_cast<std::size_t>(expected) != params.size()) {
      throw StorageError("statement expects " + std::to_string(expected) + " parameters, got " +
                         std::to_string(params.size()));
    }
    for (std::size_t i = 0; i < params.size(); ++i) Bind(stmt, static_cast<int>(i + 1), params[i]);

    const sqlite3_int64 changes_before = sqlite3_total_changes64(db_);
    Row row;
    while (true) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) Fail(db_);
      if (!on_row) continue;
      ReadRow(stmt, row);
      if (!on_row(row)) break;
    }
    // sqlite3_changes() keeps the count of the last INSERT/UPDATE/DELETE, so a DDL statement or
    // a SELECT must not report it.
    if (sqlite3_stmt_readonly(stmt) != 0 || sqlite3_total_changes64(db_) == changes_before) {
      return 0;
    }
    return sqlite3_changes64(db_);
  }

  void ExecScript(const std::string& sql) override {
    const char* tail = sql.c_str();
    while (*tail != '\0') {
      sqlite3_stmt* stmt = nullptr;
      const char* next = nullptr;
      if (sqlite3_prepare_v2(db_, tail, -1, &stmt, &next) != SQLITE_OK) Fail(db_);
      tail = next;
      if (stmt == nullptr) continue;  // whitespace or comment
      int rc;
      while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      }
      if (rc != SQLITE_DONE) {
        std::string message = sqlite3_errmsg(db_);
        sqlite3_finalize(stmt);
        if (Unavailable(rc)) throw StorageUnavailable(message);
        throw StorageError(message);
      }
      sqlite3_finalize(stmt);
    }
  }

  void Begin() override { Exec("BEGIN IMMEDIATE", {}, {}); }
  void Commit() override { Exec("COMMIT", {}, {}); }
  void Rollback() override {
    // SQLite may already have rolled back on its own (e.g. after SQLITE_FULL).
    if (sqlite3_get_autocommit(db_) == 0) Exec("ROLLBACK", {}, {});
  }
  // BEGIN IMMEDIATE takes the database's single write lock: that is the cluster-wide lock.
  void BeginMigration() override { Begin(); }

  bool Alive() override { return true; }

  bool ResetForReuse() override {
    if (sqlite3_get_autocommit(db_) == 0) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    return sqlite3_get_autocommit(db_) != 0;
  }

 private:
  StatementUse Prepare(std::string_view sql_view) {
    std::string sql(sql_view);
    if (StatementCache::Entry* cached = cache_.Find(sql)) return StatementUse(cached->stmt, cached);
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size() + 1),
                           SQLITE_PREPARE_PERSISTENT, &stmt, &tail) != SQLITE_OK) {
      Fail(db_);
    }
    if (stmt == nullptr) throw StorageError("empty SQL statement");
    if (tail != nullptr && !OnlyWhitespace(tail)) {
      // The rest may still be only a comment: let SQLite decide.
      sqlite3_stmt* extra = nullptr;
      int rc = sqlite3_prepare_v2(db_, tail, -1, &extra, nullptr);
      sqlite3_finalize(extra);
      if (rc != SQLITE_OK || extra != nullptr) {
        sqlite3_finalize(stmt);
        throw StorageError("Exec takes exactly one SQL statement");
      }
    }
    return StatementUse(stmt, cache_.Put(sql, stmt));
  }

  static void Bind(sqlite3_stmt* stmt, int index, const Value& value) {
    int rc = SQLITE_OK;
    if (std::holds_alternative<std::monostate>(value)) {
      rc = sqlite3_bind_null(stmt, index);
    } else if (const auto* i = std::get_if<std::int64_t>(&value)) {
      rc = sqlite3_bind_int64(stmt, index, *i);
    } else if (const auto* d = std::get_if<double>(&value)) {
      rc = sqlite3_bind_double(stmt, index, *d);
    } else if (const auto* s = std::get_if<std::string>(&value)) {
      // SQLITE_STATIC: the caller's values outlive the statement use (bindings are cleared).
      rc = sqlite3_bind_text64(stmt, index, s->data(), s->size(), SQLITE_STATIC, SQLITE_UTF8);
    } else {
      const auto& blob = std::get<Blob>(value);
      // A null data pointer would bind NULL, so an empty blob needs zeroblob.
      rc = blob.bytes.empty() ? sqlite3_bind_zeroblob(stmt, index, 0)
                              : sqlite3_bind_blob64(stmt, index, blob.bytes.data(),
                                                    blob.bytes.size(), SQLITE_STATIC);
    }
    if (rc != SQLITE_OK) Fail(sqlite3_db_handle(stmt));
  }

  static void ReadRow(sqlite3_stmt* stmt, Row& row) {
    const int columns = sqlite3_column_count(stmt);
    row.resize(static_cast<std::size_t>(columns));
    for (int c = 0; c < columns; ++c) {
      Value& out = row[static_cast<std::size_t>(c)];
      switch (sqlite3_column_type(stmt, c)) {
        case SQLITE_INTEGER:
          out = static_cast<std::int64_t>(sqlite3_column_int64(stmt, c));
          break;
        case SQLITE_FLOAT:
          out = sqlite3_column_double(stmt, c);
          break;
        case SQLITE_TEXT: {
          const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
          out = std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt, c)));
          break;
        }
        case SQLITE_BLOB: {
          const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt, c));
          const auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt, c));
          out = Blob{data == nullptr ? std::string() : std::string(data, size)};
          break;
        }
        default:
          out = std::monostate{};
      }
    }
  }

  sqlite3* db_;
  StatementCache cache_;
};

}  // namespace

std::unique_ptr<Connection> OpenSqliteConnection(const std::string& path, int busy_timeout_ms) {
  if (path != ":memory:") {
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) CreatePrivateDirectory(parent);
    // SQLite would create the file 0644 minus the umask; it gives the -wal and -shm files the
    // mode of the database file, so creating that one 0600 first covers all three.
    CreatePrivateFile(path);
  }
  // SQLite keeps memory statistics by default, and every allocation of every connection then
  // takes one process-wide mutex: under concurrent requests that lock was the hottest contended
  // futex of a signed-in page read. Nothing here reads those statistics. The call only works
  // before SQLite initialises, hence once, before the first open.
  static std::once_flag memstatus_off;
  std::call_once(memstatus_off, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  sqlite3* db = nullptr;
  // NOMUTEX: the pool hands a connection to one thread at a time.
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    throw StorageError(message);
  }
  auto conn = std::make_unique<SqliteConnection>(db);
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(busy_timeout_ms);
  // WAL is persistent in the file: switching needs an exclusive lock, so only do it once.
  std::string mode;
  ExecSetup(db, "PRAGMA journal_mode", deadline, &mode);
  if (mode != "wal") ExecSetup(db, "PRAGMA journal_mode=WAL", deadline);
  ExecSetup(db, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL", deadline);
  return conn;
}

}  // namespace webui::storage::detail
