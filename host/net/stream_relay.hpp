// The stream relay: one epoll thread that moves upstream answers (a chat completion read token by
// token) to their clients, so a stream held open costs a socket pair and a few buffers, not a
// worker thread. A worker prepares the exchange (request validated, upstream name resolved: DNS
// blocks), the pipeline adds its headers, and the connection front hands the client connection
// over; from then on everything here is non-blocking:
//   - upstream: connect, TLS handshake (OpenSSL, peer and host name verified, TLS >= 1.2, SNI),
//     request written, response head parsed, body de-framed (outbound/http_wire);
//   - client: the response head is written from the route's headers, the body chunk-framed;
//     a client that stops reading pauses the upstream (bounded queue, nothing dropped), one that
//     reads nothing for the read timeout is dropped, one that leaves closes the upstream at once;
//   - the plugin's callbacks (RelayHandler) run on this thread as the upstream answers.
// After the exchange a clean keep-alive response hands the connection back to the front.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "outbound/destination.hpp"

namespace Poco::Net {
class HTTPServerRequest;
}

namespace webui::net {

using RelayHeaders = std::vector<std::pair<std::string, std::string>>;

// How an exchange ended (the ABI's on_end outcome).
enum class RelayOutcome {
  kOk,           // upstream body complete, or the handler ended it
  kClientGone,   // the client went away
  kTimeout,      // connect, silence or total timeout
  kUnavailable,  // could not resolve / connect / TLS failed
  kError,        // the upstream broke the protocol or dropped mid-body
  kAborted,      // host shutdown
};

// What a relay_* call from a callback achieved.
enum class RelayCall { kOk, kClosed, kConflict, kInvalid };

// The exchange as the handler's callbacks see it: valid during a callback.
class RelayExchange {
 public:
  // A chunked stream with `status`; the route's headers and Content-Type go out at once.
  virtual RelayCall BeginStream(int status, std::string_view content_type) = 0;
  // Bytes for the client, after BeginStream. Queued: a slow client pauses the upstream.
  virtual RelayCall Write(std::string_view bytes) = 0;
  // A whole answer; `content_type` empty: {"detail": body} as JSON. Ends the exchange.
  virtual RelayCall Respond(int status, std::string_view content_type, std::string_view body) = 0;

 protected:
  ~RelayExchange() = default;
};

// An exchange that refuses everything (the client is gone): for an on_end that happens without
// the relay thread (a prepared relay that never got handed over).
RelayExchange& ClosedExchange();

// The plugin's side of an exchange. Destroyed (the plugin's release) after OnEnd.
class RelayHandler {
 public:
  virtual ~RelayHandler() = default;
  // Whether upstream body pieces go to the client as they are, once a stream was begun.
  virtual bool forward_body() const = 0;
  // false: the exchange ends now (outcome kOk).
  virtual bool OnHead(RelayExchange& ex, int status, const RelayHeaders& headers) = 0;
  virtual bool OnData(RelayExchange& ex, std::string_view chunk) = 0;
  // Exactly once.
  virtual void OnEnd(RelayExchange& ex, RelayOutcome outcome, std::string_view message) = 0;
};

// The upstream request, prepared on a worker.
struct RelayUpstream {
  bool secure = false;
  std::string host;   // for SNI and the certificate's name check
  std::string where;  // scheme://host:port, for messages
  std::string method;
  std::vector<std::pair<sockaddr_storage, socklen_t>> addresses;
  std::string resolve_error;  // set: the name did not resolve (ends with kUnavailable)
  std::string request;        // head and body, as sent
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds read_timeout{300000};  // longest silence
  std::chrono::milliseconds total_timeout{0};      // 0 = none
};

// Validates and resolves an outbound request for a relay (blocking: DNS). nullopt with `error`
// set when the request itself is unusable (bad URL, method, header, timeout). With
// `public_only` (the allow-list of a WH_FETCH_PUBLIC_ONLY request) a destination that is not
// public is refused the same way, and `*refused` says so.
std::optional<RelayUpstream> PrepareRelayUpstream(
    std::string_view method, std::string_view url, const RelayHeaders& headers,
    const std::string& body, std::chrono::milliseconds connect_timeout,
    std::chrono::milliseconds read_timeout, std::chrono::milliseconds total_timeout,
    std::string& error, const outbound::AllowList* public_only = nullptr, bool* refused = nullptr);

struct RelayJob {
  RelayUpstream upstream;
  std::unique_ptr<RelayHandler> handler;
  // Filled by the connection front from the route's response: headers for the client (no
  // framing, Connection or Content-Type), whether the connection may carry another request.
  RelayHeaders client_headers;
  bool keep_alive = false;
  bool http11 = true;
  bool head_only = false;  // a HEAD request: the head goes out, no body
  // Called once when the client's response is over (on the relay thread, or where an exchange
  // that never reached it ends) with the status the client got (0: none). The pipeline writes
  // its access and audit lines here, with the real status.
  std::function<void(int status)> on_finished;
};

// Leaves `job` with the connection `req` arrived on, for the front to pick up after the
// pipeline. False (job untouched) when the request did not come through the front.
bool AttachRelay(Poco::Net::HTTPServerRequest& req, std::unique_ptr<RelayJob>& job);

// The client connection, owned by the front. Finish is called once, on the relay thread.
class RelayClient {
 public:
  virtual ~RelayClient() = default;
  virtual int fd() const = 0;
  // The response is over. `reusable`: complete, keep-alive, the next request may follow.
  virtual void Finish(bool reusable) = 0;
};

struct RelayOptions {
  std::size_t max_client_queue = 1024 * 1024;      // bytes waiting for a client; beyond: pause
  std::chrono::milliseconds shutdown_flush{1000};  // last bytes to clients at Stop
  // An event stream silent this long gets a comment between events, so proxies keep it open
  // (docs/security.md T39).
  std::chrono::milliseconds keep_alive{15000};
};

class StreamRelay {
 public:
  explicit StreamRelay(RelayOptions options = {});
  ~StreamRelay();
  StreamRelay(const StreamRelay&) = delete;
  StreamRelay& operator=(const StreamRelay&) = delete;

  void Start();
  // Takes an exchange over (any thread). Before Start or after Stop the exchange ends at once.
  // Without a client (http_fetch_relay) the handler alone consumes the answer: the relay_*
  // calls answer kInvalid, and OnData gets an empty chunk at least every 250 ms of silence.
  void Adopt(std::unique_ptr<RelayClient> client, std::unique_ptr<RelayJob> job);
  // Ends every exchange in progress with kAborted (the client's stream gets its last event and
  // its end). Does not wait.
  void AbortAll();
  // AbortAll, a moment for the last bytes, then closes everything and ends the thread.
  void Stop();
  // Exchanges whose client response is not finished (a gauge; fetches without a client are not
  // counted).
  std::size_t live() const { return live_.load(); }

 private:
  class Relay;
  void Loop();
  void TakeAdoptions();
  void Wake();

  const RelayOptions options_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> abort_{false};
  std::atomic<std::size_t> live_{0};
  std::mutex mu_;
  bool accepting_ = false;  // under mu_
  std::vector<std::pair<std::unique_ptr<RelayClient>, std::unique_ptr<RelayJob>>> incoming_;
  // relay thread only
  std::vector<std::unique_ptr<Relay>> relays_;
  std::vector<Relay*> again_;     // reads to resume next turn
  std::vector<Relay*> to_flush_;  // clients with bytes queued this turn
  std::vector<char> read_buffer_;
};

}  // namespace webui::net
