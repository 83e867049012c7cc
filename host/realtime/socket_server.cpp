#include "realtime/socket_server.hpp"

#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <thread>
#include <unordered_set>

#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/StreamSocket.h>
#include <spdlog/spdlog.h>
#include <webui_host/sdk/json.hpp>

#include "realtime/engineio.hpp"
#include "realtime/reactor.hpp"
#include "realtime/socketio.hpp"
#include "realtime/websocket.hpp"

namespace webui::realtime {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

// Client events waiting for a dispatch thread, per socket; a client that floods past this is
// disconnected instead of growing the queue.
constexpr int kMaxQueuedEvents = 128;
constexpr const char* kAuthPath = "/ws/socket.io/";

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool HeaderHasToken(std::optional<std::string_view> value, std::string_view token) {
  if (!value) return false;
  const std::string v = Lower(*value);
  std::size_t pos = 0;
  while (pos <= v.size()) {
    std::size_t comma = v.find(',', pos);
    std::string_view item(v.data() + pos, (comma == std::string::npos ? v.size() : comma) - pos);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item == token) return true;
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return false;
}

void SendEioError(http::RequestContext& ctx, int status, eio::ErrorCode code,
                  std::string_view message = {}) {
  ctx.SendJson(status, eio::ErrorJson(code, message));
}

void SendText(http::RequestContext& ctx, std::string body, const char* type) {
  ctx.SetStatus(200);
  ctx.SetHeader("Content-Type", type);
  ctx.SetHeader("Cache-Control", "no-store");
  ctx.Send(std::move(body));
}

const char* ReasonText(int r) {
  static const char* kText[] = {"server disconnect", "client namespace disconnect",
                                "client close",      "transport close",
                                "ping timeout",      "connect timeout",
                                "transport error",   "server shutting down"};
  return kText[r];
}

wh_str Wh(std::string_view s) { return wh_str{s.data(), s.size()}; }
std::string_view View(wh_str s) {
  return s.ptr == nullptr ? std::string_view{} : std::string_view(s.ptr, s.len);
}

// --- socket_emitter.v1 thunks (no exception crosses the C boundary) ---

wh_status EmitThunk(void* user, wh_str to, wh_str event, wh_str data_json) {
  try {
    if (event.len == 0) return WH_INVALID;
    return static_cast<SocketServer::EmitterClient*>(user)->server->Emit(View(to), View(event),
                                                                         View(data_json))
               ? WH_OK
               : WH_INVALID;
  } catch (const std::exception& e) {
    spdlog::error("socket_emitter.v1 emit failed: {}", e.what());
    return WH_ERROR;
  } catch (...) {
    return WH_ERROR;
  }
}

void AckThunk(void* user, wh_str args_json) {
  try {
    (*static_cast<const SocketServer::AckFn*>(user))(View(args_json));
  } catch (...) {
  }
}

wh_status OnThunk(void* user, wh_str event, wh_socket_event_fn fn, void* fn_user,
                  std::uint64_t* id_out) {
  try {
    if (fn == nullptr || event.len == 0) return WH_INVALID;
    auto* client = static_cast<SocketServer::EmitterClient*>(user);
    const std::uint64_t id = client->server->On(
        std::string(View(event)),
        [fn, fn_user](const SocketServer::ClientEvent& ev) {
          wh_caller c{};
          if (ev.caller) {
            c.struct_size = sizeof c;
            c.id = Wh(ev.caller->id);
            c.role = Wh(ev.caller->role);
            c.email = Wh(ev.caller->email);
            c.name = Wh(ev.caller->name);
          }
          fn(fn_user, Wh(ev.sid), ev.caller ? &c : nullptr, Wh(ev.event), Wh(ev.args_json),
             ev.ack ? &AckThunk : nullptr,
             ev.ack ? const_cast<void*>(static_cast<const void*>(ev.ack)) : nullptr);
        },
        client->enabled);
    if (id_out) *id_out = id;
    return WH_OK;
  } catch (...) {
    return WH_ERROR;
  }
}

wh_status OffThunk(void* user, std::uint64_t id) {
  try {
    return static_cast<SocketServer::EmitterClient*>(user)->server->Off(id) ? WH_OK : WH_NOT_FOUND;
  } catch (...) {
    return WH_ERROR;
  }
}

}  // namespace

// --- options -----------------------------------------------------------------------------------

RealtimeOptions RealtimeOptions::FromSettings(const config::Settings& s) {
  RealtimeOptions o;
  o.websocket = s.Bool("ENABLE_WEBSOCKET_SUPPORT", true);
  o.ping_interval = std::chrono::milliseconds(
      s.Int("WEBUI_SOCKET_PING_INTERVAL_MS", o.ping_interval.count(), 50, 3600000));
  o.ping_timeout = std::chrono::milliseconds(
      s.Int("WEBUI_SOCKET_PING_TIMEOUT_MS", o.ping_timeout.count(), 50, 3600000));
  o.max_payload = static_cast<std::size_t>(s.Bytes("WEBUI_SOCKET_MAX_PAYLOAD", 1000000));
  if (o.max_payload < 1024 || o.max_payload > (std::size_t{1} << 30))
    throw config::ConfigError("WEBUI_SOCKET_MAX_PAYLOAD must be between 1k and 1g");
  o.max_total = static_cast<std::size_t>(
      s.Int("WEBUI_SOCKET_MAX_TOTAL", static_cast<std::int64_t>(o.max_total), 1, 10000000));
  o.max_per_user = static_cast<std::size_t>(
      s.Int("WEBUI_SOCKET_MAX_PER_USER", static_cast<std::int64_t>(o.max_per_user), 1, 10000000));
  o.max_anonymous = static_cast<std::size_t>(
      s.Int("WEBUI_SOCKET_MAX_ANONYMOUS", static_cast<std::int64_t>(o.max_anonymous), 0, 10000000));
  o.max_anonymous_per_ip = static_cast<std::size_t>(
      s.Int("WEBUI_SOCKET_MAX_ANONYMOUS_PER_IP", static_cast<std::int64_t>(o.max_anonymous_per_ip),
            0, 10000000));
  o.send_queue = static_cast<std::size_t>(
      s.Bytes("WEBUI_SOCKET_SEND_QUEUE", static_cast<std::int64_t>(o.send_queue)));
  if (o.send_queue < 4096) throw config::ConfigError("WEBUI_SOCKET_SEND_QUEUE must be >= 4k");
  o.auth_cache = std::chrono::milliseconds(
      s.Int("WEBUI_SOCKET_AUTH_CACHE_MS", o.auth_cache.count(), 0, 3600000));
  o.connect_timeout = std::chrono::milliseconds(
      s.Int("WEBUI_SOCKET_CONNECT_TIMEOUT_MS", o.connect_timeout.count(), 100, 3600000));
  o.workers = static_cast<int>(s.Int("WEBUI_SOCKET_WORKERS", o.workers, 1, 64));
  const std::string manager = Lower(s.String("WEBSOCKET_MANAGER", ""));
  if (!manager.empty() && manager != "redis" && manager != "local")
    throw config::ConfigError("WEBSOCKET_MANAGER must be empty, 'local' or 'redis' (got '" +
                              manager + "')");
  o.redis_manager = manager == "redis";
  o.redis_url = s.String("WEBSOCKET_REDIS_URL", s.String("REDIS_URL", ""));
  o.key_prefix = s.String("REDIS_KEY_PREFIX", o.key_prefix);
  o.redis_timeout =
      std::chrono::milliseconds(s.Int("REDIS_TIMEOUT_MS", o.redis_timeout.count(), 50, 600000));
  return o;
}

