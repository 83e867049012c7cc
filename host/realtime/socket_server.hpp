// Socket.IO (protocol v5) over Engine.IO (v4) inside the host, at /ws/socket.io/ and /socket.io/.
//
//   transports  HTTP long-polling (on the HTTP worker threads) and WebSocket, directly or as an
//               upgrade from polling. An upgraded WebSocket leaves the HTTP server: its socket is
//               detached and handed to the Reactor (one epoll thread), so idle sockets cost
//               memory, not threads.
//   auth        the CONNECT auth {token} and the `user-join` event resolve the caller through the
//               one authenticator (Pipeline::AuthenticateToken). Anonymous sockets are allowed, as
//               in Open WebUI, but under their own small cap (at most half the total), so they can
//               never lock signed-in users out; a session that sends no CONNECT within
//               connect_timeout is closed. A signed-in socket joins room
//               "user:<id>"; every socket joins the room named by its own sid. Before each client
//               event the token is checked again (cached for auth_cache), and a message on the KV
//               channel "webui-host:auth-changed" (a user id, or empty for everyone) re-checks at
//               once: a socket whose token no longer verifies is disconnected (docs/security.md T05).
//   events      client events go, in order per socket, to a small pool of dispatch threads that
//               call the handlers registered with On() (the socket_emitter.v1 service); the host
//               itself answers `user-join`. A plugin's handlers are skipped while it is disabled.
//   emits       Emit() reaches a sid, a room or everyone on this instance; with
//               WEBSOCKET_MANAGER=redis it is also published on "webui-host:socket-emit" so the
//               other instances deliver to the sockets they hold.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <webui_host/services/socket_emitter.h>
#include <nlohmann/json.hpp>

#include "config/settings.hpp"
#include "http/pipeline.hpp"
#include "http/request_context.hpp"
#include "http/router.hpp"
#include "kv/kv_store.hpp"
#include "realtime/rooms.hpp"

namespace webui::realtime {

inline constexpr const char* kAuthChangedChannel = WH_CHANNEL_AUTH_CHANGED;
inline constexpr const char* kEmitChannel = "webui-host:socket-emit";

struct RealtimeOptions {
  bool websocket = true;  // ENABLE_WEBSOCKET_SUPPORT: false = long-polling only, no upgrade
  std::chrono::milliseconds ping_interval{25000};  // WEBUI_SOCKET_PING_INTERVAL_MS
  std::chrono::milliseconds ping_timeout{20000};   // WEBUI_SOCKET_PING_TIMEOUT_MS
  std::size_t max_payload = 1000000;               // WEBUI_SOCKET_MAX_PAYLOAD
  std::size_t max_total = 10000;                   // WEBUI_SOCKET_MAX_TOTAL (Engine.IO sessions)
  std::size_t max_per_user = 100;                  // WEBUI_SOCKET_MAX_PER_USER
  // Sockets connected without a signed-in user; never more than max_total / 2 (see the class).
  std::size_t max_anonymous = 100;  // WEBUI_SOCKET_MAX_ANONYMOUS
  // Sessions without a signed-in user (CONNECT pending, or anonymous) per client address;
  // 0 = no limit. Behind a reverse proxy every client has the proxy's address.
  std::size_t max_anonymous_per_ip = 0;        // WEBUI_SOCKET_MAX_ANONYMOUS_PER_IP
  std::size_t send_queue = 4 << 20;            // WEBUI_SOCKET_SEND_QUEUE (bytes per socket)
  std::chrono::milliseconds auth_cache{1000};  // WEBUI_SOCKET_AUTH_CACHE_MS
  // Socket.IO CONNECT must come within this (Open WebUI's client sends it at once).
  std::chrono::milliseconds connect_timeout{5000};  // WEBUI_SOCKET_CONNECT_TIMEOUT_MS
  std::chrono::milliseconds upgrade_timeout{10000};
  int workers = 2;                                // WEBUI_SOCKET_WORKERS (dispatch threads)
  bool redis_manager = false;                     // WEBSOCKET_MANAGER=redis
  std::string redis_url;                          // WEBSOCKET_REDIS_URL (default REDIS_URL)
  std::string key_prefix = "open-webui";          // REDIS_KEY_PREFIX
  std::chrono::milliseconds redis_timeout{2000};  // REDIS_TIMEOUT_MS

  // Throws config::ConfigError naming a bad variable.
  static RealtimeOptions FromSettings(const config::Settings& settings);
};

class Reactor;
class WsConn;
namespace ws {
struct Message;
}

class SocketServer {
 public:
  using AckFn = std::function<void(std::string_view args_json)>;
  struct ClientEvent {
    std::string_view sid;        // the Socket.IO sid (Open WebUI's session_id)
    const http::Caller* caller;  // null for an anonymous socket
    std::string_view event;
    std::string_view args_json;  // JSON array of the event's arguments
    const AckFn* ack;            // null unless the client asked for an acknowledgement
  };
  using EventHandler = std::function<void(const ClientEvent&)>;

  struct Stats {
    std::size_t sessions = 0;    // Engine.IO sessions
    std::size_t connected = 0;   // Socket.IO sockets
    std::size_t anonymous = 0;   // Socket.IO sockets without a signed-in user
    std::size_t websockets = 0;  // descriptors held by the reactor
  };

  SocketServer(RealtimeOptions options, http::Pipeline& pipeline, kv::KvStore& host_kv);
  ~SocketServer();
  SocketServer(const SocketServer&) = delete;
  SocketServer& operator=(const SocketServer&) = delete;

  // GET+POST /ws/socket.io/ and /socket.io/, public, owner "host".
  void RegisterRoutes(http::Router& router);
  // Threads, the auth-changed subscription and the Redis manager.
  void Start();
  // Closes every socket (Engine.IO close), joins the threads. Idempotent.
  void Stop();

