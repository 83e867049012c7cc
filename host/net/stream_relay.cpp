#include "net/stream_relay.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/StreamSocket.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "net/deadline_socket.hpp"
#include "outbound/http_wire.hpp"

namespace webui::net {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
constexpr int kMaxRelayEvents = 256;
constexpr auto kTickInterval = milliseconds(100);
// A fetch without a client hears from its handler at least this often while the upstream is
// silent (the http_fetch contract): the plugin may stop an exchange nobody waits for any more.
constexpr auto kSilenceTick = milliseconds(250);
constexpr std::size_t kReadBufferBytes = 16 * 1024;
constexpr std::size_t kMaxUpstreamHeadBytes = 64 * 1024;
// Reads per readiness event on a plain socket before other exchanges get their turn.
constexpr int kReadsPerTurn = 8;
// Longer timeouts are treated as this, so deadline arithmetic cannot overflow.
constexpr milliseconds kLongest = std::chrono::hours(24 * 366);

std::string Ms(milliseconds ms) { return std::to_string(ms.count()) + " ms"; }

std::string DetailJson(std::string_view detail) {
  nlohmann::json j;
  j["detail"] = std::string(detail);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string Reason(int status) {
  return Poco::Net::HTTPResponse::getReasonForStatus(
      static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
}

// One client context for every relay: the same trust as the outbound client
// (outbound/http_client.cpp): OpenSSL's default store (SSL_CERT_FILE / SSL_CERT_DIR), peer
// verified, host name checked per connection, TLS 1.2 at least.
SSL_CTX* RelayTlsContext(std::string& error) {
  static SSL_CTX* ctx = nullptr;
  static std::string setup_error;
  static std::once_flag once;
  std::call_once(once, [] {
    OPENSSL_init_ssl(0, nullptr);
    ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == nullptr) {
      setup_error = "cannot create a TLS context";
      return;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    if (SSL_CTX_set_default_verify_paths(ctx) != 1) setup_error = "cannot load the trusted CAs";
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
    // A read-until-close body ends with the TCP close; the body decoder judges completeness.
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
    if (!setup_error.empty()) {
      SSL_CTX_free(ctx);
      ctx = nullptr;
    }
  });
  error = setup_error;
  return ctx;
}

std::string TlsErrorText() {
  std::string text;
  while (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!text.empty()) text += "; ";
    text += buf;
  }
  return text.empty() ? "connection closed" : text;
}

class Closed final : public RelayExchange {
 public:
  RelayCall BeginStream(int, std::string_view) override { return RelayCall::kClosed; }
  RelayCall Write(std::string_view) override { return RelayCall::kClosed; }
  RelayCall Respond(int, std::string_view, std::string_view) override { return RelayCall::kClosed; }
};

// Ends an exchange that never reached the relay thread.
void EndUnadopted(std::unique_ptr<RelayClient> client, std::unique_ptr<RelayJob> job,
                  RelayOutcome outcome, std::string_view message) {
  if (job && job->handler) {
    try {
      job->handler->OnEnd(ClosedExchange(), outcome, message);
    } catch (...) {
    }
    job->handler.reset();
  }
  if (job && job->on_finished) {
    try {
      job->on_finished(0);
    } catch (...) {
    }
  }
  if (client) client->Finish(false);
}

}  // namespace

RelayExchange& ClosedExchange() {
  static Closed closed;
  return closed;
}

std::optional<RelayUpstream> PrepareRelayUpstream(
    std::string_view method, std::string_view url, const RelayHeaders& headers,
    const std::string& body, milliseconds connect_timeout, milliseconds read_timeout,
    milliseconds total_timeout, std::string& error, const outbound::AllowList* public_only,
    bool* refused) {
  if (refused != nullptr) *refused = false;
  if (connect_timeout.count() <= 0 || read_timeout.count() <= 0 || total_timeout.count() < 0) {
    error = "connect_timeout and read_timeout must be positive, total_timeout >= 0";
    return std::nullopt;
  }
  auto normalized = outbound::detail::NormalizeMethod(method);
  if (!normalized) {
    error = "unsupported HTTP method";
    return std::nullopt;
  }
  auto target = outbound::detail::ParseTarget(url, error);
  if (!target) return std::nullopt;
  auto head = outbound::detail::BuildRequestHead(*normalized, *target, headers, body, error);
  if (!head) return std::nullopt;

  RelayUpstream up;
  up.secure = target->secure;
  up.host = target->host;
  up.where = target->Describe();
  up.method = *normalized;
  up.request = std::move(*head) + body;
  up.connect_timeout = std::min(connect_timeout, kLongest);
  up.read_timeout = std::min(read_timeout, kLongest);
  up.total_timeout = std::min(total_timeout, kLongest);
  if (public_only != nullptr) {
    if (auto refusal = outbound::RefuseUrlForm(url, !target->userinfo.empty())) {
      error = *refusal;
      if (refused != nullptr) *refused = true;
      return std::nullopt;
    }
  }
  up.addresses = outbound::Resolve(target->host, target->port, up.where, up.resolve_error);
  if (public_only != nullptr && !up.addresses.empty()) {
    if (auto refusal =
            outbound::RefusePrivate(target->host, target->port, up.addresses, *public_only)) {
      error = *refusal;
      if (refused != nullptr) *refused = true;
      return std::nullopt;
    }
  }
  return up;
}

bool AttachRelay(Poco::Net::HTTPServerRequest& req, std::unique_ptr<RelayJob>& job) {
  auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&req);
  if (impl == nullptr) return false;
  auto* socket = dynamic_cast<DeadlineSocketImpl*>(impl->socket().impl());
  if (socket == nullptr) return false;
  socket->AttachRelay(std::move(job));
  return true;
}

