// PostgreSQL through libpq directly. Poco::Data::PostgreSQL (1.11) was not used: it binds
// parameters by their C++ static type (a NULL needs a typed Nullable, nothing binds a runtime
// variant), always prepares statements (so a migration step cannot hold several statements) and
// gives no access to the PGconn for a notice processor; libpq is what it wraps anyway.
#include <libpq-fe.h>
#include <poll.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "storage/connection.hpp"
#include "storage/sql_text.hpp"

namespace webui::storage::detail {
namespace {

// Built-in type OIDs (pg_type.dat); stable across PostgreSQL versions.
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kOidOid = 26;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kNumericOid = 1700;

// Key of the advisory lock that serialises migrations across every host process.
constexpr const char* kBeginMigrationSql =
    "BEGIN; SELECT pg_advisory_xact_lock(8603763330208018291)";  // "webuihos" as int64

struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

std::string TrimEnd(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// The primary message only: DETAIL lines quote row values ("Key (email)=(...) already
// exists"). Data-exception messages (SQLSTATE class 22) quote the offending input
// (`invalid input syntax for type bigint: "..."`, `value "..." is out of range`), so their
// quoted parts are blanked.
std::string ErrorText(const PGresult* result, PGconn* conn) {
  const char* primary =
      result != nullptr ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  if (primary == nullptr) return TrimEnd(PQerrorMessage(conn));
  std::string message = primary;
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  if (state != nullptr && state[0] == '2' && state[1] == '2') {
    std::string redacted;
    bool quoted = false;
    for (char c : message) {
      if (c == '"') {
        redacted += quoted ? "\"" : "\"...";
        quoted = !quoted;
      } else if (!quoted) {
        redacted += c;
      }
    }
    message = std::move(redacted);
  }
  if (state != nullptr) message += std::string(" (SQLSTATE ") + state + ")";
  return message;
}

// Failures that say the server cannot serve us now rather than anything about the statement:
// the connection is gone, or SQLSTATE class 08 (connection exception), 53300 (too many
// connections), 57P01..57P03 (admin/crash shutdown, cannot connect now).
bool ServerUnavailable(const PGresult* result, PGconn* conn) {
  if (PQstatus(conn) != CONNECTION_OK) return true;
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  if (state == nullptr) return false;
  const std::string_view code(state);
  return code.substr(0, 2) == "08" || code == "53300" || code == "57P01" || code == "57P02" ||
         code == "57P03";
}

// Throws the statement's failure as StorageUnavailable or StorageError.
[[noreturn]] void ThrowFailure(const PGresult* result, PGconn* conn) {
  std::string message = result != nullptr ? ErrorText(result, conn) : TrimEnd(PQerrorMessage(conn));
  if (ServerUnavailable(result, conn)) throw StorageUnavailable(std::move(message));
  throw StorageError(std::move(message));
}

std::string FormatDouble(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, end);
}

Value ReadValue(const PGresult* result, int row, int column) {
  if (PQgetisnull(result, row, column) != 0) return std::monostate{};
  const char* text = PQgetvalue(result, row, column);
  const auto size = static_cast<std::size_t>(PQgetlength(result, row, column));
  switch (PQftype(result, column)) {
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kOidOid: {
      std::int64_t number = 0;
      std::from_chars(text, text + size, number);
      return number;
    }
    case kFloat4Oid:
    case kFloat8Oid:
    case kNumericOid: {
      double number = 0;
      auto [ptr, ec] = std::from_chars(text, text + size, number);
      if (ec != std::errc()) number = std::strtod(text, nullptr);  // out of double's range
      return number;
    }
    case kBoolOid:
      return static_cast<std::int64_t>(text[0] == 't' ? 1 : 0);
    case kByteaOid: {
      std::size_t length = 0;
      unsigned char* bytes = PQunescapeBytea(reinterpret_cast<const unsigned char*>(text), &length);
      if (bytes == nullptr) throw StorageError("out of memory decoding bytea");
      Blob blob{std::string(reinterpret_cast<const char*>(bytes), length)};
      PQfreemem(bytes);
      return blob;
    }
    default:
      return std::string(text, size);
  }
}

class PostgresConnection final : public Connection {
 public:
  explicit PostgresConnection(PGconn* conn) : conn_(conn) {
    PQsetNoticeReceiver(conn_, &PostgresConnection::OnNotice, this);
  }
  ~PostgresConnection() override { PQfinish(conn_); }