  // `to`: a sid, a room ("user:<id>"), several of those separated by ',' (each socket gets the
  // event once), or "" for every socket. False when data_json is not JSON.
  bool Emit(std::string_view to, std::string_view event, std::string_view data_json);
  // `enabled` (empty: always) is asked before each call: a disabled plugin's handlers receive
  // nothing until it is enabled again.
  std::uint64_t On(std::string event, EventHandler handler, std::function<bool()> enabled = {});
  bool Off(std::uint64_t id);

  // The socket_emitter.v1 table. Its service_user is a per-consumer handle: emitter_user() for
  // the host itself, EmitterUserFor() for a plugin (the same handle for the same owner; valid as
  // long as this object), so handlers registered through it follow the plugin's enabled flag.
  const wh_socket_emitter_v1* emitter() const { return &vtable_; }
  struct EmitterClient {
    SocketServer* server;
    std::string owner;
    std::function<bool()> enabled;  // empty: always
  };
  void* emitter_user() { return &host_client_; }
  void* EmitterUserFor(const std::string& owner, std::function<bool()> enabled);
  Stats stats() const;
  const RealtimeOptions& options() const { return options_; }

 private:
  struct Session;
  struct Worker;
  enum class CloseReason {
    kServerDisconnect,  // Socket.IO DISCONNECT first (token revoked, flood, cap)
    kClientDisconnect,
    kClientClose,
    kTransportClose,
    kPingTimeout,
    kConnectTimeout,
    kError,
    kShutdown,
  };
  using SessionPtr = std::shared_ptr<Session>;

  void HandleHttp(http::RequestContext& ctx);
  void HandleWebSocket(http::RequestContext& ctx, std::optional<std::string_view> sid);
  void HandlePollingHandshake(http::RequestContext& ctx);
  void HandlePoll(http::RequestContext& ctx, const SessionPtr& s);
  void HandlePost(http::RequestContext& ctx, const SessionPtr& s);

  // Null when a cap refuses it; *refused_by then names the setting.
  SessionPtr NewSession(const std::string& remote_ip, const char** refused_by);
  void HandleOversizedPost(http::RequestContext& ctx);
  // Forgets that a session counts as unauthenticated; needs mu_ and s.mu.
  void ReleaseUnauthenticatedLocked(Session& s);
  SessionPtr FindSession(std::string_view eio_sid) const;
  void HandleEioPacket(const SessionPtr& s, char type, std::string_view data, bool binary);
  void HandleSioText(const SessionPtr& s, std::string_view text);
  void OnWsMessage(const std::shared_ptr<WsConn>& conn, ws::Message& message);
  void OnWsClosed(const std::shared_ptr<WsConn>& conn);
  void Sweep();

  // Sends one Engine.IO packet (already encoded); closes the session when its queue overflows.
  void SendPacket(const SessionPtr& s, const std::string& packet);
  bool SendPacketLocked(Session& s, const std::string& packet);
  void CloseSession(const SessionPtr& s, CloseReason reason);
  void DeliverLocal(std::string_view to, const std::string& packet);

  void Post(const SessionPtr& s, std::function<void()> task);
  void DoConnect(const SessionPtr& s, const std::string& token);
  void DoEvent(const SessionPtr& s, const nlohmann::json& data, std::optional<std::uint64_t> ack);
  void DoUserJoin(const SessionPtr& s, const nlohmann::json& args,
                  std::optional<std::uint64_t> ack);
  bool Recheck(const SessionPtr& s, bool force);
  bool ApplyCaller(const SessionPtr& s, const std::string& token, const http::Caller& caller);
  std::optional<http::Caller> Authenticate(const std::string& token);
  void SendAck(const SessionPtr& s, std::uint64_t id, std::string_view args_json);
  void Dispatch(const SessionPtr& s, const std::string& sid,
                const std::optional<http::Caller>& caller, const std::string& event,
                const std::string& args_json, std::optional<std::uint64_t> ack);
  void OnAuthChanged(std::string_view user_id);
  void OnRemoteEmit(std::string_view message);

  RealtimeOptions options_;
  http::Pipeline& pipeline_;
  kv::KvStore& host_kv_;
  std::unique_ptr<Reactor> reactor_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<std::size_t> next_worker_{0};

  mutable std::mutex mu_;  // the tables below; taken before any Session::mu
  std::unordered_map<std::string, SessionPtr> by_eio_;
  std::unordered_map<std::string, SessionPtr> by_sio_;
  Rooms rooms_;
  std::unordered_map<std::string, std::size_t> per_user_;
  std::size_t anonymous_ = 0;  // connected sockets without a user
  std::unordered_map<std::string, std::size_t> unauthenticated_per_ip_;
  std::size_t anonymous_cap_ = 0;

  struct Handler {
    std::string event;
    std::uint64_t id;
    std::shared_ptr<EventHandler> fn;
    std::function<bool()> enabled;  // empty: always
  };
  mutable std::mutex handlers_mu_;
  std::vector<Handler> handlers_;
  std::mutex clients_mu_;
  std::unordered_map<std::string, std::unique_ptr<EmitterClient>> clients_;
  EmitterClient host_client_{this, "host", {}};
  std::atomic<std::uint64_t> next_handler_{1};

  std::atomic<int> active_polls_{0};  // long-poll GETs in progress
  std::atomic<bool> started_{false};
  std::atomic<bool> stopping_{false};
  std::unique_ptr<kv::KvStore> emit_kv_;
  std::uint64_t emit_subscription_ = 0;
  std::uint64_t auth_subscription_ = 0;
  std::string instance_id_;
  wh_socket_emitter_v1 vtable_{};
};

}  // namespace webui::realtime
