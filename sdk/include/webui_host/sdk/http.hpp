// webui-host plugin SDK: requests, responses and relayed streams.
#pragma once

#include <webui_host/sdk/core.hpp>
#include <webui_host/sdk/errors.hpp>
#include <webui_host/sdk/fetch.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace webui::sdk {

enum class Auth {
  kPublic = WH_AUTH_PUBLIC,
  kOptional = WH_AUTH_OPTIONAL,
  kAny = WH_AUTH_ANY,
  kVerified = WH_AUTH_VERIFIED,
  kAdmin = WH_AUTH_ADMIN,
  kPlugin = WH_AUTH_PLUGIN,
};

// --- relayed streams (ABI 1.1) -----------------------------------------------------------------

// The client's side of a relayed exchange, handed to every RelayHandler callback. It speaks to
// the host's relay (Response::Relay) or, on the fallback path (Host::RelayBlocking), to the
// Response of a handler that waits for the upstream. Valid during the callback only.
class Response;
class ModelProvider;
namespace detail {
struct HostRelay;
struct BlockingRelay;
}  // namespace detail

class Relay {
 public:
  // Starts the client's response as a chunked stream with `status`. False when something was
  // already sent or the client has gone.
  bool BeginStream(int status, std::string_view content_type);
  // Sends bytes on the begun stream. False once the client has gone: stop producing.
  bool Write(std::string_view bytes);
  // A whole answer instead of a stream (`content_type` not empty). Only before anything else
  // was sent.
  bool Respond(int status, std::string_view content_type, std::string_view body);
  // {"detail": detail} with `status`. Only before anything else was sent.
  bool RespondError(int status, std::string_view detail);
  bool started() const { return started_; }
  bool streaming() const { return streaming_; }
  bool client_gone() const { return client_gone_; }
  // The host's handle of this exchange during the callback (nullptr on the fallback path), for
  // handing the client to another plugin's callback through a service (model_provider.v1
  // chat_completion_relay).
  wh_relay_host_ptr* handle() const { return relay_; }

 private:
  friend struct detail::HostRelay;
  friend struct detail::BlockingRelay;
  friend class ModelProvider;
  Relay(const wh_host_api* api, Response* res) : api_(api), res_(res) {}
  const wh_host_api* api_;
  wh_relay_host_ptr* relay_ = nullptr;  // set before each callback on the host's relay
  Response* res_ = nullptr;             // the fallback path's response
  bool started_ = false;
  bool streaming_ = false;
  bool client_gone_ = false;
};

// What a plugin does with a relayed upstream answer. The callbacks run on the host's relay
// thread, which serves many streams: they must not block (no database, no outbound HTTP, no
// long-held locks). Order: OnHead at most once, OnData any number of times, OnEnd exactly once.
// An exception ends the exchange: an HttpError answers {"detail": ...} when nothing was sent
// yet, anything else 500; OnEnd then sees WH_ERROR with the exception's text.
class RelayHandler {
 public:
  virtual ~RelayHandler() = default;
  // The upstream's status and headers; typically begins the client's stream. False ends the
  // exchange at once.
  virtual bool OnHead(Relay&, int /*status*/, const Headers& /*headers*/) { return true; }
  // A piece of the upstream body (never empty). False: the answer is complete; the client's
  // response ends and the upstream is dropped.
  virtual bool OnData(Relay&, std::string_view /*chunk*/) { return true; }
  // Host::FetchRelay only: the upstream has been silent for a while (at least every 250 ms of
  // silence, also before OnHead). False drops the upstream (e.g. the consumer gave up).
  virtual bool OnSilence(Relay&) { return true; }
  // The exchange is over (wh_relay_handler::on_end lists the outcomes). `message` is for the
  // log only: it may name the upstream. The handler may still Write (a final error event) or,
  // when nothing was sent, Respond.
  virtual void OnEnd(Relay&, wh_status outcome, std::string_view message) = 0;
};

