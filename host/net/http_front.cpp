#include "net/http_front.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <system_error>

#include <Poco/Buffer.h>
#include <Poco/Exception.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponseImpl.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/String.h>
#include <Poco/Timestamp.h>
#include <spdlog/spdlog.h>

#include "net/deadline_socket.hpp"
#include "net/request_head.hpp"
#include "net/whole_response.hpp"

namespace webui::net {

// POCO's server session, with the count of bytes it read ahead beyond the current request.
class FrontSession final : public Poco::Net::HTTPServerSession {
 public:
  using HTTPServerSession::HTTPServerSession;
  using Poco::Net::HTTPSession::buffered;
};

namespace {

// Writes `head` then `body` (either may be empty) with as few sends as the kernel allows.
// False if the connection failed (or the send timeout passed) before everything went out.
bool SendParts(int fd, std::string_view head, std::string_view body) {
  iovec parts[2] = {{const_cast<char*>(head.data()), head.size()},
                    {const_cast<char*>(body.data()), body.size()}};
  iovec* next = parts;
  int count = body.empty() ? 1 : 2;
  while (count > 0) {
    msghdr msg{};
    msg.msg_iov = next;
    msg.msg_iovlen = static_cast<std::size_t>(count);
    const ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    auto sent = static_cast<std::size_t>(n);
    while (count > 0 && sent >= next->iov_len) {
      sent -= next->iov_len;
      ++next;
      --count;
    }
    if (count > 0) {
      next->iov_base = static_cast<char*>(next->iov_base) + sent;
      next->iov_len -= sent;
    }
  }
  return true;
}

// ASCII case-insensitive equality of header names.
bool SameName(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// The Date header's value (RFC 9110 IMF-fixdate), formatted once a second per thread.
const std::string& HttpDate() {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  thread_local std::time_t cached_second = -1;
  thread_local std::string text;
  const std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    std::tm t{};
    ::gmtime_r(&now, &t);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[t.tm_wday % 7],
                  t.tm_mday, kMonths[t.tm_mon % 12], t.tm_year + 1900, t.tm_hour, t.tm_min,
                  t.tm_sec);
    text = buf;
    cached_second = now;
  }
  return text;
}

}  // namespace

// POCO's response, with a buffered response (what the pipeline sends for all but streams)
// formatted straight into one buffer and written with one send, instead of through POCO's
// header stream (an iostream built per response, and a formatted write per header line).
class FrontResponse final : public Poco::Net::HTTPServerResponseImpl, public WholeResponse {
 public:
  FrontResponse(FrontSession& session, int fd) : HTTPServerResponseImpl(session), fd_(fd) {}

  void set_head_request(bool head) { head_request_ = head; }
  // Date and Server, written with every response (not kept in POCO's header collection unless
  // the response goes out through POCO's own send()). Both outlive the response.
  void set_defaults(std::string_view date, std::string_view server) {
    date_ = date;
    server_ = server;
  }
  // The response went out only in part (or not at all): the connection is unusable.
  bool write_failed() const { return write_failed_; }

  bool sent() const override { return written_ || HTTPServerResponseImpl::sent(); }

  // The pipeline says "100 Continue" only when it is about to read the body, so a body it refuses
  // by its head (413 for its length, 401 ...) is never sent by a client that waits for the 100.
  void sendContinue() override {
    continue_sent_ = true;
    HTTPServerResponseImpl::sendContinue();
  }
  bool continue_sent() const { return continue_sent_; }

  std::ostream& send() override {
    if (written_) throw Poco::IllegalStateException("response already sent");
    if (!HTTPServerResponseImpl::sent()) {
      set("Date", std::string(date_));
      set("Server", std::string(server_));
    }
    return HTTPServerResponseImpl::send();
  }

  void sendBuffer(const void* body, std::size_t length) override {
    SendWhole({}, {}, std::string_view(static_cast<const char*>(body), length));
  }