// --- one exchange --------------------------------------------------------------------------

class StreamRelay::Relay final : public RelayExchange {
 public:
  struct Tag {
    Relay* relay;
    bool upstream;
  };

  Relay(StreamRelay& owner, std::unique_ptr<RelayClient> client, std::unique_ptr<RelayJob> job)
      : owner_(owner),
        client_(std::move(client)),
        job_(std::move(job)),
        up_(job_->upstream),
        fetch_only_(client_ == nullptr) {
    const auto now = Clock::now();
    started_ = last_up_ = last_client_ = last_piece_ = now;
    if (up_.total_timeout.count() > 0) total_deadline_ = now + up_.total_timeout;
    if (!job_->http11) job_->keep_alive = false;  // the body ends with the connection
    forward_ = job_->handler && job_->handler->forward_body();
  }

  ~Relay() {
    CloseUpstream(true);
    if (!finished_) {
      Report();
      if (client_) {
        Unregister(client_->fd(), client_events_);
        client_->Finish(false);
      }
    }
  }

  // The client's response is over (a fetch without a client: the exchange is).
  bool done() const { return finished_; }
  bool ended() const { return ended_; }

  void Begin() {
    client_events_ = 0;
    SetClientInterest();
    if (!up_.resolve_error.empty()) return End(RelayOutcome::kUnavailable, up_.resolve_error);
    connect_deadline_ = Clock::now() + up_.connect_timeout;
    ConnectNext();
  }

  void OnUpstreamEvent(std::uint32_t events) {
    if (ended_ || up_fd_ < 0) return;
    switch (phase_) {
      case Phase::kConnecting:
        return Connected(events);
      case Phase::kHandshake:
        return Handshake();
      case Phase::kSending:
        return Send();
      case Phase::kReceiving:
        return Receive();
      case Phase::kNone:
        return;
    }
  }

