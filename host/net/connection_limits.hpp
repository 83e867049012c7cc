// Counts open connections, in total and per client address, and refuses one over either cap
// (nginx limit_conn style). Thread-safe: connections are admitted on the epoll thread and
// released wherever they end.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace webui::net {

class ConnectionLimits {
 public:
  // 0 = no cap.
  ConnectionLimits(std::size_t max_total, std::size_t max_per_address);

  // Held by an admitted connection; gives its place back when destroyed.
  class Slot {
   public:
    Slot(ConnectionLimits* owner, std::string address)
        : owner_(owner), address_(std::move(address)) {}
    ~Slot() { owner_->Release(address_); }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;

   private:
    ConnectionLimits* owner_;
    std::string address_;
  };

  // A slot, or null when the connection is over a cap.
  std::unique_ptr<Slot> TryAdmit(const std::string& address);
  std::size_t total() const;
  std::size_t from(const std::string& address) const;

 private:
  void Release(const std::string& address);

  const std::size_t max_total_, max_per_address_;
  mutable std::mutex mu_;
  std::size_t total_ = 0;
  std::unordered_map<std::string, std::size_t> per_address_;
};

}  // namespace webui::net