// --- state -------------------------------------------------------------------------------------

struct SocketServer::Session {
  explicit Session(std::string sid) : eio_sid(std::move(sid)) {}
  const std::string eio_sid;
  std::size_t worker = 0;

  std::mutex mu;
  std::condition_variable cv;  // a waiting long-poll GET
  enum class State { kOpen, kClosing, kClosed } state = State::kOpen;
  bool websocket = false;         // the active transport
  std::shared_ptr<WsConn> ws;     // when websocket
  std::shared_ptr<WsConn> probe;  // a WebSocket testing the upgrade
  bool upgrading = false;
  Clock::time_point upgrade_deadline{};
  // Polling: Engine.IO packets waiting for a GET (a vector: an idle session allocates nothing).
  std::vector<std::string> outq;
  std::size_t outq_bytes = 0;
  bool poll_active = false;
  bool post_active = false;
  Clock::time_point next_ping{}, pong_deadline{}, connect_deadline{}, closing_deadline{};
  bool awaiting_pong = false;

  // Socket.IO
  std::string sio_sid;
  bool sio_connected = false;
  bool connect_pending = false;
  std::string token;  // the token the caller was resolved from
  std::optional<http::Caller> caller;
  std::string counted_user;  // user id counted in per_user_ and joined as "user:<id>"
  std::string remote_ip;
  bool counted_anonymous = false;  // in anonymous_
  bool counted_ip = false;         // in unauthenticated_per_ip_ (no user yet)
  Clock::time_point auth_checked{};
  int queued = 0;
};

struct SocketServer::Worker {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::function<void()>> tasks;
  bool stop = false;
  std::thread thread;
};

SocketServer::SocketServer(RealtimeOptions options, http::Pipeline& pipeline, kv::KvStore& host_kv)
    : options_(std::move(options)), pipeline_(pipeline), host_kv_(host_kv) {
  instance_id_ = eio::NewSid();
  // Half of the sockets at most: anonymous ones can never take the slots signed-in users need.
  anonymous_cap_ = std::min(options_.max_anonymous, options_.max_total / 2);
  vtable_.struct_size = sizeof vtable_;
  vtable_.emit = &EmitThunk;
  vtable_.on = &OnThunk;
  vtable_.off = &OffThunk;

  Reactor::Options ro;
  // Timers (pings, timeouts) are checked a few times per shortest period.
  const auto shortest = std::min(options_.ping_interval, options_.ping_timeout);
  ro.tick = std::clamp(shortest / 8, std::chrono::milliseconds(10), std::chrono::milliseconds(250));
  // An Engine.IO packet may be up to maxPayload; the frame adds nothing we count.
  ro.max_message = options_.max_payload;
  ro.max_queue = options_.send_queue;
  Reactor::Callbacks cb;
  cb.on_message = [this](const std::shared_ptr<WsConn>& c, ws::Message& m) { OnWsMessage(c, m); };
  cb.on_closed = [this](const std::shared_ptr<WsConn>& c) { OnWsClosed(c); };
  cb.on_tick = [this] { Sweep(); };
  reactor_ = std::make_unique<Reactor>(std::move(cb), ro);
  for (int i = 0; i < options_.workers; ++i) workers_.push_back(std::make_unique<Worker>());
}

SocketServer::~SocketServer() { Stop(); }

void SocketServer::RegisterRoutes(http::Router& router) {
  for (const char* path : {"/ws/socket.io/", "/socket.io/"}) {
    for (const char* method : {"GET", "POST"}) {
      http::Route r;
      r.method = method;
      r.pattern = path;
      r.auth = http::AuthLevel::kPublic;
      r.owner = "host";
      r.handler = [this](http::RequestContext& ctx) { HandleHttp(ctx); };
      // Engine.IO's maxHttpBufferSize: a polling body over max_payload is refused before it is
      // read, not after the whole of it has been buffered (a GET has no business with one).
      r.max_body_bytes = static_cast<std::int64_t>(options_.max_payload);
      if (std::string_view(method) == "POST")
        r.on_body_too_large = [this](http::RequestContext& ctx) { HandleOversizedPost(ctx); };
      if (router.Add(std::move(r)) != http::Router::AddResult::kOk)
        spdlog::error("socket.io: route {} {} is already taken", method, path);
    }
  }
}

void SocketServer::Start() {
  if (started_.exchange(true)) return;
  for (auto& w : workers_) {
    Worker* wp = w.get();
    wp->thread = std::thread([wp] {
      while (true) {
        std::function<void()> task;
        {
          std::unique_lock lock(wp->mu);
          wp->cv.wait(lock, [wp] { return wp->stop || !wp->tasks.empty(); });
          if (wp->stop) return;
          task = std::move(wp->tasks.front());
          wp->tasks.pop_front();
        }
        try {
          task();
        } catch (const std::exception& e) {
          spdlog::error("socket.io: event handling failed: {}", e.what());
        } catch (...) {
          spdlog::error("socket.io: event handling failed with a non-standard exception");
        }
      }
    });
  }
  reactor_->Start();
  auth_subscription_ = host_kv_.Subscribe(
      kAuthChangedChannel, [this](std::string_view, std::string_view msg) { OnAuthChanged(msg); });
  if (options_.redis_manager) {
    if (options_.redis_url.empty()) {
      spdlog::warn(
          "socket.io: WEBSOCKET_MANAGER=redis but neither WEBSOCKET_REDIS_URL nor "
          "REDIS_URL is set; events reach this instance's sockets only");
    } else {
      kv::KvOptions ko;
      ko.redis_url = options_.redis_url;
      ko.key_prefix = options_.key_prefix;
      ko.connect_timeout = ko.command_timeout = options_.redis_timeout;
      ko.pool_size = 2;
      emit_kv_ = kv::KvStore::Create(ko);
      emit_subscription_ = emit_kv_->Subscribe(
          kEmitChannel, [this](std::string_view, std::string_view msg) { OnRemoteEmit(msg); });
      spdlog::info("socket.io: events shared through {}", emit_kv_->Describe());
    }
  }
  spdlog::info(
      "socket.io: serving /ws/socket.io/ and /socket.io/ (websocket {}, ping {}/{} ms, "
      "max payload {}, max sockets {} total / {} per user / {} anonymous, connect within {} ms)",
      options_.websocket ? "on" : "off", options_.ping_interval.count(),
      options_.ping_timeout.count(), options_.max_payload, options_.max_total,
      options_.max_per_user, anonymous_cap_, options_.connect_timeout.count());
}