  void OnClientEvent(std::uint32_t events) {
    if (done()) return;
    if ((events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) return ClientGone();
    if ((events & EPOLLOUT) != 0) Flush();
  }

  // Deadlines: connect, upstream silence, total; a client that reads nothing.
  void Tick(Clock::time_point now) {
    if (done()) return;
    if (!ended_) {
      if (now >= total_deadline_) {
        return End(RelayOutcome::kTimeout, "total timeout of " + Ms(up_.total_timeout) +
                                               " exceeded talking to " + up_.where);
      }
      if ((phase_ == Phase::kConnecting || phase_ == Phase::kHandshake) &&
          now >= connect_deadline_ && !UpstreamReady()) {
        return End(RelayOutcome::kTimeout,
                   "connecting to " + up_.where + " timed out after " + Ms(up_.connect_timeout));
      }
      if ((phase_ == Phase::kSending || phase_ == Phase::kReceiving) && !paused_ &&
          now - last_up_ >= up_.read_timeout && !UpstreamReady()) {
        return End(RelayOutcome::kTimeout,
                   "read timeout: no data from " + up_.where + " for " + Ms(up_.read_timeout));
      }
    }
    if (fetch_only_ && !ended_ && now - last_piece_ >= kSilenceTick) {
      last_piece_ = now;
      if (!CallOnData({})) return End(RelayOutcome::kOk, handler_error_);
    }
    // docs/security.md T39: a comment keeps proxies from cutting an idle event stream. Only
    // between events (a forwarded upstream may have stopped inside one).
    if (!ended_ && state_ == ClientState::kStreaming && sse_ && (!body_sent_ || tail_ == "\n\n") &&
        now - last_write_ >= owner_.options_.keep_alive) {
      Write(": keep-alive\n\n");
    }
    if (Pending() > 0 && now - last_client_ >= up_.read_timeout) {
      spdlog::debug("relay: a client read nothing for {}; dropped", Ms(up_.read_timeout));
      ClientGone();
    }
  }

  // Whether the upstream socket is ready now for what this exchange waits on. A loop that fell
  // behind (a saturated machine) handles at most kMaxRelayEvents events before its deadlines: a
  // socket whose event it has not reached yet has not timed out, and is left to that event.
  bool UpstreamReady() const {
    if (up_fd_ < 0) return false;
    // Connecting and sending wait to write; a TLS handshake (its hello went out at once) and a
    // response wait to read.
    const short want = phase_ == Phase::kConnecting || phase_ == Phase::kSending ? POLLOUT : POLLIN;
    pollfd p{up_fd_, want, 0};
    return ::poll(&p, 1, 0) > 0 && (p.revents & (want | POLLERR | POLLHUP)) != 0;
  }

  // Host shutdown.
  void Abort() {
    if (!ended_) End(RelayOutcome::kAborted, "the server is shutting down");
  }

  // Stop: whatever is still queued is abandoned.
  void ForceFinish() {
    if (!ended_) End(RelayOutcome::kAborted, "the server is shutting down");
    FinishClient(false);
  }

  // Plain reads stop after a few rounds for fairness; TLS may hold decrypted bytes that epoll
  // cannot see: both come back here on the next loop turn.
  void Again() {
    if (!ended_ && phase_ == Phase::kReceiving && !paused_) Receive();
  }

  // --- RelayExchange (from the handler's callbacks, on this thread) ---

  RelayCall BeginStream(int status, std::string_view content_type) override {
    if (fetch_only_) return RelayCall::kInvalid;
    if (client_gone_ || done()) return RelayCall::kClosed;
    if (state_ != ClientState::kNothing) return RelayCall::kConflict;
    if (status < 100 || status > 599) return RelayCall::kInvalid;
    if (HasCrLf(content_type)) return RelayCall::kInvalid;
    stream_type_ = content_type.empty() ? "application/octet-stream" : std::string(content_type);
    std::string head = StatusLine(status);
    head += "Content-Type: " + stream_type_ + "\r\n";
    sse_ = stream_type_.rfind("text/event-stream", 0) == 0;
    last_write_ = Clock::now();
    if (sse_) {
      // Proxies (nginx) must pass each event at once.
      head += "Cache-Control: no-cache\r\nX-Accel-Buffering: no\r\n";
    }
    if (job_->http11) head += "Transfer-Encoding: chunked\r\n";
    head += ConnectionHeader() + "\r\n";
    state_ = ClientState::kStreaming;
    Queue(head);
    return RelayCall::kOk;
  }

  RelayCall Write(std::string_view bytes) override {
    if (fetch_only_) return RelayCall::kInvalid;
    if (client_gone_ || done()) return RelayCall::kClosed;
    if (state_ != ClientState::kStreaming) return RelayCall::kConflict;
    if (bytes.empty() || job_->head_only) return RelayCall::kOk;
    ++writes_;
    last_write_ = Clock::now();
    tail_ = std::string(bytes.substr(bytes.size() >= 2 ? bytes.size() - 2 : 0));
    body_sent_ = true;
    if (job_->http11) {
      char size[24];
      const int n = std::snprintf(size, sizeof size, "%zx\r\n", bytes.size());
      Queue(std::string_view(size, static_cast<std::size_t>(n)));
      Queue(bytes);
      Queue("\r\n");
    } else {
      Queue(bytes);
    }
    return RelayCall::kOk;
  }

  RelayCall Respond(int status, std::string_view content_type, std::string_view body) override {
    if (fetch_only_) return RelayCall::kInvalid;
    if (client_gone_ || done()) return RelayCall::kClosed;
    if (state_ != ClientState::kNothing) return RelayCall::kConflict;
    if (status < 100 || status > 599 || HasCrLf(content_type)) return RelayCall::kInvalid;
    QueueWhole(status, content_type, body);
    return RelayCall::kOk;
  }

 private:
  enum class Phase { kNone, kConnecting, kHandshake, kSending, kReceiving };
  enum class ClientState { kNothing, kStreaming, kComplete };

  static bool HasCrLf(std::string_view s) {
    return s.find_first_of("\r\n") != std::string_view::npos;
  }

  std::string StatusLine(int status) {
    status_sent_ = status;
    std::string head = (job_->http11 ? "HTTP/1.1 " : "HTTP/1.0 ") + std::to_string(status) + " " +
                       Reason(status) + "\r\n";
    for (const auto& [k, v] : job_->client_headers) head += k + ": " + v + "\r\n";
    return head;
  }

  std::string ConnectionHeader() const {
    if (!job_->keep_alive) return "Connection: close\r\n";
    return job_->http11 ? "" : "Connection: Keep-Alive\r\n";
  }

  void QueueWhole(int status, std::string_view content_type, std::string_view body) {
    std::string payload;
    std::string type;
    if (content_type.empty()) {
      payload = DetailJson(body);
      type = "application/json";
    } else {
      payload = std::string(body);
      type = std::string(content_type);
    }
    // A complete response of its own: the connection may carry the next request.
    std::string head = StatusLine(status);
    head += "Content-Type: " + type + "\r\nContent-Length: " + std::to_string(payload.size()) +
            "\r\n" + ConnectionHeader() + "\r\n";
    state_ = ClientState::kComplete;
    complete_response_ = true;
    Queue(head);
    if (!job_->head_only) Queue(payload);
  }

  // --- upstream ---

  void ConnectNext() {
    while (next_address_ < up_.addresses.size()) {
      const auto& [addr, len] = up_.addresses[next_address_++];
      const int fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) {
        connect_error_ = std::strerror(errno);
        continue;
      }
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      up_fd_ = fd;
      phase_ = Phase::kConnecting;
      if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), len) == 0) return OnConnected();
      if (errno == EINPROGRESS) {
        SetUpstreamInterest(EPOLLOUT);
        return;
      }
      connect_error_ = std::strerror(errno);
      refused_ = errno == ECONNREFUSED;
      CloseUpstream(false);
    }
    End(RelayOutcome::kUnavailable, refused_
                                        ? "connection to " + up_.where + " refused"
                                        : "cannot connect to " + up_.where + ": " + connect_error_);
  }

  void Connected(std::uint32_t) {
    int error = 0;
    socklen_t len = sizeof error;
    if (::getsockopt(up_fd_, SOL_SOCKET, SO_ERROR, &error, &len) != 0) error = errno;
    if (error != 0) {
      connect_error_ = std::strerror(error);
      refused_ = error == ECONNREFUSED;
      CloseUpstream(false);
      return ConnectNext();
    }
    OnConnected();
  }

  void OnConnected() {
    if (!up_.secure) {
      phase_ = Phase::kSending;
      last_up_ = Clock::now();
      return Send();
    }
    std::string error;
    SSL_CTX* ctx = RelayTlsContext(error);
    if (ctx == nullptr) return End(RelayOutcome::kUnavailable, "TLS is not available: " + error);
    ssl_ = SSL_new(ctx);
    if (ssl_ == nullptr || SSL_set_fd(ssl_, up_fd_) != 1) {
      return End(RelayOutcome::kUnavailable, "TLS setup failed: " + TlsErrorText());
    }
    in6_addr ip{};
    const bool literal = ::inet_pton(AF_INET, up_.host.c_str(), &ip) == 1 ||
                         ::inet_pton(AF_INET6, up_.host.c_str(), &ip) == 1;
    if (literal) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), up_.host.c_str());
    } else {
      SSL_set_tlsext_host_name(ssl_, up_.host.c_str());  // SNI is for names only
      SSL_set1_host(ssl_, up_.host.c_str());
    }
    phase_ = Phase::kHandshake;
    Handshake();
  }

  void Handshake() {
    ERR_clear_error();
    const int rc = SSL_connect(ssl_);
    if (rc == 1) {
      phase_ = Phase::kSending;
      last_up_ = Clock::now();
      return Send();
    }
    const int err = SSL_get_error(ssl_, rc);
    if (err == SSL_ERROR_WANT_READ) return SetUpstreamInterest(EPOLLIN);
    if (err == SSL_ERROR_WANT_WRITE) return SetUpstreamInterest(EPOLLOUT);
    std::string why = TlsErrorText();
    const long verify = SSL_get_verify_result(ssl_);
    if (verify != X509_V_OK) why = X509_verify_cert_error_string(verify);
    End(RelayOutcome::kUnavailable, "TLS handshake with " + up_.where + " failed: " + why);
  }

  enum class Io { kDone, kWantRead, kWantWrite, kEof, kError };

  Io SendSome(const char* data, std::size_t size, std::size_t& sent) {
    sent = 0;
    if (ssl_ != nullptr) {
      ERR_clear_error();
      const int n = SSL_write(ssl_, data, static_cast<int>(std::min<std::size_t>(size, 1 << 20)));
      if (n > 0) {
        sent = static_cast<std::size_t>(n);
        return Io::kDone;
      }
      const int err = SSL_get_error(ssl_, n);
      if (err == SSL_ERROR_WANT_READ) return Io::kWantRead;
      if (err == SSL_ERROR_WANT_WRITE) return Io::kWantWrite;
      io_error_ = TlsErrorText();
      return Io::kError;
    }
    for (;;) {
      const ssize_t n = ::send(up_fd_, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n >= 0) {
        sent = static_cast<std::size_t>(n);
        return Io::kDone;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return Io::kWantWrite;
      io_error_ = std::strerror(errno);
      return Io::kError;
    }
  }

  Io ReadSome(char* buffer, std::size_t size, std::size_t& got) {
    got = 0;
    if (ssl_ != nullptr) {
      ERR_clear_error();
      const int n = SSL_read(ssl_, buffer, static_cast<int>(size));
      if (n > 0) {
        got = static_cast<std::size_t>(n);
        return Io::kDone;
      }
      const int err = SSL_get_error(ssl_, n);
      if (err == SSL_ERROR_WANT_READ) return Io::kWantRead;
      if (err == SSL_ERROR_WANT_WRITE) return Io::kWantWrite;
      if (err == SSL_ERROR_ZERO_RETURN) return Io::kEof;
      if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && n == 0) return Io::kEof;
      io_error_ = err == SSL_ERROR_SYSCALL ? std::string(std::strerror(errno)) : TlsErrorText();
      return Io::kError;
    }
    for (;;) {
      const ssize_t n = ::recv(up_fd_, buffer, size, MSG_DONTWAIT);
      if (n > 0) {
        got = static_cast<std::size_t>(n);
        return Io::kDone;
      }
      if (n == 0) return Io::kEof;
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return Io::kWantRead;
      io_error_ = std::strerror(errno);
      return Io::kError;
    }
  }

  void Send() {
    while (sent_ < up_.request.size()) {
      std::size_t n = 0;
      switch (SendSome(up_.request.data() + sent_, up_.request.size() - sent_, n)) {
        case Io::kDone:
          sent_ += n;
          last_up_ = Clock::now();
          continue;
        case Io::kWantRead:
          return SetUpstreamInterest(EPOLLIN);
        case Io::kWantWrite:
          return SetUpstreamInterest(EPOLLOUT);
        case Io::kEof:
        case Io::kError:
          // The upstream may have answered early (413, 401) and closed: read that answer.
          send_error_ = io_error_;
          sent_ = up_.request.size();
          break;
      }
    }
    phase_ = Phase::kReceiving;
    SetUpstreamInterest(EPOLLIN);
    Receive();
  }

  void Receive() {
    char* buffer = owner_.read_buffer_.data();
    for (int round = 0;; ++round) {
      if (ended_ || paused_) return;
      if (round >= kReadsPerTurn) {
        owner_.again_.push_back(this);
        return;
      }
      std::size_t got = 0;
      const Io io = ReadSome(buffer, kReadBufferBytes, got);
      if (io == Io::kWantRead) return SetUpstreamInterest(EPOLLIN);
      if (io == Io::kWantWrite) return SetUpstreamInterest(EPOLLOUT);
      if (io == Io::kEof) return UpstreamClosed();
      if (io == Io::kError) {
        if (!decoder_ && head_.empty() && !send_error_.empty()) {
          return End(RelayOutcome::kUnavailable,
                     "sending the request to " + up_.where + " failed: " + send_error_);
        }
        return End(RelayOutcome::kError,
                   "connection to " + up_.where + " failed " + Stage() + ": " + io_error_);
      }
      last_up_ = Clock::now();
      Process(std::string_view(buffer, got));
    }
  }

  std::string Stage() const {
    return decoder_ ? "after " + std::to_string(decoder_->body_bytes()) + " body bytes"
                    : "before the response head was complete";
  }

  void UpstreamClosed() {
    if (decoder_) {
      if (decoder_->Finish() == outbound::detail::BodyDecoder::Status::kDone) {
        upstream_complete_ = true;
        return End(RelayOutcome::kOk, "");
      }
      return End(RelayOutcome::kError, "bad response from " + up_.where + ": " + decoder_->error());
    }
    if (head_.empty() && !send_error_.empty()) {
      return End(RelayOutcome::kUnavailable,
                 "sending the request to " + up_.where + " failed: " + send_error_);
    }
    End(RelayOutcome::kError,
        "bad response from " + up_.where + ": connection closed " +
            (head_.empty() ? "without a response" : "inside the response head"));
  }

  void Process(std::string_view bytes) {
    if (decoder_) return Feed(bytes);
    head_.append(bytes);
    for (;;) {
      const std::size_t end = outbound::detail::FindHeadEnd(head_);
      if (end == std::string::npos) {
        if (head_.size() > kMaxUpstreamHeadBytes) {
          return End(RelayOutcome::kError, "bad response from " + up_.where +
                                               ": response head larger than " +
                                               std::to_string(kMaxUpstreamHeadBytes) + " bytes");
        }
        return;
      }
      std::string error;
      auto head =
          outbound::detail::ParseResponseHead(std::string_view(head_).substr(0, end), error);
      if (!head) return End(RelayOutcome::kError, "bad response from " + up_.where + ": " + error);
      if (head->status == 101) {
        return End(RelayOutcome::kError,
                   "bad response from " + up_.where + ": unexpected 101 Switching Protocols");
      }
      if (head->status < 200) {  // interim response (100 Continue, 103 Early Hints)
        head_.erase(0, end);
        continue;
      }
      decoder_ = outbound::detail::BodyDecoder::ForResponse(up_.method, *head, error);
      if (!decoder_)
        return End(RelayOutcome::kError, "bad response from " + up_.where + ": " + error);
      const std::string rest = head_.substr(end);
      head_ = "-";  // non-empty: a head was seen
      if (!CallOnHead(head->status, head->headers)) return End(RelayOutcome::kOk, handler_error_);
      if (decoder_->done()) {
        upstream_complete_ = true;
        return End(RelayOutcome::kOk, "");
      }
      return Feed(rest);
    }
  }

  void Feed(std::string_view bytes) {
    if (bytes.empty()) return;
    decoded_.clear();
    const auto status = decoder_->Feed(bytes, [this](std::string_view piece) {
      decoded_.append(piece);
      return true;
    });
    if (!decoded_.empty()) {
      last_piece_ = Clock::now();
      const bool keep_going = CallOnData(decoded_);
      if (forward_ && state_ == ClientState::kStreaming) Write(decoded_);
      if (!keep_going) return End(RelayOutcome::kOk, handler_error_);
    }
    switch (status) {
      case outbound::detail::BodyDecoder::Status::kDone:
        upstream_complete_ = true;
        return End(RelayOutcome::kOk, "");
      case outbound::detail::BodyDecoder::Status::kMalformed:
        return End(RelayOutcome::kError,
                   "bad response from " + up_.where + ": " + decoder_->error());
      case outbound::detail::BodyDecoder::Status::kAborted:
      case outbound::detail::BodyDecoder::Status::kMore:
        break;
    }
  }

  bool CallOnHead(int status, const RelayHeaders& headers) {
    bool keep_going = false;
    try {
      keep_going = job_->handler->OnHead(*this, status, headers);
    } catch (const std::exception& e) {
      handler_error_ = std::string("on_head threw: ") + e.what();
    } catch (...) {
      handler_error_ = "on_head threw";
    }
    // A whole answer, or a client gone during the callback, ends the exchange too.
    return keep_going && state_ != ClientState::kComplete && !client_gone_;
  }

  bool CallOnData(std::string_view chunk) {
    bool keep_going = false;
    try {
      keep_going = job_->handler->OnData(*this, chunk);
    } catch (const std::exception& e) {
      handler_error_ = std::string("on_data threw: ") + e.what();
    } catch (...) {
      handler_error_ = "on_data threw";
    }
    return keep_going && state_ != ClientState::kComplete && !client_gone_;
  }

  void SetUpstreamInterest(std::uint32_t events) {
    if (up_fd_ < 0) return;
    want_ = events;
    if (paused_) return;  // registered again on resume
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = &up_tag_;
    if (!up_registered_) {
      if (::epoll_ctl(owner_.epoll_fd_, EPOLL_CTL_ADD, up_fd_, &ev) == 0) up_registered_ = true;
    } else if (events != up_events_) {
      ::epoll_ctl(owner_.epoll_fd_, EPOLL_CTL_MOD, up_fd_, &ev);
    }
    up_events_ = events;
  }

  // Back-pressure: the upstream is not read (not even watched) while the client lags.
  void Pause() {
    if (paused_ || up_fd_ < 0) return;
    paused_ = true;
    if (up_registered_) ::epoll_ctl(owner_.epoll_fd_, EPOLL_CTL_DEL, up_fd_, nullptr);
    up_registered_ = false;
  }

  void Resume() {
    if (!paused_) return;
    paused_ = false;
    last_up_ = Clock::now();  // the silence was ours
    if (up_fd_ < 0 || ended_) return;
    SetUpstreamInterest(want_ != 0 ? want_ : EPOLLIN);
    owner_.again_.push_back(this);  // bytes may be buffered (TLS) or waiting already
  }

  void CloseUpstream(bool hard) {
    if (up_fd_ < 0) return;
    if (up_registered_) ::epoll_ctl(owner_.epoll_fd_, EPOLL_CTL_DEL, up_fd_, nullptr);
    up_registered_ = false;
    up_events_ = 0;
    if (ssl_ != nullptr) {
      SSL_free(ssl_);
      ssl_ = nullptr;
    }
    if (hard) {
      // RST: the upstream stops generating at once instead of after its next write.
      const linger reset{1, 0};
      ::setsockopt(up_fd_, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    }
    ::close(up_fd_);
    up_fd_ = -1;
  }

  // --- the end of the exchange ---

  void End(RelayOutcome outcome, const std::string& message) {
    if (ended_) return;
    ended_ = true;
    phase_ = Phase::kNone;
    CloseUpstream(!upstream_complete_);
    const std::size_t writes_before = writes_;
    if (job_->handler) {
      try {
        job_->handler->OnEnd(*this, outcome, message);
      } catch (...) {
      }
    }
    if (!client_gone_ && !fetch_only_) {
      if (state_ == ClientState::kNothing) {
        QueueWhole(502, "", FailureDetail(outcome));
      } else if (state_ == ClientState::kStreaming) {
        if (outcome == RelayOutcome::kAborted && writes_ == writes_before) QueueShutdownEvent();
        if (job_->http11 && !job_->head_only) Queue("0\r\n\r\n");
        state_ = ClientState::kComplete;
        complete_response_ = job_->http11;
      }
    }
    try {
      job_->handler.reset();  // the plugin's release
    } catch (...) {
    }
    // An upstream that cannot be reached, stalls or breaks the protocol is the operator's to
    // know (the client only gets a generic text); shutdown and departed clients are routine.
    if (outcome == RelayOutcome::kAborted)
      spdlog::debug("relay ended: {}", message);
    else if (outcome != RelayOutcome::kOk && outcome != RelayOutcome::kClientGone)
      spdlog::warn("relay: {}", message);
    Flush();
  }

  static std::string FailureDetail(RelayOutcome outcome) {
    switch (outcome) {
      case RelayOutcome::kTimeout:
        return "The upstream server did not answer in time";
      case RelayOutcome::kUnavailable:
        return "The upstream server could not be reached";
      case RelayOutcome::kAborted:
        return "The server is shutting down";
      default:
        return "The upstream server answered with an invalid response";
    }
  }

  // What an interrupted stream ends with at shutdown, in the stream's own format (as
  // http::RequestContext::AbortStream writes for a stream on a worker).
  void QueueShutdownEvent() {
    const std::string message = "The server is shutting down";
    std::string event;
    const bool at_boundary = !body_sent_ || tail_ == "\n\n";
    if (stream_type_.rfind("text/event-stream", 0) == 0) {
      nlohmann::json error = {{"error", {{"message", message}, {"type", "server_shutdown"}}}};
      event =
          std::string(at_boundary ? "" : "\n\n") + "data: " + error.dump() + "\n\ndata: [DONE]\n\n";
    } else if (stream_type_.rfind("application/x-ndjson", 0) == 0) {
      nlohmann::json error = {{"error", message}};
      event = std::string(!body_sent_ || tail_.ends_with('\n') ? "" : "\n") + error.dump() + "\n";
    }
    if (!event.empty()) Write(event);
  }

  // --- client side ---

  std::size_t Pending() const { return out_.size() - out_off_; }

  void Queue(std::string_view bytes) {
    if (client_gone_ || done() || bytes.empty()) return;
    if (Pending() == 0) last_client_ = Clock::now();
    out_.append(bytes);
    if (Pending() > owner_.options_.max_client_queue) Pause();
    if (!flush_due_) {
      flush_due_ = true;
      owner_.to_flush_.push_back(this);
    }
  }

 public:
  // Writes what the client takes now; called after each event round and on EPOLLOUT.
  void Flush() {
    flush_due_ = false;
    if (done()) return;
    while (Pending() > 0 && !client_gone_) {
      const ssize_t n =
          ::send(client_->fd(), out_.data() + out_off_, Pending(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        out_off_ += static_cast<std::size_t>(n);
        last_client_ = Clock::now();
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      return ClientGone();
    }
    if (Pending() == 0) {
      out_.clear();
      out_off_ = 0;
    } else if (out_off_ > out_.size() / 2) {
      out_.erase(0, out_off_);
      out_off_ = 0;
    }
    if (paused_ && Pending() <= owner_.options_.max_client_queue / 2) Resume();
    if (ended_ && Pending() == 0) return FinishClient(job_->keep_alive && complete_response_);
    SetClientInterest();
  }

 private:
  void SetClientInterest() {
    if (done() || fetch_only_) return;
    // Never EPOLLIN: a pipelined request must not spin the loop; a departure shows as RDHUP.
    const std::uint32_t events = EPOLLRDHUP | (Pending() > 0 ? EPOLLOUT : 0u);
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = &client_tag_;
    if (!client_registered_) {
      if (::epoll_ctl(owner_.epoll_fd_, EPOLL_CTL_ADD, client_->fd(), &ev) == 0) {
        client_registered_ = true;
        client_events_ = events;
      }
      return;
    }
    if (events == client_events_) return;
    ::epoll_ctl(owner_.epoll_fd_, EPOLL_CTL_MOD, client_->fd(), &ev);
    client_events_ = events;
  }

  void Unregister(int fd, std::uint32_t) {
    if (client_registered_) ::epoll_ctl(owner_.epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    client_registered_ = false;
  }

  void ClientGone() {
    if (client_gone_ || done()) return;
    client_gone_ = true;
    out_.clear();
    out_off_ = 0;
    if (!ended_) End(RelayOutcome::kClientGone, "the client went away");
    FinishClient(false);
  }

  void Report() {
    if (reported_ || !job_->on_finished) return;
    reported_ = true;
    try {
      job_->on_finished(status_sent_);
    } catch (...) {
    }
  }

  void FinishClient(bool reusable) {
    if (done()) return;
    finished_ = true;
    std::unique_ptr<RelayClient> client = std::move(client_);
    Report();
    if (!client) return;
    Unregister(client->fd(), client_events_);
    --owner_.live_;
    try {
      client->Finish(reusable);
    } catch (...) {
    }
  }

  StreamRelay& owner_;
  std::unique_ptr<RelayClient> client_;
  std::unique_ptr<RelayJob> job_;
  const RelayUpstream& up_;
  const bool fetch_only_;         // http_fetch_relay: no client, the callbacks consume the answer
  bool finished_ = false;         // the client's response (or the fetch) is over
  Clock::time_point last_piece_;  // the handler last heard from the upstream (or a tick)
  Clock::time_point last_write_;  // bytes last queued for the client's stream
  bool sse_ = false;              // the client's stream is text/event-stream
  Tag up_tag_{this, true};
  Tag client_tag_{this, false};

  Phase phase_ = Phase::kNone;
  int up_fd_ = -1;
  SSL* ssl_ = nullptr;
  bool up_registered_ = false;
  std::uint32_t up_events_ = 0;
  std::uint32_t want_ = 0;
  bool paused_ = false;
  std::size_t next_address_ = 0;
  std::string connect_error_ = "no address";
  bool refused_ = false;
  std::size_t sent_ = 0;
  std::string send_error_, io_error_, handler_error_;
  std::string head_;
  std::optional<outbound::detail::BodyDecoder> decoder_;
  std::string decoded_;
  bool upstream_complete_ = false;
  bool ended_ = false;
  Clock::time_point started_, last_up_, last_client_, connect_deadline_;
  Clock::time_point total_deadline_ = Clock::time_point::max();

  ClientState state_ = ClientState::kNothing;
  std::string stream_type_;
  std::string tail_;
  bool body_sent_ = false;
  std::size_t writes_ = 0;
  int status_sent_ = 0;  // the status line the client got (or has queued)
  bool reported_ = false;
  bool complete_response_ = false;
  bool client_gone_ = false;
  bool client_registered_ = false;
  std::uint32_t client_events_ = 0;
  std::string out_;
  std::size_t out_off_ = 0;
  bool flush_due_ = false;
  bool forward_ = false;
};

// --- the reactor ---------------------------------------------------------------------------

StreamRelay::StreamRelay(RelayOptions options) : options_(options) {
  read_buffer_.resize(kReadBufferBytes);
}

StreamRelay::~StreamRelay() { Stop(); }

void StreamRelay::Start() {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0)
    throw std::system_error(errno, std::generic_category(), "relay epoll/eventfd");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0)
    throw std::system_error(errno, std::generic_category(), "relay epoll_ctl");
  {
    std::lock_guard lock(mu_);
    accepting_ = true;
  }
  thread_ = std::thread([this] { Loop(); });
  // Named here, not in the thread: the name is there as soon as Start returns.
  ::pthread_setname_np(thread_.native_handle(), "wh-relay");
}

void StreamRelay::Wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

void StreamRelay::Adopt(std::unique_ptr<RelayClient> client, std::unique_ptr<RelayJob> job) {
  {
    std::lock_guard lock(mu_);
    if (accepting_) {
      // A fetch without a client is no request in progress: the drain does not wait for it.
      if (client) ++live_;
      incoming_.emplace_back(std::move(client), std::move(job));
      Wake();
      return;
    }
  }
  EndUnadopted(std::move(client), std::move(job), RelayOutcome::kAborted,
               "the server is shutting down");
}

void StreamRelay::AbortAll() {
  abort_ = true;
  std::lock_guard lock(mu_);
  if (wake_fd_ >= 0) Wake();
}

void StreamRelay::Stop() {
  {
    std::lock_guard lock(mu_);
    accepting_ = false;
  }
  if (thread_.joinable()) {
    stop_ = true;
    Wake();
    thread_.join();
  }
  for (int* fd : {&epoll_fd_, &wake_fd_}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

void StreamRelay::TakeAdoptions() {
  decltype(incoming_) batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(incoming_);
  }
  for (auto& [client, job] : batch) {
    relays_.push_back(std::make_unique<Relay>(*this, std::move(client), std::move(job)));
    relays_.back()->Begin();
  }
}

void StreamRelay::Loop() {
  epoll_event events[kMaxRelayEvents];
  auto last_tick = Clock::now();
  std::optional<Clock::time_point> stop_deadline;
  for (;;) {
    const int timeout =
        again_.empty() && to_flush_.empty() ? static_cast<int>(kTickInterval.count()) : 0;
    const int n = ::epoll_wait(epoll_fd_, events, kMaxRelayEvents, timeout);
    for (int i = 0; i < n; ++i) {
      auto* tag = static_cast<Relay::Tag*>(events[i].data.ptr);
      if (tag == nullptr) {
        std::uint64_t count;
        [[maybe_unused]] auto r = ::read(wake_fd_, &count, sizeof count);
        TakeAdoptions();
        continue;
      }
      if (tag->upstream) {
        tag->relay->OnUpstreamEvent(events[i].events);
      } else {
        tag->relay->OnClientEvent(events[i].events);
      }
    }
    // Reads that yielded their turn, and TLS bytes epoll cannot see.
    std::vector<Relay*> again;
    again.swap(again_);
    for (Relay* r : again) r->Again();
    // Everything queued this round goes out in one send per client.
    std::vector<Relay*> flush;
    flush.swap(to_flush_);
    for (Relay* r : flush) r->Flush();

    const auto now = Clock::now();
    if (abort_.exchange(false) || stop_) {
      for (auto& r : relays_) r->Abort();
      if (stop_ && !stop_deadline) stop_deadline = now + options_.shutdown_flush;
    }
    if (now - last_tick >= kTickInterval) {
      for (auto& r : relays_) r->Tick(now);
      last_tick = now;
    }
    if (stop_deadline && now >= *stop_deadline) {
      for (auto& r : relays_) r->ForceFinish();
    }
    // Exchanges whose client is finished leave (after the batch: events may still name them).
    const auto finished = [](const Relay* r) { return r->done(); };
    std::erase_if(again_, finished);
    std::erase_if(to_flush_, finished);
    std::erase_if(relays_, [](const std::unique_ptr<Relay>& r) { return r->done(); });
    if (stop_ && relays_.empty()) {
      std::lock_guard lock(mu_);
      if (incoming_.empty()) break;
    }
  }
}

}  // namespace webui::net
