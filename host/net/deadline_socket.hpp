// The socket a connection's requests are read through. Two additions to POCO's stream socket:
//  - a read deadline for the whole request: every receive waits at most until it, so a client
//    that trickles a body byte by byte cannot hold a worker past it (per-read timeouts alone
//    would let it);
//  - bytes pushed back: what POCO had buffered beyond one request (a pipelined next request)
//    is handed back here when the connection is parked, and is read again before the kernel's.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include <Poco/Net/StreamSocketImpl.h>

namespace webui::net {

struct RelayJob;

class DeadlineSocketImpl final : public Poco::Net::StreamSocketImpl {
 public:
  using Clock = std::chrono::steady_clock;
  explicit DeadlineSocketImpl(int fd);
  ~DeadlineSocketImpl() override;

  void SetDeadline(Clock::time_point deadline) { deadline_ = deadline; }
  void ClearDeadline() { deadline_ = Clock::time_point::max(); }
  // Whether the last receive failed because the deadline passed.
  bool deadline_hit() const { return deadline_hit_; }

  void PushBack(std::string_view bytes) { pushed_back_.insert(0, bytes); }
  std::string_view pushed_back() const { return pushed_back_; }

  // A relayed response (net/stream_relay.hpp) left by the request handler for the front.
  void AttachRelay(std::unique_ptr<RelayJob> job);
  std::unique_ptr<RelayJob> TakeRelay();

  using Poco::Net::StreamSocketImpl::receiveBytes;
  int receiveBytes(void* buffer, int length, int flags = 0) override;

 private:
  Clock::time_point deadline_ = Clock::time_point::max();
  bool deadline_hit_ = false;
  std::string pushed_back_;
  std::unique_ptr<RelayJob> relay_;
};

}  // namespace webui::net