void SocketServer::Stop() {
  if (!started_ || stopping_.exchange(true)) return;
  const auto start = Clock::now();
  if (auth_subscription_) host_kv_.Unsubscribe(auth_subscription_);
  if (emit_kv_) {
    emit_kv_->Unsubscribe(emit_subscription_);
  }
  std::vector<SessionPtr> all;
  {
    std::lock_guard lock(mu_);
    for (const auto& [sid, s] : by_eio_) all.push_back(s);
  }
  for (const auto& s : all) CloseSession(s, CloseReason::kShutdown);
  // Let close packets reach the peers and released long-polls answer, but never wait long: the
  // host is going down.
  const auto deadline = Clock::now() + std::chrono::milliseconds(400);
  const auto upgrading = [&all] {
    return std::any_of(all.begin(), all.end(), [](const SessionPtr& s) {
      std::lock_guard lock(s->mu);
      return s->upgrading && s->probe != nullptr;
    });
  };
  while ((reactor_->queued_bytes() > 0 || active_polls_ > 0 || upgrading()) &&
         Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  reactor_->Stop();
  for (auto& w : workers_) {
    {
      std::lock_guard lock(w->mu);
      w->stop = true;
    }
    w->cv.notify_all();
  }
  for (auto& w : workers_)
    if (w->thread.joinable()) w->thread.join();
  emit_kv_.reset();
  spdlog::info("socket.io: stopped, {} sockets closed in {} ms", all.size(),
               std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
}

SocketServer::Stats SocketServer::stats() const {
  Stats st;
  {
    std::lock_guard lock(mu_);
    st.sessions = by_eio_.size();
    st.connected = by_sio_.size();
    st.anonymous = anonymous_;
  }
  st.websockets = reactor_->size();
  return st;
}

// --- HTTP entry --------------------------------------------------------------------------------

void SocketServer::HandleHttp(http::RequestContext& ctx) {
  const auto eio_version = ctx.QueryParam("EIO");
  const auto transport = ctx.QueryParam("transport");
  const auto sid = ctx.QueryParam("sid");
  if (!eio_version || *eio_version != "4")
    return SendEioError(ctx, 400, eio::ErrorCode::kUnsupportedProtocolVersion);
  if (!transport || (*transport != "polling" && *transport != "websocket") ||
      (*transport == "websocket" && !options_.websocket))
    return SendEioError(ctx, 400, eio::ErrorCode::kTransportUnknown);
  if (stopping_ || !started_) {
    return SendEioError(ctx, 503, eio::ErrorCode::kForbidden, "Server is shutting down");
  }
  if (*transport == "websocket") return HandleWebSocket(ctx, sid);
  if (!sid) {
    if (ctx.method() != "GET") return SendEioError(ctx, 400, eio::ErrorCode::kBadHandshakeMethod);
    return HandlePollingHandshake(ctx);
  }
  if (ctx.method() != "GET" && ctx.method() != "POST")
    return SendEioError(ctx, 400, eio::ErrorCode::kBadRequest);
  SessionPtr s = FindSession(*sid);
  if (!s) return SendEioError(ctx, 400, eio::ErrorCode::kSessionIdUnknown);
  if (ctx.method() == "GET") return HandlePoll(ctx, s);
  return HandlePost(ctx, s);
}

SocketServer::SessionPtr SocketServer::NewSession(const std::string& remote_ip,
                                                  const char** refused_by) {
  auto s = std::make_shared<Session>(eio::NewSid());
  s->worker = next_worker_++ % workers_.size();
  s->remote_ip = remote_ip;
  const auto now = Clock::now();
  s->next_ping = now + options_.ping_interval;
  s->connect_deadline = now + options_.connect_timeout;
  std::lock_guard lock(mu_);
  if (by_eio_.size() >= options_.max_total) {
    *refused_by = "WEBUI_SOCKET_MAX_TOTAL";
    return nullptr;
  }
  // Until its CONNECT names a user, a session counts against its address.
  std::size_t& from_ip = unauthenticated_per_ip_[remote_ip];
  if (options_.max_anonymous_per_ip > 0 && from_ip >= options_.max_anonymous_per_ip) {
    if (from_ip == 0) unauthenticated_per_ip_.erase(remote_ip);
    *refused_by = "WEBUI_SOCKET_MAX_ANONYMOUS_PER_IP";
    return nullptr;
  }
  ++from_ip;
  s->counted_ip = true;
  by_eio_[s->eio_sid] = s;
  return s;
}

void SocketServer::ReleaseUnauthenticatedLocked(Session& s) {
  if (s.counted_anonymous) {
    --anonymous_;
    s.counted_anonymous = false;
  }
  if (s.counted_ip) {
    auto it = unauthenticated_per_ip_.find(s.remote_ip);
    if (it != unauthenticated_per_ip_.end() && --it->second == 0) unauthenticated_per_ip_.erase(it);
    s.counted_ip = false;
  }
}

void SocketServer::HandleOversizedPost(http::RequestContext& ctx) {
  // The pipeline refused the body unread (and closes the connection); like a WebSocket message
  // over the limit, this ends the session.
  if (const auto sid = ctx.QueryParam("sid")) {
    if (SessionPtr s = FindSession(*sid)) CloseSession(s, CloseReason::kError);
  }
  SendEioError(ctx, 413, eio::ErrorCode::kBadRequest, "Payload too large");
}

SocketServer::SessionPtr SocketServer::FindSession(std::string_view eio_sid) const {
  std::lock_guard lock(mu_);
  auto it = by_eio_.find(std::string(eio_sid));
  return it == by_eio_.end() ? nullptr : it->second;
}

void SocketServer::HandlePollingHandshake(http::RequestContext& ctx) {
  const char* refused_by = "";
  SessionPtr s = NewSession(ctx.remote_addr(), &refused_by);
  if (!s) {
    spdlog::warn("socket.io: refused a connection from {} ({})", ctx.remote_addr(), refused_by);
    return SendEioError(ctx, 503, eio::ErrorCode::kForbidden, "Too many connections");
  }
  SendText(ctx,
           eio::OpenPacket(s->eio_sid, options_.websocket, options_.ping_interval,
                           options_.ping_timeout, options_.max_payload),
           "text/plain; charset=UTF-8");
}

void SocketServer::HandlePoll(http::RequestContext& ctx, const SessionPtr& s) {
  ++active_polls_;
  struct Done {
    std::atomic<int>& n;
    ~Done() { --n; }
  } done{active_polls_};
  std::unique_lock lock(s->mu);
  if (s->websocket || s->state == Session::State::kClosed) {
    lock.unlock();
    return SendEioError(ctx, 400, eio::ErrorCode::kBadRequest);
  }
  if (s->poll_active) {
    // Two GETs at once: the client is broken or someone else holds the sid.
    lock.unlock();
    CloseSession(s, CloseReason::kError);
    return SendEioError(ctx, 400, eio::ErrorCode::kBadRequest);
  }
  s->poll_active = true;
  // Pings come every ping_interval, so a healthy poll returns before this.
  const auto deadline = Clock::now() + options_.ping_interval + options_.ping_timeout;
  s->cv.wait_until(lock, deadline, [&] {
    return !s->outq.empty() || s->state != Session::State::kOpen || s->upgrading || stopping_;
  });
  std::string body;
  if (!s->outq.empty()) {
    body = eio::JoinPayload(s->outq);
    s->outq.clear();
    s->outq.shrink_to_fit();
    s->outq_bytes = 0;
  } else if (s->state != Session::State::kOpen || stopping_) {
    body = eio::Encode(eio::PacketType::kClose);
  } else {
    body = eio::Encode(eio::PacketType::kNoop);
  }
  const bool finished = s->state == Session::State::kClosing;
  if (finished) s->state = Session::State::kClosed;
  s->poll_active = false;
  lock.unlock();
  if (finished) {
    std::lock_guard g(mu_);
    by_eio_.erase(s->eio_sid);
  }
  SendText(ctx, std::move(body), "text/plain; charset=UTF-8");
}

void SocketServer::HandlePost(http::RequestContext& ctx, const SessionPtr& s) {
  const std::string& body = ctx.body();
  if (body.size() > options_.max_payload) {
    CloseSession(s, CloseReason::kError);
    return SendEioError(ctx, 413, eio::ErrorCode::kBadRequest, "Payload too large");
  }
  bool overlap = false;
  {
    std::lock_guard lock(s->mu);
    if (s->websocket || s->state != Session::State::kOpen)
      return SendEioError(ctx, 400, eio::ErrorCode::kBadRequest);
    overlap = s->post_active;
    s->post_active = true;
  }
  if (overlap) {
    CloseSession(s, CloseReason::kError);
    return SendEioError(ctx, 400, eio::ErrorCode::kBadRequest);
  }
  bool ok = true;
  for (std::string_view part : eio::SplitPayload(body)) {
    auto p = eio::Decode(part);
    if (!p) {
      ok = false;
      break;
    }
    HandleEioPacket(s, static_cast<char>(p->type), p->data, p->binary);
  }
  {
    std::lock_guard lock(s->mu);
    s->post_active = false;
  }
  if (!ok) {
    CloseSession(s, CloseReason::kError);
    return SendEioError(ctx, 400, eio::ErrorCode::kBadRequest);
  }
  SendText(ctx, "ok", "text/html");
}

void SocketServer::HandleWebSocket(http::RequestContext& ctx, std::optional<std::string_view> sid) {
  if (ctx.method() != "GET") return SendEioError(ctx, 400, eio::ErrorCode::kBadHandshakeMethod);
  const auto key = ctx.Header("Sec-WebSocket-Key");
  if (!HeaderHasToken(ctx.Header("Upgrade"), "websocket") ||
      !HeaderHasToken(ctx.Header("Connection"), "upgrade") || !key || key->empty() ||
      ctx.Header("Sec-WebSocket-Version").value_or("") != "13") {
    return SendEioError(ctx, 400, eio::ErrorCode::kBadRequest);
  }
  SessionPtr s;
  const bool probe = sid.has_value();
  if (probe) {
    s = FindSession(*sid);
    if (!s) return SendEioError(ctx, 400, eio::ErrorCode::kSessionIdUnknown);
    std::lock_guard lock(s->mu);
    if (s->websocket || s->probe || s->state != Session::State::kOpen)
      return SendEioError(ctx, 400, eio::ErrorCode::kBadRequest);
  } else {
    const char* refused_by = "";
    s = NewSession(ctx.remote_addr(), &refused_by);
    if (!s) {
      spdlog::warn("socket.io: refused a websocket from {} ({})", ctx.remote_addr(), refused_by);
      return SendEioError(ctx, 503, eio::ErrorCode::kForbidden, "Too many connections");
    }
  }

  // RFC 6455 handshake through the Poco response, then the socket leaves the HTTP server.
  auto& res = ctx.raw_response();
  res.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_SWITCHING_PROTOCOLS);
  res.set("Upgrade", "websocket");
  res.set("Connection", "Upgrade");
  res.set("Sec-WebSocket-Accept", ws::AcceptKey(*key));
  int fd = -1;
  try {
    res.send().flush();
    Poco::Net::StreamSocket sock =
        static_cast<Poco::Net::HTTPServerRequestImpl&>(ctx.raw_request()).detachSocket();
    // Our own descriptor: Poco closes its copy when its objects go away.
    fd = ::dup(sock.impl()->sockfd());
  } catch (const Poco::Exception& e) {
    spdlog::debug("socket.io: websocket handshake failed: {}", e.displayText());
  }
  ctx.MarkHijacked(101);
  if (fd < 0) {
    if (!probe) CloseSession(s, CloseReason::kError);
    return;
  }
  auto conn = reactor_->Wrap(fd);
  conn->set_owner(s);
  bool failed = false;
  {
    std::lock_guard lock(s->mu);
    if (s->state != Session::State::kOpen) {
      failed = true;
    } else if (probe) {
      s->probe = conn;
      s->upgrade_deadline = Clock::now() + options_.upgrade_timeout;
    } else {
      s->websocket = true;
      s->ws = conn;
      // A direct WebSocket offers no further upgrade.
      conn->SendText(eio::OpenPacket(s->eio_sid, false, options_.ping_interval,
                                     options_.ping_timeout, options_.max_payload));
    }
  }
  if (failed) conn->Close(ws::kCloseGoingAway);
  reactor_->Register(conn);
}

// --- Engine.IO ---------------------------------------------------------------------------------

void SocketServer::OnWsMessage(const std::shared_ptr<WsConn>& conn, ws::Message& message) {
  auto s = std::static_pointer_cast<Session>(conn->owner());
  if (!s) {
    conn->Close(ws::kCloseNormal);
    return;
  }
  if (message.opcode == ws::Opcode::kBinary) {
    // Binary attachments are not supported: ignored, the connection stays usable.
    spdlog::debug("socket.io: {}: binary frame ignored", s->eio_sid);
    return;
  }
  auto p = eio::Decode(message.payload);
  {
    std::lock_guard lock(s->mu);
    if (conn == s->probe) {
      if (p && p->type == eio::PacketType::kPing && p->data == "probe") {
        conn->SendText("3probe");
        s->upgrading = true;
        s->cv.notify_all();  // the waiting GET returns a noop so the client can pause polling
      } else if (p && p->type == eio::PacketType::kUpgrade && s->upgrading) {
        s->websocket = true;
        s->ws = conn;
        s->probe.reset();
        s->upgrading = false;
        for (const auto& packet : s->outq) conn->SendText(packet);
        s->outq.clear();
        s->outq_bytes = 0;
        if (s->state == Session::State::kClosing) {
          // Closed while upgrading (see CloseSession): the close packet just went out.
          conn->Close(stopping_ ? ws::kCloseGoingAway : ws::kCloseNormal);
          s->state = Session::State::kClosed;
        }
        s->cv.notify_all();
      } else {
        conn->Abort();
        s->probe.reset();
        s->upgrading = false;
        s->cv.notify_all();
      }
      return;
    }
    if (conn != s->ws) {
      conn->Close(ws::kCloseNormal);
      return;
    }
  }
  if (!p) {
    CloseSession(s, CloseReason::kError);
    return;
  }
  HandleEioPacket(s, static_cast<char>(p->type), p->data, p->binary);
}

void SocketServer::OnWsClosed(const std::shared_ptr<WsConn>& conn) {
  auto s = std::static_pointer_cast<Session>(conn->owner());
  if (!s) return;
  bool active = false;
  {
    std::lock_guard lock(s->mu);
    if (conn == s->probe) {
      s->probe.reset();
      s->upgrading = false;
      s->cv.notify_all();
      return;
    }
    active = conn == s->ws;
  }
  if (active) CloseSession(s, CloseReason::kTransportClose);
}

void SocketServer::HandleEioPacket(const SessionPtr& s, char type, std::string_view data,
                                   bool binary) {
  switch (static_cast<eio::PacketType>(type)) {
    case eio::PacketType::kPong: {
      std::lock_guard lock(s->mu);
      s->awaiting_pong = false;
      s->next_ping = Clock::now() + options_.ping_interval;
      return;
    }
    case eio::PacketType::kPing:
      SendPacket(s, eio::Encode(eio::PacketType::kPong, data));
      return;
    case eio::PacketType::kMessage:
      if (binary) {
        spdlog::debug("socket.io: {}: binary packet ignored", s->eio_sid);
        return;
      }
      HandleSioText(s, data);
      return;
    case eio::PacketType::kClose:
      CloseSession(s, CloseReason::kClientClose);
      return;
    case eio::PacketType::kNoop:
      return;
    default:
      CloseSession(s, CloseReason::kError);
      return;
  }
}

bool SocketServer::SendPacketLocked(Session& s, const std::string& packet) {
  if (s.state != Session::State::kOpen) return true;
  if (s.websocket && s.ws) return s.ws->SendText(packet) == WsConn::SendResult::kOk;
  if (!s.outq.empty() && s.outq_bytes + packet.size() > options_.send_queue) return false;
  s.outq_bytes += packet.size();
  s.outq.push_back(packet);
  s.cv.notify_all();
  return true;
}

void SocketServer::SendPacket(const SessionPtr& s, const std::string& packet) {
  bool ok;
  {
    std::lock_guard lock(s->mu);
    ok = SendPacketLocked(*s, packet);
  }
  if (!ok) CloseSession(s, CloseReason::kError);
}

void SocketServer::CloseSession(const SessionPtr& s, CloseReason reason) {
  std::string sio_sid, counted_user;
  std::optional<http::Caller> caller;
  bool was_connected = false, remove = true, counted_anonymous = false, counted_ip = false;
  {
    std::lock_guard lock(s->mu);
    if (s->state != Session::State::kOpen) return;
    was_connected = s->sio_connected;
    sio_sid = s->sio_sid;
    caller = s->caller;
    counted_user = s->counted_user;
    s->sio_connected = false;
    s->counted_user.clear();
    counted_anonymous = s->counted_anonymous;
    counted_ip = s->counted_ip;
    s->counted_anonymous = s->counted_ip = false;
    std::vector<std::string> packets;
    if (reason == CloseReason::kServerDisconnect && was_connected)
      packets.push_back(eio::Encode(eio::PacketType::kMessage, "1"));  // Socket.IO DISCONNECT
    if (reason == CloseReason::kServerDisconnect || reason == CloseReason::kShutdown)
      packets.push_back(eio::Encode(eio::PacketType::kClose));
    // A client that has seen "3probe" pauses polling until its "5" has gone out on the probe:
    // from then on only the probe can tell it the session ended. So a close meant to reach the
    // client waits for that "5" (OnWsMessage delivers it); any other close drops the probe.
    const bool tell_through_probe = s->probe && s->upgrading && !packets.empty();
    if (s->probe && !tell_through_probe) {
      s->probe->Abort();
      s->probe.reset();
    }
    if (s->websocket) {
      if (s->ws) {
        for (const auto& p : packets) s->ws->SendText(p);
        s->ws->Close(reason == CloseReason::kShutdown ? ws::kCloseGoingAway : ws::kCloseNormal);
      }
      s->state = Session::State::kClosed;
    } else {
      for (auto& p : packets) {
        s->outq_bytes += p.size();
        s->outq.push_back(std::move(p));
      }
      if (!s->outq.empty() && reason != CloseReason::kPingTimeout &&
          reason != CloseReason::kError) {
        // Kept until a GET collects the last packets (or briefly, if none comes).
        s->state = Session::State::kClosing;
        s->closing_deadline = Clock::now() + std::min<std::chrono::milliseconds>(
                                                 options_.ping_timeout, std::chrono::seconds(5));
        remove = false;
      } else {
        s->state = Session::State::kClosed;
      }
    }
    s->cv.notify_all();
  }
  {
    std::lock_guard lock(mu_);
    if (!sio_sid.empty()) {
      auto it = by_sio_.find(sio_sid);
      if (it != by_sio_.end() && it->second == s) by_sio_.erase(it);
      rooms_.LeaveAll(sio_sid);
    }
    if (!counted_user.empty()) {
      auto it = per_user_.find(counted_user);
      if (it != per_user_.end() && --it->second == 0) per_user_.erase(it);
    }
    if (counted_anonymous) --anonymous_;
    if (counted_ip) {
      auto it = unauthenticated_per_ip_.find(s->remote_ip);
      if (it != unauthenticated_per_ip_.end() && --it->second == 0)
        unauthenticated_per_ip_.erase(it);
    }
    if (remove) by_eio_.erase(s->eio_sid);
  }
  spdlog::debug("socket.io: {} closed ({})", s->eio_sid, ReasonText(static_cast<int>(reason)));
  if (was_connected && reason != CloseReason::kShutdown) {
    bool wanted = false;
    {
      std::lock_guard lock(handlers_mu_);
      for (const auto& h : handlers_) wanted = wanted || h.event == "disconnect";
    }
    if (wanted) {
      const std::string args = json::array({ReasonText(static_cast<int>(reason))}).dump();
      Post(s, [this, s, sio_sid, caller, args] {
        Dispatch(s, sio_sid, caller, "disconnect", args, std::nullopt);
      });
    }
  }
}

void SocketServer::Sweep() {
  std::vector<SessionPtr> all;
  {
    std::lock_guard lock(mu_);
    all.reserve(by_eio_.size());
    for (const auto& [sid, s] : by_eio_) all.push_back(s);
  }
  const auto now = Clock::now();
  const std::string ping = eio::Encode(eio::PacketType::kPing);
  std::vector<std::pair<SessionPtr, CloseReason>> to_close;
  std::vector<SessionPtr> finished;
  for (const auto& s : all) {
    std::lock_guard lock(s->mu);
    if (s->state == Session::State::kClosing) {
      if (now >= s->closing_deadline) {
        s->state = Session::State::kClosed;
        if (s->probe) {  // the "5" never came
          s->probe->Abort();
          s->probe.reset();
          s->upgrading = false;
        }
        s->cv.notify_all();
        finished.push_back(s);
      }
      continue;
    }
    if (s->state != Session::State::kOpen) continue;
    if (s->awaiting_pong) {
      if (now >= s->pong_deadline) to_close.emplace_back(s, CloseReason::kPingTimeout);
    } else if (now >= s->next_ping) {
      s->awaiting_pong = true;
      s->pong_deadline = now + options_.ping_timeout;
      s->next_ping = now + options_.ping_interval;
      if (!SendPacketLocked(*s, ping)) to_close.emplace_back(s, CloseReason::kError);
    }
    if (!s->sio_connected && !s->connect_pending && now >= s->connect_deadline)
      to_close.emplace_back(s, CloseReason::kConnectTimeout);
    if (s->probe && now >= s->upgrade_deadline) {
      s->probe->Abort();
      s->probe.reset();
      s->upgrading = false;
      s->cv.notify_all();
    }
  }
  for (auto& [s, reason] : to_close) CloseSession(s, reason);
  if (!finished.empty()) {
    std::lock_guard lock(mu_);
    for (const auto& s : finished) by_eio_.erase(s->eio_sid);
  }
}

// --- Socket.IO ---------------------------------------------------------------------------------

void SocketServer::HandleSioText(const SessionPtr& s, std::string_view text) {
  auto p = sio::Decode(text);
  if (!p) {
    spdlog::debug("socket.io: {}: malformed packet", s->eio_sid);
    CloseSession(s, CloseReason::kError);
    return;
  }
  if (p->nsp != "/") {
    if (p->type == sio::PacketType::kConnect) {
      sio::Packet err;
      err.type = sio::PacketType::kConnectError;
      err.nsp = p->nsp;
      err.data = {{"message", "Invalid namespace"}};
      SendPacket(s, eio::Encode(eio::PacketType::kMessage, sio::Encode(err)));
    }
    return;
  }
  switch (p->type) {
    case sio::PacketType::kConnect: {
      {
        std::lock_guard lock(s->mu);
        if (s->sio_connected || s->connect_pending || s->state != Session::State::kOpen) return;
        s->connect_pending = true;
      }
      std::string token;
      if (p->data.is_object() && p->data.contains("token") && p->data["token"].is_string())
        token = p->data["token"].get<std::string>();
      Post(s, [this, s, token] { DoConnect(s, token); });
      return;
    }
    case sio::PacketType::kDisconnect:
      CloseSession(s, CloseReason::kClientDisconnect);
      return;
    case sio::PacketType::kEvent: {
      bool flood = false;
      {
        std::lock_guard lock(s->mu);
        if (!s->sio_connected) return;
        flood = s->queued >= kMaxQueuedEvents;
        if (!flood) ++s->queued;
      }
      if (flood) {
        spdlog::warn("socket.io: {}: more than {} events waiting, disconnecting", s->eio_sid,
                     kMaxQueuedEvents);
        CloseSession(s, CloseReason::kServerDisconnect);
        return;
      }
      auto data = std::make_shared<json>(std::move(p->data));
      const auto ack = p->id;
      Post(s, [this, s, data, ack] {
        struct Done {
          Session& s;
          ~Done() {
            std::lock_guard lock(s.mu);
            --s.queued;
          }
        } done{*s};
        DoEvent(s, *data, ack);
      });
      return;
    }
    case sio::PacketType::kAck:
      return;  // the server's emits never ask for acknowledgements
    case sio::PacketType::kBinaryEvent:
    case sio::PacketType::kBinaryAck:
      spdlog::debug("socket.io: {}: binary event ignored (attachments are not supported)",
                    s->eio_sid);
      return;
    case sio::PacketType::kConnectError:
      return;
  }
}

void SocketServer::Post(const SessionPtr& s, std::function<void()> task) {
  Worker& w = *workers_[s->worker];
  {
    std::lock_guard lock(w.mu);
    if (w.stop) return;
    w.tasks.push_back(std::move(task));
  }
  w.cv.notify_one();
}

std::optional<http::Caller> SocketServer::Authenticate(const std::string& token) {
  if (token.empty()) return std::nullopt;
  try {
    return pipeline_.AuthenticateToken(token, kAuthPath);
  } catch (const std::exception& e) {
    spdlog::warn("socket.io: authenticator failed: {}", e.what());
    return std::nullopt;
  }
}

void SocketServer::DoConnect(const SessionPtr& s, const std::string& token) {
  const auto caller = Authenticate(token);
  const std::string sio_sid = eio::NewSid();
  bool refused = false, ok = true, sent = false;
  {
    std::lock_guard lock(mu_);
    std::lock_guard slock(s->mu);
    s->connect_pending = false;
    if (s->state != Session::State::kOpen) return;
    if (caller && per_user_[caller->id] >= options_.max_per_user) {
      refused = true;
      if (per_user_[caller->id] == 0) per_user_.erase(caller->id);
    } else if (!caller && anonymous_ >= anonymous_cap_) {
      refused = true;
    } else {
      s->sio_sid = sio_sid;
      s->sio_connected = true;
      s->token = caller ? token : "";
      s->caller = caller;
      s->auth_checked = Clock::now();
      by_sio_[sio_sid] = s;
      rooms_.Join(sio_sid, sio_sid);
      if (caller) {
        rooms_.Join(sio_sid, "user:" + caller->id);
        ++per_user_[caller->id];
        s->counted_user = caller->id;
        ReleaseUnauthenticatedLocked(*s);
      } else {
        ++anonymous_;
        s->counted_anonymous = true;
      }
      // Under the locks, so no emit to this socket can overtake its CONNECT answer.
      ok = SendPacketLocked(
          *s, eio::Encode(eio::PacketType::kMessage, "0" + json{{"sid", sio_sid}}.dump()));
      sent = true;
    }
  }
  if (refused) {
    sio::Packet err;
    err.type = sio::PacketType::kConnectError;
    if (caller) {
      spdlog::warn("socket.io: user {} already has {} sockets (WEBUI_SOCKET_MAX_PER_USER)",
                   caller->id, options_.max_per_user);
      err.data = {{"message", "Too many connections for this user"}};
    } else {
      spdlog::warn(
          "socket.io: refused an anonymous socket from {}: {} open (WEBUI_SOCKET_MAX_ANONYMOUS)",
          s->remote_ip, anonymous_cap_);
      err.data = {{"message", "Too many anonymous connections"}};
    }
    SendPacket(s, eio::Encode(eio::PacketType::kMessage, sio::Encode(err)));
    // Closed at once (after the CONNECT_ERROR): a refused session must not hold a slot.
    CloseSession(s, CloseReason::kServerDisconnect);
    return;
  }
  if (sent && !ok) CloseSession(s, CloseReason::kError);
}

bool SocketServer::ApplyCaller(const SessionPtr& s, const std::string& token,
                               const http::Caller& caller) {
  std::lock_guard lock(mu_);
  std::lock_guard slock(s->mu);
  if (s->state != Session::State::kOpen || !s->sio_connected) return false;
  if (s->counted_user != caller.id) {
    if (per_user_[caller.id] >= options_.max_per_user) {
      if (per_user_[caller.id] == 0) per_user_.erase(caller.id);
      return false;
    }
    if (!s->counted_user.empty()) {
      rooms_.Leave(s->sio_sid, "user:" + s->counted_user);
      auto it = per_user_.find(s->counted_user);
      if (it != per_user_.end() && --it->second == 0) per_user_.erase(it);
    }
    rooms_.Join(s->sio_sid, "user:" + caller.id);
    ++per_user_[caller.id];
    s->counted_user = caller.id;
    ReleaseUnauthenticatedLocked(*s);
  }
  s->token = token;
  s->caller = caller;
  s->auth_checked = Clock::now();
  return true;
}

bool SocketServer::Recheck(const SessionPtr& s, bool force) {
  std::string token;
  {
    std::lock_guard lock(s->mu);
    if (s->state != Session::State::kOpen || !s->sio_connected) return false;
    if (s->token.empty()) return true;  // anonymous: nothing to lose
    if (!force && Clock::now() - s->auth_checked < options_.auth_cache) return true;
    token = s->token;
  }
  const auto caller = Authenticate(token);
  if (!caller) {
    spdlog::info("socket.io: {}: token no longer valid, disconnecting", s->eio_sid);
    CloseSession(s, CloseReason::kServerDisconnect);
    return false;
  }
  if (!ApplyCaller(s, token, *caller)) {
    CloseSession(s, CloseReason::kServerDisconnect);
    return false;
  }
  return true;
}

void SocketServer::DoEvent(const SessionPtr& s, const json& data,
                           std::optional<std::uint64_t> ack) {
  // T05: a revoked or demoted user must not act with the privileges the socket started with.
  if (!Recheck(s, false)) return;
  std::string sid;
  std::optional<http::Caller> caller;
  {
    std::lock_guard lock(s->mu);
    if (s->state != Session::State::kOpen || !s->sio_connected) return;
    sid = s->sio_sid;
    caller = s->caller;
  }
  const std::string event = data[0].is_string() ? data[0].get<std::string>() : data[0].dump();
  json args = json::array();
  for (std::size_t i = 1; i < data.size(); ++i) args.push_back(data[i]);
  if (event == "user-join") {
    DoUserJoin(s, args, ack);
    {
      std::lock_guard lock(s->mu);
      if (s->state != Session::State::kOpen) return;
      caller = s->caller;
    }
    // Plugins see the join with the caller it resolved; the host has answered the ack.
    Dispatch(s, sid, caller, event, args.dump(-1, ' ', false, json::error_handler_t::replace),
             std::nullopt);
    return;
  }
  Dispatch(s, sid, caller, event, args.dump(-1, ' ', false, json::error_handler_t::replace), ack);
}

void SocketServer::DoUserJoin(const SessionPtr& s, const json& args,
                              std::optional<std::uint64_t> ack) {
  std::string token;
  if (!args.empty() && args[0].is_object() && args[0].contains("auth") &&
      args[0]["auth"].is_object() && args[0]["auth"].contains("token") &&
      args[0]["auth"]["token"].is_string())
    token = args[0]["auth"]["token"].get<std::string>();
  const auto caller = Authenticate(token);
  if (!caller) {
    if (ack) SendAck(s, *ack, "[]");
    return;
  }
  if (!ApplyCaller(s, token, *caller)) {
    spdlog::warn("socket.io: user {} already has {} sockets (WEBUI_SOCKET_MAX_PER_USER)",
                 caller->id, options_.max_per_user);
    CloseSession(s, CloseReason::kServerDisconnect);
    return;
  }
  if (ack) SendAck(s, *ack, json::array({{{"id", caller->id}, {"name", caller->name}}}).dump());
}

void SocketServer::SendAck(const SessionPtr& s, std::uint64_t id, std::string_view args_json) {
  std::string args(args_json);
  auto first = args.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || args[first] != '[') args = "[" + args + "]";
  if (!json::accept(args)) {
    spdlog::warn("socket.io: acknowledgement is not JSON; not sent");
    return;
  }
  SendPacket(s, eio::Encode(eio::PacketType::kMessage, "3" + std::to_string(id) + args));
}