  void SendWhole(const HeaderList& headers, std::span<const HeaderView> overrides,
                 std::string_view body) override {
    if (sent()) throw Poco::IllegalStateException("response already sent");
    written_ = true;
    thread_local std::string head;
    head.clear();
    head += getVersion();
    char number[24];
    head += ' ';
    head.append(number,
                std::to_chars(number, number + sizeof number, static_cast<int>(getStatus())).ptr);
    head += ' ';
    head += getReason();
    head += "\r\n";
    auto add_line = [](std::string_view name, std::string_view value) {
      // The length is the body's; a body of known length has no transfer coding.
      if (FramingHeader(name)) return;
      head += name;
      head += ": ";
      head += value;
      head += "\r\n";
    };
    add_line("Date", date_);
    add_line("Server", server_);
    for (const auto& [name, value] : *this) add_line(name, value);
    for (const auto& [name, value] : headers) {
      bool overridden = false;
      for (const auto& o : overrides) overridden = overridden || SameName(name, o.first);
      if (!overridden) add_line(name, value);
    }
    for (const auto& [name, value] : overrides) add_line(name, value);
    head += "Content-Length: ";
    head.append(number, std::to_chars(number, number + sizeof number, body.size()).ptr);
    head += "\r\n\r\n";
    if (head_request_) body = {};
    // Small bodies join the head: one segment for the kernel to copy.
    const bool joined = body.size() <= kJoinLimit;
    if (joined) head.append(body);
    const bool ok = SendParts(fd_, head, joined ? std::string_view() : body);
    if (head.capacity() > 4 * kJoinLimit) std::string().swap(head);  // a rare huge header set
    if (!ok) {
      write_failed_ = true;
      throw Poco::Net::NetException("cannot send the response");
    }
  }

 private:
  static constexpr std::size_t kJoinLimit = 16 * 1024;
  static bool FramingHeader(std::string_view name) {
    return SameName(name, "Content-Length") || SameName(name, "Transfer-Encoding");
  }
  const int fd_;
  std::string_view date_, server_;
  bool head_request_ = false;
  bool written_ = false;
  bool write_failed_ = false;
  bool continue_sent_ = false;
};

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kMaxEvents = 256;
constexpr auto kSweepInterval = std::chrono::milliseconds(250);
// Closing a socket with unread input makes the kernel send RST, which can destroy the response
// before the client reads it; so a closing connection first drops input for a moment.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr std::size_t kLingerDiscardLimit = 8 * 1024 * 1024;
constexpr std::size_t kMaxLingering = 4096;
// A body left unread by a response (401, 403, preflight ...) is read and dropped up to this
// much, so the connection can carry the next request; a bigger or slower one closes it.
constexpr auto kDrainTime = std::chrono::seconds(1);
constexpr std::streamsize kDrainLimit = 256 * 1024;
constexpr auto kWorkerIdleTime = std::chrono::seconds(30);
constexpr std::size_t kMinWorkers = 4;
// Workers are started at once for waiting requests up to this many; beyond it only for a request
// that has waited kSpawnDelay (a handler blocking on I/O), not for every burst of quick requests
// (a burst of a few hundred /health requests would otherwise leave a few hundred threads).
constexpr std::size_t kEagerWorkers = 32;
constexpr auto kSpawnDelay = std::chrono::milliseconds(5);
// ... unless the process keeps the CPU busy (half a core, or threads preempted while runnable):
// then the CPU is the limit, not blocked handlers (a burst of 500 stream requests on 2 cores),
// and more threads would only slice it thinner: one more per kBusySpawnDelay at most.
constexpr auto kBusySpawnDelay = std::chrono::milliseconds(100);
// How often that is judged: long enough that a process short of CPU is seen preempted.
constexpr auto kCpuSampleEvery = std::chrono::milliseconds(20);
constexpr int kSocketTimeoutSeconds = 60;  // one send or receive; the read deadline is tighter
constexpr auto kAcceptPause = std::chrono::milliseconds(100);
// How long a worker waits for the next request on a connection it just served before handing
// the connection to the epoll thread. Short: only busy clients are served without the hop.
constexpr int kFollowUpWaitMs = 10;

