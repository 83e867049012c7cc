// webui-host plugin SDK: a header-only C++17 wrapper over the C ABI in abi.h.
//
// A plugin is a class derived from webui::sdk::Plugin, declared with WEBUI_HOST_PLUGIN(...). Its
// Init() registers routes, settings, migrations and services through Host. Handlers take a
// Request and a Response; throwing HttpError answers {"detail": ...} with its status, a host
// service outage (Error with WH_UNAVAILABLE, e.g. the database is down) answers 503, any other
// exception answers 500. Nothing C++ ever crosses into the host: every callback the host sees is
// a noexcept thunk defined here.
#pragma once

#include <webui_host/abi.h>

#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace webui::sdk {

inline wh_str ToWh(std::string_view s) { return wh_str{s.data(), s.size()}; }
inline std::string_view FromWh(wh_str s) {
  return s.ptr == nullptr ? std::string_view{} : std::string_view{s.ptr, s.len};
}

// An error with an HTTP meaning. Thrown from a handler it becomes the response.
class HttpError : public std::exception {
 public:
  HttpError(int status, std::string detail) : status_(status), detail_(std::move(detail)) {}
  int status() const noexcept { return status_; }
  const std::string& detail() const noexcept { return detail_; }
  const char* what() const noexcept override { return detail_.c_str(); }

 private:
  int status_;
  std::string detail_;
};

// The `detail` of the 503 answered when a host service is unavailable (WH_UNAVAILABLE).
inline constexpr const char* kServiceUnavailable =
    "Service temporarily unavailable. Please try again later.";

// A failure of a host service (database, key-value store, ...) inside plugin code. Escaping a
// handler, status WH_UNAVAILABLE answers 503 {"detail": kServiceUnavailable}, anything else 500.
class Error : public std::runtime_error {
 public:
  Error(wh_status status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  wh_status status() const noexcept { return status_; }

 private:
  wh_status status_;
};

enum class Auth {
  kPublic = WH_AUTH_PUBLIC,
  kOptional = WH_AUTH_OPTIONAL,
  kAny = WH_AUTH_ANY,
  kVerified = WH_AUTH_VERIFIED,
  kAdmin = WH_AUTH_ADMIN,
  kPlugin = WH_AUTH_PLUGIN,
};

namespace detail {
inline void AppendSink(void* user, wh_str value) {
  static_cast<std::string*>(user)->append(value.ptr == nullptr ? "" : value.ptr, value.len);
}
}  // namespace detail

// --- outbound HTTP ----------------------------------------------------------------------------

struct FetchRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  uint32_t connect_timeout_ms = 0;
  uint32_t read_timeout_ms = 0;
  uint32_t total_timeout_ms = 0;
};

struct FetchResult {
  wh_status status = WH_OK;
  int http_status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // only filled by Fetch() without an on_data callback
  std::string error;
  bool ok() const { return status == WH_OK; }
};

// --- relayed streams (ABI 1.1) -----------------------------------------------------------------

using Headers = std::vector<std::pair<std::string, std::string>>;

