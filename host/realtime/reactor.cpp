#include "realtime/reactor.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <spdlog/spdlog.h>

namespace webui::realtime {
namespace {
constexpr std::uint64_t kWakeId = 0;
constexpr std::size_t kReadChunk = 64 * 1024;
// Bytes read from one connection per wake-up, so one busy peer cannot starve the others.
constexpr std::size_t kReadBudget = 1 << 20;
}  // namespace

// --- WsConn ------------------------------------------------------------------------------------

WsConn::WsConn(Reactor* reactor, std::uint64_t id, int fd, std::size_t max_message,
               std::size_t max_queue)
    : reactor_(reactor), id_(id), max_queue_(max_queue), fd_(fd), parser_(max_message) {}

WsConn::~WsConn() {
  if (fd_ >= 0) ::close(fd_);
}

std::size_t WsConn::queued() const {
  std::lock_guard lock(mu_);
  return out_.size() - out_off_;
}

bool WsConn::closing() const {
  std::lock_guard lock(mu_);
  return closing_ || broken_ || fd_ < 0;
}

void WsConn::WantWriteLocked(bool on) {
  if (want_write_ == on || fd_ < 0) return;
  want_write_ = on;
  reactor_->Modify(fd_, id_, on);
}

bool WsConn::FlushLocked() {
  while (out_off_ < out_.size()) {
    const ssize_t n =
        ::send(fd_, out_.data() + out_off_, out_.size() - out_off_, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      out_off_ += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    broken_ = true;
    return false;
  }
  if (out_off_ >= out_.size()) {
    out_.clear();
    out_off_ = 0;
    // An idle connection keeps no large buffer around.
    if (out_.capacity() > 64 * 1024) out_.shrink_to_fit();
    WantWriteLocked(false);
    if (closing_ && !shut_wr_) {
      ::shutdown(fd_, SHUT_WR);
      shut_wr_ = true;
    }
  } else {
    WantWriteLocked(true);
  }
  return true;
}

WsConn::SendResult WsConn::SendText(std::string_view payload) {
  return SendFrame(ws::EncodeFrame(ws::Opcode::kText, payload));
}

WsConn::SendResult WsConn::SendFrame(std::string_view frame) {
  std::lock_guard lock(mu_);
  if (fd_ < 0 || closing_ || broken_) return SendResult::kClosed;
  const std::size_t pending = out_.size() - out_off_;
  if (pending > 0 && pending + frame.size() > max_queue_) {
    // A reader this slow would make us buffer without bound: drop it.
    broken_ = true;
    out_.clear();
    out_off_ = 0;
    ::shutdown(fd_, SHUT_RDWR);
    return SendResult::kOverflow;
  }
  if (out_off_ > 0 && out_off_ * 2 > out_.size()) {
    out_.erase(0, out_off_);
    out_off_ = 0;
  }
  out_.append(frame);
  if (pending == 0 && !FlushLocked()) {
    ::shutdown(fd_, SHUT_RDWR);
    return SendResult::kClosed;
  }
  return SendResult::kOk;
}

void WsConn::Close(std::uint16_t code, std::string_view reason) {
  {
    std::lock_guard lock(mu_);
    if (fd_ < 0 || closing_ || broken_) return;
    out_.append(ws::EncodeClose(code, reason));
    closing_ = true;
    close_deadline_ = std::chrono::steady_clock::now() + reactor_->options().close_grace;
    if (!FlushLocked()) ::shutdown(fd_, SHUT_RDWR);
  }
  std::lock_guard lock(reactor_->mu_);
  reactor_->closing_.push_back(weak_from_this());
}

void WsConn::Abort() {
  std::lock_guard lock(mu_);
  if (fd_ < 0 || broken_) return;
  broken_ = true;
  out_.clear();
  out_off_ = 0;
  ::shutdown(fd_, SHUT_RDWR);
}

// --- Reactor -----------------------------------------------------------------------------------

Reactor::Reactor(Callbacks callbacks, Options options)
    : cb_(std::move(callbacks)), options_(options), read_buf_(kReadChunk) {
  epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
  evfd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epfd_ < 0 || evfd_ < 0) throw std::runtime_error("cannot create epoll/eventfd");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeId;
  ::epoll_ctl(epfd_, EPOLL_CTL_ADD, evfd_, &ev);
}

Reactor::~Reactor() {
  Stop();
  ::close(epfd_);
  ::close(evfd_);
}

void Reactor::Start() {
  if (running_.exchange(true)) return;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
  // Named here, not in the thread: the name is there as soon as Start returns.
  ::pthread_setname_np(thread_.native_handle(), "wh-socketio");
}

void Reactor::Stop() {
  if (running_.exchange(false)) {
    stop_ = true;
    const std::uint64_t one = 1;
    [[maybe_unused]] ssize_t w = ::write(evfd_, &one, sizeof one);
    if (thread_.joinable()) thread_.join();
  }
  std::unordered_map<std::uint64_t, std::shared_ptr<WsConn>> conns;
  {
    std::lock_guard lock(mu_);
    conns.swap(conns_);
    closing_.clear();
  }
  for (auto& [id, c] : conns) {
    std::lock_guard lock(c->mu_);
    if (c->fd_ >= 0) {
      ::epoll_ctl(epfd_, EPOLL_CTL_DEL, c->fd_, nullptr);
      ::close(c->fd_);
      c->fd_ = -1;
    }
  }
}

std::shared_ptr<WsConn> Reactor::Wrap(int fd) {
  const int flags = ::fcntl(fd, F_GETFL, 0);
  ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return std::make_shared<WsConn>(this, next_id_++, fd, options_.max_message, options_.max_queue);
}

void Reactor::Register(const std::shared_ptr<WsConn>& conn) {
  {
    std::lock_guard lock(mu_);
    conns_[conn->id()] = conn;
  }
  std::lock_guard lock(conn->mu_);
  if (conn->fd_ < 0) return;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | (conn->want_write_ ? EPOLLOUT : 0u);
  ev.data.u64 = conn->id();
  if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, conn->fd_, &ev) != 0) {
    spdlog::warn("socket.io: epoll_ctl ADD failed: {}", std::strerror(errno));
    ::shutdown(conn->fd_, SHUT_RDWR);
  }
}

