// The in-process KvStore: used when REDIS_URL is empty or unusable, and as the fallback while
// Redis is down.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>

#include "kv/kv_store.hpp"

namespace webui::kv {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

// Marks the current thread as running KvStore subscriber callbacks. Unsubscribe() and
// Subscribe() never block waiting for a store thread when called from inside a callback: the
// in-process and the Redis dispatcher threads would otherwise be able to wait for each other.
class CallbackScope {
 public:
  CallbackScope();
  ~CallbackScope();
  CallbackScope(const CallbackScope&) = delete;
  CallbackScope& operator=(const CallbackScope&) = delete;
  static bool Active();
};

// Thread-safe map with per-key expiry. Expired keys are dropped when touched and by a periodic
// purge on the store thread, so memory is bounded by the live keys even if nobody reads them.
//
// Pub/sub: Publish() only queues the message; the store thread delivers it to the channel's
// subscribers, in publish order, never on the publisher's thread. A callback may therefore
// Publish/Subscribe/Unsubscribe freely. After Unsubscribe() returns the callback is not running
// and will not run again (when called from inside any store's callback, only the "will not run
// again" part holds). Unsubscribe() from another thread waits for a running callback, so do not
// call it while holding a lock that a callback takes.
class MemoryStore final : public KvStore {
 public:
  struct Options {
    std::chrono::milliseconds purge_interval{1000};
    // Messages waiting for delivery; beyond this Publish drops (and logs) instead of growing.
    std::size_t max_queued_messages = 100000;
  };

  MemoryStore();
  explicit MemoryStore(Options options);
  ~MemoryStore() override;
  MemoryStore(const MemoryStore&) = delete;
  MemoryStore& operator=(const MemoryStore&) = delete;

  std::optional<std::string> Get(std::string_view key) override;
  void Set(std::string_view key, std::string_view value, std::chrono::milliseconds ttl) override;
  void Del(std::string_view key) override;
  std::int64_t Incr(std::string_view key, std::int64_t delta,
                    std::chrono::milliseconds ttl) override;
  std::optional<std::chrono::milliseconds> Ttl(std::string_view key) override;

  void Publish(std::string_view channel, std::string_view message) override;
  std::uint64_t Subscribe(std::string_view channel, MessageFn fn) override;
  void Unsubscribe(std::uint64_t id) override;

  bool IsShared() const override { return false; }
  std::string Describe() const override { return "in-process"; }

  // Keys held, counting expired ones the purge has not reached yet (tests check boundedness).
  std::size_t StoredKeyCount() const;

 private:
  using Clock = std::chrono::steady_clock;
  using ExpiryIndex = std::multimap<Clock::time_point, std::string>;
  struct Entry {
    std::string value;
    bool has_expiry = false;
    ExpiryIndex::iterator expiry;  // valid when has_expiry
  };
  using Map = std::unordered_map<std::string, Entry, StringHash, std::equal_to<>>;

  // All of these need data_mu_ held.
  Entry* FindLive(std::string_view key, Clock::time_point now);
  void Erase(Map::iterator it);
  void SetExpiry(Map::iterator it, std::chrono::milliseconds ttl, Clock::time_point now);
  void ClearExpiry(Entry& entry);
  void PurgeExpired();

  void Run();
  void Deliver(const std::string& channel, const std::string& message);

  const Options options_;

  mutable std::mutex data_mu_;
  Map data_;
  ExpiryIndex expiries_;  // earliest first, so the purge only looks at what has expired

  std::mutex sub_mu_;  // guards everything below except dispatch_mu_ and thread_
  std::condition_variable cv_;
  bool stop_ = false;
  std::uint64_t next_id_ = 1;
  std::unordered_map<std::string, std::map<std::uint64_t, std::shared_ptr<const MessageFn>>,
                     StringHash, std::equal_to<>>
      channels_;
  std::unordered_map<std::uint64_t, std::string> channel_of_;
  std::deque<std::pair<std::string, std::string>> queue_;
  bool overflow_logged_ = false;

  std::mutex dispatch_mu_;  // held while callbacks run; Unsubscribe waits on it
  std::thread thread_;
};

}  // namespace webui::kv
