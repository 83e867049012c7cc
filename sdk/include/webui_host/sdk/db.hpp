// webui-host plugin SDK: database parameters, rows and migrations.
#pragma once

#include <webui_host/sdk/core.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace webui::sdk {

struct Blob {
  std::string bytes;
};

// A parameter: NULL, integer, real, text or blob. Implicit from the usual C++ types.
class Param {
 public:
  Param(std::nullptr_t) { v_.type = WH_DB_NULL; }
  Param(bool b) : Param(static_cast<long long>(b ? 1 : 0)) {}
  Param(int i) : Param(static_cast<long long>(i)) {}
  Param(long i) : Param(static_cast<long long>(i)) {}
  Param(long long i) { v_.type = WH_DB_INT, v_.i = static_cast<int64_t>(i); }
  Param(unsigned i) : Param(static_cast<long long>(i)) {}
  Param(double d) { v_.type = WH_DB_REAL, v_.d = d; }
  Param(std::string_view s) { v_.type = WH_DB_TEXT, v_.s = ToWh(s); }
  Param(const char* s) : Param(std::string_view(s)) {}
  Param(const std::string& s) : Param(std::string_view(s)) {}
  Param(const Blob& b) { v_.type = WH_DB_BLOB, v_.s = ToWh(b.bytes); }
  template <typename T>
  Param(const std::optional<T>& o) : Param(nullptr) {
    if (o) *this = Param(*o);
  }
  const wh_db_value& raw() const { return v_; }

 private:
  wh_db_value v_{};
};

// One owned column value of a result row.
using Value = std::variant<std::monostate, int64_t, double, std::string, Blob>;

class Row {
 public:
  explicit Row(std::vector<Value> cols) : cols_(std::move(cols)) {}
  size_t size() const { return cols_.size(); }
  bool IsNull(size_t i) const { return std::holds_alternative<std::monostate>(cols_.at(i)); }
  int64_t Int(size_t i, int64_t fallback = 0) const {
    const Value& v = cols_.at(i);
    if (auto p = std::get_if<int64_t>(&v)) return *p;
    if (auto p = std::get_if<double>(&v)) return static_cast<int64_t>(*p);
    if (auto p = std::get_if<std::string>(&v)) {
      try {
        return std::stoll(*p);
      } catch (...) {
      }
    }
    return fallback;
  }
  double Real(size_t i, double fallback = 0) const {
    const Value& v = cols_.at(i);
    if (auto p = std::get_if<double>(&v)) return *p;
    if (auto p = std::get_if<int64_t>(&v)) return static_cast<double>(*p);
    return fallback;
  }
  bool Bool(size_t i) const {
    const Value& v = cols_.at(i);
    if (auto p = std::get_if<std::string>(&v)) return *p == "t" || *p == "true" || *p == "1";
    return Int(i) != 0;
  }
  // Text (or blob bytes); empty for NULL.
  std::string Text(size_t i) const {
    const Value& v = cols_.at(i);
    if (auto p = std::get_if<std::string>(&v)) return *p;
    if (auto p = std::get_if<Blob>(&v)) return p->bytes;
    if (auto p = std::get_if<int64_t>(&v)) return std::to_string(*p);
    if (auto p = std::get_if<double>(&v)) return std::to_string(*p);
    return {};
  }
  std::optional<std::string> OptText(size_t i) const {
    if (IsNull(i)) return std::nullopt;
    return Text(i);
  }
  const Value& at(size_t i) const { return cols_.at(i); }

 private:
  std::vector<Value> cols_;
};

struct Migration {
  int version;
  std::string description;
  std::string sql_sqlite;
  std::string sql_postgres;  // empty: same as sql_sqlite
};

}  // namespace webui::sdk