namespace detail {
// Runs a RelayHandler callback; an exception ends the exchange as RelayHandler documents.
struct RelayRun {
  RelayRun(RelayHandler* h, Relay* r) : handler(h), relay(r) {}
  RelayHandler* handler;
  Relay* relay;
  bool failed = false;
  std::string failure;

  template <typename F>
  bool Guard(F&& f) noexcept {
    try {
      return f();
    } catch (const HttpError& e) {
      Fail(e.detail(), e.status(), e.detail());
    } catch (const std::exception& e) {
      Fail(std::string("relay handler failed: ") + e.what(), 500, "Internal Server Error");
    } catch (...) {
      Fail("relay handler failed", 500, "Internal Server Error");
    }
    return false;
  }
  bool Head(int status, const wh_header* headers, size_t count) noexcept {
    return Guard([&] {
      Headers copy;
      copy.reserve(count);
      for (size_t i = 0; i < count; ++i)
        copy.emplace_back(std::string(FromWh(headers[i].name)),
                          std::string(FromWh(headers[i].value)));
      return handler->OnHead(*relay, status, copy);
    });
  }
  void End(wh_status outcome, std::string_view message) noexcept {
    if (failed) outcome = WH_ERROR, message = failure;
    try {
      handler->OnEnd(*relay, outcome, message);
      return;
    } catch (const HttpError& e) {
      relay->RespondError(e.status(), e.detail());
    } catch (...) {
    }
    try {
      relay->RespondError(500, "Internal Server Error");
    } catch (...) {
    }
  }

 private:
  void Fail(std::string why, int status, std::string_view detail) noexcept {
    try {
      failed = true;
      failure = std::move(why);
      relay->RespondError(status, detail);
    } catch (...) {
    }
  }
};

// A relayed exchange as the host holds it (user pointer of wh_relay_handler).
struct HostRelay {
  HostRelay(const wh_host_api* api, std::unique_ptr<RelayHandler> h)
      : handler(std::move(h)), relay(api, nullptr), run(handler.get(), &relay) {}
  std::unique_ptr<RelayHandler> handler;
  Relay relay;
  RelayRun run;

  // The HostRelay behind a callback's `user`, pointed at the host's handle of this call.
  static HostRelay* Enter(void* user, wh_relay_host_ptr* relay) {
    auto* r = static_cast<HostRelay*>(user);
    r->relay.relay_ = relay;
    return r;
  }
};
}  // namespace detail

// The caller the host resolved for this request. Views are valid during the handler.
struct Caller {
  std::string_view id;
  std::string_view role;
  std::string_view email;
  std::string_view name;
  bool IsAdmin() const { return role == "admin"; }
};

// How a route takes its body (wh_body_policy).
enum class Body { kBuffered = WH_BODY_BUFFERED, kMultipart = WH_BODY_MULTIPART };

// Options of Host::Route beyond method, path and auth (wh_route_options).
struct RouteOptions {
  std::int64_t max_body_bytes = 0;  // 0: the host's WEBUI_MAX_BODY_SIZE
  Body body = Body::kBuffered;
};

// One part of a multipart body (Body::kMultipart); views valid while the handler runs.
struct FormPart {
  std::string_view name;
  std::string_view filename;  // display only, never a path
  std::string_view content_type;
  std::string_view value;      // plain fields
  std::string_view file_path;  // file parts: a temporary file, deleted after the request
  std::uint64_t size = 0;
  bool IsFile() const { return !file_path.empty(); }
};

class Request {
 public:
  Request(const wh_host_api* api, const wh_request_host_ptr* req) : api_(api), req_(req) {}

  std::string_view Method() const { return FromWh(api_->req_method(req_)); }
  std::string_view Path() const { return FromWh(api_->req_path(req_)); }
  std::string_view QueryString() const { return FromWh(api_->req_query_string(req_)); }
  std::string_view Body() const { return FromWh(api_->req_body(req_)); }
  std::string_view Id() const { return FromWh(api_->req_id(req_)); }
  std::string_view RemoteAddr() const { return FromWh(api_->req_remote_addr(req_)); }