// The client's side of a relayed exchange, handed to every RelayHandler callback. It speaks to
// the host's relay (Response::Relay) or, on the fallback path (Host::RelayBlocking), to the
// Response of a handler that waits for the upstream. Valid during the callback only.
class Response;
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

 private:
  friend struct detail::HostRelay;
  friend struct detail::BlockingRelay;
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
  std::optional<Caller> GetCaller() const {
    wh_caller c{};
    c.struct_size = sizeof c;
    if (api_->req_caller(req_, &c) != WH_OK) return std::nullopt;
    return Caller{FromWh(c.id), FromWh(c.role), FromWh(c.email), FromWh(c.name)};
  }
  // The caller, or HttpError 401 when the route let an anonymous request through.
  Caller RequireCaller() const {
    auto c = GetCaller();
    if (!c) throw HttpError(401, "Not authenticated");
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

  Response& Status(int status) {
    api_->res_set_status(res_, status);
    return *this;
  }
  Response& Header(std::string_view name, std::string_view value) {
    api_->res_set_header(res_, ToWh(name), ToWh(value));
    return *this;
  }
  void Send(std::string_view body) {
    started_ = true;
    api_->res_send(res_, ToWh(body));
  }
  void Json(std::string_view json, int status = 200) {
    Status(status).Header("Content-Type", "application/json");
    Send(json);
  }
  void Error(int status, std::string_view detail) {
    started_ = true;
    api_->res_send_error(res_, status, ToWh(detail));
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

 private:
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
  if (chunk.len == 0) return 0;
  return r->run.Guard([&] { return r->handler->OnData(r->relay, FromWh(chunk)); }) ? 0 : 1;
}
inline void RelayEndThunk(void* user, wh_relay_host_ptr* relay, wh_status outcome,
                          wh_str message) noexcept {
  HostRelay::Enter(user, relay)->run.End(outcome, FromWh(message));
}
inline void RelayReleaseThunk(void* user) noexcept { delete static_cast<HostRelay*>(user); }

// Fills a wh_http_request that borrows `req` (and `headers`, which must outlive it).
inline wh_http_request RawRequest(const FetchRequest& req, std::vector<wh_header>& headers) {
  headers.clear();
  for (const auto& h : req.headers) headers.push_back(wh_header{ToWh(h.first), ToWh(h.second)});
  wh_http_request r{};
  r.struct_size = sizeof r;
  r.method = ToWh(req.method);
  r.url = ToWh(req.url);
  r.headers = headers.data();
  r.header_count = headers.size();
  r.body = ToWh(req.body);
  r.connect_timeout_ms = req.connect_timeout_ms;
  r.read_timeout_ms = req.read_timeout_ms;
  r.total_timeout_ms = req.total_timeout_ms;
  return r;
}
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

// --- database ---------------------------------------------------------------------------------

struct Blob {
  std::string bytes;
};

// A parameter: NULL, integer, real, text or blob. Implicit from the usual C++ types.
class Param {
 public:
  Param(std::nullptr_t) { v_.type = WH_DB_NULL; }
  Param(bool b) : Param(static_cast<long long>(b ? 1 : 0)) {}
  Param(int i) : Param(static_cast<long long>(i)) {}
  Param(long i) : Param(static_cast<long long>(i)) {}
  Param(long long i) { v_.type = WH_DB_INT, v_.i = static_cast<int64_t>(i); }
  Param(unsigned i) : Param(static_cast<long long>(i)) {}
  Param(double d) { v_.type = WH_DB_REAL, v_.d = d; }
  Param(std::string_view s) { v_.type = WH_DB_TEXT, v_.s = ToWh(s); }
  Param(const char* s) : Param(std::string_view(s)) {}
  Param(const std::string& s) : Param(std::string_view(s)) {}
  Param(const Blob& b) { v_.type = WH_DB_BLOB, v_.s = ToWh(b.bytes); }
  template <typename T>
  Param(const std::optional<T>& o) : Param(nullptr) {
    if (o) *this = Param(*o);
  }
  const wh_db_value& raw() const { return v_; }

 private:
  wh_db_value v_{};
};

// One owned column value of a result row.
using Value = std::variant<std::monostate, int64_t, double, std::string, Blob>;

class Row {
 public:
  explicit Row(std::vector<Value> cols) : cols_(std::move(cols)) {}
  size_t size() const { return cols_.size(); }
  bool IsNull(size_t i) const { return std::holds_alternative<std::monostate>(cols_.at(i)); }
  int64_t Int(size_t i, int64_t fallback = 0) const {
    const Value& v = cols_.at(i);
    if (auto p = std::get_if<int64_t>(&v)) return *p;
    if (auto p = std::get_if<double>(&v)) return static_cast<int64_t>(*p);
    if (auto p = std::get_if<std::string>(&v)) {
      try {
        return std::stoll(*p);
      } catch (...) {
      }
    }
    return fallback;
  }
  double Real(size_t i, double fallback = 0) const {
    const Value& v = cols_.at(i);
    if (auto p = std::get_if<double>(&v)) return *p;
    if (auto p = std::get_if<int64_t>(&v)) return static_cast<double>(*p);
    return fallback;
  }
  bool Bool(size_t i) const {
    const Value& v = cols_.at(i);
    if (auto p = std::get_if<std::string>(&v)) return *p == "t" || *p == "true" || *p == "1";
    return Int(i) != 0;
  }
  // Text (or blob bytes); empty for NULL.
  std::string Text(size_t i) const {
    const Value& v = cols_.at(i);
    if (auto p = std::get_if<std::string>(&v)) return *p;
    if (auto p = std::get_if<Blob>(&v)) return p->bytes;
    if (auto p = std::get_if<int64_t>(&v)) return std::to_string(*p);
    if (auto p = std::get_if<double>(&v)) return std::to_string(*p);
    return {};
  }
  std::optional<std::string> OptText(size_t i) const {
    if (IsNull(i)) return std::nullopt;
    return Text(i);
  }
  const Value& at(size_t i) const { return cols_.at(i); }

 private:
  std::vector<Value> cols_;
};

struct Migration {
  int version;
  std::string description;
  std::string sql_sqlite;
  std::string sql_postgres;  // empty: same as sql_sqlite
};

class Host;

// Result slot of an authenticator.
class AuthnResult {
 public:
  AuthnResult(const wh_host_api* api, wh_authn_host_ptr* out) : api_(api), out_(out) {}
  wh_authn_result Accept(std::string_view id, std::string_view role, std::string_view email,
                         std::string_view name) {
    wh_caller c{};
    c.struct_size = sizeof c;
    c.id = ToWh(id), c.role = ToWh(role), c.email = ToWh(email), c.name = ToWh(name);
    api_->authn_accept(out_, &c);
    return WH_AUTHN_OK;
  }
  wh_authn_result Reject(int status, std::string_view detail) {
    api_->authn_reject(out_, status, ToWh(detail));
    return WH_AUTHN_REJECTED;
  }

 private:
  const wh_host_api* api_;
  wh_authn_host_ptr* out_;
};
using Authenticator = std::function<wh_authn_result(Request&, AuthnResult&)>;

using MessageHandler = std::function<void(std::string_view channel, std::string_view message)>;

class Transaction;

// The plugin's view of the host. One per plugin, alive from Init to Shutdown.
class Host {
 public:
  Host(const wh_host_api* api, wh_plugin_host_ptr* self) : api_(api), self_(self) {}
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  const wh_host_api* api() const { return api_; }
  wh_plugin_host_ptr* self() const { return self_; }
  uint16_t abi_minor() const { return api_->abi_minor; }

  // -- logging --
  void Log(wh_log_level level, std::string_view message) const {
    api_->log(self_, level, ToWh(message));
  }
  void Info(std::string_view m) const { Log(WH_LOG_INFO, m); }
  void Warn(std::string_view m) const { Log(WH_LOG_WARN, m); }
  void LogError(std::string_view m) const { Log(WH_LOG_ERROR, m); }

  // -- configuration --
  void DeclareConfig(std::string_view key, std::string_view env_name, std::string_view default_json,
                     bool persistent = true) {
    Check(api_->config_declare(self_, ToWh(key), ToWh(env_name), ToWh(default_json),
                               persistent ? 1 : 0),
          "config_declare " + std::string(key));
  }
  // Current value as JSON text, nullopt when nobody declared it.
  std::optional<std::string> ConfigJson(std::string_view key) const {
    std::string out;
    if (api_->config_get(self_, ToWh(key), detail::AppendSink, &out) != WH_OK) return std::nullopt;
    return out;
  }
  void SetConfig(std::string_view key, std::string_view value_json) {
    Check(api_->config_set(self_, ToWh(key), ToWh(value_json)), "config_set " + std::string(key));
  }
  std::optional<std::string> Env(std::string_view name) const {
    std::string out;
    if (api_->env_get(self_, ToWh(name), detail::AppendSink, &out) != WH_OK) return std::nullopt;
    return out;
  }

  // -- routes --
  void Route(std::string_view method, std::string_view path, Auth auth, Handler handler) {
    routes_.push_back(std::make_unique<RouteEntry>(RouteEntry{api_, this, std::move(handler)}));
    Check(api_->route_add(self_, ToWh(method), ToWh(path), static_cast<wh_auth_level>(auth),
                          &RouteThunk, routes_.back().get()),
          "route_add " + std::string(method) + " " + std::string(path));
  }
  void SetAuthenticator(Authenticator fn) {
    authenticator_ = std::make_unique<AuthEntry>(AuthEntry{api_, this, std::move(fn)});
    Check(api_->authenticator_set(self_, &AuthThunk, authenticator_.get()), "authenticator_set");
  }

  // -- database --
  wh_db_dialect Dialect() const { return api_->db_dialect(self_); }
  bool IsPostgres() const { return Dialect() == WH_DB_POSTGRES; }
  void Migrate(const std::vector<Migration>& steps) {
    std::vector<wh_migration> raw;
    for (const auto& m : steps) {
      wh_migration w{};
      w.struct_size = sizeof w;
      w.version = m.version;
      w.description = ToWh(m.description);
      w.sql_sqlite = ToWh(m.sql_sqlite);
      w.sql_postgres = ToWh(m.sql_postgres);
      raw.push_back(w);
    }
    std::string err;
    wh_status st = api_->db_migrate(self_, raw.data(), raw.size(), detail::AppendSink, &err);
    if (st != WH_OK) throw Error(st, err.empty() ? "migration failed" : err);
  }
  // Runs a statement; returns rows affected. `on_row` returns false to stop.
  int64_t Exec(std::string_view sql, std::initializer_list<Param> params = {},
               const std::function<bool(const Row&)>& on_row = {}) {
    return ExecIn(nullptr, sql, params.begin(), params.size(), on_row);
  }
  int64_t Exec(std::string_view sql, const std::vector<Param>& params,
               const std::function<bool(const Row&)>& on_row = {}) {
    return ExecIn(nullptr, sql, params.data(), params.size(), on_row);
  }
  std::vector<Row> Query(std::string_view sql, std::initializer_list<Param> params = {}) {
    std::vector<Row> rows;
    Exec(sql, params, [&](const Row& r) {
      rows.push_back(r);
      return true;
    });
    return rows;
  }
  std::optional<Row> QueryOne(std::string_view sql, std::initializer_list<Param> params = {}) {
    std::optional<Row> row;
    Exec(sql, params, [&](const Row& r) {
      row = r;
      return false;
    });
    return row;
  }
  Transaction Begin();

  // Internal: used by Transaction too.
  int64_t ExecIn(wh_tx_host_ptr* tx, std::string_view sql, const Param* params, size_t count,
                 const std::function<bool(const Row&)>& on_row) {
    std::vector<wh_db_value> raw;
    raw.reserve(count);
    for (size_t i = 0; i < count; ++i) raw.push_back(params[i].raw());
    std::string err;
    int64_t affected = 0;
    RowCtx ctx{&on_row, nullptr};
    wh_status st =
        api_->db_exec(self_, tx, ToWh(sql), raw.data(), raw.size(), on_row ? &RowThunk : nullptr,
                      &ctx, &affected, detail::AppendSink, &err);
    if (ctx.error) std::rethrow_exception(ctx.error);
    if (st != WH_OK) throw Error(st, err.empty() ? "database error" : err);
    return affected;
  }

  // -- key-value store --
  std::optional<std::string> KvGet(std::string_view key) {
    std::string out;
    wh_status st = api_->kv_get(self_, ToWh(key), detail::AppendSink, &out);
    if (st == WH_NOT_FOUND) return std::nullopt;
    Check(st, "kv_get");
    return out;
  }
  void KvSet(std::string_view key, std::string_view value, int64_t ttl_ms = 0) {
    Check(api_->kv_set(self_, ToWh(key), ToWh(value), ttl_ms), "kv_set");
  }
  void KvDel(std::string_view key) { Check(api_->kv_del(self_, ToWh(key)), "kv_del"); }
  int64_t KvIncr(std::string_view key, int64_t delta = 1, int64_t ttl_ms = 0) {
    int64_t v = 0;
    Check(api_->kv_incr(self_, ToWh(key), delta, ttl_ms, &v), "kv_incr");
    return v;
  }
  // Remaining ms, -1 no expiry, nullopt missing.
  std::optional<int64_t> KvTtl(std::string_view key) {
    int64_t v = 0;
    wh_status st = api_->kv_ttl(self_, ToWh(key), &v);
    if (st == WH_NOT_FOUND) return std::nullopt;
    Check(st, "kv_ttl");
    return v;
  }
  void Publish(std::string_view channel, std::string_view message) {
    Check(api_->kv_publish(self_, ToWh(channel), ToWh(message)), "kv_publish");
  }
  uint64_t Subscribe(std::string_view channel, MessageHandler fn) {
    auto entry = std::make_shared<MessageHandler>(std::move(fn));
    uint64_t id = 0;
    Check(api_->kv_subscribe(self_, ToWh(channel), &MessageThunk, entry.get(), &id),
          "kv_subscribe");
    std::lock_guard<std::mutex> lock(subs_mu_);
    subscriptions_.emplace_back(id, std::move(entry));
    return id;
  }
  void Unsubscribe(uint64_t id) {
    api_->kv_unsubscribe(self_, id);
    std::lock_guard<std::mutex> lock(subs_mu_);
    for (auto it = subscriptions_.begin(); it != subscriptions_.end(); ++it) {
      if (it->first == id) {
        subscriptions_.erase(it);
        break;
      }
    }
  }
  bool KvShared() const { return api_->kv_is_shared(self_) != 0; }

  // -- outbound HTTP --
  // Streams the body into on_data as it arrives (return false to abort). Without on_data the
  // body is collected into FetchResult::body.
  FetchResult Fetch(const FetchRequest& req,
                    const std::function<bool(std::string_view)>& on_data = {}) {
    std::vector<wh_header> hs;
    for (const auto& h : req.headers) hs.push_back(wh_header{ToWh(h.first), ToWh(h.second)});
    wh_http_request r{};
    r.struct_size = sizeof r;
    r.method = ToWh(req.method);
    r.url = ToWh(req.url);
    r.headers = hs.data();
    r.header_count = hs.size();
    r.body = ToWh(req.body);
    r.connect_timeout_ms = req.connect_timeout_ms;
    r.read_timeout_ms = req.read_timeout_ms;
    r.total_timeout_ms = req.total_timeout_ms;
    FetchCtx ctx{&on_data, FetchResult{}, nullptr};
    ctx.result.status = api_->http_fetch(self_, &r, &HeadThunk, &DataThunk, &ctx,
                                         detail::AppendSink, &ctx.result.error);
    if (ctx.error) std::rethrow_exception(ctx.error);
    return std::move(ctx.result);
  }

  // The fallback of Response::Relay: runs `handler` on this thread while the upstream answers
  // (the thread is held for the whole exchange), with the same callbacks and outcomes, so one
  // handler serves both paths. If it sends nothing the client gets 502.
  void RelayBlocking(Response& res, const FetchRequest& upstream, RelayHandler& handler,
                     bool forward_body) {
    std::vector<wh_header> headers;
    const wh_http_request raw = detail::RawRequest(upstream, headers);
    detail::BlockingRelay b(api_, res, handler, forward_body);
    std::string error;
    const wh_status fetched =
        api_->http_fetch(self_, &raw, &detail::BlockingRelay::Head, &detail::BlockingRelay::Data,
                         &b, detail::AppendSink, &error);
    b.run.End(b.Outcome(fetched), error);
    if (!b.relay.started() && !b.relay.client_gone()) b.relay.RespondError(502, "Bad Gateway");
  }

  // -- services --
  template <typename VTable>
  void OfferService(std::string_view name, const VTable* vtable, void* service_user = nullptr) {
    Check(api_->service_offer(self_, ToWh(name), vtable, sizeof(VTable), service_user),
          "service_offer " + std::string(name));
  }
  struct ServiceRef {
    std::string provider;
    const void* vtable;
    size_t vtable_size;
    void* user;
  };
  std::vector<ServiceRef> Services(std::string_view name) const {
    std::vector<ServiceRef> out;
    api_->service_each(
        self_, ToWh(name),
        [](void* u, wh_str provider, const void* vt, size_t size, void* su) {
          static_cast<std::vector<ServiceRef>*>(u)->push_back(
              ServiceRef{std::string(FromWh(provider)), vt, size, su});
        },
        &out);
    return out;
  }

  void Check(wh_status st, const std::string& what) const {
    if (st != WH_OK) throw Error(st, what + " failed (status " + std::to_string(st) + ")");
  }

 private:
  struct RouteEntry {
    const wh_host_api* api;
    Host* host;
    Handler fn;
  };
  struct AuthEntry {
    const wh_host_api* api;
    Host* host;
    Authenticator fn;
  };
  struct RowCtx {
    const std::function<bool(const Row&)>* fn;
    std::exception_ptr error;
  };
  struct FetchCtx {
    const std::function<bool(std::string_view)>* on_data;
    FetchResult result;
    std::exception_ptr error;
  };

  static void RouteThunk(void* user, const wh_request_host_ptr* req,
                         wh_response_host_ptr* res) noexcept {
    auto* e = static_cast<RouteEntry*>(user);
    Request rq(e->api, req);
    Response rs(e->api, res);
    try {
      e->fn(rq, rs);
    } catch (const HttpError& err) {
      if (!rs.started()) rs.Error(err.status(), err.detail());
    } catch (const Error& err) {
      // An outage is the host's to log (once); the request just did not happen.
      if (err.status() != WH_UNAVAILABLE)
        e->host->LogError(std::string("handler failed: ") + err.what());
      if (!rs.started()) {
        if (err.status() == WH_UNAVAILABLE) {
          rs.Error(503, kServiceUnavailable);
        } else {
          rs.Error(500, "Internal Server Error");
        }
      }
    } catch (const std::exception& err) {
      e->host->LogError(std::string("handler failed: ") + err.what());
      if (!rs.started()) rs.Error(500, "Internal Server Error");
    } catch (...) {
      e->host->LogError("handler failed with a non-standard exception");
      if (!rs.started()) rs.Error(500, "Internal Server Error");
    }
  }
  static wh_authn_result AuthThunk(void* user, const wh_request_host_ptr* req,
                                   wh_authn_host_ptr* out) noexcept {
    auto* e = static_cast<AuthEntry*>(user);
    Request rq(e->api, req);
    AuthnResult result(e->api, out);
    try {
      return e->fn(rq, result);
    } catch (const HttpError& err) {
      return result.Reject(err.status(), err.detail());
    } catch (const Error& err) {
      // The credentials could not be checked, which is not "they are wrong": a 401 would make
      // the web UI drop a valid session during a database outage.
      if (err.status() == WH_UNAVAILABLE) return result.Reject(503, kServiceUnavailable);
      e->host->LogError(std::string("authenticator failed: ") + err.what());
      return result.Reject(401, "Invalid token");
    } catch (const std::exception& err) {
      e->host->LogError(std::string("authenticator failed: ") + err.what());
      return result.Reject(401, "Invalid token");
    } catch (...) {
      return result.Reject(401, "Invalid token");
    }
  }
  static int RowThunk(void* user, const wh_db_value* cols, size_t n) noexcept {
    auto* ctx = static_cast<RowCtx*>(user);
    try {
      std::vector<Value> vals;
      vals.reserve(n);
      for (size_t i = 0; i < n; ++i) {
        switch (cols[i].type) {
          case WH_DB_INT:
            vals.emplace_back(cols[i].i);
            break;
          case WH_DB_REAL:
            vals.emplace_back(cols[i].d);
            break;
          case WH_DB_TEXT:
            vals.emplace_back(std::string(FromWh(cols[i].s)));
            break;
          case WH_DB_BLOB:
            vals.emplace_back(Blob{std::string(FromWh(cols[i].s))});
            break;
          default:
            vals.emplace_back(std::monostate{});
            break;
        }
      }
      return (*ctx->fn)(Row(std::move(vals))) ? 0 : 1;
    } catch (...) {
      ctx->error = std::current_exception();
      return 1;
    }
  }
  static int HeadThunk(void* user, int status, const wh_header* headers, size_t count) noexcept {
    auto* ctx = static_cast<FetchCtx*>(user);
    try {
      ctx->result.http_status = status;
      for (size_t i = 0; i < count; ++i)
        ctx->result.headers.emplace_back(std::string(FromWh(headers[i].name)),
                                         std::string(FromWh(headers[i].value)));
      return 0;
    } catch (...) {
      ctx->error = std::current_exception();
      return 1;
    }
  }
  static int DataThunk(void* user, wh_str chunk) noexcept {
    auto* ctx = static_cast<FetchCtx*>(user);
    try {
      if (*ctx->on_data) return (*ctx->on_data)(FromWh(chunk)) ? 0 : 1;
      ctx->result.body.append(FromWh(chunk));
      return 0;
    } catch (...) {
      ctx->error = std::current_exception();
      return 1;
    }
  }
  static void MessageThunk(void* user, wh_str channel, wh_str message) noexcept {
    try {
      (*static_cast<MessageHandler*>(user))(FromWh(channel), FromWh(message));
    } catch (...) {
    }
  }

  const wh_host_api* api_;
  wh_plugin_host_ptr* self_;
  std::deque<std::unique_ptr<RouteEntry>> routes_;
  std::unique_ptr<AuthEntry> authenticator_;
  std::mutex subs_mu_;
  std::vector<std::pair<uint64_t, std::shared_ptr<MessageHandler>>> subscriptions_;
};

// A transaction; rolls back unless committed.
class Transaction {
 public:
  Transaction(Host& host, wh_tx_host_ptr* tx) : host_(&host), tx_(tx) {}
  Transaction(Transaction&& o) noexcept : host_(o.host_), tx_(std::exchange(o.tx_, nullptr)) {}
  Transaction(const Transaction&) = delete;
  ~Transaction() {
    if (tx_ != nullptr) host_->api()->db_rollback(host_->self(), tx_);
  }
  int64_t Exec(std::string_view sql, std::initializer_list<Param> params = {},
               const std::function<bool(const Row&)>& on_row = {}) {
    return host_->ExecIn(tx_, sql, params.begin(), params.size(), on_row);
  }
  int64_t Exec(std::string_view sql, const std::vector<Param>& params,
               const std::function<bool(const Row&)>& on_row = {}) {
    return host_->ExecIn(tx_, sql, params.data(), params.size(), on_row);
  }
  std::optional<Row> QueryOne(std::string_view sql, std::initializer_list<Param> params = {}) {
    std::optional<Row> row;
    Exec(sql, params, [&](const Row& r) {
      row = r;
      return false;
    });
    return row;
  }
  void Commit() {
    wh_tx_host_ptr* tx = std::exchange(tx_, nullptr);
    host_->Check(host_->api()->db_commit(host_->self(), tx), "db_commit");
  }

 private:
  Host* host_;
  wh_tx_host_ptr* tx_;
};

inline Transaction Host::Begin() {
  wh_tx_host_ptr* tx = nullptr;
  Check(api_->db_begin(self_, &tx), "db_begin");
  return Transaction(*this, tx);
}

// Base class of a plugin written in C++.
class Plugin {
 public:
  virtual ~Plugin() = default;
  // Register everything here. Throw (anything) to refuse loading; the message is logged.
  virtual void Init(Host& host) = 0;
  // Called once at host shutdown after the last request finished.
  virtual void Shutdown() {}
};

namespace detail {
struct PluginState {
  std::unique_ptr<Host> host;
  std::unique_ptr<Plugin> plugin;
};

template <typename T>
wh_status InitThunk(const wh_host_api* api, wh_plugin_host_ptr* self, wh_plugin_module_ptr** out,
                    wh_str_sink error, void* error_user) noexcept {
  auto report = [&](const std::string& m) {
    if (error != nullptr) error(error_user, ToWh(m));
  };
  if (api == nullptr || api->struct_size < offsetof(wh_host_api, reserved)) {
    report("host API table is smaller than this SDK's (host too old)");
    return WH_INVALID;
  }
  try {
    auto state = std::make_unique<PluginState>();
    state->host = std::make_unique<Host>(api, self);
    state->plugin = std::make_unique<T>();
    state->plugin->Init(*state->host);
    *out = reinterpret_cast<wh_plugin_module_ptr*>(state.release());
    return WH_OK;
  } catch (const std::exception& e) {
    report(e.what());
  } catch (...) {
    report("unknown exception in Init");
  }
  return WH_ERROR;
}

inline void ShutdownThunk(wh_plugin_module_ptr* state) noexcept {
  auto* s = reinterpret_cast<PluginState*>(state);
  if (s == nullptr) return;
  try {
    s->plugin->Shutdown();
  } catch (...) {
  }
  delete s;
}
}  // namespace detail

}  // namespace webui::sdk