// A complete response written straight to the socket, where no POCO response exists (refusals
// on the epoll thread, a head POCO could not parse). `detail` is the host's own ASCII text.
std::string SimpleResponse(int status, const std::string& detail) {
  const std::string body = "{\"detail\":\"" + detail + "\"}";
  return "HTTP/1.1 " + std::to_string(status) + " " +
         Poco::Net::HTTPResponse::getReasonForStatus(
             static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status)) +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

void SendAll(int fd, const std::string& bytes, int flags) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, flags | MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    sent += static_cast<std::size_t>(n);
  }
}

// The relayed response's head comes from the route's response as the pipeline left it (request
// id, CORS, security headers, Date, Server); the relay writes framing, Connection and the type.
void PrepareRelayResponse(RelayJob& job, const Poco::Net::HTTPServerRequest& req,
                          const Poco::Net::HTTPServerResponse& response) {
  static constexpr std::string_view kOwnedByRelay[] = {"Connection", "Content-Length",
                                                       "Transfer-Encoding", "Content-Type"};
  for (const auto& header : response) {
    const std::string& name = header.first;  // clang 14 cannot capture a structured binding
    const bool owned =
        std::any_of(std::begin(kOwnedByRelay), std::end(kOwnedByRelay),
                    [&](std::string_view n) { return Poco::icompare(name, std::string(n)) == 0; });
    if (!owned) job.client_headers.emplace_back(name, header.second);
  }
  job.http11 = req.getVersion() == Poco::Net::HTTPMessage::HTTP_1_1;
  job.head_only = req.getMethod() == Poco::Net::HTTPRequest::HTTP_HEAD;
}

std::string AddressText(const sockaddr_storage& a) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (a.ss_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(a).sin_addr, buf, sizeof buf);
  } else if (a.ss_family == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(a).sin6_addr, buf, sizeof buf);
  }
  return buf;
}

}  // namespace

struct HttpFront::Connection {
  enum class State { kIdle, kHead, kLinger };
  Connection(int socket_fd, std::unique_ptr<ConnectionLimits::Slot> admitted)
      : impl(new DeadlineSocketImpl(socket_fd)),
        socket(impl),
        fd(socket_fd),
        slot(std::move(admitted)) {}

  DeadlineSocketImpl* impl;        // owned by `socket`
  Poco::Net::StreamSocket socket;  // closes the descriptor when the last copy goes
  int fd;
  std::unique_ptr<ConnectionLimits::Slot> slot;  // null for a refused connection
  State state = State::kIdle;
  Clock::time_point deadline;   // idle, head or linger deadline, by state
  Clock::time_point queued_at;  // when it was handed to the workers
  std::size_t discarded = 0;
};

// A connection lent to the stream relay: back to the epoll thread (kept or lingering) when the
// relayed response is over.
class HttpFront::RelayConnection final : public RelayClient {
 public:
  RelayConnection(HttpFront& front, ConnPtr conn) : front_(front), conn_(std::move(conn)) {}
  int fd() const override { return conn_->fd; }
  void Finish(bool reusable) override {
    if (conn_) front_.HandBack(std::move(conn_), reusable ? After::kPark : After::kLinger);
  }

 private:
  HttpFront& front_;
  ConnPtr conn_;
};

HttpFront::HttpFront(Poco::Net::ServerSocket listener, FrontOptions options, RequestHandler handler)
    : listener_(std::move(listener)),
      options_(std::move(options)),
      handler_(std::move(handler)),
      params_(new Poco::Net::HTTPServerParams),
      limits_(options_.max_connections, options_.max_connections_per_address) {
  params_->setKeepAlive(true);
  params_->setMaxKeepAliveRequests(0);
  params_->setTimeout(Poco::Timespan(kSocketTimeoutSeconds, 0));
  params_->setServerName(options_.server_name);
  peek_buffer_.resize(kMaxHeadBytes + 1);
  const int relays =
      options_.relay_threads > 0
          ? options_.relay_threads
          : static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 4u));
  for (int i = 0; i < relays; ++i) relays_.push_back(std::make_unique<StreamRelay>());
}

HttpFront::~HttpFront() { Stop(); }