void Reactor::Modify(int fd, std::uint64_t id, bool write) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | (write ? EPOLLOUT : 0u);
  ev.data.u64 = id;
  // Before Register the descriptor is not in the set yet; Register picks want_write_ up.
  ::epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev);
}

std::size_t Reactor::size() const {
  std::lock_guard lock(mu_);
  return conns_.size();
}

std::size_t Reactor::queued_bytes() const {
  std::vector<std::shared_ptr<WsConn>> all;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, c] : conns_) all.push_back(c);
  }
  std::size_t total = 0;
  for (const auto& c : all) total += c->queued();
  return total;
}

void Reactor::Loop() {
  std::vector<epoll_event> events(256);
  auto next_tick = std::chrono::steady_clock::now() + options_.tick;
  while (!stop_) {
    const auto now = std::chrono::steady_clock::now();
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_tick - now);
    const int n = ::epoll_wait(epfd_, events.data(), static_cast<int>(events.size()),
                               static_cast<int>(std::max<std::int64_t>(0, wait.count())));
    if (n < 0 && errno != EINTR) {
      spdlog::error("socket.io: epoll_wait failed: {}", std::strerror(errno));
      break;
    }
    for (int i = 0; i < n && !stop_; ++i) {
      const std::uint64_t id = events[i].data.u64;
      if (id == kWakeId) {
        std::uint64_t v;
        [[maybe_unused]] ssize_t r = ::read(evfd_, &v, sizeof v);
        continue;
      }
      std::shared_ptr<WsConn> conn;
      {
        std::lock_guard lock(mu_);
        auto it = conns_.find(id);
        if (it != conns_.end()) conn = it->second;
      }
      if (conn) {
        try {
          HandleEvent(conn, events[i].events);
        } catch (const std::exception& e) {
          spdlog::error("socket.io: connection {} failed: {}", id, e.what());
          CloseConn(conn);
        }
      }
    }
    if (std::chrono::steady_clock::now() >= next_tick && !stop_) {
      ExpireClosing();
      try {
        if (cb_.on_tick) cb_.on_tick();
      } catch (const std::exception& e) {
        spdlog::error("socket.io: timer failed: {}", e.what());
      }
      next_tick = std::chrono::steady_clock::now() + options_.tick;
    }
  }
}