  std::optional<std::string_view> PathParam(std::string_view name) const {
    return Lookup(api_->req_path_param, name);
  }
  std::optional<std::string_view> Query(std::string_view name) const {
    return Lookup(api_->req_query_param, name);
  }
  std::optional<std::string_view> Header(std::string_view name) const {
    return Lookup(api_->req_header, name);
  }
  std::optional<std::string_view> Cookie(std::string_view name) const {
    return Lookup(api_->req_cookie, name);
  }
  std::vector<std::pair<std::string_view, std::string_view>> Headers() const {
    std::vector<std::pair<std::string_view, std::string_view>> out;
    const size_t n = api_->req_header_count(req_);
    for (size_t i = 0; i < n; ++i) {
      wh_header h{};
      if (api_->req_header_at(req_, i, &h) == WH_OK)
        out.emplace_back(FromWh(h.name), FromWh(h.value));
    }
    return out;
  }
  // The parts of a multipart body, in order; empty for other routes or an older host.
  std::vector<FormPart> FormParts() const {
    std::vector<FormPart> out;
    if (!WH_HOST_HAS(api_, req_form_part_at)) return out;
    const size_t n = api_->req_form_part_count(req_);
    out.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      wh_form_part p{};
      p.struct_size = sizeof p;
      if (api_->req_form_part_at(req_, i, &p) != WH_OK) continue;
      out.push_back(FormPart{FromWh(p.name), FromWh(p.filename), FromWh(p.content_type),
                             FromWh(p.value), FromWh(p.file_path), p.size});
    }
    return out;
  }
  // The first plain field / file part named `name`.
  std::optional<FormPart> FormField(std::string_view name) const {
    for (const auto& p : FormParts())
      if (p.name == name && !p.IsFile()) return p;
    return std::nullopt;
  }
  std::optional<FormPart> FormFile(std::string_view name) const {
    for (const auto& p : FormParts())
      if (p.name == name && p.IsFile()) return p;
    return std::nullopt;
  }
  std::optional<Caller> GetCaller() const {
    wh_caller c{};
    c.struct_size = sizeof c;
    if (api_->req_caller(req_, &c) != WH_OK) return std::nullopt;
    return Caller{FromWh(c.id), FromWh(c.role), FromWh(c.email), FromWh(c.name)};
  }
  // The caller, or HttpError 401 when the route let an anonymous request through.
  Caller RequireCaller() const {
    auto c = GetCaller();
    if (!c) throw Unauthorized(messages::kNotAuthenticated);
    return *c;
  }

  const wh_request_host_ptr* raw() const { return req_; }

 private:
  using LookupFn = wh_status (*)(const wh_request_host_ptr*, wh_str, wh_str*);
  std::optional<std::string_view> Lookup(LookupFn fn, std::string_view name) const {
    wh_str out{};
    if (fn(req_, ToWh(name), &out) != WH_OK) return std::nullopt;
    return FromWh(out);
  }
  const wh_host_api* api_;
  const wh_request_host_ptr* req_;
};

class Response {
 public:
  Response(const wh_host_api* api, wh_response_host_ptr* res) : api_(api), res_(res) {}

