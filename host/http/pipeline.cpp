#include "http/pipeline.hpp"

#include <sys/random.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <sstream>

#include <Poco/DeflatingStream.h>
#include <Poco/Exception.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/UUIDGenerator.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>
#include <webui_host/sdk/json.hpp>

#include "http/multipart.hpp"
#include "net/whole_response.hpp"
#include "storage/database.hpp"
#include "storage/private_files.hpp"

namespace webui::http {
namespace {

using nlohmann::json;

bool ValidRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      return false;
  return true;
}

// A random (version 4) UUID for X-Request-ID. Random bytes come from the kernel a few hundred
// at a time per thread: one getrandom call per 16 requests, no stream object per request.
std::string NewRequestId() {
  thread_local std::array<unsigned char, 256> pool;
  thread_local std::size_t used = pool.size();
  if (used + 16 > pool.size()) {
    std::size_t filled = 0;
    while (filled < pool.size()) {
      const ssize_t n = ::getrandom(pool.data() + filled, pool.size() - filled, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Poco::UUIDGenerator::defaultGenerator().createRandom().toString();
      filled += static_cast<std::size_t>(n);
    }
    used = 0;
  }
  unsigned char* b = pool.data() + used;
  used += 16;
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(36, '-');
  std::size_t pos = 0;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) ++pos;  // the dashes of 8-4-4-4-12
    id[pos++] = kHex[b[i] >> 4];
    id[pos++] = kHex[b[i] & 0x0f];
  }
  return id;
}

bool SecretKey(std::string key) {
  for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return key.find("password") != std::string::npos || key.find("secret") != std::string::npos ||
         key.find("token") != std::string::npos || key == "api_key" || key == "apikey" ||
         key == "key" || key == "authorization" || key.find("api_keys") != std::string::npos;
}

void RedactJson(json& j) {
  if (j.is_object()) {
    for (auto& [k, v] : j.items()) {
      if (SecretKey(k) && !v.is_null()) {
        v = "********";
      } else {
        RedactJson(v);
      }
    }
  } else if (j.is_array()) {
    for (auto& v : j) RedactJson(v);
  }
}

bool Compressible(std::string_view content_type) {
  return content_type.rfind("application/json", 0) == 0 || content_type.rfind("text/", 0) == 0 ||
         content_type.find("javascript") != std::string_view::npos ||
         content_type.find("xml") != std::string_view::npos ||
         content_type.find("svg") != std::string_view::npos;
}

bool AcceptsGzip(std::string_view accept) {
  size_t pos = 0;
  while (pos < accept.size()) {
    size_t comma = accept.find(',', pos);
    std::string_view item =
        accept.substr(pos, comma == std::string_view::npos ? comma : comma - pos);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    if (item.rfind("gzip", 0) == 0) {
      return item.find("q=0") == std::string_view::npos ||
             item.find("q=0.") != std::string_view::npos;
    }
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return false;
}

std::string Gzip(const std::string& in) {
  std::ostringstream out;
  Poco::DeflatingOutputStream gz(out, Poco::DeflatingStreamBuf::STREAM_GZIP, 6);
  gz.write(in.data(), static_cast<std::streamsize>(in.size()));
  gz.close();
  return out.str();
}

void ApplyStatus(Poco::Net::HTTPServerResponse& res, int status) {
  res.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
}

// Whether reading the request failed on a receive timeout or read deadline (POCO's session
// keeps the network error it saw).
bool ReadTimedOut(Poco::Net::HTTPServerRequest& req) {
  auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&req);
  if (impl == nullptr) return false;
  return dynamic_cast<const Poco::TimeoutException*>(impl->session().networkException()) != nullptr;
}

}  // namespace