void SocketServer::Dispatch(const SessionPtr& s, const std::string& sid,
                            const std::optional<http::Caller>& caller, const std::string& event,
                            const std::string& args_json, std::optional<std::uint64_t> ack) {
  std::vector<Handler> targets;
  {
    std::lock_guard lock(handlers_mu_);
    for (const auto& h : handlers_)
      if (h.event == event) targets.push_back(h);
  }
  if (targets.empty()) return;
  bool acked = false;
  AckFn ack_fn = [&](std::string_view reply) {
    if (acked || !ack) return;
    acked = true;
    SendAck(s, *ack, reply);
  };
  ClientEvent ev{sid, caller ? &*caller : nullptr, event, args_json, ack ? &ack_fn : nullptr};
  for (const auto& h : targets) {
    // Asked at each event: a plugin disabled a moment ago hears nothing more, and hears again
    // once it is enabled (its code stays loaded either way).
    if (h.enabled && !h.enabled()) continue;
    try {
      (*h.fn)(ev);
    } catch (const std::exception& e) {
      spdlog::error("socket.io: handler of '{}' failed: {}", event, e.what());
    }
  }
}

std::uint64_t SocketServer::On(std::string event, EventHandler handler,
                               std::function<bool()> enabled) {
  const std::uint64_t id = next_handler_++;
  std::lock_guard lock(handlers_mu_);
  handlers_.push_back(Handler{std::move(event), id,
                              std::make_shared<EventHandler>(std::move(handler)),
                              std::move(enabled)});
  return id;
}

