// Shared fixture of the storage behaviour tests: every TEST_P runs against SQLite (in a fresh
// temp dir) in storage_test and against PostgreSQL (in a fresh schema of
// WEBUI_TEST_DATABASE_URL) in storage_pg_test.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "storage/database.hpp"

namespace webui::storage {

// Readable gtest output for values (found by ADL for Value and Row).
inline void PrintTo(const Value& value, std::ostream* os) {
  if (std::holds_alternative<std::monostate>(value)) {
    *os << "NULL";
  } else if (const auto* i = std::get_if<std::int64_t>(&value)) {
    *os << "int " << *i;
  } else if (const auto* d = std::get_if<double>(&value)) {
    *os << "double " << *d;
  } else if (const auto* s = std::get_if<std::string>(&value)) {
    *os << "text \"" << *s << "\"";
  } else {
    *os << "blob[" << std::get<Blob>(value).bytes.size() << "]";
  }
}

}  // namespace webui::storage

namespace webui::storage::testing {

enum class Backend { kSqlite, kPostgres };

inline void PrintTo(Backend backend, std::ostream* os) {
  *os << (backend == Backend::kSqlite ? "sqlite" : "postgres");
}

std::string BackendName(const ::testing::TestParamInfo<Backend>& info);

// The PostgreSQL URL under test, or "" (then the test skips, or fails when
// WEBUI_TEST_REQUIRE_SERVICES=1).
std::string PostgresTestUrl();

class DatabaseTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override;
  void TearDown() override;

  bool IsPostgres() const { return GetParam() == Backend::kPostgres; }
  const char* Sql(const char* sqlite, const char* postgres) const {
    return IsPostgres() ? postgres : sqlite;
  }

  // Options for the database under test (SQLite file in the temp dir, or the PostgreSQL URL
  // with search_path set to this test's schema).
  DatabaseOptions Options(std::size_t pool_size = 4, int busy_timeout_ms = 5000) const;
  std::unique_ptr<Database> OpenDb(std::size_t pool_size = 4, int busy_timeout_ms = 5000) const;

  std::string temp_dir_;
  std::string schema_;
  std::unique_ptr<Database> admin_;  // PostgreSQL: creates and drops the schema
};

std::vector<Row> Query(Database& db, std::string_view sql, std::vector<Value> params = {});
std::vector<Row> Query(Transaction& tx, std::string_view sql, std::vector<Value> params = {});
std::int64_t Count(Database& db, std::string_view sql, std::vector<Value> params = {});

}  // namespace webui::storage::testing
