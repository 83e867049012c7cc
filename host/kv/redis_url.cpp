#include "kv/redis_url.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <webui_host/sdk/core.hpp>

namespace webui::kv {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A malformed escape is kept literally: a password may well contain a bare '%'.
std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = HexValue(s[i + 1]);
      const int lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::optional<int> ParseInt(std::string_view s, int min, int max) {
  int value = 0;
  if (s.empty()) return std::nullopt;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || value < min || value > max) {
    return std::nullopt;
  }
  return value;
}

// "host[:port]" or "[v6][:port]" into its parts; `default_port` when none is given.
std::optional<HostPort> ParseHostPort(std::string_view text, int default_port, std::string* error) {
  HostPort out{std::string(), default_port};
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) {
      *error = "REDIS_URL has an unterminated IPv6 address";
      return std::nullopt;
    }
    out.host = std::string(text.substr(1, close - 1));
    const std::string_view after = text.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        *error = "REDIS_URL has garbage after the IPv6 address";
        return std::nullopt;
      }
      port_text = after.substr(1);
    }
  } else {
    const auto colon = text.rfind(':');
    out.host = std::string(text.substr(0, colon));
    if (colon != std::string_view::npos) port_text = text.substr(colon + 1);
  }
  if (out.host.empty()) {
    *error = "REDIS_URL has no host";
    return std::nullopt;
  }
  if (!port_text.empty()) {
    const auto port = ParseInt(port_text, 1, 65535);
    if (!port) {
      *error = "REDIS_URL has an invalid port";
      return std::nullopt;
    }
    out.port = *port;
  }
  return out;
}

std::vector<std::string_view> Split(std::string_view s, char separator) {
  std::vector<std::string_view> parts;
  while (true) {
    const auto at = s.find(separator);
    parts.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return parts;
    s.remove_prefix(at + 1);
  }
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string HostText(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

// redis-py's TLS query parameters; the others (timeouts, client names ...) do not apply here.
bool ApplyQuery(std::string_view query, RedisEndpoint& endpoint, std::string* error) {
  for (const std::string_view pair : Split(query, '&')) {
    const auto eq = pair.find('=');
    const std::string name = sdk::LowerAscii(pair.substr(0, eq));
    const std::string value =
        eq == std::string_view::npos ? std::string() : PercentDecode(pair.substr(eq + 1));
    if (name == "ssl_cert_reqs") {
      const std::string mode = sdk::LowerAscii(value);
      if (mode == "none" || mode == "cert_none") {
        endpoint.tls_verify = false;
      } else if (mode == "required" || mode == "cert_required" || mode == "optional" ||
                 mode == "cert_optional") {
        endpoint.tls_verify = true;  // "optional" verifies whatever the server presents
      } else {
        *error = "REDIS_URL has an invalid ssl_cert_reqs (expected none, optional or required)";
        return false;
      }
    } else if (name == "ssl_ca_certs") {
      endpoint.tls_ca_file = value;
    }
  }
  return true;
}

}  // namespace

std::string RedisEndpoint::Describe() const {
  if (UsesSentinel()) {
    std::string out = "sentinel master '" + master_name + "' via ";
    for (std::size_t i = 0; i < sentinels.size(); ++i) {
      if (i > 0) out += ",";
      out += HostText(sentinels[i].host) + ":" + std::to_string(sentinels[i].port);
    }
    return out + " db " + std::to_string(db);
  }
  return std::string(tls ? "rediss://" : "redis://") + HostText(host) + ":" + std::to_string(port) +
         "/" + std::to_string(db);
}

ParsedRedisUrl ParseRedisUrl(std::string_view url, const SentinelSettings& sentinel) {
  ParsedRedisUrl result;
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    result.error = "REDIS_URL is not a redis:// URL";
    return result;
  }
  result.scheme = sdk::LowerAscii(url.substr(0, scheme_end));
  const bool sentinel_scheme = result.scheme == "redis+sentinel";
  if (result.scheme != "redis" && result.scheme != "rediss" && !sentinel_scheme) {
    result.error = "REDIS_URL scheme '" + result.scheme +
                   "://' is not supported (use redis://, rediss:// or redis+sentinel://)";
    return result;
  }

  std::string_view rest = url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find('#'));
  const auto question = rest.find('?');
  const std::string_view query =
      question == std::string_view::npos ? std::string_view{} : rest.substr(question + 1);
  rest = rest.substr(0, question);
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path =
      slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);

  RedisEndpoint endpoint;
  endpoint.tls = result.scheme == "rediss";
  // The password may contain '@', so the host starts after the LAST one.
  const auto at = authority.rfind('@');
  if (at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const auto colon = userinfo.find(':');
    if (colon == std::string_view::npos) {
      endpoint.user = PercentDecode(userinfo);  // redis-py reads "redis://name@host" this way
    } else {
      endpoint.user = PercentDecode(userinfo.substr(0, colon));
      endpoint.password = PercentDecode(userinfo.substr(colon + 1));
    }
  }
  if (!ApplyQuery(query, endpoint, &result.error)) return result;

  if (sentinel_scheme) {
    // redis+sentinel://s1[:p],s2[:p]/<master-name>[/db]
    for (const std::string_view item : Split(authority, ',')) {
      const auto hp = ParseHostPort(Trim(item), 26379, &result.error);
      if (!hp) return result;
      endpoint.sentinels.push_back(*hp);
    }
    const auto next = path.find('/');
    endpoint.master_name = PercentDecode(path.substr(0, next));
    path = next == std::string_view::npos ? std::string_view{} : path.substr(next + 1);
    if (endpoint.master_name.empty()) {
      result.error = "REDIS_URL (redis+sentinel://) names no master: add /<master-name>";
      return result;
    }
    endpoint.host.clear();
    endpoint.port = 0;
  } else {
    const auto hp = ParseHostPort(authority, 6379, &result.error);
    if (!hp) return result;
    endpoint.host = hp->host;
    endpoint.port = hp->port;
  }
  if (!path.empty()) {
    const auto db = ParseInt(path, 0, 1 << 20);
    if (!db) {
      result.error = "REDIS_URL has an invalid database number (expected /0, /1, ...)";
      return result;
    }
    endpoint.db = *db;
  }

  // Open WebUI's form: REDIS_SENTINEL_HOSTS lists the sentinels and the URL's host is the
  // master's service name.
  if (!sentinel_scheme && !Trim(sentinel.hosts).empty()) {
    for (const std::string_view item : Split(sentinel.hosts, ',')) {
      if (Trim(item).empty()) continue;
      const auto hp = ParseHostPort(Trim(item), sentinel.port, &result.error);
      if (!hp) {
        result.error = "REDIS_SENTINEL_HOSTS: " + result.error.substr(result.error.find(' ') + 1);
        return result;
      }
      endpoint.sentinels.push_back(*hp);
    }
    endpoint.master_name = endpoint.host;
    endpoint.host.clear();
    endpoint.port = 0;
  }
  result.endpoint = std::move(endpoint);
  return result;
}

}  // namespace webui::kv