void Reactor::HandleEvent(const std::shared_ptr<WsConn>& conn, std::uint32_t events) {
  if (events & EPOLLOUT) {
    std::lock_guard lock(conn->mu_);
    if (conn->fd_ >= 0 && !conn->broken_ && !conn->FlushLocked()) ::shutdown(conn->fd_, SHUT_RDWR);
  }
  if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP))) return;
  std::size_t total = 0;
  std::vector<ws::Message> messages;
  while (total < kReadBudget) {
    const ssize_t n = ::read(conn->fd_, read_buf_.data(), read_buf_.size());
    if (n == 0) {
      CloseConn(conn);
      return;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      CloseConn(conn);
      return;
    }
    total += static_cast<std::size_t>(n);
    bool closing;
    {
      std::lock_guard lock(conn->mu_);
      closing = conn->closing_ || conn->broken_;
    }
    messages.clear();
    const bool ok = conn->parser_.Feed(read_buf_.data(), static_cast<std::size_t>(n), &messages);
    for (auto& m : messages) {
      switch (m.opcode) {
        case ws::Opcode::kPing:
          if (!closing) conn->SendFrame(ws::EncodeFrame(ws::Opcode::kPong, m.payload));
          break;
        case ws::Opcode::kPong:
          break;
        case ws::Opcode::kClose:
          if (closing) {
            CloseConn(conn);  // our close was answered: the handshake is complete
            return;
          }
          conn->Close(ws::kCloseNormal);
          closing = true;
          break;
        default:
          if (!closing && cb_.on_message) cb_.on_message(conn, m);
          break;
      }
    }
    if (!ok) {
      spdlog::debug("socket.io: websocket {}: {}", conn->id(), conn->parser_.error());
      conn->Close(conn->parser_.close_code(), conn->parser_.error());
      return;
    }
  }
}

void Reactor::CloseConn(const std::shared_ptr<WsConn>& conn) {
  {
    std::lock_guard lock(conn->mu_);
    if (conn->fd_ < 0) return;
    ::epoll_ctl(epfd_, EPOLL_CTL_DEL, conn->fd_, nullptr);
    ::close(conn->fd_);
    conn->fd_ = -1;
    conn->out_.clear();
    conn->out_.shrink_to_fit();
  }
  {
    std::lock_guard lock(mu_);
    conns_.erase(conn->id());
  }
  if (cb_.on_closed && !stop_) {
    try {
      cb_.on_closed(conn);
    } catch (const std::exception& e) {
      spdlog::error("socket.io: close handler failed: {}", e.what());
    }
  }
}

void Reactor::ExpireClosing() {
  std::vector<std::weak_ptr<WsConn>> list;
  {
    std::lock_guard lock(mu_);
    list.swap(closing_);
  }
  const auto now = std::chrono::steady_clock::now();
  std::vector<std::weak_ptr<WsConn>> keep;
  for (auto& w : list) {
    auto c = w.lock();
    if (!c) continue;
    bool expired, open;
    {
      std::lock_guard lock(c->mu_);
      open = c->fd_ >= 0;
      expired = now >= c->close_deadline_;
    }
    if (!open) continue;
    if (expired) {
      CloseConn(c);
    } else {
      keep.push_back(w);
    }
  }
  std::lock_guard lock(mu_);
  for (auto& w : keep) closing_.push_back(std::move(w));
}

}  // namespace webui::realtime