void* SocketServer::EmitterUserFor(const std::string& owner, std::function<bool()> enabled) {
  std::lock_guard lock(clients_mu_);
  auto& client = clients_[owner];
  if (!client)
    client = std::make_unique<EmitterClient>(EmitterClient{this, owner, std::move(enabled)});
  return client.get();
}

bool SocketServer::Off(std::uint64_t id) {
  std::lock_guard lock(handlers_mu_);
  auto it = std::find_if(handlers_.begin(), handlers_.end(),
                         [id](const Handler& h) { return h.id == id; });
  if (it == handlers_.end()) return false;
  handlers_.erase(it);
  return true;
}

void SocketServer::OnAuthChanged(std::string_view user_id) {
  std::vector<SessionPtr> targets;
  {
    std::lock_guard lock(mu_);
    if (user_id.empty()) {
      for (const auto& [sid, s] : by_sio_) targets.push_back(s);
    } else {
      for (const auto& sid : rooms_.Members("user:" + std::string(user_id))) {
        auto it = by_sio_.find(sid);
        if (it != by_sio_.end()) targets.push_back(it->second);
      }
    }
  }
  for (const auto& s : targets) {
    {
      // Events already queued are checked again too.
      std::lock_guard lock(s->mu);
      s->auth_checked = Clock::time_point{};
    }
    Post(s, [this, s] { Recheck(s, true); });
  }
}

