// Key-value store, counters with TTL, and publish/subscribe: Redis when REDIS_URL is set and
// reachable, an in-process implementation otherwise. Callers never see the difference except
// through IsShared(): with Redis, several host instances share state and messages.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace webui::kv {

struct KvOptions {
  std::string redis_url;  // "" = in-process only. redis://[user:pass@]host[:port][/db]
  std::string key_prefix = "open-webui";  // every key/channel becomes "{prefix}:{key}"
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds command_timeout{2000};
  std::size_t pool_size = 8;  // bounded: callers wait (up to command_timeout) for a connection
  std::chrono::milliseconds reconnect_interval{1000};  // how often a down Redis is retried
};

using MessageFn = std::function<void(std::string_view channel, std::string_view message)>;

class KvStore {
 public:
  virtual ~KvStore() = default;

  // Never throws for "Redis is down": falls back to the in-process store, logs that ONCE per
  // outage (spdlog warn), and goes back to Redis when it answers again.
  static std::unique_ptr<KvStore> Create(const KvOptions& options);

  virtual std::optional<std::string> Get(std::string_view key) = 0;
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
