#include "kv/redis_url.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace webui::kv {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

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

}  // namespace

std::string RedisEndpoint::Describe() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  return "redis://" + (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port) + "/" +
         std::to_string(db);
}

ParsedRedisUrl ParseRedisUrl(std::string_view url) {
  ParsedRedisUrl result;
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    result.error = "REDIS_URL is not a redis:// URL";
    return result;
  }
  result.scheme = Lower(url.substr(0, scheme_end));
  if (result.scheme != "redis") {
    result.error = "REDIS_URL scheme '" + result.scheme +
                   "://' is not supported (Poco::Redis has no TLS, Sentinel or socket-file "
                   "support; use redis://)";
    return result;
  }

  std::string_view rest = url.substr(scheme_end + 3);
  rest = rest.substr(0, std::min(rest.find('?'), rest.find('#')));
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  const std::string_view path =
      slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);

  RedisEndpoint endpoint;
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

  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      result.error = "REDIS_URL has an unterminated IPv6 address";
      return result;
    }
    endpoint.host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        result.error = "REDIS_URL has garbage after the IPv6 address";
        return result;
      }
      port_text = after.substr(1);
    }
  } else {
    const auto colon = authority.rfind(':');
    endpoint.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (endpoint.host.empty()) {
    result.error = "REDIS_URL has no host";
    return result;
  }
  if (!port_text.empty()) {
    const auto port = ParseInt(port_text, 1, 65535);
    if (!port) {
      result.error = "REDIS_URL has an invalid port";
      return result;
    }
    endpoint.port = *port;
  }
  if (!path.empty()) {
    const auto db = ParseInt(path, 0, 1 << 20);
    if (!db) {
      result.error = "REDIS_URL has an invalid database number (expected /0, /1, ...)";
      return result;
    }
    endpoint.db = *db;
  }
  result.endpoint = std::move(endpoint);
  return result;
}

}  // namespace webui::kv
