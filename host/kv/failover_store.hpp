// KvStore backed by Redis while it answers, by an in-process MemoryStore while it does not.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>

#include "kv/kv_store.hpp"
#include "kv/memory_store.hpp"
#include "kv/redis_connection.hpp"
#include "kv/redis_subscriber.hpp"
#include "kv/redis_url.hpp"

namespace webui::kv {

// Every call goes to Redis while it is up. A connection failure switches the store to the
// in-process MemoryStore for that call and the following ones (one warning per outage); a
// background health check PINGs Redis every reconnect_interval and switches back when it answers
// (one info line). Data written during an outage stays in the in-process store and is not copied
// to Redis afterwards: keys here are short-lived (counters, caches), so that is acceptable.
//
// Pub/sub: each subscription is registered with both Redis and the in-process store, and each
// Publish goes to exactly one of them, so a message is never delivered twice. While Redis is up,
// even messages between subscribers of this process travel through Redis; while it is down,
// messages stay inside the process.
class FailoverStore final : public KvStore {
 public:
  FailoverStore(RedisEndpoint endpoint, const KvOptions& options);
  ~FailoverStore() override;
  FailoverStore(const FailoverStore&) = delete;
  FailoverStore& operator=(const FailoverStore&) = delete;

  std::optional<std::string> Get(std::string_view key) override;
  void Set(std::string_view key, std::string_view value, std::chrono::milliseconds ttl) override;
  void Del(std::string_view key) override;
  std::int64_t Incr(std::string_view key, std::int64_t delta,
                    std::chrono::milliseconds ttl) override;
  std::optional<std::chrono::milliseconds> Ttl(std::string_view key) override;

  void Publish(std::string_view channel, std::string_view message) override;
  std::uint64_t Subscribe(std::string_view channel, MessageFn fn) override;
  void Unsubscribe(std::uint64_t id) override;

  bool IsShared() const override { return up_.load(); }
  std::string Describe() const override;

 private:
  std::string Key(std::string_view key) const { return prefix_ + std::string(key); }
  // Runs `on_redis` while Redis is up; on RedisUnavailable marks it down and runs `locally`.
  template <typename OnRedis, typename Locally>
  auto Call(OnRedis&& on_redis, Locally&& locally) -> decltype(locally());
  void MarkDown(const std::string& reason);
  void MarkUp();
  void Monitor();

  const RedisEndpoint endpoint_;
  const std::string description_;
  const std::string prefix_;  // "open-webui:"
  const std::chrono::milliseconds reconnect_interval_;

  std::atomic<bool> stopping_{false};
  std::atomic<bool> up_{false};
  MemoryStore local_;
  RedisPool pool_;
  std::unique_ptr<RedisSubscriber> subscriber_;

  std::mutex subs_mu_;
  std::uint64_t next_id_ = 1;
  std::unordered_map<std::uint64_t, std::pair<std::uint64_t, std::uint64_t>> subs_;  // local, redis

  std::mutex monitor_mu_;
  std::condition_variable monitor_cv_;
  std::thread monitor_;
};

}  // namespace webui::kv
