#include "net/connection_limits.hpp"

namespace webui::net {

ConnectionLimits::ConnectionLimits(std::size_t max_total, std::size_t max_per_address)
    : max_total_(max_total), max_per_address_(max_per_address) {}

std::unique_ptr<ConnectionLimits::Slot> ConnectionLimits::TryAdmit(const std::string& address) {
  {
    std::lock_guard lock(mu_);
    if (max_total_ != 0 && total_ >= max_total_) return nullptr;
    std::size_t& mine = per_address_[address];
    if (max_per_address_ != 0 && mine >= max_per_address_) {
      if (mine == 0) per_address_.erase(address);
      return nullptr;
    }
    ++mine;
    ++total_;
  }
  return std::make_unique<Slot>(this, address);
}

void ConnectionLimits::Release(const std::string& address) {
  std::lock_guard lock(mu_);
  --total_;
  auto it = per_address_.find(address);
  if (it != per_address_.end() && --it->second == 0) per_address_.erase(it);
}

std::size_t ConnectionLimits::total() const {
  std::lock_guard lock(mu_);
  return total_;
}

std::size_t ConnectionLimits::from(const std::string& address) const {
  std::lock_guard lock(mu_);
  auto it = per_address_.find(address);
  return it == per_address_.end() ? 0 : it->second;
}

}  // namespace webui::net