// --- emitting ----------------------------------------------------------------------------------

bool SocketServer::Emit(std::string_view to, std::string_view event, std::string_view data_json) {
  if (!data_json.empty() && !json::accept(data_json)) return false;
  const std::string packet =
      eio::Encode(eio::PacketType::kMessage, sio::EncodeEvent(event, data_json));
  DeliverLocal(to, packet);
  if (emit_kv_ && !stopping_) {
    json m;
    m["o"] = instance_id_;
    m["t"] = std::string(to);
    m["e"] = std::string(event);
    m["d"] = std::string(data_json);
    try {
      emit_kv_->Publish(kEmitChannel, m.dump(-1, ' ', false, json::error_handler_t::replace));
    } catch (const std::exception& e) {
      spdlog::warn("socket.io: could not publish an event to other instances: {}", e.what());
    }
  }
  return true;
}

void SocketServer::OnRemoteEmit(std::string_view message) {
  json m = sdk::json::Parse(message).value_or(json(json::value_t::discarded));
  if (!m.is_object() || !m.contains("o") || !m["o"].is_string()) return;
  if (m["o"].get<std::string>() == instance_id_) return;  // delivered locally already
  if (!m.contains("t") || !m["t"].is_string() || !m.contains("e") || !m["e"].is_string() ||
      !m.contains("d") || !m["d"].is_string())
    return;
  const std::string data = m["d"].get<std::string>();
  if (!data.empty() && !json::accept(data)) return;
  DeliverLocal(
      m["t"].get<std::string>(),
      eio::Encode(eio::PacketType::kMessage, sio::EncodeEvent(m["e"].get<std::string>(), data)));
}

