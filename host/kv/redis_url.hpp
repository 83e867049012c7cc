// Parsing of REDIS_URL values, with Open WebUI's Sentinel settings (REDIS_SENTINEL_HOSTS and
// REDIS_SENTINEL_PORT). Every scheme parses; whether this build can use the result is decided by
// KvStore::Create (see RedisEndpoint::tls).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace webui::kv {

struct HostPort {
  std::string host;
  int port = 0;
  bool operator==(const HostPort&) const = default;
};

struct RedisEndpoint {
  // The server itself; for Sentinel, the master last resolved (empty until resolved).
  std::string host;
  int port = 6379;
  int db = 0;
  std::string user;      // ACL user; empty = the default user
  std::string password;  // empty = no AUTH

  // rediss://: TLS to the server. ssl_cert_reqs=none in the URL turns verification off (as in
  // redis-py); ssl_ca_certs=<file> names the CA bundle (default: the system's).
  bool tls = false;
  bool tls_verify = true;
  std::string tls_ca_file;

  // Sentinel: the sentinels to ask and the master service name. Empty = a plain server.
  std::vector<HostPort> sentinels;
  std::string master_name;
  bool UsesSentinel() const { return !sentinels.empty(); }

  // "redis://host:port/db", "rediss://...", or "sentinel <name> via h1:p1,h2:p2 /db" — never
  // contains the credentials, so it is safe to log.
  std::string Describe() const;
};

struct ParsedRedisUrl {
  std::optional<RedisEndpoint> endpoint;  // set when the URL is well-formed
  std::string scheme;                     // lower-cased, "" when the URL has none
  std::string error;                      // why it is not; never echoes the password
};

struct SentinelSettings {
  std::string hosts;  // REDIS_SENTINEL_HOSTS: "h1,h2[:port],..."; "" = no Sentinel
  int port = 26379;   // REDIS_SENTINEL_PORT: for the hosts that name none
};

// redis://[[user]:password@]host[:port][/db] and rediss://... (TLS; query ssl_cert_reqs,
// ssl_ca_certs). User and password may be percent-encoded; an IPv6 host is written in brackets.
// With sentinel.hosts set, as in Open WebUI, the URL's host is the master's service name:
// redis://[:password@]<master-name>/<db>.
// redis+sentinel://[:password@]s1[:port][,s2[:port]...]/<master-name>[/db] names the sentinels
// in the URL itself. Other query parameters and a fragment are ignored.
ParsedRedisUrl ParseRedisUrl(std::string_view url, const SentinelSettings& sentinel = {});

}  // namespace webui::kv
