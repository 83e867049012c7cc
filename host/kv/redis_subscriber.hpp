// The Redis side of pub/sub: one dedicated connection in subscribe mode and the thread that
// reads it and runs the local callbacks.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "kv/kv_store.hpp"
#include "kv/memory_store.hpp"
#include "kv/redis_connection.hpp"

namespace webui::kv {

class RedisSubscriber {
 public:
  struct Hooks {
    // Whether the owner currently considers Redis reachable. While it does not, the subscriber
    // does not try to reconnect: the owner's health check does the retrying, then calls Wake().
    std::function<bool()> is_up;
    // Reconnecting failed: Redis is down. Called without any subscriber lock held.
    std::function<void(const std::string& reason)> on_unavailable;
    // Redis confirmed the subscriptions of a new connection (the first, or one replacing a lost
    // one). Messages published while there was none were missed. Runs on the subscriber thread
    // without any subscriber lock held; must not block.
    std::function<void(bool first)> on_subscribed;
  };

  // `prefix` ("open-webui:") is put before every channel on the wire and stripped again before
  // callbacks see the channel.
  RedisSubscriber(std::shared_ptr<RedisTarget> target, std::chrono::milliseconds reconnect_interval,
                  std::string prefix, Hooks hooks);
  ~RedisSubscriber();
  RedisSubscriber(const RedisSubscriber&) = delete;
  RedisSubscriber& operator=(const RedisSubscriber&) = delete;

  // Registers `fn`; the first callback of a channel SUBSCRIBEs it. While Redis is up this waits
  // (bounded by connect + command timeout; not at all inside a callback) for Redis to confirm, so
  // a message published after Subscribe() returns is delivered. Callbacks run on the subscriber
  // thread.
  std::uint64_t Subscribe(std::string_view channel, std::shared_ptr<const MessageFn> fn);
  // Same guarantees as MemoryStore::Unsubscribe. The last callback of a channel UNSUBSCRIBEs it.
  void Unsubscribe(std::uint64_t id);
  // The owner saw Redis come back: reconnect and re-SUBSCRIBE now.
  void Wake();

 private:
  void Run();
  void SendLocked(const Poco::Redis::Array& command);  // needs mu_
  void Handle(const Poco::Redis::RedisType::Ptr& reply);

  const std::shared_ptr<RedisTarget> target_;
  const RedisTimeouts timeouts_;
  const std::chrono::milliseconds reconnect_interval_;
  const std::string prefix_;
  const Hooks hooks_;
  std::atomic<bool> cancel_{false};  // aborts connects and reads at shutdown

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::uint64_t next_id_ = 1;
  // Keyed by the full (prefixed) channel name.
  std::unordered_map<std::string, std::map<std::uint64_t, std::shared_ptr<const MessageFn>>,
                     StringHash, std::equal_to<>>
      channels_;
  std::unordered_map<std::uint64_t, std::string> channel_of_;
  std::set<std::string, std::less<>> confirmed_;  // SUBSCRIBE acknowledged on this connection
  bool announce_ = false;  // the next SUBSCRIBE confirmation calls hooks_.on_subscribed
  int connections_made_ = 0;
  // Replaced only by the subscriber thread, always under mu_, so that thread may use it
  // without the lock; other threads only write to it, under mu_.
  std::unique_ptr<RedisConnection> connection_;

  std::mutex dispatch_mu_;  // held while callbacks run; Unsubscribe waits on it
  std::thread thread_;
};

}  // namespace webui::kv