  // Status and headers are checked by the host: a refusal (a status outside 100..599, a header
  // name or value with CR/LF, a response already sent) throws Error with the host's status, so
  // a handler never answers something other than it meant. Send, Json and Error return false
  // when the body was not sent (already sent, client gone).
  Response& Status(int status) {
    detail::Check(api_->res_set_status(res_, status), "res_set_status");
    return *this;
  }
  Response& Header(std::string_view name, std::string_view value) {
    detail::Check(api_->res_set_header(res_, ToWh(name), ToWh(value)),
                  "res_set_header " + std::string(name));
    return *this;
  }
  bool Send(std::string_view body) {
    started_ = true;
    return api_->res_send(res_, ToWh(body)) == WH_OK;
  }
  bool Json(std::string_view json, int status = 200) {
    Status(status).Header("Content-Type", "application/json");
    return Send(json);
  }
  bool Error(int status, std::string_view detail) {
    started_ = true;
    return api_->res_send_error(res_, status, ToWh(detail)) == WH_OK;
  }
  // The answer of an HttpError: {"detail": ...} with its status (a structured detail as is).
  bool Error(const HttpError& error) {
    if (error.detail_json().empty()) return Error(error.status(), error.detail());
    return Json(error.Body(), error.status());
  }
  // Starts a chunked stream; afterwards only Write() is allowed.
  void BeginStream(std::string_view content_type) {
    started_ = true;
    api_->res_stream_begin(res_, ToWh(content_type));
  }
  // False when the client has gone: stop producing.
  bool Write(std::string_view chunk) { return api_->res_stream_write(res_, ToWh(chunk)) == WH_OK; }
  bool ClientConnected() const { return api_->res_client_connected(res_) != 0; }
  bool started() const { return started_; }

  // Hands this response to the host's relay (ABI 1.1): the host sends `upstream` and runs
  // `handler` on its relay thread as the answer arrives; the calling handler returns at once and
  // no thread waits for the stream. `forward_body`: once a stream was begun, every upstream piece
  // goes to the client as is after OnData saw it. False when the host cannot relay (older host,
  // bad request, response already started): the handler is gone and nothing was sent, so the
  // caller answers another way (e.g. Host::RelayBlocking with a new handler).
  bool Relay(const FetchRequest& upstream, std::unique_ptr<RelayHandler> handler,
             bool forward_body);

  // The host's handle of this response, for a service that takes it over during the handler
  // (model_provider.v1 chat_completion_relay); see ModelProvider::ChatRelay.
  wh_response_host_ptr* handle() const { return res_; }

 private:
  friend class ModelProvider;
  const wh_host_api* api_;
  wh_response_host_ptr* res_;
  bool started_ = false;
};

inline bool Relay::BeginStream(int status, std::string_view content_type) {
  if (started_ || client_gone_) return false;
  started_ = streaming_ = true;
  if (relay_ != nullptr)
    return api_->relay_begin_stream(relay_, status, ToWh(content_type)) == WH_OK;
  res_->Status(status);
  res_->BeginStream(content_type);
  return true;
}
inline bool Relay::Write(std::string_view bytes) {
  if (!streaming_ || client_gone_) return false;
  const bool ok =
      relay_ != nullptr ? api_->relay_write(relay_, ToWh(bytes)) == WH_OK : res_->Write(bytes);
  if (!ok) client_gone_ = true;
  return ok;
}
inline bool Relay::Respond(int status, std::string_view content_type, std::string_view body) {
  if (started_ || client_gone_ || content_type.empty()) return false;
  started_ = true;
  if (relay_ != nullptr)
    return api_->relay_respond(relay_, status, ToWh(content_type), ToWh(body)) == WH_OK;
  res_->Status(status).Header("Content-Type", content_type);
  res_->Send(body);
  return true;
}
inline bool Relay::RespondError(int status, std::string_view detail) {
  if (started_ || client_gone_) return false;
  started_ = true;
  if (relay_ != nullptr)
    return api_->relay_respond(relay_, status, wh_str{nullptr, 0}, ToWh(detail)) == WH_OK;
  res_->Error(status, detail);
  return true;
}

