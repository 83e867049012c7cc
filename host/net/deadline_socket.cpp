#include "net/deadline_socket.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <Poco/Exception.h>

#include "net/stream_relay.hpp"

namespace webui::net {

DeadlineSocketImpl::DeadlineSocketImpl(int fd) : Poco::Net::StreamSocketImpl(fd) {}
DeadlineSocketImpl::~DeadlineSocketImpl() = default;

void DeadlineSocketImpl::AttachRelay(std::unique_ptr<RelayJob> job) { relay_ = std::move(job); }
std::unique_ptr<RelayJob> DeadlineSocketImpl::TakeRelay() { return std::move(relay_); }

int DeadlineSocketImpl::receiveBytes(void* buffer, int length, int flags) {
  if (!pushed_back_.empty() && length > 0 && (flags & MSG_PEEK) == 0) {
    const auto n = std::min(pushed_back_.size(), static_cast<std::size_t>(length));
    std::memcpy(buffer, pushed_back_.data(), n);
    pushed_back_.erase(0, n);
    return static_cast<int>(n);
  }
  const auto deadline = deadline_;
  if (deadline != Clock::time_point::max()) {
    // Usually the bytes are there already: no wait, no poll.
    const ssize_t n =
        ::recv(sockfd(), buffer, static_cast<std::size_t>(length), flags | MSG_DONTWAIT);
    if (n >= 0) return static_cast<int>(n);
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      return Poco::Net::StreamSocketImpl::receiveBytes(buffer, length, flags);  // reports it
    }
    for (;;) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        deadline_hit_ = true;
        throw Poco::TimeoutException("request read deadline passed");
      }
      pollfd p{sockfd(), POLLIN, 0};
      const int rc = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1 << 30)));
      if (rc > 0) break;
      if (rc < 0 && errno != EINTR) break;  // let recv report the error
    }
  }
  return Poco::Net::StreamSocketImpl::receiveBytes(buffer, length, flags);
}

}  // namespace webui::net
