// Internal: a bounded pool of driver connections. Connections are created lazily up to
// `max_size`; a caller waits up to the acquire timeout for one to come back, then gets a
// StorageUnavailable. Broken connections are dropped (and later replaced), never handed out again.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "storage/connection.hpp"

namespace webui::storage::detail {

class ConnectionPool : public std::enable_shared_from_this<ConnectionPool> {
 public:
  using Factory = std::function<std::unique_ptr<Connection>()>;

  // Holds one connection; gives it back to the pool when destroyed (or drops it when the
  // connection cannot be reused). Keeps the pool alive, so it may outlive the Database.
  class Lease {
   public:
    Lease() = default;
    Lease(std::shared_ptr<ConnectionPool> pool, std::unique_ptr<Connection> conn)
        : pool_(std::move(pool)), conn_(std::move(conn)) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&& other) noexcept {
      if (this != &other) {
        Release();
        pool_ = std::move(other.pool_);
        conn_ = std::move(other.conn_);
      }
      return *this;
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { Release(); }

    Connection* operator->() const { return conn_.get(); }
    Connection& operator*() const { return *conn_; }
    explicit operator bool() const { return conn_ != nullptr; }

    // Returns the connection to the pool now.
    void Release() noexcept {
      if (conn_) pool_->GiveBack(std::move(conn_), true);
      pool_.reset();
    }
    // Closes the connection instead of pooling it (its state is unknown).
    void Discard() noexcept {
      if (conn_) pool_->GiveBack(std::move(conn_), false);
      pool_.reset();
    }

   private:
    std::shared_ptr<ConnectionPool> pool_;
    std::unique_ptr<Connection> conn_;
  };

  static std::shared_ptr<ConnectionPool> Create(std::size_t max_size,
                                                std::chrono::milliseconds acquire_timeout,
                                                Factory factory) {
    return std::shared_ptr<ConnectionPool>(
        new ConnectionPool(max_size, acquire_timeout, std::move(factory)));
  }

  // Opens one connection now so a bad target fails at startup rather than on first use.
  void Warm() { Lease lease = Acquire(); }

  Lease Acquire() {
    const auto deadline = std::chrono::steady_clock::now() + acquire_timeout_;
    std::unique_lock lock(mutex_);
    while (true) {
      if (!idle_.empty()) {
        std::unique_ptr<Connection> conn = std::move(idle_.back());
        idle_.pop_back();
        lock.unlock();
        if (conn->Alive()) return Lease(shared_from_this(), std::move(conn));
        conn.reset();  // closes the broken connection outside the lock
        lock.lock();
        --open_;
        continue;
      }
      if (open_ < max_size_) {
        ++open_;
        lock.unlock();
        try {
          return Lease(shared_from_this(), factory_());
        } catch (...) {
          lock.lock();
          --open_;
          available_.notify_one();
          throw;
        }
      }
      const auto wait_start = std::chrono::steady_clock::now();
      const auto woke = available_.wait_until(lock, deadline);
      ++waits_;
      wait_ns_ += static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                 std::chrono::steady_clock::now() - wait_start)
                                                 .count());
      if (woke == std::cv_status::timeout && idle_.empty() && open_ >= max_size_) {
        throw StorageUnavailable("no free database connection within " +
                                 std::to_string(acquire_timeout_.count()) + " ms (pool size " +
                                 std::to_string(max_size_) + ")");
      }
    }
  }

  // For /metrics: a snapshot of how busy the pool is.
  struct Stats {
    std::size_t max_size = 0;
    std::size_t open = 0;     // idle + leased
    std::size_t in_use = 0;   // leased now
    std::uint64_t waits = 0;  // Acquire calls that found no free connection and waited
    double wait_seconds = 0;  // time spent in those waits
  };
  Stats Snapshot() {
    std::lock_guard lock(mutex_);
    return Stats{max_size_, open_, open_ - idle_.size(), waits_,
                 static_cast<double>(wait_ns_) / 1e9};
  }

 private:
  ConnectionPool(std::size_t max_size, std::chrono::milliseconds acquire_timeout, Factory factory)
      : max_size_(max_size == 0 ? 1 : max_size),
        acquire_timeout_(acquire_timeout),
        factory_(std::move(factory)) {}

  void GiveBack(std::unique_ptr<Connection> conn, bool reusable) noexcept {
    bool keep = false;
    if (reusable) {
      try {
        keep = conn->ResetForReuse();
      } catch (...) {
        keep = false;
      }
    }
    if (!keep) conn.reset();
    std::lock_guard lock(mutex_);
    if (keep) {
      idle_.push_back(std::move(conn));  // LIFO: the warmest connection is reused first
    } else {
      --open_;
    }
    available_.notify_one();
  }

  const std::size_t max_size_;
  const std::chrono::milliseconds acquire_timeout_;
  const Factory factory_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t open_ = 0;  // idle + leased
  std::uint64_t waits_ = 0;
  std::uint64_t wait_ns_ = 0;
};

}  // namespace webui::storage::detail