namespace detail {
// The C side of Response::Relay: noexcept thunks over a HostRelay.
inline int RelayHeadThunk(void* user, wh_relay_host_ptr* relay, int status,
                          const wh_header* headers, size_t count) noexcept {
  return HostRelay::Enter(user, relay)->run.Head(status, headers, count) ? 0 : 1;
}
inline int RelayDataThunk(void* user, wh_relay_host_ptr* relay, wh_str chunk) noexcept {
  HostRelay* r = HostRelay::Enter(user, relay);
  if (chunk.len == 0) return r->run.Guard([&] { return r->handler->OnSilence(r->relay); }) ? 0 : 1;
  return r->run.Guard([&] { return r->handler->OnData(r->relay, FromWh(chunk)); }) ? 0 : 1;
}
inline void RelayEndThunk(void* user, wh_relay_host_ptr* relay, wh_status outcome,
                          wh_str message) noexcept {
  HostRelay::Enter(user, relay)->run.End(outcome, FromWh(message));
}
inline void RelayReleaseThunk(void* user) noexcept { delete static_cast<HostRelay*>(user); }

}  // namespace detail

inline bool Response::Relay(const FetchRequest& upstream, std::unique_ptr<RelayHandler> handler,
                            bool forward_body) {
  if (started_ || handler == nullptr || !WH_HOST_HAS(api_, res_relay) ||
      !WH_HOST_HAS(api_, relay_respond))
    return false;
  std::vector<wh_header> headers;
  const wh_http_request raw = detail::RawRequest(upstream, headers);
  wh_relay_handler h{};
  h.struct_size = sizeof h;
  h.forward_body = forward_body ? 1 : 0;
  h.on_head = &detail::RelayHeadThunk;
  h.on_data = &detail::RelayDataThunk;
  h.on_end = &detail::RelayEndThunk;
  h.release = &detail::RelayReleaseThunk;
  // From here the host owns the exchange: on failure it has already called release.
  auto* user = new detail::HostRelay(api_, std::move(handler));
  if (api_->res_relay(res_, &raw, &h, user) != WH_OK) return false;
  started_ = true;
  return true;
}

namespace detail {
// The fallback path: the same RelayHandler driven on the calling thread by http_fetch, with the
// client's side on a Response. Outcomes are translated to the relay's meanings.
struct BlockingRelay {
  BlockingRelay(const wh_host_api* api, Response& res, RelayHandler& handler, bool forward_body)
      : res(&res), relay(api, &res), run(&handler, &relay), forward_body(forward_body) {}
  Response* res;
  Relay relay;
  RelayRun run;
  bool forward_body;
  bool ended = false;  // OnHead or OnData ended the exchange

  static int Head(void* user, int status, const wh_header* headers, size_t count) noexcept {
    auto* b = static_cast<BlockingRelay*>(user);
    if (b->run.Head(status, headers, count)) return 0;
    b->ended = true;
    return 1;
  }
  static int Data(void* user, wh_str chunk) noexcept {
    auto* b = static_cast<BlockingRelay*>(user);
    Relay& relay = b->relay;
    if (chunk.len == 0) {  // silence tick: a client that left ends the exchange now
      if (!b->res->ClientConnected()) relay.client_gone_ = true;
      return relay.client_gone_ ? 1 : 0;
    }
    const bool go_on = b->run.Guard([&] { return b->run.handler->OnData(relay, FromWh(chunk)); });
    if (b->forward_body && relay.streaming_ && !relay.client_gone_) relay.Write(FromWh(chunk));
    if (relay.client_gone_) return 1;
    if (!go_on) b->ended = true;
    return go_on ? 0 : 1;
  }
  // http_fetch's status as the relay would report it.
  wh_status Outcome(wh_status fetched) const {
    if (relay.client_gone_) return WH_CLOSED;
    if (ended) return WH_OK;
    switch (fetched) {
      case WH_OK:
      case WH_TIMEOUT:
      case WH_UNAVAILABLE:
      case WH_INVALID:
        return fetched;
      default:  // the upstream broke the protocol or dropped the connection
        return WH_ERROR;
    }
  }
};
}  // namespace detail

using Handler = std::function<void(Request&, Response&)>;

}  // namespace webui::sdk
