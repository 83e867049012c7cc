#include "kv/memory_store.hpp"

#include <charconv>
#include <stdexcept>
#include <vector>

#include <spdlog/spdlog.h>

namespace webui::kv {

namespace {
thread_local int callback_depth = 0;
}  // namespace

CallbackScope::CallbackScope() { ++callback_depth; }
CallbackScope::~CallbackScope() { --callback_depth; }
bool CallbackScope::Active() { return callback_depth > 0; }

MemoryStore::MemoryStore() : MemoryStore(Options{}) {}

MemoryStore::MemoryStore(Options options) : options_(options) {
  thread_ = std::thread([this] { Run(); });
}

MemoryStore::~MemoryStore() {
  {
    std::lock_guard lock(sub_mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

MemoryStore::Entry* MemoryStore::FindLive(std::string_view key, Clock::time_point now) {
  const auto it = data_.find(key);
  if (it == data_.end()) return nullptr;
  if (it->second.has_expiry && it->second.expiry->first <= now) {
    Erase(it);
    return nullptr;
  }
  return &it->second;
}

void MemoryStore::Erase(Map::iterator it) {
  ClearExpiry(it->second);
  data_.erase(it);
}

void MemoryStore::SetExpiry(Map::iterator it, std::chrono::milliseconds ttl,
                            Clock::time_point now) {
  ClearExpiry(it->second);
  it->second.expiry = expiries_.emplace(now + ttl, it->first);
  it->second.has_expiry = true;
}

void MemoryStore::ClearExpiry(Entry& entry) {
  if (entry.has_expiry) {
    expiries_.erase(entry.expiry);
    entry.has_expiry = false;
  }
}

void MemoryStore::PurgeExpired() {
  std::lock_guard lock(data_mu_);
  const auto now = Clock::now();
  while (!expiries_.empty() && expiries_.begin()->first <= now) {
    const auto it = data_.find(expiries_.begin()->second);
    if (it != data_.end()) {
      Erase(it);
    } else {
      expiries_.erase(expiries_.begin());  // cannot happen; never loop forever on it
    }
  }
}

std::size_t MemoryStore::StoredKeyCount() const {
  std::lock_guard lock(data_mu_);
  return data_.size();
}

std::optional<std::string> MemoryStore::Get(std::string_view key) {
  std::lock_guard lock(data_mu_);
  const Entry* entry = FindLive(key, Clock::now());
  if (entry == nullptr) return std::nullopt;
  return entry->value;
}

void MemoryStore::Set(std::string_view key, std::string_view value, std::chrono::milliseconds ttl) {
  std::lock_guard lock(data_mu_);
  auto it = data_.find(key);
  if (it == data_.end()) it = data_.emplace(std::string(key), Entry{}).first;
  it->second.value.assign(value);
  // Like Redis SET: a write without a TTL makes the key persistent.
  if (ttl.count() > 0) {
    SetExpiry(it, ttl, Clock::now());
  } else {
    ClearExpiry(it->second);
  }
}

void MemoryStore::Del(std::string_view key) {
  std::lock_guard lock(data_mu_);
  const auto it = data_.find(key);
  if (it != data_.end()) Erase(it);
}

std::int64_t MemoryStore::Incr(std::string_view key, std::int64_t delta,
                               std::chrono::milliseconds ttl) {
  std::lock_guard lock(data_mu_);
  const auto now = Clock::now();
  if (Entry* entry = FindLive(key, now)) {
    std::int64_t current = 0;
    const std::string& text = entry->value;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), current);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
      throw std::runtime_error("value is not an integer or out of range");
    }
    std::int64_t result = 0;
    if (__builtin_add_overflow(current, delta, &result)) {
      throw std::runtime_error("increment or decrement would overflow");
    }
    entry->value = std::to_string(result);
    return result;  // an existing key keeps its expiry: the window is fixed at creation
  }
  const auto it = data_.emplace(std::string(key), Entry{}).first;
  it->second.value = std::to_string(delta);
  if (ttl.count() > 0) SetExpiry(it, ttl, now);
  return delta;
}

std::optional<std::chrono::milliseconds> MemoryStore::Ttl(std::string_view key) {
  std::lock_guard lock(data_mu_);
  const auto now = Clock::now();
  const Entry* entry = FindLive(key, now);
  if (entry == nullptr) return std::nullopt;
  if (!entry->has_expiry) return std::chrono::milliseconds{-1};
  return std::chrono::ceil<std::chrono::milliseconds>(entry->expiry->first - now);
}

void MemoryStore::Publish(std::string_view channel, std::string_view message) {
  {
    std::lock_guard lock(sub_mu_);
    if (stop_ || channels_.find(channel) == channels_.end()) return;  // nobody listens
    if (queue_.size() >= options_.max_queued_messages) {
      if (!overflow_logged_) {
        overflow_logged_ = true;
        spdlog::warn("in-process pub/sub: {} messages waiting for slow subscribers; dropping",
                     queue_.size());
      }
      return;
    }
    queue_.emplace_back(std::string(channel), std::string(message));
  }
  cv_.notify_all();
}

std::uint64_t MemoryStore::Subscribe(std::string_view channel, MessageFn fn) {
  auto shared = std::make_shared<const MessageFn>(std::move(fn));
  std::lock_guard lock(sub_mu_);
  const std::uint64_t id = next_id_++;
  auto it = channels_.find(channel);
  if (it == channels_.end())
    it = channels_.emplace(std::string(channel), decltype(it->second){}).first;
  it->second.emplace(id, std::move(shared));
  channel_of_.emplace(id, it->first);
  return id;
}

void MemoryStore::Unsubscribe(std::uint64_t id) {
  {
    std::lock_guard lock(sub_mu_);
    const auto it = channel_of_.find(id);
    if (it == channel_of_.end()) return;
    const auto channel = channels_.find(it->second);
    if (channel != channels_.end()) {
      channel->second.erase(id);
      if (channel->second.empty()) channels_.erase(channel);
    }
    channel_of_.erase(it);
  }
  // Wait for a callback that may be running right now, unless we are inside a callback.
  if (!CallbackScope::Active()) {
    std::lock_guard wait(dispatch_mu_);
  }
}

void MemoryStore::Deliver(const std::string& channel, const std::string& message) {
  std::lock_guard dispatching(dispatch_mu_);
  std::vector<std::shared_ptr<const MessageFn>> targets;
  {
    std::lock_guard lock(sub_mu_);
    const auto it = channels_.find(channel);
    if (it == channels_.end()) return;
    targets.reserve(it->second.size());
    for (const auto& [id, fn] : it->second) targets.push_back(fn);
  }
  const CallbackScope in_callback;
  for (const auto& fn : targets) {
    try {
      (*fn)(channel, message);
    } catch (const std::exception& e) {
      spdlog::warn("in-process pub/sub: subscriber of '{}' threw: {}", channel, e.what());
    } catch (...) {
      spdlog::warn("in-process pub/sub: subscriber of '{}' threw", channel);
    }
  }
}

void MemoryStore::Run() {
  auto next_purge = Clock::now() + options_.purge_interval;
  std::unique_lock lock(sub_mu_);
  while (!stop_) {
    if (queue_.empty()) {
      cv_.wait_until(lock, next_purge, [this] { return stop_ || !queue_.empty(); });
      if (stop_) break;
    }
    if (Clock::now() >= next_purge) {
      lock.unlock();
      PurgeExpired();
      lock.lock();
      next_purge = Clock::now() + options_.purge_interval;
      continue;
    }
    if (queue_.empty()) continue;
    auto [channel, message] = std::move(queue_.front());
    queue_.pop_front();
    if (queue_.empty()) overflow_logged_ = false;
    lock.unlock();
    Deliver(channel, message);
    lock.lock();
  }
}

}  // namespace webui::kv