void HttpFront::Start() {
  listener_.setBlocking(false);
  listen_fd_ = listener_.impl()->sockfd();
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0)
    throw std::system_error(errno, std::generic_category(), "epoll/eventfd");
  for (int fd : {listen_fd_, wake_fd_}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0)
      throw std::system_error(errno, std::generic_category(), "epoll_ctl");
  }
  for (auto& relay : relays_) relay->Start();
  loop_thread_ = std::thread([this] { Loop(); });
  // Named here, not in the thread: the name is there as soon as Start returns.
  ::pthread_setname_np(loop_thread_.native_handle(), "wh-front");
}

std::size_t HttpFront::live_relays() const {
  std::size_t live = 0;
  for (const auto& relay : relays_) live += relay->live();
  return live;
}

void HttpFront::AbortRelays() {
  for (auto& relay : relays_) relay->AbortAll();
}

void HttpFront::RelayFetch(std::unique_ptr<RelayJob> job) {
  relays_[next_relay_.fetch_add(1, std::memory_order_relaxed) % relays_.size()]->Adopt(
      nullptr, std::move(job));
}

void HttpFront::BeginShutdown() {
  stopping_ = true;
  if (wake_fd_ >= 0) {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
  }
}

void HttpFront::Stop() {
  BeginShutdown();
  // Relayed connections come back through the epoll thread: end them while it runs.
  for (auto& relay : relays_) relay->Stop();
  if (loop_thread_.joinable()) {
    stop_loop_ = true;
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
    loop_thread_.join();
  }
  std::list<std::thread> done;
  {
    std::unique_lock lock(pool_mu_);
    pool_stop_ = true;
    pool_cv_.notify_all();
    pool_cv_.wait(lock, [&] { return workers_.empty(); });
    done.swap(exited_);
  }
  for (auto& t : done) t.join();
  watched_.clear();
  {
    std::lock_guard lock(hand_back_mu_);
    hand_backs_.clear();
  }
  for (int* fd : {&epoll_fd_, &wake_fd_}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

// --- epoll thread --------------------------------------------------------------------------

void HttpFront::Loop() {
  epoll_event events[kMaxEvents];
  auto last_sweep = Clock::now();
  while (!stop_loop_) {
    // While requests wait for a worker, look again soon: one may need a new worker.
    const int timeout_ms =
        queued_.load(std::memory_order_relaxed) > 0 ? static_cast<int>(kSpawnDelay.count()) : 100;
    const int n = ::epoll_wait(epoll_fd_, events, kMaxEvents, timeout_ms);
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == wake_fd_) {
        std::uint64_t count;
        [[maybe_unused]] auto r = ::read(wake_fd_, &count, sizeof count);
        TakeHandBacks();
      } else if (fd == listen_fd_) {
        if (listening_) Accept();
      } else if (auto it = watched_.find(fd); it != watched_.end()) {
        Connection& conn = *it->second;
        if (conn.state == Connection::State::kLinger) {
          Discard(conn);
        } else {
          Examine(conn, (events[i].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0);
        }
      }
    }
    if (stopping_ && listening_) StopListening();
    if (queued_.load(std::memory_order_relaxed) > 0) AddWorkersForWaitingRequests();
    const auto now = Clock::now();
    if (now - last_sweep >= kSweepInterval) {
      Sweep();
      last_sweep = now;
    }
  }
}

void HttpFront::StopListening() {
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
  listener_.close();
  listening_ = false;
  // Idle connections and unfinished heads are dropped; requests in progress finish.
  for (auto it = watched_.begin(); it != watched_.end();) {
    if (it->second->state == Connection::State::kLinger) {
      ++it;
    } else {
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->first, nullptr);
      it = watched_.erase(it);
    }
  }
}

