// A small thread-safe map from string keys to immutable values, each kept for at most `max_age`
// and at most `max_entries` of them (full: everything is dropped, then refilled by use). Made for
// the authenticator's per-request user read: readers share a lock, and a value read from the
// database is stored only when no invalidation happened since the read began (Epoch()), so an
// update racing with a cache fill can never leave the old value behind.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace webui::auth {

template <typename V>
class ExpiringCache {
 public:
  using Clock = std::chrono::steady_clock;
  using Now = std::function<Clock::time_point()>;

  ExpiringCache(std::size_t max_entries, std::chrono::milliseconds max_age, Now now = {})
      : max_entries_(max_entries), max_age_(max_age), now_(std::move(now)) {}

  // Taken before reading the source of a value, handed to Put afterwards.
  uint64_t Epoch() const { return epoch_.load(std::memory_order_acquire); }

  // The value when present and younger than max_age; nullptr otherwise.
  std::shared_ptr<const V> Get(std::string_view key) const {
    const Clock::time_point now = CurrentTime();
    std::shared_lock lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end() || now - it->second.stored_at >= max_age_) return nullptr;
    return it->second.value;
  }

  // Stores `value` unless something was invalidated after `epoch` was taken (the value may then
  // predate that change). Returns whether it was stored.
  bool Put(std::string_view key, std::shared_ptr<const V> value, uint64_t epoch) {
    if (max_entries_ == 0) return false;
    const Clock::time_point now = CurrentTime();
    std::unique_lock lock(mu_);
    if (epoch != epoch_.load(std::memory_order_relaxed)) return false;
    auto it = entries_.find(key);
    if (it == entries_.end()) {
      if (entries_.size() >= max_entries_) entries_.clear();
      entries_.emplace(std::string(key), Entry{std::move(value), now});
    } else {
      it->second = Entry{std::move(value), now};
    }
    return true;
  }

  void Erase(std::string_view key) {
    std::unique_lock lock(mu_);
    epoch_.fetch_add(1, std::memory_order_acq_rel);
    if (auto it = entries_.find(key); it != entries_.end()) entries_.erase(it);
  }

  void Clear() {
    std::unique_lock lock(mu_);
    epoch_.fetch_add(1, std::memory_order_acq_rel);
    entries_.clear();
  }

  std::size_t Size() const {
    std::shared_lock lock(mu_);
    return entries_.size();
  }

 private:
  struct Entry {
    std::shared_ptr<const V> value;
    Clock::time_point stored_at;
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  Clock::time_point CurrentTime() const { return now_ ? now_() : Clock::now(); }

  const std::size_t max_entries_;
  const std::chrono::milliseconds max_age_;
  const Now now_;
  mutable std::shared_mutex mu_;
  std::atomic<uint64_t> epoch_{0};
  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> entries_;
};

}  // namespace webui::auth
