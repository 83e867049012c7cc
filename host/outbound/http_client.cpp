// Fetch(): one connection per request. Poco's sessions open the connection (TCP connect, TLS
// handshake with certificate and host name checks); the request is written and the response read
// directly on the session's socket, because Poco's response streams block until their buffer is
// full and cannot resume after a receive timeout. Here every read waits at most one tick, so data
// is handed on as soon as it arrives and the caller gets a chance to abort while the upstream is
// silent.
#include "outbound/http_client.hpp"

#include <poll.h>

#include <cerrno>

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/Socket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Timespan.h>
#include <sys/socket.h>

#include <algorithm>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>

#include "outbound/http_wire.hpp"

namespace webui::outbound {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

// Longest wait without a callback. The contract promises 250 ms; the rest is for slack.
constexpr milliseconds kTick{200};
// Upper bound of the receive timeout; reads are only attempted once poll reports data, so this
// only matters for TLS (see ReadSome).
constexpr milliseconds kReceiveTimeout{kTick / 2};
// Longer timeouts are treated as this, so deadline arithmetic cannot overflow.
constexpr milliseconds kLongest = std::chrono::hours(24 * 366);
constexpr std::size_t kMaxHeadBytes = 64 * 1024;
constexpr std::size_t kReadBufferBytes = 16 * 1024;

// One poll(2) on the socket. (Poco 1.11's Socket::poll builds and tears down an epoll instance
// per call — four system calls — which dominated the cost of relaying small stream chunks.)
bool PollFd(const Poco::Net::StreamSocket& socket, short events, std::chrono::milliseconds wait) {
  pollfd pfd{socket.impl()->sockfd(), events, 0};
  int rc;
  do {
    rc = ::poll(&pfd, 1, static_cast<int>(wait.count()));
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) throw Poco::Net::NetException("poll failed");
  return rc > 0;  // readable/writable, or an error/hang-up the next read or write reports
}
constexpr std::size_t kSendSliceBytes = 16 * 1024;

Poco::Timespan ToTimespan(milliseconds ms) {
  return Poco::Timespan(
      static_cast<Poco::Timespan::TimeDiff>(std::max<milliseconds::rep>(ms.count(), 1)) * 1000);
}

// Exposes the protected connect step so the connection is opened without sending through
// Poco's request streams.
template <class Base>
class ConnectingSession : public Base {
 public:
  using Base::Base;
  void Connect() { this->reconnect(); }
  // Connects to `address` (already resolved and checked); TLS still verifies the URL's host.
  void ConnectTo(const Poco::Net::SocketAddress& address) { this->connect(address); }
};

struct TlsSetup {
  Poco::Net::Context::Ptr context;
  std::string error;
};

// One client context for the process: peers are verified against OpenSSL's default store (the
// system CAs; SSL_CERT_FILE / SSL_CERT_DIR may point elsewhere) and host names always checked.
const TlsSetup& ClientTls() {
  static TlsSetup setup;
  static std::once_flag once;
  std::call_once(once, [] {
    try {
      Poco::Net::initializeSSL();
      Poco::Net::Context::Params params;
      // STRICT: RELAXED would skip the host name check for "localhost"-like names.
      params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
      params.loadDefaultCAs = true;
      params.cipherList = "DEFAULT";
      setup.context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
      setup.context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    } catch (const Poco::Exception& e) {
      setup.error = e.displayText();
    } catch (const std::exception& e) {
      setup.error = e.what();
    }
  });
  return setup;
}

Result Make(Outcome outcome, std::string message) { return Result{outcome, std::move(message)}; }

std::string Ms(milliseconds ms) { return std::to_string(ms.count()) + " ms"; }

class Exchange {
 public:
  Exchange(const Request& request, const Callbacks& callbacks)
      : request_(request), callbacks_(callbacks) {}

  ~Exchange() {
    // Anything but a completed body abandons the stream: reset the connection so the upstream
    // stops generating at once instead of after its next write.
    if (!completed_) CloseHard();
  }

  Result Run();

 private:
  enum class Read { kData, kEof, kSilence };

