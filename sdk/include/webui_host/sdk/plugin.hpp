// webui-host plugin SDK: the plugin class, its Host (configuration, routes, database, key-value
// store, outbound HTTP, services) and the entry point macro.
#pragma once

#include <webui_host/sdk/core.hpp>
#include <webui_host/sdk/db.hpp>
#include <webui_host/sdk/errors.hpp>
#include <webui_host/sdk/fetch.hpp>
#include <webui_host/sdk/http.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace webui::sdk {

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
  // The credentials could not be checked (the database or directory behind them is down): the
  // host answers 503 and asks no other authenticator. A 1.0 host knows no such answer, so it
  // gets the same 503 as a rejection.
  wh_authn_result Unavailable() {
    if (!WH_HOST_HAS(api_, authenticator_add)) return Reject(503, kServiceUnavailable);
    return WH_AUTHN_UNAVAILABLE;
  }

 private:
  const wh_host_api* api_;
  wh_authn_host_ptr* out_;
};
using Authenticator = std::function<wh_authn_result(Request&, AuthnResult&)>;

using MessageHandler = std::function<void(std::string_view channel, std::string_view message)>;

class Transaction;

namespace detail {
// Query and QueryOne over a class's Exec, shared by Host (autocommit) and Transaction.
template <typename Self>
class Queries {
 public:
  // Every row of a query.
  std::vector<Row> Query(std::string_view sql, std::initializer_list<Param> params = {}) {
    std::vector<Row> rows;
    static_cast<Self*>(this)->Exec(sql, params, [&](const Row& r) {
      rows.push_back(r);
      return true;
    });
    return rows;
  }
  // The first row of a query, nullopt when there is none.
  std::optional<Row> QueryOne(std::string_view sql, std::initializer_list<Param> params = {}) {
    std::optional<Row> row;
    static_cast<Self*>(this)->Exec(sql, params, [&](const Row& r) {
      row = r;
      return false;
    });
    return row;
  }
};
}  // namespace detail

