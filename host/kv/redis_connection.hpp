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

#include <Poco/Net/Context.h>
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

// The server refused us for a reason that waiting will not fix: its certificate failed
// verification, or it rejected the credentials. At start-up this is a configuration error;
// later (a rotated password, a replaced certificate) it is treated as an outage.
class RedisRefused : public RedisUnavailable {
 public:
  using RedisUnavailable::RedisUnavailable;
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

// The TLS settings of a rediss:// endpoint, made once and shared by all its connections.
// Throws RedisUnavailable when they cannot be used (e.g. an unreadable CA file).
Poco::Net::Context::Ptr MakeTlsContext(const RedisEndpoint& endpoint);

class RedisConnection {
 public:
  // Connects to endpoint.host:port (over TLS with `tls`, verifying the certificate and host name
  // unless the context says not to), then AUTH and SELECT as the endpoint asks. Every wait before
  // the TLS handshake is sliced so that `cancel` (may be null) turning true aborts it within
  // ~100 ms; the handshake itself is bounded by the command timeout. Throws RedisUnavailable.
  RedisConnection(const RedisEndpoint& endpoint, RedisTimeouts timeouts,
                  const std::atomic<bool>* cancel, Poco::Net::Context::Ptr tls = nullptr);
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
  const bool tls_;
  Poco::Net::StreamSocket socket_;  // a SecureStreamSocket for TLS
  std::unique_ptr<Poco::Redis::RedisInputStream> input_;
};

// Error reply text, or nullopt when `reply` is not an error.
std::optional<std::string> ErrorText(const Poco::Redis::RedisType::Ptr& reply);

// Where connections go: a fixed server, or the master that Redis Sentinel names. The master is
// asked for when first needed and again only after a connection to it failed (Invalidate()),
// never per command. Thread-safe.
class RedisTarget {
 public:
  RedisTarget(RedisEndpoint endpoint, RedisTimeouts timeouts);
  // A new connection to the server (the current master for Sentinel, checked with ROLE).
  // Throws RedisUnavailable, after which the master is looked up again on the next call.
  std::unique_ptr<RedisConnection> Connect(const std::atomic<bool>* cancel);
  // A connection to it failed: with Sentinel, ask the sentinels again before the next connect.
  void Invalidate();
  std::string Describe() const { return endpoint_.Describe(); }
  const RedisTimeouts& timeouts() const { return timeouts_; }

 private:
  RedisEndpoint Resolve(const std::atomic<bool>* cancel);

  const RedisEndpoint endpoint_;
  const RedisTimeouts timeouts_;
  const Poco::Net::Context::Ptr tls_;  // null for redis://
  std::mutex mu_;
  std::optional<HostPort> master_;  // Sentinel: the last master named
};

class RedisPool {
 public:
  // At most `max_size` connections exist; a caller waits up to the command timeout for one.
  RedisPool(std::shared_ptr<RedisTarget> target, std::size_t max_size,
            const std::atomic<bool>* cancel);
  ~RedisPool();

  // Runs one command. A connection that failed is closed, never handed out again.
  Poco::Redis::RedisType::Ptr Execute(const Poco::Redis::Array& command);
  // Closes the idle connections (after an outage they are all dead).
  void Clear();

 private:
  std::unique_ptr<RedisConnection> Acquire();
  void Release(std::unique_ptr<RedisConnection> connection, bool reusable);

  const std::shared_ptr<RedisTarget> target_;
  const RedisTimeouts timeouts_;
  const std::size_t max_size_;
  const std::atomic<bool>* const cancel_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<RedisConnection>> idle_;
  std::size_t open_ = 0;  // idle + lent out + being connected
};

}  // namespace webui::kv