  std::optional<Result> Connect();
  std::optional<Result> Send(std::string_view data);
  Result Receive();
  Read ReadSome(char* buffer, std::size_t size, std::size_t& got);
  milliseconds Slice() const;
  std::optional<Result> CheckDeadlines() const;
  // Upstream quiet for a slice: enforce timeouts, then give the caller its tick.
  std::optional<Result> OnSilence();
  std::optional<Result> TickIfDue();
  bool CallOnData(std::string_view chunk);
  bool CallOnHead(int status, const Headers& headers);
  Result Aborted(const char* by);
  void CloseHard();

  const Request& request_;
  const Callbacks& callbacks_;
  std::string method_;
  detail::Target target_;
  std::string where_;  // scheme://host:port, safe for messages
  // public_only: the checked addresses, connected to directly (no second lookup).
  std::vector<ResolvedAddress> addresses_;
  milliseconds read_timeout_{0};
  std::unique_ptr<Poco::Net::HTTPClientSession> session_;
  Clock::time_point total_deadline_ = Clock::time_point::max();
  Clock::time_point last_progress_;  // last byte sent or received
  Clock::time_point last_callback_;
  std::string send_error_;
  std::string callback_error_;
  bool completed_ = false;
  bool closed_ = false;
};

Result Exchange::Run() {
  const Clock::time_point start = Clock::now();
  last_progress_ = last_callback_ = start;
  if (request_.connect_timeout.count() <= 0 || request_.read_timeout.count() <= 0 ||
      request_.total_timeout.count() < 0) {
    return Make(Outcome::kInvalid,
                "connect_timeout and read_timeout must be positive, total_timeout >= 0");
  }
  read_timeout_ = std::min(request_.read_timeout, kLongest);
  if (request_.total_timeout.count() > 0 && request_.total_timeout <= kLongest) {
    total_deadline_ = start + request_.total_timeout;
  }

  auto method = detail::NormalizeMethod(request_.method);
  if (!method) return Make(Outcome::kInvalid, "unsupported HTTP method");
  method_ = *method;
  std::string error;
  auto target = detail::ParseTarget(request_.url, error);
  if (!target) return Make(Outcome::kInvalid, error);
  target_ = std::move(*target);
  where_ = target_.Describe();
  auto head = detail::BuildRequestHead(method_, target_, request_.headers, request_.body, error);
  if (!head) return Make(Outcome::kInvalid, error);
  if (request_.public_only) {
    if (auto refused = RefuseUrlForm(request_.url, !target_.userinfo.empty()))
      return Make(Outcome::kRefused, *refused);
    addresses_ = Resolve(target_.host, target_.port, where_, error);
    if (addresses_.empty()) return Make(Outcome::kConnectError, error);
    static const AllowList kNone;
    if (auto refused = RefusePrivate(target_.host, target_.port, addresses_,
                                     request_.allowed ? *request_.allowed : kNone))
      return Make(Outcome::kRefused, *refused);
  }

  if (auto failed = Connect()) return *failed;
  last_progress_ = Clock::now();
  if (auto failed = Send(*head)) return *failed;
  if (send_error_.empty()) {
    if (auto failed = Send(request_.body)) return *failed;
  }
  return Receive();
}

std::optional<Result> Exchange::Connect() {
  const Clock::time_point now = Clock::now();
  milliseconds connect_timeout = std::min(request_.connect_timeout, kLongest);
  if (total_deadline_ != Clock::time_point::max()) {
    if (now >= total_deadline_) {
      return Make(Outcome::kTimeout, "total timeout of " + Ms(request_.total_timeout) +
                                         " exceeded before connecting to " + where_);
    }
    connect_timeout = std::min(
        connect_timeout, duration_cast<milliseconds>(total_deadline_ - now) + milliseconds(1));
  }
  // A blocking send (after poll reported room) waits at most this long for the peer.
  milliseconds send_timeout = read_timeout_;
  if (total_deadline_ != Clock::time_point::max()) {
    send_timeout = std::min(send_timeout,
                            duration_cast<milliseconds>(total_deadline_ - now) + milliseconds(1));
  }
  // Opens the connection (and TLS session) through Poco's session; no proxy is ever used.
  // `address`: the checked address of a public-only request, connected to directly (a fresh
  // session per address: a socket whose connect failed is not reused).
  const auto open = [&](auto session, const ResolvedAddress* address) {
    session->setProxyConfig(Poco::Net::HTTPClientSession::ProxyConfig());
    session->setTimeout(ToTimespan(connect_timeout), ToTimespan(send_timeout),
                        ToTimespan(kReceiveTimeout));
    if (address == nullptr) {
      session->Connect();
    } else {
      session->ConnectTo(Poco::Net::SocketAddress(
          reinterpret_cast<const sockaddr*>(&address->first), address->second));
    }
    session_ = std::move(session);
  };
  const auto attempt = [&](const ResolvedAddress* address) -> std::optional<Result> {
    if (target_.secure) {
      const TlsSetup& tls = ClientTls();
      if (!tls.context) {
        return Make(Outcome::kConnectError, "TLS is not available: " + tls.error);
      }
      open(std::make_unique<ConnectingSession<Poco::Net::HTTPSClientSession>>(
               target_.host, target_.port, tls.context),
           address);
    } else {
      open(std::make_unique<ConnectingSession<Poco::Net::HTTPClientSession>>(target_.host,
                                                                             target_.port),
           address);
    }
    return std::nullopt;
  };
  try {
    if (addresses_.empty()) return attempt(nullptr);
    // The first checked address that accepts; the last failure is the one reported.
    for (std::size_t i = 0;; ++i) {
      try {
        return attempt(&addresses_[i]);
      } catch (const Poco::Net::SSLException&) {
        throw;  // the peer answered: another address of the same name will not do better
      } catch (const Poco::Exception&) {
        if (i + 1 == addresses_.size()) throw;
      }
    }
  } catch (const Poco::TimeoutException&) {
    return Make(Outcome::kTimeout,
                "connecting to " + where_ + " timed out after " + Ms(connect_timeout));
  } catch (const Poco::Net::ConnectionRefusedException&) {
    return Make(Outcome::kConnectError, "connection to " + where_ + " refused");
  } catch (const Poco::Net::DNSException& e) {
    return Make(Outcome::kConnectError,
                "cannot resolve host of " + where_ + ": " + e.displayText());
  } catch (const Poco::Net::SSLException& e) {
    return Make(Outcome::kConnectError,
                "TLS handshake with " + where_ + " failed: " + e.displayText());
  } catch (const Poco::Exception& e) {
    return Make(Outcome::kConnectError, "cannot connect to " + where_ + ": " + e.displayText());
  }
  return std::nullopt;
}

std::optional<Result> Exchange::Send(std::string_view data) {
  Poco::Net::StreamSocket& socket = session_->socket();
  // MSG_NOSIGNAL: a peer that already closed must not kill the process with SIGPIPE.
  const int flags = target_.secure ? 0 : MSG_NOSIGNAL;
  while (!data.empty()) {
    if (auto failed = CheckDeadlines()) return failed;
    try {
      if (!PollFd(socket, POLLOUT, Slice())) {
        if (auto failed = OnSilence()) return failed;
        continue;
      }
      const int sent = socket.sendBytes(
          data.data(), static_cast<int>(std::min(data.size(), kSendSliceBytes)), flags);
      if (sent <= 0) {
        send_error_ = "send returned " + std::to_string(sent);
        return std::nullopt;
      }
      data.remove_prefix(static_cast<std::size_t>(sent));
      last_progress_ = Clock::now();
    } catch (const Poco::TimeoutException&) {
      return Make(Outcome::kTimeout, "sending the request to " + where_ + " timed out");
    } catch (const Poco::Exception& e) {
      // The upstream may have answered early (413, 401) and closed; try to read that answer.
      send_error_ = e.displayText();
      return std::nullopt;
    }
    if (auto failed = TickIfDue()) return failed;
  }
  return std::nullopt;
}

Result Exchange::Receive() {
  std::string head_buffer;
  std::optional<detail::BodyDecoder> decoder;
  std::unique_ptr<char[]> buffer(new char[kReadBufferBytes]);
  // Everything one socket read decodes to goes to on_data in ONE call: an upstream that writes
  // many small SSE chunks back to back then costs one downstream write, not one per chunk.
  // Nothing waits for more data, so latency is unchanged.
  std::string decoded;
  const auto emit = [&decoded](std::string_view piece) {
    decoded.append(piece);
    return true;
  };
  const auto protocol_error = [this](const std::string& what) {
    return Make(Outcome::kProtocolError, "bad response from " + where_ + ": " + what);
  };
  // Feeds bytes to the body decoder and maps its status; nullopt = keep reading.
  const auto feed = [&](std::string_view bytes) -> std::optional<Result> {
    decoded.clear();
    const auto status = decoder->Feed(bytes, emit);
    if (!decoded.empty() && !CallOnData(decoded)) return Aborted("on_data");
    switch (status) {
      case detail::BodyDecoder::Status::kDone:
        completed_ = true;
        return Make(Outcome::kOk, "");
      case detail::BodyDecoder::Status::kAborted:
        return Aborted("on_data");
      case detail::BodyDecoder::Status::kMalformed:
        return protocol_error(decoder->error());
      case detail::BodyDecoder::Status::kMore:
        break;
    }
    return std::nullopt;
  };

  for (;;) {
    if (auto failed = CheckDeadlines()) return *failed;
    std::size_t got = 0;
    Read read;
    try {
      read = ReadSome(buffer.get(), kReadBufferBytes, got);
    } catch (const Poco::Exception& e) {
      if (!decoder && head_buffer.empty() && !send_error_.empty()) {
        return Make(Outcome::kConnectError,
                    "sending the request to " + where_ + " failed: " + send_error_);
      }
      const std::string stage =
          decoder ? "after " + std::to_string(decoder->body_bytes()) + " body bytes"
                  : "before the response head was complete";
      return protocol_error("connection failed " + stage + ": " + e.displayText());
    }
    if (read == Read::kSilence) {
      if (auto failed = OnSilence()) return *failed;
      continue;
    }
    if (read == Read::kEof) {
      if (decoder) {
        if (decoder->Finish() == detail::BodyDecoder::Status::kDone) {
          completed_ = true;
          return Make(Outcome::kOk, "");
        }
        return protocol_error(decoder->error());
      }
      if (head_buffer.empty()) {
        if (!send_error_.empty()) {
          return Make(Outcome::kConnectError,
                      "sending the request to " + where_ + " failed: " + send_error_);
        }
        return protocol_error("connection closed without a response");
      }
      return protocol_error("connection closed inside the response head");
    }

    last_progress_ = Clock::now();
    std::string_view bytes(buffer.get(), got);
    if (decoder) {
      if (auto done = feed(bytes)) return *done;
    } else {
      head_buffer.append(bytes);
      for (;;) {
        const std::size_t end = detail::FindHeadEnd(head_buffer);
        if (end == std::string::npos) {
          if (head_buffer.size() > kMaxHeadBytes) {
            return protocol_error("response head larger than " + std::to_string(kMaxHeadBytes) +
                                  " bytes");
          }
          break;
        }
        std::string error;
        auto head = detail::ParseResponseHead(std::string_view(head_buffer).substr(0, end), error);
        if (!head) return protocol_error(error);
        if (head->status == 101) return protocol_error("unexpected 101 Switching Protocols");
        if (head->status < 200) {  // interim response (100 Continue, 103 Early Hints)
          head_buffer.erase(0, end);
          continue;
        }
        decoder = detail::BodyDecoder::ForResponse(method_, *head, error);
        if (!decoder) return protocol_error(error);
        if (!CallOnHead(head->status, head->headers)) return Aborted("on_head");
        if (decoder->done()) {
          completed_ = true;
          return Make(Outcome::kOk, "");
        }
        const std::string rest = head_buffer.substr(end);
        head_buffer.clear();
        if (auto done = feed(rest)) return *done;
        break;
      }
    }
    if (auto failed = TickIfDue()) return *failed;
  }
}

Exchange::Read Exchange::ReadSome(char* buffer, std::size_t size, std::size_t& got) {
  Poco::Net::StreamSocket& socket = session_->socket();
  // TLS may hold decrypted bytes the kernel no longer reports as readable.
  const bool pending = target_.secure && socket.available() > 0;
  if (!pending && !PollFd(socket, POLLIN, Slice())) return Read::kSilence;
  if (target_.secure) {
    // A readable socket may hold only part of a TLS record (or a record without application
    // data); Poco's TLS read then waits up to twice the receive timeout. Keep that within the
    // time left until the next tick.
    socket.setReceiveTimeout(ToTimespan(std::clamp(Slice() / 2, milliseconds(1), kReceiveTimeout)));
  }
  int received = 0;
  try {
    received = socket.receiveBytes(buffer, static_cast<int>(size));
  } catch (const Poco::TimeoutException&) {
    return Read::kSilence;  // the TLS state survives a timeout: the next read resumes
  }
  if (received < 0) return Read::kSilence;
  got = static_cast<std::size_t>(received);
  return received == 0 ? Read::kEof : Read::kData;
}

milliseconds Exchange::Slice() const {
  // Until the next tick is due, or a deadline, whichever comes first.
  const Clock::time_point now = Clock::now();
  Clock::time_point until = std::min(last_callback_ + kTick, last_progress_ + read_timeout_);
  until = std::min(until, total_deadline_);
  return std::clamp(duration_cast<milliseconds>(until - now) + milliseconds(1), milliseconds(1),
                    kTick);
}

std::optional<Result> Exchange::CheckDeadlines() const {
  const Clock::time_point now = Clock::now();
  if (now >= total_deadline_) {
    return Make(Outcome::kTimeout, "total timeout of " + Ms(request_.total_timeout) +
                                       " exceeded talking to " + where_);
  }
  if (now - last_progress_ >= read_timeout_) {
    return Make(Outcome::kTimeout,
                "read timeout: no data from " + where_ + " for " + Ms(request_.read_timeout));
  }
  return std::nullopt;
}

std::optional<Result> Exchange::OnSilence() {
  if (auto failed = CheckDeadlines()) return failed;
  if (!CallOnData({})) return Aborted("on_data");
  return std::nullopt;
}

std::optional<Result> Exchange::TickIfDue() {
  // Bytes that trickle in without completing any body data (a slow head, chunk framing) must
  // not starve the caller of its chance to abort.
  if (Clock::now() - last_callback_ < kTick) return std::nullopt;
  if (!CallOnData({})) return Aborted("on_data");
  return std::nullopt;
}

bool Exchange::CallOnData(std::string_view chunk) {
  last_callback_ = Clock::now();
  if (!callbacks_.on_data) return true;
  try {
    const bool keep_going = callbacks_.on_data(chunk);
    last_callback_ = Clock::now();
    return keep_going;
  } catch (const std::exception& e) {
    callback_error_ = std::string("on_data threw: ") + e.what();
  } catch (...) {
    callback_error_ = "on_data threw a non-standard exception";
  }
  return false;
}

bool Exchange::CallOnHead(int status, const Headers& headers) {
  last_callback_ = Clock::now();
  if (!callbacks_.on_head) return true;
  try {
    const bool keep_going = callbacks_.on_head(status, headers);
    last_callback_ = Clock::now();
    return keep_going;
  } catch (const std::exception& e) {
    callback_error_ = std::string("on_head threw: ") + e.what();
  } catch (...) {
    callback_error_ = "on_head threw a non-standard exception";
  }
  return false;
}

Result Exchange::Aborted(const char* by) {
  CloseHard();
  if (!callback_error_.empty()) return Make(Outcome::kAborted, callback_error_);
  return Make(Outcome::kAborted, std::string("aborted by ") + by);
}

void Exchange::CloseHard() {
  if (!session_ || closed_) return;
  closed_ = true;
  Poco::Net::StreamSocket& socket = session_->socket();
  try {
    socket.setLinger(true, 0);  // RST: the upstream's next read or write fails at once
  } catch (const Poco::Exception&) {
  }
  try {
    socket.close();
  } catch (const Poco::Exception&) {
  }
}

}  // namespace

Result Fetch(const Request& request, const Callbacks& callbacks) {
  try {
    Exchange exchange(request, callbacks);
    return exchange.Run();
  } catch (const Poco::Exception& e) {
    return Make(Outcome::kProtocolError, "outbound request failed: " + e.displayText());
  } catch (const std::exception& e) {
    return Make(Outcome::kProtocolError, std::string("outbound request failed: ") + e.what());
  } catch (...) {
    return Make(Outcome::kProtocolError, "outbound request failed: unknown error");
  }
}

}  // namespace webui::outbound