// The plugin's view of the host. One per plugin, alive from Init to Shutdown.
class Host : public detail::Queries<Host> {
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
  // A route with a body policy (uploads): needs a host of ABI 1.1.
  void Route(std::string_view method, std::string_view path, Auth auth, RouteOptions options,
             Handler handler) {
    if (!WH_HOST_HAS(api_, route_add_ex))
      throw Error(WH_INVALID, "route_add_ex: the host is older than ABI 1.1");
    routes_.push_back(std::make_unique<RouteEntry>(RouteEntry{api_, this, std::move(handler)}));
    wh_route_options o{};
    o.struct_size = sizeof o;
    o.method = ToWh(method);
    o.path = ToWh(path);
    o.auth = static_cast<wh_auth_level>(auth);
    o.max_body_bytes = options.max_body_bytes;
    o.body = static_cast<wh_body_policy>(options.body);
    Check(api_->route_add_ex(self_, &o, &RouteThunk, routes_.back().get()),
          "route_add_ex " + std::string(method) + " " + std::string(path));
  }
  // The primary authenticator: asked first for every request, at most one per host (auth's).
  void SetAuthenticator(Authenticator fn) {
    authenticators_.push_back(std::make_unique<AuthEntry>(AuthEntry{api_, this, std::move(fn)}));
    Check(api_->authenticator_set(self_, &AuthThunk, authenticators_.back().get()),
          "authenticator_set");
  }
  // Joins the host's identity chain at `order` (the primary is at 0; lower runs first). Return
  // WH_AUTHN_NONE from `fn` for requests whose credentials are not yours. Needs a 1.1 host; only
  // during init.
  void AddAuthenticator(Authenticator fn, int32_t order) {
    if (!WH_HOST_HAS(api_, authenticator_add))
      throw Error(WH_INVALID, "authenticator_add needs a host of ABI 1.1 or later");
    authenticators_.push_back(std::make_unique<AuthEntry>(AuthEntry{api_, this, std::move(fn)}));
    Check(api_->authenticator_add(self_, &AuthThunk, authenticators_.back().get(), order),
          "authenticator_add");
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
  Transaction Begin();

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
  // body is collected into FetchResult::body. Status and headers are in the result either way.
  FetchResult Fetch(const FetchRequest& req, const FetchDataFn& on_data = {}) {
    return Fetch(req, FetchHeadFn{}, on_data);
  }
  // The same, with `on_head` called once with the upstream's status and headers before any body
  // piece (e.g. to begin the client's stream with the upstream's status, or to refuse an answer
  // by its Content-Type); false from it aborts (status WH_ABORTED).
  FetchResult Fetch(const FetchRequest& req, const FetchHeadFn& on_head,
                    const FetchDataFn& on_data) {
    std::vector<wh_header> headers;
    const wh_http_request raw = detail::RawRequest(req, headers);
    FetchCtx ctx{&on_head, &on_data, FetchResult{}, nullptr};
    ctx.result.status = api_->http_fetch(self_, &raw, &HeadThunk, &DataThunk, &ctx,
                                         detail::AppendSink, &ctx.result.error);
    if (ctx.error) std::rethrow_exception(ctx.error);
    return std::move(ctx.result);
  }

  // Fetch with the body collected, following redirects itself: every hop is a new request to
  // the host, so a `public_only` request is checked again at each one (a public page that
  // redirects to 127.0.0.1 is refused). 301/302/303 turn into a GET without body, 307/308
  // repeat the request; Authorization and Cookie headers are dropped once the origin changes.
  // More than `max_redirects` hops: status WH_DENIED. The result is the last hop's, its
  // `url` the URL that answered.
  FetchResult FetchFollowing(FetchRequest req, const FollowOptions& options = {}) {
    for (int hop = 0;; ++hop) {
      std::size_t received = 0;
      std::string body;
      const FetchDataFn collect = [&](std::string_view chunk) {
        received += chunk.size();
        if (options.max_body_bytes != 0 && received > options.max_body_bytes) return false;
        body.append(chunk);
        return true;
      };
      FetchResult result = Fetch(req, collect);
      if (result.status == WH_ABORTED && options.max_body_bytes != 0 &&
          received > options.max_body_bytes) {
        result.error =
            "the answer is larger than " + std::to_string(options.max_body_bytes) + " bytes";
        return result;
      }
      result.body = std::move(body);
      result.url = req.url;
      const int code = result.http_status;
      const bool redirect = code == 301 || code == 302 || code == 303 || code == 307 || code == 308;
      if (!result.ok() || !redirect) return result;
      std::string location;
      for (const auto& [name, value] : result.headers) {
        if (IEquals(name, "location")) location = value;
      }
      if (location.empty()) return result;  // a 3xx without a target is the answer
      if (hop >= options.max_redirects) {
        result.status = WH_DENIED;
        result.error = "more than " + std::to_string(options.max_redirects) + " redirects";
        return result;
      }
      const std::string next = ResolveLocation(req.url, location);
      if (next.empty()) {
        result.status = WH_INVALID;
        result.error = "unusable redirect target";
        return result;
      }
      if (detail::OriginOf(next) != detail::OriginOf(req.url)) {
        // (remove_if, not std::erase_if: the SDK builds as C++17 too.)
        req.headers.erase(std::remove_if(req.headers.begin(), req.headers.end(),
                                         [](const auto& h) {
                                           return IEquals(h.first, "authorization") ||
                                                  IEquals(h.first, "cookie") ||
                                                  IEquals(h.first, "proxy-authorization");
                                         }),
                          req.headers.end());
      }
      if (code == 301 || code == 302 || code == 303) {
        if (req.method != "GET" && req.method != "HEAD") req.method = "GET";
        req.body.clear();
      }
      req.url = next;
    }
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

  // Fetch without a waiting thread (ABI 1.1, http_fetch_relay): returns at once and `handler`
  // consumes the answer on the host's relay thread (its callbacks must not block). No client is
  // attached: the Relay's calls answer false. OnSilence comes at least every 250 ms while the
  // upstream is silent; false from any callback drops the upstream (OnEnd follows with WH_OK).
  // False when the host cannot (older host, unusable request, relay not running): `handler` is
  // then destroyed without OnEnd, as with Response::Relay.
  bool FetchRelay(const FetchRequest& req, std::unique_ptr<RelayHandler> handler) {
    if (handler == nullptr || !WH_HOST_HAS(api_, http_fetch_relay)) return false;
    std::vector<wh_header> headers;
    const wh_http_request raw = detail::RawRequest(req, headers);
    wh_relay_handler h{};
    h.struct_size = sizeof h;
    h.on_head = &detail::RelayHeadThunk;
    h.on_data = &detail::RelayDataThunk;
    h.on_end = &detail::RelayEndThunk;
    h.release = &detail::RelayReleaseThunk;
    // From here the host owns the exchange: on failure it has already called release.
    auto* user = new detail::HostRelay(api_, std::move(handler));
    return api_->http_fetch_relay(self_, &raw, &h, user) == WH_OK;
  }

  // -- services --
  // Offers `vtable` under `name` (services/*.h). The vtable and `service_user` stay owned by the
  // plugin and must stay valid until Shutdown returns (a static vtable, a member as user).
  // For the services this SDK has clients for, prefer services.hpp (e.g. ApiConfigContributor).
  template <typename VTable>
  void OfferService(std::string_view name, const VTable* vtable, void* service_user = nullptr) {
    Check(api_->service_offer(self_, ToWh(name), vtable, sizeof(VTable), service_user),
          "service_offer " + std::string(name));
  }
  // Keeps `owned` alive until the plugin is unloaded (after Shutdown): the owner of what a
  // service table or callback points to (services.hpp uses it).
  void Keep(std::shared_ptr<void> owned) {
    std::lock_guard<std::mutex> lock(subs_mu_);
    kept_.push_back(std::move(owned));
  }

  // Raw providers of a service; services.hpp wraps them with checked, typed clients.
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

 private:
  friend class Transaction;
  static void Check(wh_status st, const std::string& what) { detail::Check(st, what); }
  // One statement, in `tx` or (null) autocommit.
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
    const FetchHeadFn* on_head;
    const FetchDataFn* on_data;
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
      if (!rs.started()) rs.Error(err);
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
      if (err.status() == WH_UNAVAILABLE) return result.Unavailable();
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
      if (*ctx->on_head) return (*ctx->on_head)(status, ctx->result.headers) ? 0 : 1;
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
  std::deque<std::unique_ptr<AuthEntry>> authenticators_;
  std::mutex subs_mu_;
  std::vector<std::pair<uint64_t, std::shared_ptr<MessageHandler>>> subscriptions_;
  std::vector<std::shared_ptr<void>> kept_;
};

// A transaction; rolls back unless committed.
class Transaction : public detail::Queries<Transaction> {
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