  std::int64_t Exec(std::string_view sql, std::span<const Value> params,
                    const RowFn& on_row) override {
    RewrittenSql rewritten = RewritePlaceholders(sql);
    if (rewritten.placeholders != params.size()) {
      throw StorageError("statement expects " + std::to_string(rewritten.placeholders) +
                         " parameters, got " + std::to_string(params.size()));
    }
    // Values go as text with type "unknown" (OID 0) so the server infers each one from its
    // context: an integer 0/1 lands in a BOOLEAN column, a string in json/uuid/timestamptz, so
    // one SQL text serves both dialects. A bare `SELECT ?` therefore comes back as text; cast
    // it (CAST(? AS BIGINT)) where the context says nothing. Blobs go binary as bytea.
    const std::size_t n = params.size();
    std::vector<std::string> texts(n);
    std::vector<const char*> values(n, nullptr);
    std::vector<int> lengths(n, 0);
    std::vector<int> formats(n, 0);
    std::vector<Oid> types(n, 0);
    for (std::size_t i = 0; i < n; ++i) {
      const Value& value = params[i];
      if (const auto* integer = std::get_if<std::int64_t>(&value)) {
        texts[i] = std::to_string(*integer);
        values[i] = texts[i].c_str();
      } else if (const auto* real = std::get_if<double>(&value)) {
        texts[i] = FormatDouble(*real);
        values[i] = texts[i].c_str();
      } else if (const auto* text = std::get_if<std::string>(&value)) {
        if (text->find('\0') != std::string::npos) {
          throw StorageError("text parameter " + std::to_string(i + 1) +
                             " contains a NUL byte (use a Blob)");
        }
        values[i] = text->c_str();
      } else if (const auto* blob = std::get_if<Blob>(&value)) {
        values[i] = blob->bytes.data();
        lengths[i] = static_cast<int>(blob->bytes.size());
        formats[i] = 1;
        types[i] = kByteaOid;
      }
    }
    // The whole result is read before rows are handed out, so a RowFn may run further
    // statements on the same transaction and an early stop leaves nothing to drain.
    ResultPtr result(PQexecParams(conn_, rewritten.sql.c_str(), static_cast<int>(n), types.data(),
                                  values.data(), lengths.data(), formats.data(), 0));
    if (!result) ThrowFailure(nullptr, conn_);
    switch (PQresultStatus(result.get())) {
      case PGRES_TUPLES_OK: {
        if (on_row) {
          const int rows = PQntuples(result.get());
          const int columns = PQnfields(result.get());
          Row row(static_cast<std::size_t>(columns));
          for (int r = 0; r < rows; ++r) {
            for (int c = 0; c < columns; ++c) {
              row[static_cast<std::size_t>(c)] = ReadValue(result.get(), r, c);
            }
            if (!on_row(row)) break;
          }
        }
        // INSERT/UPDATE/DELETE ... RETURNING also end up here.
        if (std::string_view(PQcmdStatus(result.get())).substr(0, 6) == "SELECT") return 0;
        return RowsAffected(result.get());
      }
      case PGRES_COMMAND_OK:
        return RowsAffected(result.get());
      case PGRES_EMPTY_QUERY:
        throw StorageError("empty SQL statement");
      default:
        ThrowFailure(result.get(), conn_);
    }
  }

  void ExecScript(const std::string& sql) override {
    // PQexec uses the simple query protocol, which accepts several statements and stops at
    // the first error.
    ResultPtr result(PQexec(conn_, sql.c_str()));
    if (!result) ThrowFailure(nullptr, conn_);
    switch (PQresultStatus(result.get())) {
      case PGRES_COMMAND_OK:
      case PGRES_TUPLES_OK:
      case PGRES_EMPTY_QUERY:
        return;
      default:
        ThrowFailure(result.get(), conn_);
    }
  }