void HttpFront::Accept() {
  for (int i = 0; i < kMaxEvents; ++i) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors: stop accepting for a moment instead of spinning on the backlog.
        const auto now = Clock::now();
        if (now - last_accept_warning_ > std::chrono::seconds(10)) {
          spdlog::warn("http: cannot accept connections: {}", std::strerror(errno));
          last_accept_warning_ = now;
        }
        epoll_event ev{};
        ev.data.fd = listen_fd_;
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &ev);
        accept_paused_ = true;
        accept_paused_until_ = now + kAcceptPause;
      }
      return;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const timeval send_timeout{kSocketTimeoutSeconds, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
    auto conn = std::make_unique<Connection>(fd, limits_.TryAdmit(AddressText(addr)));
    if (!conn->slot) {
      Refuse(std::move(conn), 503, "Too many connections");
      continue;
    }
    conn->deadline = Clock::now() + options_.keep_alive_timeout;
    Watch(std::move(conn));
  }
}

void HttpFront::Watch(ConnPtr conn) {
  const int fd = conn->fd;
  epoll_event ev{};
  // Edge-triggered: a partial head wakes the loop again only when more bytes arrive.
  ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
  ev.data.fd = fd;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    if (conn->state == Connection::State::kLinger) --lingering_;
    return;  // dropped: closes the socket
  }
  Connection& c = *conn;
  watched_[fd] = std::move(conn);
  // Bytes may have arrived (or been pushed back) before the descriptor was watched.
  if (c.state == Connection::State::kLinger) {
    Discard(c);
  } else {
    Examine(c, false);
  }
}

HttpFront::ConnPtr HttpFront::Unwatch(int fd) {
  auto it = watched_.find(fd);
  if (it == watched_.end()) return nullptr;
  ConnPtr conn = std::move(it->second);
  watched_.erase(it);
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  if (conn->state == Connection::State::kLinger) --lingering_;
  return conn;
}

void HttpFront::Close(int fd) { Unwatch(fd); }

// Looks at what has arrived without consuming it: POCO parses the head once it is complete.
void HttpFront::Examine(Connection& conn, bool peer_closed) {
  const std::string_view pushed = conn.impl->pushed_back();
  const std::size_t want = peek_buffer_.size();
  std::size_t have = std::min(pushed.size(), want);
  std::memcpy(peek_buffer_.data(), pushed.data(), have);
  bool eof = false;
  if (have < want) {
    const ssize_t n =
        ::recv(conn.fd, peek_buffer_.data() + have, want - have, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0) {
      have += static_cast<std::size_t>(n);
    } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      eof = true;
    }
  }
  if (HeadLength(std::string_view(peek_buffer_.data(), have))) return Dispatch(conn.fd);
  if (have > kMaxHeadBytes) {
    return Refuse(Unwatch(conn.fd), 431, "Request header fields too large");
  }
  if (eof || peer_closed) return Close(conn.fd);
  if (have > 0 && conn.state == Connection::State::kIdle) {
    // The header deadline runs from the first byte: a head trickled in slowly is cut off.
    conn.state = Connection::State::kHead;
    conn.deadline = Clock::now() + options_.header_timeout;
  }
}

void HttpFront::Dispatch(int fd) {
  ConnPtr conn = Unwatch(fd);
  if (!Submit(conn)) Refuse(std::move(conn), 503, "Server busy");
}

void HttpFront::Refuse(ConnPtr conn, int status, const std::string& detail) {
  SendAll(conn->fd, SimpleResponse(status, detail), MSG_DONTWAIT);
  BeginLinger(std::move(conn));
}

void HttpFront::BeginLinger(ConnPtr conn) {
  if (lingering_ >= kMaxLingering) return;  // dropped: closes at once
  ::shutdown(conn->fd, SHUT_WR);
  conn->state = Connection::State::kLinger;
  conn->deadline = Clock::now() + kLingerTime;
  ++lingering_;
  Watch(std::move(conn));
}

void HttpFront::Discard(Connection& conn) {
  for (;;) {
    const ssize_t n = ::recv(conn.fd, peek_buffer_.data(), peek_buffer_.size(), MSG_DONTWAIT);
    if (n > 0) {
      conn.discarded += static_cast<std::size_t>(n);
      if (conn.discarded > kLingerDiscardLimit) return Close(conn.fd);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    return Close(conn.fd);  // the client closed too (or reset)
  }
}

void HttpFront::Sweep() {
  const auto now = Clock::now();
  for (auto it = watched_.begin(); it != watched_.end();) {
    if (it->second->deadline <= now) {
      if (it->second->state == Connection::State::kLinger) --lingering_;
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->first, nullptr);
      it = watched_.erase(it);
    } else {
      ++it;
    }
  }
  if (accept_paused_ && listening_ && now >= accept_paused_until_) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = listen_fd_;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &ev);
    accept_paused_ = false;
  }
}