#define WEBUI_HOST_PLUGIN_IMPL_(Class, Name, Version, Description, Deps)           \
  extern "C" __attribute__((visibility("default"))) const wh_plugin_descriptor*    \
  webui_host_plugin_entry(void) {                                                  \
    static const wh_plugin_descriptor descriptor = {                               \
        sizeof(wh_plugin_descriptor),                                              \
        WH_ABI_MAJOR,                                                              \
        WH_ABI_MINOR,                                                              \
        WH_BUILD_SIGNATURE,                                                        \
        Name,                                                                      \
        Version,                                                                   \
        Description,                                                               \
        Deps,                                                                      \
        &::webui::sdk::detail::InitThunk<Class>,                                   \
        &::webui::sdk::detail::ShutdownThunk,                                      \
        {nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr}}; \
    return &descriptor;                                                            \
  }

// Declares the plugin class `Class` with its identity. Use once per plugin, in one .cpp file.
#define WEBUI_HOST_PLUGIN(Class, Name, Version, Description) \
  WEBUI_HOST_PLUGIN_IMPL_(Class, Name, Version, Description, nullptr)

// Same, with dependencies on other plugins by name: WEBUI_HOST_PLUGIN_WITH_DEPS(C, "chat", "1.0",
// "Chats", "auth", "openai").
#define WEBUI_HOST_PLUGIN_WITH_DEPS(Class, Name, Version, Description, ...)            \
  static const char* const webui_host_plugin_dependencies_[] = {__VA_ARGS__, nullptr}; \
  WEBUI_HOST_PLUGIN_IMPL_(Class, Name, Version, Description, webui_host_plugin_dependencies_)
