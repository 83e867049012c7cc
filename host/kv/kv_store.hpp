// Key-value store, counters with TTL, and publish/subscribe: Redis when REDIS_URL is set and
// reachable, an in-process implementation otherwise. Callers never see the difference except
// through IsShared(): with Redis, several host instances share state and messages.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace webui::kv {

// Published locally (never through Redis) after the store (re)gained a Redis subscription that
// may have missed messages: after an outage, or when a lost pub/sub connection was replaced.
// Whoever caches state that other instances announce on a channel re-reads it here.
inline constexpr const char* kResyncChannel = "webui-host:kv-resync";

// REDIS_URL is set but cannot be used as configured (malformed; an unsupported scheme). The host
// refuses to start rather than silently running without the shared store.
class KvConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A write could not be kept: Redis is down and the journal of writes waiting for it is full.
class KvUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct KvOptions {
  // "" = in-process only. redis://[user:pass@]host[:port][/db], rediss://... (TLS), or
  // redis+sentinel://s1[:port],s2/<master>[/db]; see redis_url.hpp.
  std::string redis_url;
  // Open WebUI's REDIS_SENTINEL_HOSTS / REDIS_SENTINEL_PORT: with hosts set, redis_url's host is
  // the Sentinel master's service name.
  std::string sentinel_hosts;
  int sentinel_port = 26379;
  std::string key_prefix = "open-webui";  // every key/channel becomes "{prefix}:{key}"
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds command_timeout{2000};
  std::size_t pool_size = 8;  // bounded: callers wait (up to command_timeout) for a connection
  std::chrono::milliseconds reconnect_interval{1000};  // how often a down Redis is retried
  // Writes made while Redis is down are kept in a journal and written to Redis when it returns
  // (Set with its remaining TTL, Del), before the store uses Redis again, so that other
  // instances see them. Publishes are replayed only on these channels: they announce state
  // (revocations, settings), whereas replaying e.g. stale chat events would do harm.
  std::vector<std::string> replayed_channels;
  std::size_t journal_max_entries = 10000;
  std::size_t journal_max_bytes = 8u << 20;
  // Create() throws KvConfigError when redis_url is set but malformed, of a scheme this build
  // cannot use, or refused by the server at start (certificate, password) — instead of running
  // on the in-process store with a warning. The host's main store sets it: a multi-instance
  // deployment must not silently lose shared revocations, rate limits and events.
  bool refuse_unusable = false;
};

using MessageFn = std::function<void(std::string_view channel, std::string_view message)>;

class KvStore {
 public:
  virtual ~KvStore() = default;

  // Never throws for "Redis is down": falls back to the in-process store, logs that ONCE per
  // outage (spdlog warn), and goes back to Redis when it answers again (replaying the journal
  // first, see KvOptions). See KvOptions::refuse_unusable for a Redis unusable as configured.
  static std::unique_ptr<KvStore> Create(const KvOptions& options);

  virtual std::optional<std::string> Get(std::string_view key) = 0;
  // Set and Del throw KvUnavailable when Redis is down and the journal is full: the write would
  // otherwise be lost for the other instances.
  virtual void Set(std::string_view key, std::string_view value,
                   std::chrono::milliseconds ttl = std::chrono::milliseconds{0}) = 0;
  virtual void Del(std::string_view key) = 0;
  // Atomic add. When the key did not exist and ttl > 0 it expires after ttl (fixed window).
  virtual std::int64_t Incr(std::string_view key, std::int64_t delta,
                            std::chrono::milliseconds ttl = std::chrono::milliseconds{0}) = 0;
  // Remaining TTL; -1 ms when the key has no expiry; nullopt when the key does not exist.
  virtual std::optional<std::chrono::milliseconds> Ttl(std::string_view key) = 0;

  virtual void Publish(std::string_view channel, std::string_view message) = 0;
  // Returns an id > 0. `fn` runs on a store-owned thread; it must not block for long.
  // Subscriptions survive a Redis reconnect (re-subscribed automatically).
  virtual std::uint64_t Subscribe(std::string_view channel, MessageFn fn) = 0;
  virtual void Unsubscribe(std::uint64_t id) = 0;

  // True while backed by a reachable Redis.
  virtual bool IsShared() const = 0;
  // "redis://host:port/db" (no password) or "in-process".
  virtual std::string Describe() const = 0;
};

}  // namespace webui::kv