  void Begin() override { ExecScript("BEGIN"); }

  void Commit() override {
    ResultPtr result(PQexec(conn_, "COMMIT"));
    if (!result) ThrowFailure(nullptr, conn_);
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) ThrowFailure(result.get(), conn_);
    // COMMIT of a transaction in which a statement failed "succeeds" as a ROLLBACK.
    if (std::string_view(PQcmdStatus(result.get())) != "COMMIT") {
      throw StorageError("transaction was rolled back because an earlier statement failed");
    }
  }

  void Rollback() override { ExecScript("ROLLBACK"); }

  void BeginMigration() override { ExecScript(kBeginMigrationSql); }

  bool Alive() override {
    // An idle connection has nothing to read unless the server is closing it (restart,
    // pg_terminate_backend, idle timeout: a FATAL message, then end of stream) or sent a
    // notification. Read that now so a dead connection is replaced before a statement is sent.
    for (int reads = 0; reads < 8 && !fatal_ && PQstatus(conn_) == CONNECTION_OK; ++reads) {
      pollfd fd{PQsocket(conn_), POLLIN, 0};
      if (poll(&fd, 1, 0) <= 0) break;
      if (PQconsumeInput(conn_) == 0) return false;
      while (PGnotify* notify = PQnotifies(conn_)) PQfreemem(notify);
    }
    return !fatal_ && PQstatus(conn_) == CONNECTION_OK;
  }

  bool ResetForReuse() override {
    if (fatal_ || PQstatus(conn_) != CONNECTION_OK) return false;
    switch (PQtransactionStatus(conn_)) {
      case PQTRANS_IDLE:
        return true;
      case PQTRANS_INTRANS:
      case PQTRANS_INERROR: {
        ResultPtr result(PQexec(conn_, "ROLLBACK"));
        return PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) == PQTRANS_IDLE;
      }
      default:
        return false;
    }
  }

 private:
  // NOTICEs such as "relation already exists, skipping" would otherwise go to stderr. A FATAL
  // arriving outside a query means the server is closing this connection.
  static void OnNotice(void* self, const PGresult* notice) {
    const char* severity = PQresultErrorField(notice, PG_DIAG_SEVERITY_NONLOCALIZED);
    if (severity != nullptr && std::string_view(severity) == "FATAL") {
      static_cast<PostgresConnection*>(self)->fatal_ = true;
    }
    spdlog::debug("postgresql: {}", TrimEnd(PQresultErrorMessage(notice)));
  }

  static std::int64_t RowsAffected(const PGresult* result) {
    std::string_view count = PQcmdTuples(const_cast<PGresult*>(result));
    std::int64_t rows = 0;
    std::from_chars(count.data(), count.data() + count.size(), rows);
    return rows;
  }

  PGconn* conn_;
  bool fatal_ = false;
};

}  // namespace

std::unique_ptr<Connection> OpenPostgresConnection(const PostgresTarget& target,
                                                   int connect_timeout_s) {
  std::vector<std::pair<std::string, std::string>> options = {
      {"connect_timeout", std::to_string(connect_timeout_s)},
      {"fallback_application_name", "webui-host"},
      {"client_encoding", "UTF8"},
      {"host", target.host},
      {"port", target.port},
      {"user", target.user},
      {"password", target.password},
      {"dbname", target.dbname},
  };
  // URL query parameters come last: libpq lets a later keyword override an earlier one.
  options.insert(options.end(), target.params.begin(), target.params.end());
  std::vector<const char*> keywords;
  std::vector<const char*> values;
  for (const auto& [key, value] : options) {
    if (value.empty()) continue;
    keywords.push_back(key.c_str());
    values.push_back(value.c_str());
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);

  PGconn* conn = PQconnectdbParams(keywords.data(), values.data(), 0);
  if (conn == nullptr) throw StorageError("out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = TrimEnd(PQerrorMessage(conn));
    PQfinish(conn);
    throw StorageUnavailable(message);
  }
  return std::make_unique<PostgresConnection>(conn);
}

}  // namespace webui::storage::detail
