// Everything the host knows about one request while it is being handled, and the response being
// built for it. Plugins see it through the opaque wh_request_host_ptr / wh_response_host_ptr.
//
// A response is either buffered (Send: the pipeline adds headers, compresses and writes it after
// the handler returns), streamed (BeginStream: headers go out at once, then chunks) or relayed
// (BeginRelay: the stream relay answers from an upstream after the pipeline, net/stream_relay.hpp).
#pragma once

#include <netinet/in.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include "http/router.hpp"
#include "net/stream_relay.hpp"
#include "net/whole_response.hpp"

namespace webui::http {

struct Caller {
  std::string id;
  std::string role;
  std::string email;
  std::string name;
};

class Pipeline;

// An IPv4 address as inet_ntop writes it ("10.0.200.5"), without sprintf.
std::string IPv4Text(in_addr address);

class RequestContext {
 public:
  enum class Mode { kNone, kBuffered, kStreaming, kHijacked, kRelayed };

  RequestContext(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& res,
                 Pipeline* pipeline);
  // A request that did not come over HTTP (e.g. a Socket.IO CONNECT carrying a token), so the
  // same authenticator can judge it. It cannot send a response.
  RequestContext(std::string method, std::string path,
                 std::vector<std::pair<std::string, std::string>> headers);

  // --- request ---
  const std::string& method() const { return method_; }
  const std::string& path() const { return path_; }  // raw, without query
  const std::string& query_string() const { return query_; }
  const std::string& body() const { return body_; }
  const std::string& request_id() const { return request_id_; }
  // The client: the peer, or what a trusted proxy says in X-Forwarded-For (FORWARDED_ALLOW_IPS).
  const std::string& remote_addr() const { return remote_addr_; }
  const PathParams& path_params() const { return path_params_; }
  std::optional<std::string_view> PathParam(std::string_view name) const;
  std::optional<std::string_view> QueryParam(std::string_view name) const;
  std::optional<std::string_view> Header(std::string_view name) const;  // case-insensitive
  std::optional<std::string_view> Cookie(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& Headers() const;
  const std::optional<Caller>& caller() const { return caller_; }
  bool is_head() const { return is_head_; }
  Poco::Net::HTTPServerRequest& raw_request() { return *req_; }

  // --- response ---
  Mode mode() const { return mode_; }
  int status() const { return status_; }
  void SetStatus(int status) { status_ = status; }
  // Replaces a header of the same name (Set-Cookie accumulates).
  void SetHeader(std::string_view name, std::string_view value);
  std::optional<std::string_view> ResponseHeader(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& response_headers() const {
    return res_headers_;
  }
  bool Send(std::string body);  // false if a response was already sent
  bool SendJson(int status, std::string json);
  bool SendError(int status, std::string_view detail);  // {"detail": detail}
  bool BeginStream(std::string_view content_type);
  bool Write(std::string_view chunk);  // false once the client is gone
  // Ends a stream from another thread (shutdown deadline): an error event in the stream's own
  // format (SSE `data: {"error": ...}` then `data: [DONE]`; NDJSON `{"error": ...}`), the end
  // of the chunked body, and no more writes from the handler. False if the handler's write did
  // not let go before `until`, or there was no open stream.
  bool AbortStream(std::string_view message, std::chrono::steady_clock::time_point until);
  bool ClientConnected();
  const std::string& response_body() const { return res_body_; }
  std::string& mutable_response_body() { return res_body_; }
  std::uint64_t bytes_streamed() const { return bytes_streamed_; }
  void ForceClose() { close_connection_ = true; }
  // The handler took the connection over (a WebSocket upgrade answered and detached the socket):
  // the pipeline writes nothing more.
  void MarkHijacked(int status) {
    mode_ = Mode::kHijacked;
    status_ = status;
  }
  bool close_connection() const { return close_connection_; }
  // Hands the response to the stream relay: after the pipeline has added its headers, the
  // connection front gives the connection and `job` to the relay thread. False (job untouched)
  // if a response was started already or the request did not come through the front.
  bool BeginRelay(std::unique_ptr<net::RelayJob>& job);

  // --- set by the pipeline ---
  void set_request_id(std::string id) { request_id_ = std::move(id); }
  void set_started(std::chrono::steady_clock::time_point at) { started_ = at; }
  void set_whole_response(net::WholeResponse* whole) { whole_ = whole; }
  net::WholeResponse* whole_response() const { return whole_; }
  std::chrono::steady_clock::time_point started() const { return started_; }
  void set_route(RouteMatch match);
  const Route* route() const { return route_.get(); }
  void set_caller(Caller c) { caller_ = std::move(c); }
  void set_body(std::string body) { body_ = std::move(body); }
  Poco::Net::HTTPServerResponse& raw_response() { return *res_; }

 private:
  Poco::Net::HTTPServerRequest* req_ = nullptr;  // null for a synthetic request
  Poco::Net::HTTPServerResponse* res_ = nullptr;
  Pipeline* pipeline_ = nullptr;
  std::chrono::steady_clock::time_point started_{};
  net::WholeResponse* whole_ = nullptr;  // raw_response() as a WholeResponse, if it is one
  std::string method_, path_, query_, body_, request_id_, remote_addr_;
  bool is_head_ = false;
  std::shared_ptr<const Route> route_;
  PathParams path_params_;
  mutable std::optional<std::vector<std::pair<std::string, std::string>>> query_params_;
  mutable std::optional<std::vector<std::pair<std::string, std::string>>> headers_;
  mutable std::optional<std::vector<std::pair<std::string, std::string>>> cookies_;
  std::optional<Caller> caller_;

  Mode mode_ = Mode::kNone;
  int status_ = 200;
  std::vector<std::pair<std::string, std::string>> res_headers_;
  std::string res_body_;
  std::ostream* stream_ = nullptr;
  std::timed_mutex stream_mu_;  // one writer at a time: the handler, or AbortStream
  std::string stream_tail_;     // the last bytes written, to end an event before adding one
  std::atomic<bool> client_gone_{false};
  bool close_connection_ = false;
  std::uint64_t bytes_streamed_ = 0;
};

// {"detail": "..."} as Open WebUI (FastAPI) answers errors.
std::string DetailJson(std::string_view detail);
std::string UrlDecode(std::string_view in, bool plus_is_space);
bool IEquals(std::string_view a, std::string_view b);

}  // namespace webui::http
