// One proxied upstream exchange as a RelayHandler, shared by the openai and ollama plugins. A
// stream (SSE or NDJSON) goes to the client as the upstream sends it: the host forwards every
// piece and OnData only watches for the end marker, so a finished answer ends the client's
// stream even when the upstream keeps its connection open. Anything else is buffered (bounded)
// and answered whole once complete. The same handler runs on the host's relay thread
// (Response::Relay) or, on a host without the relay, on the request's own thread
// (Host::RelayBlocking): the client sees the same bytes either way.
#pragma once

#include <webui_host/sdk.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "providers/upstream_fetch.hpp"
#include "providers/wire.hpp"

namespace webui::providers {

inline constexpr const char* kConnectionError = "Open WebUI: Server Connection Error";
inline constexpr size_t kMaxBufferedBody = 64u << 20;  // a non-streamed answer held in memory

// The status answered when an exchange failed before anything was sent. Client texts stay
// generic (kConnectionError): the outcome's message may name the upstream's address.
inline int RelayStatusFor(wh_status outcome) {
  switch (outcome) {
    case WH_TIMEOUT:
      return 504;
    case WH_UNAVAILABLE:
    case WH_ERROR:
      return 502;
    case WH_ABORTED:  // the host is shutting down
      return 503;
    default:
      return 500;
  }
}

class ProxyRelay : public sdk::RelayHandler {
 public:
  // Told how an exchange with the upstream went (the transport outcome and the upstream's
  // status), unless the client left first or the answer was complete: for per-connection
  // failure counts (ConnectionProvider::CountUpstreamError). Runs on the relay thread.
  using OutcomeFn = std::function<void(wh_status outcome, int http_status)>;

  // `log_name` prefixes log lines ("openai"); `url` is logged, never sent to the client.
  ProxyRelay(sdk::Host& host, std::string log_name, std::string url,
             StreamEndWatcher::Format format)
      : host_(host), log_name_(std::move(log_name)), url_(std::move(url)), end_(format) {}

  bool OnHead(sdk::Relay& relay, int status, const sdk::Headers& headers) final {
    status_ = status;
    content_type_ = HeaderValue(headers, "Content-Type");
    if (auto type = StreamType(status, content_type_)) relay.BeginStream(200, *type);
    return true;
  }

  bool OnData(sdk::Relay& relay, std::string_view chunk) final {
    if (relay.streaming()) {
      // The host writes this piece after we return; remember how it ends, to close a
      // half-written event or line before an error.
      tail_.assign(chunk.substr(chunk.size() >= 2 ? chunk.size() - 2 : 0));
      if (end_.Feed(chunk)) done_ = true;
      return !done_;
    }
    if (buffered_.size() + chunk.size() > kMaxBufferedBody) {
      overflow_ = true;
      return false;
    }
    buffered_.append(chunk);
    return true;
  }

  void ReportOutcomeTo(OutcomeFn fn) { on_outcome_ = std::move(fn); }

  void OnEnd(sdk::Relay& relay, wh_status outcome, std::string_view message) final {
    Finished();
    if (on_outcome_ && outcome != WH_CLOSED && !done_) on_outcome_(outcome, status_);
    if (outcome == WH_CLOSED) return;  // the client left: nobody to answer
    if (relay.streaming()) {
      if (outcome == WH_OK || done_) return;
      host_.Warn(log_name_ + ": stream from " + url_ + " failed: " + std::string(message));
      relay.Write(ErrorEvent(outcome == WH_TIMEOUT, tail_));
      return;
    }
    if (overflow_) {
      host_.Warn(log_name_ + ": answer of " + url_ + " exceeds the buffer limit");
      relay.RespondError(500, kConnectionError);
      return;
    }
    if (outcome != WH_OK) {
      host_.Warn(log_name_ + ": request to " + url_ + " failed: " + std::string(message));
      relay.RespondError(RelayStatusFor(outcome), kConnectionError);
      return;
    }
    Answer(relay, status_, content_type_, buffered_);
  }

 protected:
  // The client's content type when this answer is streamed through, nullopt to buffer it.
  virtual std::optional<std::string> StreamType(int status, const std::string& content_type) = 0;
  // The last words of a stream the upstream broke off; `tail` is how the forwarded bytes end.
  virtual std::string ErrorEvent(bool timed_out, std::string_view tail) = 0;
  // Answers a complete buffered upstream answer.
  virtual void Answer(sdk::Relay& relay, int status, const std::string& content_type,
                      const std::string& body) = 0;
  // Runs once when the exchange is over, whatever its outcome. Must not block.
  virtual void Finished() {}

 private:
  sdk::Host& host_;
  std::string log_name_;
  std::string url_;
  StreamEndWatcher end_;
  int status_ = 0;
  std::string content_type_;
  std::string buffered_;
  std::string tail_;
  bool done_ = false;      // the end marker went by: the answer is complete
  bool overflow_ = false;  // a buffered answer outgrew kMaxBufferedBody
  OutcomeFn on_outcome_;
};

// Sends `upstream` through `res` with a new `Handler(host, args...)`, which reports its outcome
// to `report`: on the host's relay when it has one, otherwise on this thread.
template <typename Handler, typename... Args>
void ProxyThrough(sdk::Host& host, sdk::Response& res, const sdk::FetchRequest& upstream,
                  const ProxyRelay::OutcomeFn& report, const Args&... args) {
  auto relayed = std::make_unique<Handler>(host, args...);
  relayed->ReportOutcomeTo(report);
  if (res.Relay(upstream, std::move(relayed), /*forward_body=*/true)) return;
  Handler blocking(host, args...);
  blocking.ReportOutcomeTo(report);
  host.RelayBlocking(res, upstream, blocking, /*forward_body=*/true);
}

}  // namespace webui::providers
