// The one place where every request passes, in this order:
//   request id -> CORS preflight -> route (404/405) -> plugin enabled (404) -> body size (413)
//   -> caller resolution by the route's auth level (403/401) -> body read -> handler
//   -> security headers, CORS, compression -> write -> access/audit log.
// Any exception is caught here: 500 {"detail": ...}, logged with the request id.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <ostream>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <nlohmann/json_fwd.hpp>
#include <webui_host/sdk/errors.hpp>

#include "config/host_config.hpp"
#include "http/request_context.hpp"
#include "http/router.hpp"

namespace webui::http {

// What an authenticator decided about a request. kNone passes the request to the next one in
// the chain; kUnavailable (the credentials could not be checked: an outage) ends it with 503.
struct AuthOutcome {
  enum class Result { kNone, kOk, kRejected, kUnavailable } result = Result::kNone;
  Caller caller;
  int status = 401;
  std::string detail = "Invalid token";
};
using AuthenticatorFn = std::function<AuthOutcome(RequestContext&)>;

// Open WebUI's texts the pipeline answers with: one copy, the SDK's (sdk/errors.hpp).
using sdk::kServiceUnavailable;  // a 503 during a database outage
using sdk::messages::kAccessProhibited;

class Pipeline {
 public:
  Pipeline(const config::HostConfig& config, Router& router);
  ~Pipeline();

  // `whole`: the same response, when it can be sent in one write (the connection front's);
  // null from a plain POCO server (tests).
  void Handle(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& res,
              net::WholeResponse* whole = nullptr);

  // The identity chain: authenticators asked in ascending `order` (equal orders: the order they
  // were added) until one accepts, rejects or reports an outage. `enabled` says whether the
  // owner is enabled now (a disabled plugin's authenticator is skipped); null means always.
  // `primary` marks the one that authenticates every request (the auth plugin's, through
  // authenticator_set): there is at most one, and its owner cannot be disabled.
  bool AddAuthenticator(std::string owner, std::int32_t order, AuthenticatorFn fn,
                        std::function<bool()> enabled = nullptr, bool primary = false);
  void RemoveAuthenticators(std::string_view owner);
  std::string primary_authenticator_owner() const;
  // Asks the chain about `ctx`: the first answer that is not kNone, or kNone.
  AuthOutcome Authenticate(RequestContext& ctx) const;
  // Judges a bearer token outside HTTP (Socket.IO): the caller, or nullopt when there is no
  // authenticator or it rejects the token. `path` is what API-key endpoint rules see.
  std::optional<Caller> AuthenticateToken(std::string_view token, std::string_view path);

  // Called by RequestContext::BeginStream: decorates and sends the headers.
  std::ostream& StartStream(RequestContext& ctx);

  // Streaming responses in progress (RequestContext registers itself once its headers are out).
  void RegisterStream(RequestContext* ctx);
  // Ends every open stream with an error event (RequestContext::AbortStream) within `budget`;
  // returns how many were ended. For the shutdown deadline.
  std::size_t AbortStreams(std::string_view message, std::chrono::milliseconds budget);
  // What a relayed request's end runs (net::RelayJob::on_finished): its access and audit lines,
  // written with the status the client got. Owns copies of what it needs from `ctx`.
  std::function<void(int status)> RelayEpilogue(RequestContext& ctx);

  // Requests no route answered (404s, preflights), for /metrics.
  const metrics::RouteStats& unrouted_stats() const { return unrouted_; }

  // Whose X-Forwarded-For RequestContext believes for the client address.
  const config::TrustedProxies& trusted_proxies() const { return config_.forwarded_allow_ips; }

  // Draining: answer with Connection: close from now on.
  void BeginDrain() { draining_ = true; }
  int inflight() const { return inflight_.load(); }
  // Streaming responses written by a worker (not relayed) in progress.
  std::size_t streams_in_flight() {
    std::lock_guard lock(streams_mu_);
    return streams_.size();
  }

 private:
  void Dispatch(RequestContext& ctx);
  bool ResolveCaller(RequestContext& ctx, AuthLevel level);
  bool ReadBody(RequestContext& ctx, const Route& route, std::int64_t limit);
  // ReadBody for a multipart/form-data body on a route with the multipart policy: streamed
  // into the context's form parts (file parts to temporary files under DATA_DIR).
  bool ReadMultipart(RequestContext& ctx, const Route& route, std::int64_t limit,
                     std::string boundary);
  void RefuseBody(RequestContext& ctx, const Route& route, std::int64_t limit);
  // A body that ended early or timed out: 400 or 408, and the connection closes. Always false.
  bool RefuseIncompleteBody(RequestContext& ctx);
  void AnswerPreflight(RequestContext& ctx);
  // The headers every response carries (request id, security headers, CORS), which replace
  // any of the same name the handler set. Views into ctx, config_ and `origin`.
  static constexpr std::size_t kMaxDecorations = 10;
  using DecorationList = std::array<std::pair<std::string_view, std::string_view>, kMaxDecorations>;
  std::size_t CollectDecorations(RequestContext& ctx, DecorationList& out,
                                 std::optional<std::string>& origin) const;
  void Decorate(RequestContext& ctx);
  void Finish(RequestContext& ctx);
  void PrepareRelay(RequestContext& ctx);
  void Log(RequestContext& ctx, double ms);  // the access log line
  // The route's counters for /metrics (ENABLE_METRICS), or null when metrics are off.
  metrics::RouteStats* StatsFor(RequestContext& ctx);
  void Audit(RequestContext& ctx);  // the audit log line (AUDIT_LOG_LEVEL)
  // The audit line without its status, or null when this request is not audited.
  nlohmann::json AuditLine(RequestContext& ctx);
  void WriteAudit(nlohmann::json& line, int status);
  std::optional<std::string> AllowedOrigin(RequestContext& ctx) const;

  const config::HostConfig& config_;
  Router& router_;
  struct ChainLink {
    std::string owner;
    std::int32_t order = 0;
    bool primary = false;
    AuthenticatorFn fn;
    std::function<bool()> enabled;
  };
  mutable std::shared_mutex auth_mu_;
  std::vector<ChainLink> identity_chain_;  // sorted by order, stable
  std::atomic<int> inflight_{0};
  metrics::RouteStats unrouted_;
  std::atomic<bool> draining_{false};
  std::mutex streams_mu_;
  std::set<RequestContext*> streams_;
  std::mutex audit_mu_;
  std::ofstream audit_;
};

// Masks values of secret-looking fields in a JSON or form body, for logs.
std::string RedactSecrets(std::string_view body);

}  // namespace webui::http