std::string RedactSecrets(std::string_view body) {
  if (body.empty()) return {};
  json j = sdk::json::Parse(body).value_or(json(json::value_t::discarded));
  if (!j.is_discarded()) {
    RedactJson(j);
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  // application/x-www-form-urlencoded
  std::string out;
  size_t pos = 0;
  while (pos <= body.size()) {
    size_t amp = body.find('&', pos);
    std::string_view pair = body.substr(pos, amp == std::string_view::npos ? amp : amp - pos);
    size_t eq = pair.find('=');
    if (!out.empty()) out += '&';
    if (eq != std::string_view::npos && SecretKey(std::string(pair.substr(0, eq)))) {
      out += std::string(pair.substr(0, eq)) + "=********";
    } else {
      out += pair;
    }
    if (amp == std::string_view::npos) break;
    pos = amp + 1;
  }
  return out;
}

Pipeline::Pipeline(const config::HostConfig& config, Router& router)
    : config_(config), router_(router) {
  if (config_.audit_level != config::AuditLevel::kNone) {
    // Audit lines carry e-mails, addresses and request bodies: owner-only, like the database.
    try {
      const std::filesystem::path path(config_.audit_log_path);
      if (path.has_parent_path()) storage::CreatePrivateDirectory(path.parent_path());
      storage::CreatePrivateFile(path);
    } catch (const std::exception& e) {
      spdlog::error("{}", e.what());
    }
    audit_.open(config_.audit_log_path, std::ios::app);
    if (!audit_) spdlog::error("cannot open audit log {}", config_.audit_log_path);
  }
}

Pipeline::~Pipeline() = default;

bool Pipeline::AddAuthenticator(std::string owner, std::int32_t order, AuthenticatorFn fn,
                                std::function<bool()> enabled, bool primary) {
  std::unique_lock lock(auth_mu_);
  if (primary) {
    for (const auto& link : identity_chain_)
      if (link.primary) return false;
  }
  ChainLink link{std::move(owner), order, primary, std::move(fn), std::move(enabled)};
  auto at = std::upper_bound(identity_chain_.begin(), identity_chain_.end(), link.order,
                             [](std::int32_t o, const ChainLink& l) { return o < l.order; });
  identity_chain_.insert(at, std::move(link));
  return true;
}

void Pipeline::RemoveAuthenticators(std::string_view owner) {
  std::unique_lock lock(auth_mu_);
  std::erase_if(identity_chain_, [owner](const ChainLink& l) { return l.owner == owner; });
}

std::string Pipeline::primary_authenticator_owner() const {
  std::shared_lock lock(auth_mu_);
  for (const auto& link : identity_chain_)
    if (link.primary) return link.owner;
  return {};
}

AuthOutcome Pipeline::Authenticate(RequestContext& ctx) const {
  std::shared_lock lock(auth_mu_);
  for (const auto& link : identity_chain_) {
    if (link.enabled && !link.enabled()) continue;
    AuthOutcome outcome = link.fn(ctx);
    if (outcome.result != AuthOutcome::Result::kNone) return outcome;
  }
  return {};
}

std::optional<Caller> Pipeline::AuthenticateToken(std::string_view token, std::string_view path) {
  if (token.empty()) return std::nullopt;
  RequestContext ctx("GET", std::string(path), {{"Authorization", "Bearer " + std::string(token)}});
  AuthOutcome outcome = Authenticate(ctx);
  if (outcome.result != AuthOutcome::Result::kOk) return std::nullopt;
  return outcome.caller;
}

void Pipeline::Handle(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& res,
                      net::WholeResponse* whole) {
  const auto start = std::chrono::steady_clock::now();
  ++inflight_;
  RequestContext ctx(req, res, this);
  ctx.set_started(start);
  ctx.set_whole_response(whole);
  try {
    auto incoming = ctx.Header("X-Request-ID");
    ctx.set_request_id(incoming && ValidRequestId(*incoming) ? std::string(*incoming)
                                                             : NewRequestId());
    if (ctx.method() == "OPTIONS" && ctx.Header("Origin") &&
        ctx.Header("Access-Control-Request-Method")) {
      AnswerPreflight(ctx);
    } else {
      Dispatch(ctx);
    }
  } catch (const storage::StorageUnavailable& e) {
    // A host route hit a database outage: an honest 503, logged once per outage by the database.
    spdlog::debug("request {} {} {}: {}", ctx.request_id(), ctx.method(), ctx.path(), e.what());
    ctx.SendError(503, kServiceUnavailable);
  } catch (const std::exception& e) {
    spdlog::error("request {} {} {} failed: {}", ctx.request_id(), ctx.method(), ctx.path(),
                  e.what());
    ctx.SendError(500, "Internal Server Error");
  } catch (...) {
    spdlog::error("request {} {} {} failed with a non-standard exception", ctx.request_id(),
                  ctx.method(), ctx.path());
    ctx.SendError(500, "Internal Server Error");
  }
  bool audited = false;
  try {
    if (ctx.mode() == RequestContext::Mode::kNone ||
        ctx.mode() == RequestContext::Mode::kBuffered) {
      // The audit line is written before the client can see the response (a buffered response
      // leaves at once: it is not held back until the handler's stack unwinds).
      audited = true;
      try {
        Audit(ctx);
      } catch (...) {
      }
      Finish(ctx);
    }
    if (ctx.mode() == RequestContext::Mode::kRelayed) PrepareRelay(ctx);
  } catch (const std::exception& e) {
    spdlog::debug("request {}: could not write the response: {}", ctx.request_id(), e.what());
  }
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (ctx.mode() == RequestContext::Mode::kStreaming) {
    std::lock_guard lock(streams_mu_);
    streams_.erase(&ctx);
  }
  try {
    // A relayed request is logged when the relay ends (RelayEpilogue).
    if (ctx.mode() != RequestContext::Mode::kRelayed) {
      Log(ctx, ms);
      if (!audited) Audit(ctx);
      if (auto* stats = StatsFor(ctx)) stats->Record(ctx.status(), ms / 1000);
    }
  } catch (...) {
  }
  --inflight_;
}

void Pipeline::Dispatch(RequestContext& ctx) {
  RouteMatch match = router_.Match(ctx.method(), ctx.path());
  if (!match.route && ctx.is_head()) match = router_.Match("GET", ctx.path());
  if (!match.route && !match.path_matched) {
    if (auto fallback = router_.fallback()) match.route = std::move(fallback);
  }
  if (!match.route || !match.route->IsEnabled()) {
    if (match.path_matched && !match.route) {
      ctx.SendError(405, "Method Not Allowed");
    } else {
      ctx.SendError(404, "Not Found");
    }
    return;
  }
  const Route& route = *match.route;
  ctx.set_route(std::move(match));

  // Refuse an oversized body before reading a byte of it. Only a streamed (multipart) body may
  // exceed the host's limit: it never sits in memory.
  const bool streamed = route.body == Route::Body::kMultipart &&
                        FormDataBoundary(ctx.raw_request().getContentType()).has_value();
  const std::int64_t limit = route.max_body_bytes <= 0 ? config_.max_body_bytes
                             : streamed                ? route.max_body_bytes
                                        : std::min(route.max_body_bytes, config_.max_body_bytes);
  if (ctx.raw_request().getContentLength64() > limit) {
    RefuseBody(ctx, route, limit);
    return;
  }
  if (!ResolveCaller(ctx, route.auth)) return;
  if (!ReadBody(ctx, route, limit)) return;
  route.handler(ctx);
  if (ctx.mode() == RequestContext::Mode::kNone) {
    spdlog::error("request {}: handler of {} {} ({}) sent no response", ctx.request_id(),
                  route.method, route.pattern, route.owner);
    ctx.SendError(500, "Internal Server Error");
  }
}

bool Pipeline::ResolveCaller(RequestContext& ctx, AuthLevel level) {
  if (level == AuthLevel::kPublic || level == AuthLevel::kPlugin) return true;
  AuthOutcome outcome = Authenticate(ctx);
  switch (outcome.result) {
    case AuthOutcome::Result::kNone:
      if (level == AuthLevel::kOptional) return true;
      ctx.SendError(403, "Not authenticated");
      return false;
    case AuthOutcome::Result::kRejected:
      ctx.SendError(outcome.status, outcome.detail);
      return false;
    case AuthOutcome::Result::kUnavailable:
      // The credentials could not be checked: never a 401, which would end a valid session.
      ctx.SendError(503, kServiceUnavailable);
      return false;
    case AuthOutcome::Result::kOk:
      break;
  }
  const std::string& role = outcome.caller.role;
  bool allowed = false;
  switch (level) {
    case AuthLevel::kOptional:
    case AuthLevel::kAny:
      allowed = role == "pending" || role == "user" || role == "admin";
      break;
    case AuthLevel::kVerified:
      allowed = role == "user" || role == "admin";
      break;
    case AuthLevel::kAdmin:
      allowed = role == "admin";
      break;
    default:
      allowed = false;
  }
  if (!allowed) {
    ctx.SendError(401, kAccessProhibited);
    return false;
  }
  ctx.set_caller(std::move(outcome.caller));
  return true;
}

void Pipeline::RefuseBody(RequestContext& ctx, const Route& route, std::int64_t limit) {
  // The unread rest makes the connection unusable: close it.
  ctx.ForceClose();
  if (route.on_body_too_large) {
    route.on_body_too_large(ctx);
    return;
  }
  ctx.SendError(413, "Request body too large (limit " + std::to_string(limit) + " bytes)");
}

bool Pipeline::RefuseIncompleteBody(RequestContext& ctx) {
  ctx.ForceClose();
  if (ReadTimedOut(ctx.raw_request())) {
    ctx.SendError(408, "Request body not received in time");
  } else {
    ctx.SendError(400, "Incomplete request body");
  }
  return false;
}

bool Pipeline::ReadBody(RequestContext& ctx, const Route& route, std::int64_t limit) {
  auto& req = ctx.raw_request();
  if (route.body == Route::Body::kMultipart) {
    if (auto boundary = FormDataBoundary(req.getContentType()))
      return ReadMultipart(ctx, route, limit, std::move(*boundary));
  }
  const auto length = req.getContentLength64();
  if (length == 0 || (length < 0 && !req.getChunkedTransferEncoding())) return true;
  // The body is wanted now (its declared length passed, the caller was accepted).
  if (req.getExpectContinue()) ctx.raw_response().sendContinue();
  std::string body;
  if (length > 0) body.reserve(static_cast<size_t>(length));
  std::istream& in = req.stream();
  char buf[16384];
  while (in) {
    // Never ask for more than one byte past the limit: a read blocks until it has what it asked
    // for, and a client that stopped just past the limit must still get its 413.
    in.read(buf, static_cast<std::streamsize>(std::min<std::int64_t>(
                     sizeof buf, limit - static_cast<std::int64_t>(body.size()) + 1)));
    const auto n = in.gcount();
    if (n <= 0) break;
    if (static_cast<std::int64_t>(body.size()) + n > limit) {
      RefuseBody(ctx, route, limit);
      return false;
    }
    body.append(buf, static_cast<size_t>(n));
  }
  if (in.bad() || (length > 0 && static_cast<std::int64_t>(body.size()) != length)) {
    return RefuseIncompleteBody(ctx);
  }
  ctx.set_body(std::move(body));
  return true;
}

bool Pipeline::ReadMultipart(RequestContext& ctx, const Route& route, std::int64_t limit,
                             std::string boundary) {
  auto& req = ctx.raw_request();
  // Whatever is left unread of a refused body makes the connection unusable.
  const auto refuse = [&](std::string_view detail) {
    ctx.ForceClose();
    ctx.SendError(400, detail);
    return false;
  };
  if (boundary.empty()) return refuse("Invalid multipart boundary");
  const auto length = req.getContentLength64();
  if (length == 0 || (length < 0 && !req.getChunkedTransferEncoding()))
    return refuse("Empty multipart body");
  const std::filesystem::path temp_dir = std::filesystem::path(config_.data_dir) / "upload-tmp";
  try {
    storage::CreatePrivateDirectory(temp_dir);
  } catch (const std::exception& e) {
    spdlog::error("request {}: {}", ctx.request_id(), e.what());
    ctx.ForceClose();
    ctx.SendError(500, "Cannot store the upload");
    return false;
  }
  // The parser owns the files until the parts go to the context; either deletes them.
  MultipartParser parser(std::move(boundary), temp_dir);
  if (req.getExpectContinue()) ctx.raw_response().sendContinue();
  std::istream& in = req.stream();
  std::int64_t received = 0;
  char buf[65536];
  try {
    while (in) {
      in.read(buf, static_cast<std::streamsize>(
                       std::min<std::int64_t>(sizeof buf, limit - received + 1)));
      const auto n = in.gcount();
      if (n <= 0) break;
      received += n;
      if (received > limit) {
        RefuseBody(ctx, route, limit);
        return false;
      }
      if (auto error = parser.Feed(std::string_view(buf, static_cast<size_t>(n))))
        return refuse(*error);
    }
  } catch (const std::system_error& e) {
    spdlog::error("request {}: {}", ctx.request_id(), e.what());
    ctx.ForceClose();
    ctx.SendError(500, "Cannot store the upload");
    return false;
  }
  if (in.bad() || (length > 0 && received != length)) {
    return RefuseIncompleteBody(ctx);
  }
  if (auto error = parser.Finish()) return refuse(*error);
  ctx.set_form_parts(parser.TakeParts());
  return true;
}

std::optional<std::string> Pipeline::AllowedOrigin(RequestContext& ctx) const {
  auto origin = ctx.Header("Origin");
  if (!origin) return std::nullopt;
  for (const auto& allowed : config_.cors_allow_origin)
    if (allowed == "*" || allowed == *origin) return std::string(*origin);
  return std::nullopt;
}

void Pipeline::AnswerPreflight(RequestContext& ctx) {
  auto origin = AllowedOrigin(ctx);
  if (!origin) {
    ctx.SetStatus(400);
    ctx.SetHeader("Content-Type", "text/plain; charset=utf-8");
    ctx.Send("Disallowed CORS origin");
    return;
  }
  ctx.SetStatus(200);
  ctx.SetHeader("Access-Control-Allow-Methods", "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT");
  if (auto h = ctx.Header("Access-Control-Request-Headers"))
    ctx.SetHeader("Access-Control-Allow-Headers", *h);
  ctx.SetHeader("Access-Control-Max-Age", "600");
  ctx.SetHeader("Content-Type", "text/plain; charset=utf-8");
  ctx.Send("OK");
}

std::size_t Pipeline::CollectDecorations(RequestContext& ctx, DecorationList& out,
                                         std::optional<std::string>& origin) const {
  std::size_t n = 0;
  auto add = [&](std::string_view name, std::string_view value) { out[n++] = {name, value}; };
  add("X-Request-ID", ctx.request_id());
  add("X-Content-Type-Options", "nosniff");
  if (!config_.x_frame_options.empty()) add("X-Frame-Options", config_.x_frame_options);
  if (!config_.referrer_policy.empty()) add("Referrer-Policy", config_.referrer_policy);
  if (!config_.hsts.empty()) add("Strict-Transport-Security", config_.hsts);
  if (!config_.content_security_policy.empty())
    add("Content-Security-Policy", config_.content_security_policy);
  if (!config_.permissions_policy.empty()) add("Permissions-Policy", config_.permissions_policy);
  if ((origin = AllowedOrigin(ctx))) {
    add("Access-Control-Allow-Origin", *origin);
    add("Access-Control-Allow-Credentials", "true");
    add("Vary", "Origin");
  }
  return n;
}

void Pipeline::Decorate(RequestContext& ctx) {
  DecorationList decorations;
  std::optional<std::string> origin;
  const std::size_t n = CollectDecorations(ctx, decorations, origin);
  for (std::size_t i = 0; i < n; ++i) ctx.SetHeader(decorations[i].first, decorations[i].second);
}

std::ostream& Pipeline::StartStream(RequestContext& ctx) {
  Decorate(ctx);
  auto& res = ctx.raw_response();
  ApplyStatus(res, ctx.status());
  for (const auto& [k, v] : ctx.response_headers()) res.add(k, v);
  res.setChunkedTransferEncoding(true);
  if (draining_) res.setKeepAlive(false);
  std::ostream& out = res.send();
  out.flush();
  return out;
}

void Pipeline::Finish(RequestContext& ctx) {
  auto& res = ctx.raw_response();
  std::string& body = ctx.mutable_response_body();
  std::optional<std::string_view> content_type;
  const bool compress =
      config_.compression && body.size() >= 1024 && !ctx.ResponseHeader("Content-Encoding") &&
      (content_type = ctx.ResponseHeader("Content-Type")) && Compressible(*content_type) &&
      AcceptsGzip(ctx.Header("Accept-Encoding").value_or(""));
  net::WholeResponse* whole = ctx.whole_response();
  if (whole != nullptr && !compress) {
    // The common case: the decorations go out with the handler's headers, not copied into them.
    DecorationList decorations;
    std::optional<std::string> origin;
    const std::size_t n = CollectDecorations(ctx, decorations, origin);
    ApplyStatus(res, ctx.status());
    if (draining_ || ctx.close_connection()) res.setKeepAlive(false);
    whole->SendWhole(ctx.response_headers(), std::span(decorations.data(), n), body);
    return;
  }
  Decorate(ctx);
  if (compress) {
    body = Gzip(body);
    ctx.SetHeader("Content-Encoding", "gzip");
    auto vary = ctx.ResponseHeader("Vary");
    ctx.SetHeader("Vary", vary ? std::string(*vary) + ", Accept-Encoding" : "Accept-Encoding");
  }
  ApplyStatus(res, ctx.status());
  if (draining_ || ctx.close_connection()) res.setKeepAlive(false);
  if (whole != nullptr) {
    whole->SendWhole(ctx.response_headers(), {}, body);
    return;
  }
  for (const auto& [k, v] : ctx.response_headers()) res.add(k, v);
  res.sendBuffer(body.data(), body.size());  // sets Content-Length
}

// A relayed response is written by the stream relay from the headers left here.
void Pipeline::PrepareRelay(RequestContext& ctx) {
  Decorate(ctx);
  auto& res = ctx.raw_response();
  for (const auto& [k, v] : ctx.response_headers()) res.add(k, v);
  if (draining_ || ctx.close_connection()) res.setKeepAlive(false);
}

void Pipeline::RegisterStream(RequestContext* ctx) {
  std::lock_guard lock(streams_mu_);
  streams_.insert(ctx);
}

std::size_t Pipeline::AbortStreams(std::string_view message, std::chrono::milliseconds budget) {
  const auto until = std::chrono::steady_clock::now() + budget;
  std::lock_guard lock(streams_mu_);
  std::size_t ended = 0;
  for (RequestContext* ctx : streams_)
    if (ctx->AbortStream(message, until)) ++ended;
  return ended;
}

namespace {
void AccessLine(spdlog::level::level_enum level, std::string_view addr, std::string_view method,
                std::string_view path, int status, double ms, std::string_view rid,
                std::string_view user) {
  spdlog::log(level, "{} {} {} {} {:.2f}ms rid={}{}{}", addr, method, path, status, ms, rid,
              user.empty() ? "" : " user=", user);
}
}  // namespace

void Pipeline::Log(RequestContext& ctx, double ms) {
  const auto level = config_.access_log ? spdlog::level::info : spdlog::level::debug;
  if (spdlog::should_log(level)) {
    AccessLine(level, ctx.remote_addr(), ctx.method(), ctx.path(), ctx.status(), ms,
               ctx.request_id(), ctx.caller() ? std::string_view(ctx.caller()->id) : "");
  }
}

metrics::RouteStats* Pipeline::StatsFor(RequestContext& ctx) {
  if (!config_.metrics_enabled) return nullptr;
  return ctx.route() ? ctx.route()->stats.get() : &unrouted_;
}

std::function<void(int)> Pipeline::RelayEpilogue(RequestContext& ctx) {
  const auto level = config_.access_log ? spdlog::level::info : spdlog::level::debug;
  std::optional<std::array<std::string, 5>> access;
  if (spdlog::should_log(level))
    access = std::array<std::string, 5>{ctx.remote_addr(), ctx.method(), ctx.path(),
                                        ctx.request_id(), ctx.caller() ? ctx.caller()->id : ""};
  json audit = AuditLine(ctx);
  // The route's counters stay alive with the route (a plugin's routes are never freed early).
  std::shared_ptr<metrics::RouteStats> stats;
  if (StatsFor(ctx) != nullptr && ctx.route()) stats = ctx.route()->stats;
  if (!access && audit.is_null() && !stats) return nullptr;
  return [this, level, access = std::move(access), audit = std::move(audit),
          stats = std::move(stats), start = ctx.started()](int status) mutable {
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (access) {
      const auto& [addr, method, path, rid, user] = *access;
      AccessLine(level, addr, method, path, status, ms, rid, user);
    }
    if (!audit.is_null()) WriteAudit(audit, status);
    if (stats) stats->Record(status, ms / 1000);
  };
}

void Pipeline::Audit(RequestContext& ctx) {
  json line = AuditLine(ctx);
  if (!line.is_null()) WriteAudit(line, ctx.status());
}

json Pipeline::AuditLine(RequestContext& ctx) {
  if (config_.audit_level == config::AuditLevel::kNone || !audit_.is_open()) return nullptr;
  const std::string& m = ctx.method();
  if (m == "GET" || m == "HEAD" || m == "OPTIONS") return nullptr;
  std::string_view rel = ctx.path();
  for (std::string_view prefix : {"/api/v1", "/api"}) {
    if (rel.rfind(prefix, 0) == 0) {
      rel.remove_prefix(prefix.size());
      break;
    }
  }
  for (const auto& ex : config_.audit_excluded_paths)
    if (!ex.empty() && rel.rfind(ex, 0) == 0) return nullptr;

  json line;
  line["id"] = ctx.request_id();
  line["timestamp"] = static_cast<std::int64_t>(std::time(nullptr));
  if (ctx.caller()) {
    line["user"] = {{"id", ctx.caller()->id},
                    {"name", ctx.caller()->name},
                    {"email", ctx.caller()->email},
                    {"role", ctx.caller()->role}};
  } else {
    line["user"] = nullptr;
  }
  line["audit_level"] = config_.audit_level == config::AuditLevel::kMetadata  ? "METADATA"
                        : config_.audit_level == config::AuditLevel::kRequest ? "REQUEST"
                                                                              : "REQUEST_RESPONSE";
  line["verb"] = m;
  line["request_uri"] = ctx.path() + (ctx.query_string().empty() ? "" : "?" + ctx.query_string());
  line["user_agent"] = std::string(ctx.Header("User-Agent").value_or(""));
  line["source_ip"] = ctx.remote_addr();
  const auto limit = static_cast<size_t>(config_.audit_max_body);
  if (config_.audit_level >= config::AuditLevel::kRequest)
    line["request_object"] = RedactSecrets(ctx.body()).substr(0, limit);
  if (config_.audit_level == config::AuditLevel::kRequestResponse &&
      ctx.mode() == RequestContext::Mode::kBuffered && !ctx.ResponseHeader("Content-Encoding")) {
    line["response_object"] = RedactSecrets(ctx.response_body()).substr(0, limit);
  }
  return line;
}

void Pipeline::WriteAudit(json& line, int status) {
  line["response_status_code"] = status;
  const std::string text = line.dump(-1, ' ', false, json::error_handler_t::replace);
  std::lock_guard lock(audit_mu_);
  audit_ << text << '\n';
  audit_.flush();
}

}  // namespace webui::http
