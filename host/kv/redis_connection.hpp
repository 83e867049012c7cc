// One Redis connection and a bounded pool of them, on top of Poco::Redis's RESP types.
//
// Poco::Redis::Client is not used directly because it hides its socket: it offers no send
// timeout, no cancellable connect and no way to wake a blocked reader, all of which the store
// needs to stay responsive on a dead Redis and to shut down promptly.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <Poco/Net/StreamSocket.h>
#include <Poco/Redis/Array.h>
#include <Poco/Redis/RedisStream.h>
#include <Poco/Redis/Type.h>

#include "kv/redis_url.hpp"

namespace webui::kv {

// Redis cannot serve the call: connect/IO failure, timeout, or a reply such as LOADING or
// NOAUTH. Callers fall back to the in-process store; the connection must be dropped.
class RedisUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Redis answered this command with an error (e.g. INCR of a non-integer). The connection is
// still in sync and reusable; the error goes to the KvStore caller.
class RedisCommandError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RedisTimeouts {
  std::chrono::milliseconds connect{2000};
  std::chrono::milliseconds command{2000};
};

class RedisConnection {
 public:
  // Connects, then AUTH and SELECT as the endpoint asks. Every wait is sliced so that `cancel`
  // (may be null) turning true aborts it within ~100 ms. Throws RedisUnavailable.
  RedisConnection(const RedisEndpoint& endpoint, RedisTimeouts timeouts,
                  const std::atomic<bool>* cancel);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Writes one command. Safe to call while another thread is inside Read()/WaitReadable()
  // (the subscriber writes SUBSCRIBE while its thread reads), but not concurrently with itself.
  void Send(const Poco::Redis::Array& command);
  // Reads one reply, waiting up to the command timeout. Error replies are returned as values.
  Poco::Redis::RedisType::Ptr Read();
  // Send + Read. Error replies throw RedisCommandError, or RedisUnavailable when they mean Redis
  // cannot serve at all (LOADING, NOAUTH, ...).
  Poco::Redis::RedisType::Ptr Execute(const Poco::Redis::Array& command);

  // True when a reply is buffered or arrives within `wait`.
  bool WaitReadable(std::chrono::milliseconds wait);
  // For an idle pooled connection: readable means the server closed it (or sent junk).
  bool LooksClosed();
  // Makes a blocked Read()/WaitReadable() on another thread fail at once. Thread-safe.
  void Shutdown() noexcept;

 private:
  bool PollSliced(std::chrono::steady_clock::time_point deadline, int mode);

  const RedisTimeouts timeouts_;
  const std::atomic<bool>* const cancel_;
  Poco::Net::StreamSocket socket_;
  std::unique_ptr<Poco::Redis::RedisInputStream> input_;
};

// Error reply text, or nullopt when `reply` is not an error.
std::optional<std::string> ErrorText(const Poco::Redis::RedisType::Ptr& reply);

class RedisPool {
 public:
  // At most `max_size` connections exist; a caller waits up to the command timeout for one.
  RedisPool(RedisEndpoint endpoint, RedisTimeouts timeouts, std::size_t max_size,
            const std::atomic<bool>* cancel);
  ~RedisPool();

  // Runs one command. A connection that failed is closed, never handed out again.
  Poco::Redis::RedisType::Ptr Execute(const Poco::Redis::Array& command);
  // Closes the idle connections (after an outage they are all dead).
  void Clear();

 private:
  std::unique_ptr<RedisConnection> Acquire();
  void Release(std::unique_ptr<RedisConnection> connection, bool reusable);

  const RedisEndpoint endpoint_;
  const RedisTimeouts timeouts_;
  const std::size_t max_size_;
  const std::atomic<bool>* const cancel_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<RedisConnection>> idle_;
  std::size_t open_ = 0;  // idle + lent out + being connected
};

}  // namespace webui::kv
