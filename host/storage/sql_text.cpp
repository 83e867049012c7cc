#include "storage/sql_text.hpp"

#include <cctype>

#include "storage/database.hpp"

namespace webui::storage::detail {
namespace {

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool IsIdentChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Length of the scheme prefix ("postgresql://") or 0 when `url` is not a PostgreSQL URL.
std::size_t PostgresSchemeLength(std::string_view url) {
  for (std::string_view scheme : {"postgresql", "postgres"}) {
    if (!StartsWith(url, scheme)) continue;
    std::string_view rest = url.substr(scheme.size());
    if (StartsWith(rest, "://")) return scheme.size() + 3;
    // SQLAlchemy driver suffix: postgresql+psycopg2://
    if (StartsWith(rest, "+")) {
      std::size_t end = rest.find("://");
      if (end != std::string_view::npos) return scheme.size() + end + 3;
    }
  }
  return 0;
}

// Index just past the end of the quoted run starting at `i` (which holds `quote`); a doubled
// quote is an escaped quote. `backslash` enables E'..' escapes.
std::size_t SkipQuoted(std::string_view sql, std::size_t i, char quote, bool backslash) {
  ++i;
  while (i < sql.size()) {
    char c = sql[i];
    if (backslash && c == '\\') {
      i += 2;
      continue;
    }
    if (c == quote) {
      if (i + 1 < sql.size() && sql[i + 1] == quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    ++i;
  }
  return sql.size();
}

// PostgreSQL block comments nest.
std::size_t SkipBlockComment(std::string_view sql, std::size_t i) {
  int depth = 0;
  while (i < sql.size()) {
    if (sql.compare(i, 2, "/*") == 0) {
      ++depth;
      i += 2;
    } else if (sql.compare(i, 2, "*/") == 0) {
      i += 2;
      if (--depth == 0) return i;
    } else {
      ++i;
    }
  }
  return sql.size();
}

// If a dollar-quote delimiter ($$ or $tag$) starts at `i`, the index past its closing delimiter;
// otherwise 0.
std::size_t SkipDollarQuoted(std::string_view sql, std::size_t i) {
  std::size_t j = i + 1;
  if (j < sql.size() && std::isdigit(static_cast<unsigned char>(sql[j])) != 0) return 0;  // $1
  while (j < sql.size() && IsIdentChar(sql[j]) && sql[j] != '$') ++j;
  if (j >= sql.size() || sql[j] != '$') return 0;
  std::string_view tag = sql.substr(i, j - i + 1);
  std::size_t close = sql.find(tag, j + 1);
  return close == std::string_view::npos ? sql.size() : close + tag.size();
}

}  // namespace

std::string PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      int hi = HexValue(text[i + 1]);
      int lo = HexValue(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

bool IsPostgresUrl(std::string_view url) { return PostgresSchemeLength(url) != 0; }

bool IsSqliteUrl(std::string_view url) { return StartsWith(url, "sqlite://"); }

std::string PostgresTarget::Describe() const {
  std::string out = "postgresql://";
  if (!user.empty()) out += user + "@";
  std::string shown_host = host.empty() ? "localhost" : host;
  if (shown_host.find(':') != std::string::npos && shown_host.front() != '/') {
    shown_host = "[" + shown_host + "]";  // IPv6 literal
  }
  out += shown_host;
  out += ":" + (port.empty() ? std::string("5432") : port);
  out += "/" + dbname;
  return out;
}

PostgresTarget ParsePostgresUrl(std::string_view url) {
  std::size_t scheme = PostgresSchemeLength(url);
  if (scheme == 0) throw StorageError("not a postgresql:// URL");
  std::string_view rest = url.substr(scheme);
  std::string_view query;
  if (std::size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::string_view path;
  // The path starts at the first '/' after the authority; '@' in a password must be
  // percent-encoded, so the last '@' before it ends the user info.
  std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) path = rest.substr(slash + 1);

  PostgresTarget target;
  if (std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    std::size_t colon = userinfo.find(':');
    target.user = PercentDecode(userinfo.substr(0, colon));
    if (colon != std::string_view::npos)
      target.password = PercentDecode(userinfo.substr(colon + 1));
  }
  std::string_view host = authority;
  std::string_view port;
  if (StartsWith(authority, "[")) {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      throw StorageError("invalid postgresql URL: unterminated [ in host");
    }
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (StartsWith(after, ":")) port = after.substr(1);
  } else if (std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  for (char c : port) {
    if (std::isdigit(static_cast<unsigned char>(c)) == 0) {
      throw StorageError("invalid postgresql URL: port is not a number");
    }
  }
  target.host = PercentDecode(host);
  target.port = std::string(port);
  target.dbname = PercentDecode(path);

  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    std::size_t eq = pair.find('=');
    std::string key = PercentDecode(pair.substr(0, eq));
    std::string value = eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1));
    // libpq accepts these in the query too; they override the authority part as in libpq.
    if (key == "host") {
      target.host = value;
    } else if (key == "port") {
      target.port = value;
    } else if (key == "user") {
      target.user = value;
    } else if (key == "password") {
      target.password = value;
    } else if (key == "dbname") {
      target.dbname = value;
    } else {
      target.params.emplace_back(std::move(key), std::move(value));
    }
  }
  return target;
}

std::string SqlitePathFromUrl(std::string_view url) {
  if (!IsSqliteUrl(url)) throw StorageError("not a sqlite:// URL");
  std::string_view rest = url.substr(std::string_view("sqlite://").size());
  if (std::size_t q = rest.find('?'); q != std::string_view::npos) rest = rest.substr(0, q);
  if (rest.empty() || rest == "/" || rest == "/:memory:") return ":memory:";
  if (rest.front() != '/') {
    // sqlite://host/path has no meaning for a file database.
    throw StorageError("invalid sqlite URL: expected sqlite:///path");
  }
  return std::string(rest.substr(1));
}

RewrittenSql RewritePlaceholders(std::string_view sql) {
  RewrittenSql out;
  out.sql.reserve(sql.size() + 16);
  std::size_t i = 0;
  while (i < sql.size()) {
    char c = sql[i];
    std::size_t skip_to = i;
    if (c == '\'') {
      bool escape_string =
          i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') && (i < 2 || !IsIdentChar(sql[i - 2]));
      skip_to = SkipQuoted(sql, i, '\'', escape_string);
    } else if (c == '"') {
      skip_to = SkipQuoted(sql, i, '"', false);
    } else if (c == '-' && sql.compare(i, 2, "--") == 0) {
      std::size_t nl = sql.find('\n', i);
      skip_to = nl == std::string_view::npos ? sql.size() : nl;
    } else if (c == '/' && sql.compare(i, 2, "/*") == 0) {
      skip_to = SkipBlockComment(sql, i);
    } else if (c == '$' && (i == 0 || !IsIdentChar(sql[i - 1]))) {
      if (std::size_t end = SkipDollarQuoted(sql, i); end != 0) skip_to = end;
    } else if (c == '?') {
      out.sql += '$';
      out.sql += std::to_string(++out.placeholders);
      ++i;
      continue;
    }
    if (skip_to > i) {
      out.sql.append(sql.substr(i, skip_to - i));
      i = skip_to;
    } else {
      out.sql += c;
      ++i;
    }
  }
  return out;
}

}  // namespace webui::storage::detail
