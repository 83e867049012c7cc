// Parsing of REDIS_URL values. Only plain `redis://` is usable: Poco::Redis speaks neither TLS
// (`rediss://`) nor Sentinel (`redis+sentinel://`).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace webui::kv {

struct RedisEndpoint {
  std::string host;
  int port = 6379;
  int db = 0;
  std::string user;      // ACL user; empty = the default user
  std::string password;  // empty = no AUTH

  // "redis://host:port/db" — never contains the credentials, so it is safe to log.
  std::string Describe() const;
};

struct ParsedRedisUrl {
  std::optional<RedisEndpoint> endpoint;  // set when the URL is usable
  std::string scheme;                     // lower-cased, "" when the URL has none
  std::string error;                      // why it is not usable; never echoes the password
};

// redis://[[user]:password@]host[:port][/db]. User and password may be percent-encoded; an IPv6
// host is written in brackets. A query string or fragment is ignored.
ParsedRedisUrl ParseRedisUrl(std::string_view url);

}  // namespace webui::kv
