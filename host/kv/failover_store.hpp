// KvStore backed by Redis while it answers, by an in-process MemoryStore while it does not.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
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
// (one info line).
//
// Writes during an outage (docs/security.md T40, T42): Set and Del, and Publish on
// KvOptions::replayed_channels, go to the in-process store AND to a bounded journal. When Redis
// answers again the journal is written to it in order (a Set with the TTL it has left; one whose
// TTL ran out becomes a Del) before any call uses Redis again, so a revocation or a setting
// announced on this instance during the outage reaches the others. Counters (Incr) are not
// journaled: they are rate-limit windows that restart on their own. A full journal makes Set and
// Del throw KvUnavailable (the caller answers 5xx rather than pretend the write is shared) and
// drops further publishes; each is logged once per outage. The journal lives in memory: an
// instance that dies during the outage loses what it had not replayed.
//
// After every new pub/sub connection except the very first one (so after each outage and each
// lost subscribe connection) kResyncChannel is published locally: messages may have been missed.
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
  struct JournalEntry {
    enum class Op { kSet, kDel, kPublish };
    Op op;
    std::string key;  // or channel; without the prefix
    std::string value;
    std::optional<std::chrono::steady_clock::time_point> expires_at;  // a Set with a TTL
    std::size_t Bytes() const { return key.size() + value.size() + 64; }
  };
  // Set, Del and replayed Publish: on Redis while it is up, else locally and journaled.
  template <typename OnRedis, typename Locally>
  void Write(OnRedis&& on_redis, Locally&& locally, JournalEntry entry);
  bool Journal(JournalEntry entry);  // needs journal_mu_; false when full
  void ReplayOne(const JournalEntry& entry);
  void MarkDown(const std::string& reason);
  // Replays the journal, then switches back to Redis. Throws RedisUnavailable.
  void Recover();
  void Monitor();

  const std::string description_;
  const std::string prefix_;  // "open-webui:"
  const std::chrono::milliseconds reconnect_interval_;
  const std::set<std::string, std::less<>> replayed_channels_;
  const std::size_t journal_max_entries_;
  const std::size_t journal_max_bytes_;
  const std::shared_ptr<RedisTarget> target_;

  std::atomic<bool> stopping_{false};
  std::atomic<bool> up_{false};
  MemoryStore local_;
  RedisPool pool_;
  std::unique_ptr<RedisSubscriber> subscriber_;
  bool up_at_start_ = false;

  // Taken by writers that fall back, and to switch back to Redis: no write can be journaled
  // after the last replay and yet miss Redis.
  std::mutex journal_mu_;
  std::deque<JournalEntry> journal_;
  std::size_t journal_bytes_ = 0;
  bool journal_full_logged_ = false;

  std::mutex subs_mu_;
  std::uint64_t next_id_ = 1;
  std::unordered_map<std::uint64_t, std::pair<std::uint64_t, std::uint64_t>> subs_;  // local, redis

  std::mutex monitor_mu_;
  std::condition_variable monitor_cv_;
  std::thread monitor_;
};

}  // namespace webui::kv