void HttpFront::TakeHandBacks() {
  std::vector<std::pair<ConnPtr, After>> batch;
  {
    std::lock_guard lock(hand_back_mu_);
    batch.swap(hand_backs_);
  }
  for (auto& [conn, after] : batch) {
    if (after == After::kPark && !stopping_) {
      conn->state = Connection::State::kIdle;
      conn->deadline = Clock::now() + options_.keep_alive_timeout;
      Watch(std::move(conn));
    } else if (after == After::kPark || after == After::kLinger) {
      BeginLinger(std::move(conn));
    }
    // kClose: dropped here, which closes the socket.
  }
}

void HttpFront::HandBack(ConnPtr conn, After after) {
  {
    std::lock_guard lock(hand_back_mu_);
    hand_backs_.emplace_back(std::move(conn), after);
  }
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

// --- workers -------------------------------------------------------------------------------

bool HttpFront::Submit(ConnPtr& conn) {
  std::list<std::thread> reap;
  {
    std::lock_guard lock(pool_mu_);
    reap.swap(exited_);
    const auto max_workers = static_cast<std::size_t>(options_.max_workers);
    if (pool_stop_ ||
        (workers_.size() >= max_workers &&
         ready_.size() >= static_cast<std::size_t>(idle_workers_ + options_.max_queued)))
      return false;
    const auto conn_now = Clock::now();
    conn->queued_at = conn_now;
    ready_.push_back(std::move(conn));
    queued_.store(ready_.size(), std::memory_order_relaxed);
    if (ready_.size() > static_cast<std::size_t>(idle_workers_) && workers_.size() < max_workers &&
        (workers_.size() < kEagerWorkers || WorkersToAdd(conn_now) > 0)) {
      StartWorker();
    } else {
      pool_cv_.notify_one();
    }
  }
  for (auto& t : reap) t.join();
  return true;
}

// pool_mu_ held.
void HttpFront::StartWorker() {
  try {
    workers_.emplace_back();
    auto self = std::prev(workers_.end());
    *self = std::thread([this, self] { WorkerMain(self); });
    ::pthread_setname_np(self->native_handle(), "wh-worker");
  } catch (const std::system_error& e) {
    workers_.pop_back();
    spdlog::warn("http: cannot start a worker thread: {}", e.what());
  }
}

// Beyond kEagerWorkers, how many workers the waiting requests call for (pool_mu_ held).
// Blocked workers (handlers waiting on a database, an upstream, a stream; the process uses
// little CPU): one for each request that waited kSpawnDelay. Busy workers: one at most per
// kBusySpawnDelay, for a request that waited as long, so a burst of a few hundred requests on
// 2 cores does not leave a few hundred threads (each would also make every request slower).
std::size_t HttpFront::WorkersToAdd(Clock::time_point now) {
  if (ready_.empty()) return 0;
  if (now - cpu_sampled_at_ >= kCpuSampleEvery) {
    // Busy: half a core used since the last sample, or threads preempted while runnable
    // (involuntary switches: the machine's CPU is short, so the process may get little of it).
    // Handlers blocked on I/O use little CPU and switch voluntarily.
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    const auto cpu = std::chrono::seconds(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                     std::chrono::microseconds(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
    cpu_busy_ = (cpu - cpu_at_sample_) * 2 >= now - cpu_sampled_at_ ||
                usage.ru_nivcsw - preempted_at_sample_ >= 2;
    cpu_sampled_at_ = now;
    cpu_at_sample_ = cpu;
    preempted_at_sample_ = usage.ru_nivcsw;
  }
  const auto idle = static_cast<std::size_t>(idle_workers_);
  if (cpu_busy_) {
    if (ready_.size() <= idle || ready_.front()->queued_at + kBusySpawnDelay > now ||
        last_busy_spawn_ + kBusySpawnDelay > now)
      return 0;
    last_busy_spawn_ = now;
    return 1;
  }
  std::size_t overdue = 0;
  for (const auto& conn : ready_) {
    if (conn->queued_at + kSpawnDelay > now) break;
    ++overdue;
  }
  return overdue > idle ? overdue - idle : 0;
}

void HttpFront::AddWorkersForWaitingRequests() {
  std::lock_guard lock(pool_mu_);
  const auto max_workers = static_cast<std::size_t>(options_.max_workers);
  for (std::size_t n = WorkersToAdd(Clock::now());
       n > 0 && workers_.size() < max_workers && !pool_stop_; --n)
    StartWorker();
}

void HttpFront::WorkerMain(std::list<std::thread>::iterator self) {
  std::unique_lock lock(pool_mu_);
  for (;;) {
    if (ready_.empty()) {
      if (pool_stop_) break;
      ++idle_workers_;
      const bool woken =
          pool_cv_.wait_for(lock, kWorkerIdleTime, [&] { return pool_stop_ || !ready_.empty(); });
      --idle_workers_;
      if (!woken && workers_.size() > kMinWorkers) break;
      continue;
    }
    ConnPtr conn = std::move(ready_.front());
    ready_.pop_front();
    queued_.store(ready_.size(), std::memory_order_relaxed);
    lock.unlock();
    Serve(std::move(conn));
    lock.lock();
  }
  // Joined by the next Submit or by Stop.
  exited_.splice(exited_.end(), workers_, self);
  pool_cv_.notify_all();
}

void HttpFront::Serve(ConnPtr conn) {
  for (;;) {
    After after = After::kClose;
    try {
      FrontSession session(conn->socket, params_);
      after = ServeOne(*conn, session);
      if ((after == After::kPark || after == After::kRelay) && session.buffered() > 0) {
        // Read ahead by POCO: the start of a pipelined request, read again from the socket.
        Poco::Buffer<char> rest(0);
        session.drainBuffer(rest);
        conn->impl->PushBack(std::string_view(rest.begin(), rest.size()));
      }
      // The connection outlives this session (which would otherwise close the socket).
      session.detachSocket();
    } catch (const std::exception& e) {
      spdlog::debug("http: connection ended: {}", e.what());
      after = After::kClose;
    }
    conn->impl->ClearDeadline();
    if (after == After::kGone) return;  // the handler took the socket (WebSocket upgrade)
    if (after == After::kRelay) {
      std::unique_ptr<RelayJob> job = conn->impl->TakeRelay();
      StreamRelay& relay =
          *relays_[next_relay_.fetch_add(1, std::memory_order_relaxed) % relays_.size()];
      relay.Adopt(std::make_unique<RelayConnection>(*this, std::move(conn)), std::move(job));
      return;
    }
    // A busy client's next request usually follows at once: serve it here rather than through
    // the epoll thread. Anything slower or incomplete goes back there, and so does every
    // connection while other requests wait for a worker (a worker must not keep serving one
    // busy client while others queue).
    if (after != After::kPark || stopping_ || queued_.load(std::memory_order_relaxed) > 0 ||
        !NextHeadArrives(*conn)) {
      HandBack(std::move(conn), after);
      return;
    }
  }
}

bool HttpFront::NextHeadArrives(Connection& conn) {
  thread_local std::vector<char> buffer(kMaxHeadBytes + 1);
  const std::string_view pushed = conn.impl->pushed_back();
  if (HeadLength(pushed)) return true;
  pollfd p{conn.fd, POLLIN, 0};
  if (::poll(&p, 1, kFollowUpWaitMs) <= 0) return false;
  const std::size_t have = std::min(pushed.size(), buffer.size());
  std::memcpy(buffer.data(), pushed.data(), have);
  ssize_t n = 0;
  if (have < buffer.size())
    n = ::recv(conn.fd, buffer.data() + have, buffer.size() - have, MSG_PEEK | MSG_DONTWAIT);
  return n > 0 && HeadLength(std::string_view(buffer.data(), have + static_cast<std::size_t>(n)));
}

HttpFront::After HttpFront::ServeOne(Connection& conn, FrontSession& session) {
  // The head is complete in the kernel; the deadline only bounds a misjudged one.
  conn.impl->SetDeadline(Clock::now() + options_.header_timeout);
  FrontResponse response(session, conn.fd);
  std::unique_ptr<Poco::Net::HTTPServerRequestImpl> request;
  try {
    request = std::make_unique<Poco::Net::HTTPServerRequestImpl>(response, session, params_.get());
  } catch (const Poco::Net::NoMessageException&) {
    return After::kClose;
  } catch (const Poco::Net::MessageException&) {
    SendAll(conn.fd, SimpleResponse(400, "Bad Request"), 0);
    return After::kLinger;
  }
  auto& req = *request;
  conn.impl->SetDeadline(Clock::now() + options_.body_timeout);
  response.set_head_request(req.getMethod() == Poco::Net::HTTPRequest::HTTP_HEAD);
  response.set_defaults(HttpDate(), options_.server_name);
  response.setVersion(req.getVersion());
  response.setKeepAlive(req.getKeepAlive() && !stopping_);
  if (auto problem = FramingProblem(req)) {
    SendAll(conn.fd, SimpleResponse(400, *problem), 0);
    return After::kLinger;
  }
  try {
    handler_(req, response, response);
  } catch (const std::exception& e) {
    spdlog::error("http: request handler failed: {}", e.what());
    if (!response.sent()) SendAll(conn.fd, SimpleResponse(500, "Internal Server Error"), 0);
    return After::kLinger;
  }
  if (session.socket().impl() != conn.socket.impl()) return After::kGone;
  if (response.write_failed()) return After::kClose;
  if (std::unique_ptr<RelayJob> job = conn.impl->TakeRelay()) {
    if (response.sent()) return After::kLinger;  // cannot happen: the pipeline sent nothing
    // The relay writes the head itself: Date and Server go with the route's headers.
    response.set("Date", HttpDate());
    response.set("Server", options_.server_name);
    PrepareRelayResponse(*job, req, response);
    job->keep_alive =
        response.getKeepAlive() && !stopping_ && BodyOffTheConnection(req, response, conn);
    conn.impl->AttachRelay(std::move(job));
    return After::kRelay;
  }
  if (!response.sent() || !response.getKeepAlive() || stopping_) return After::kLinger;
  return BodyOffTheConnection(req, response, conn) ? After::kPark : After::kLinger;
}

// A client that asked "Expect: 100-continue" and got no 100 may never send its body: waiting to
// drain it would only cost the drain time, so such a connection is closed instead.
bool HttpFront::BodyOffTheConnection(Poco::Net::HTTPServerRequest& req,
                                     const FrontResponse& response, Connection& conn) {
  if (req.getExpectContinue() && !response.continue_sent()) {
    const bool has_body = req.getChunkedTransferEncoding() ||
                          (req.hasContentLength() && req.getContentLength64() > 0);
    if (has_body) return false;
  }
  return BodyFullyRead(req, conn);
}

// Whether the request's body is off the connection, reading (and dropping) a bounded rest that
// the response did not need. Anything left would be parsed as the next request.
bool HttpFront::BodyFullyRead(Poco::Net::HTTPServerRequest& req, Connection& conn) {
  const bool has_body =
      req.getChunkedTransferEncoding() || (req.hasContentLength() && req.getContentLength64() > 0);
  if (!has_body) return true;
  std::istream& in = req.stream();
  if (in.bad()) return false;
  if (in.eof()) return true;
  conn.impl->SetDeadline(Clock::now() + kDrainTime);
  char buf[8192];
  std::streamsize total = 0;
  while (total <= kDrainLimit) {
    in.read(buf, sizeof buf);
    total += in.gcount();
    if (in.bad()) return false;
    if (in.eof()) return true;
  }
  return false;
}

}  // namespace webui::net