void SocketServer::DeliverLocal(std::string_view to, const std::string& packet) {
  std::vector<SessionPtr> targets;
  {
    std::lock_guard lock(mu_);
    if (to.empty()) {
      targets.reserve(by_sio_.size());
      for (const auto& [sid, s] : by_sio_) targets.push_back(s);
    } else {
      // Several targets separated by ',': each socket receives the event once.
      std::unordered_set<const Session*> seen;
      std::size_t pos = 0;
      while (pos <= to.size()) {
        std::size_t comma = to.find(',', pos);
        if (comma == std::string_view::npos) comma = to.size();
        std::string_view part = to.substr(pos, comma - pos);
        while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
        while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
        if (!part.empty()) {
          for (const auto& sid : rooms_.Members(std::string(part))) {
            auto it = by_sio_.find(sid);
            if (it != by_sio_.end() && seen.insert(it->second.get()).second)
              targets.push_back(it->second);
          }
        }
        pos = comma + 1;
      }
    }
  }
  if (targets.empty()) return;
  // One frame for every WebSocket target.
  const std::string frame = ws::EncodeFrame(ws::Opcode::kText, packet);
  std::vector<SessionPtr> failed;
  for (const auto& s : targets) {
    std::lock_guard lock(s->mu);
    if (s->state != Session::State::kOpen || !s->sio_connected) continue;
    bool ok;
    if (s->websocket && s->ws) {
      ok = s->ws->SendFrame(frame) == WsConn::SendResult::kOk;
    } else {
      ok = SendPacketLocked(*s, packet);
    }
    if (!ok) failed.push_back(s);
  }
  for (const auto& s : failed) CloseSession(s, CloseReason::kError);
}

}  // namespace webui::realtime
