// The wh_host_api table: C entry points that turn plugin calls into host service calls. Every
// function is noexcept in effect: exceptions become status codes here and never reach a plugin.
#include <chrono>
#include <cstddef>
#include <cstring>
#include <memory>
#include <vector>

#include <spdlog/spdlog.h>

#include "net/http_front.hpp"
#include "net/stream_relay.hpp"
#include "outbound/http_client.hpp"
#include "plugins/host_services.hpp"
#include "plugins/plugin_manager.hpp"

namespace webui::plugins {
namespace {

using http::RequestContext;

std::string_view View(wh_str s) {
  return s.ptr == nullptr ? std::string_view{} : std::string_view(s.ptr, s.len);
}
wh_str Wh(std::string_view s) { return wh_str{s.data(), s.size()}; }

PluginRecord& Rec(wh_plugin_host_ptr* self) { return *reinterpret_cast<PluginRecord*>(self); }
RequestContext& Ctx(const wh_request_host_ptr* r) {
  return *reinterpret_cast<RequestContext*>(const_cast<wh_request_host_ptr*>(r));
}
RequestContext& Ctx(wh_response_host_ptr* r) { return *reinterpret_cast<RequestContext*>(r); }

void Report(wh_str_sink sink, void* user, std::string_view message) {
  if (sink != nullptr) sink(user, Wh(message));
}

// Runs `fn`, turning any exception into a status (message to the sink when given): a database
// that cannot be reached is WH_UNAVAILABLE (the SDK answers 503), anything else WH_ERROR.
template <typename Fn>
wh_status Guard(const char* what, wh_str_sink sink, void* user, Fn&& fn) noexcept {
  try {
    return fn();
  } catch (const storage::StorageUnavailable& e) {
    // Logged once per outage by the database itself.
    Report(sink, user, e.what());
    return WH_UNAVAILABLE;
  } catch (const std::exception& e) {
    spdlog::debug("host api {} failed: {}", what, e.what());
    Report(sink, user, e.what());
  } catch (...) {
    Report(sink, user, "unknown error");
  }
  return WH_ERROR;
}

// ---- logging ----
void Log(wh_plugin_host_ptr* self, wh_log_level level, wh_str message) {
  try {
    static constexpr spdlog::level::level_enum kMap[] = {spdlog::level::trace, spdlog::level::debug,
                                                         spdlog::level::info, spdlog::level::warn,
                                                         spdlog::level::err};
    const auto lvl = level <= WH_LOG_ERROR ? kMap[level] : spdlog::level::err;
    spdlog::log(lvl, "[{}] {}", Rec(self).name, View(message));
  } catch (...) {
  }
}

// ---- configuration ----
wh_status ConfigDeclare(wh_plugin_host_ptr* self, wh_str key, wh_str env, wh_str def,
                        int persistent) {
  return Guard("config_declare", nullptr, nullptr, [&] {
    auto& r = Rec(self);
    config::PersistentConfig::Result result;
    try {
      result = r.host->persistent.Declare(r.name, View(key), View(env), View(def), persistent != 0);
    } catch (const config::ConfigError& e) {
      // A deployment error, not a plugin bug: stop the start naming the variable.
      r.fatal_error = std::string("invalid configuration: ") + e.what();
      throw;
    }
    switch (result) {
      case config::PersistentConfig::Result::kOk:
        return WH_OK;
      case config::PersistentConfig::Result::kConflict:
        return WH_CONFLICT;
      default:
        return WH_INVALID;
    }
  });
}

wh_status ConfigGet(wh_plugin_host_ptr* self, wh_str key, wh_str_sink sink, void* user) {
  return Guard("config_get", nullptr, nullptr, [&] {
    auto v = Rec(self).host->persistent.Get(View(key));
    if (!v) return WH_NOT_FOUND;
    sink(user, Wh(*v));
    return WH_OK;
  });
}

wh_status ConfigSet(wh_plugin_host_ptr* self, wh_str key, wh_str value) {
  return Guard("config_set", nullptr, nullptr, [&] {
    auto& r = Rec(self);
    switch (r.host->persistent.Set(r.name, View(key), View(value))) {
      case config::PersistentConfig::Result::kOk:
        return WH_OK;
      case config::PersistentConfig::Result::kDenied:
        return WH_DENIED;
      case config::PersistentConfig::Result::kNotFound:
        return WH_NOT_FOUND;
      default:
        return WH_INVALID;
    }
  });
}

wh_status EnvGet(wh_plugin_host_ptr* self, wh_str name, wh_str_sink sink, void* user) {
  return Guard("env_get", nullptr, nullptr, [&] {
    auto v = Rec(self).host->settings.Get(View(name));
    if (!v) return WH_NOT_FOUND;
    sink(user, Wh(*v));
    return WH_OK;
  });
}

// ---- routes and authentication ----
// route_add and route_add_ex: `options` holds every field (defaults filled in for a shorter
// struct of an older SDK).
wh_status AddRoute(wh_plugin_host_ptr* self, const wh_route_options& options, wh_handler_fn handler,
                   void* route_user) {
  const wh_str method = options.method;
  const wh_str path = options.path;
  const wh_auth_level auth = options.auth;
  {
    auto& r = Rec(self);
    if (!r.in_init) return WH_DENIED;
    if (handler == nullptr || auth > WH_AUTH_PLUGIN) return WH_INVALID;
    const std::string m(View(method));
    static constexpr const char* kMethods[] = {"GET",    "POST", "PUT",    "PATCH",
                                               "DELETE", "HEAD", "OPTIONS"};
    bool known = false;
    for (const char* k : kMethods) known = known || m == k;
    if (!known) return WH_INVALID;
    http::Route route;
    route.method = m;
    route.pattern = std::string(View(path));
    route.auth = static_cast<http::AuthLevel>(auth);
    route.max_body_bytes = options.max_body_bytes;
    route.body = options.body == WH_BODY_MULTIPART ? http::Route::Body::kMultipart
                                                   : http::Route::Body::kBuffered;
    route.owner = r.name;
    PluginRecord* rec = &r;
    route.enabled = [rec] { return rec->enabled.load(std::memory_order_relaxed); };
    route.handler = [handler, route_user](RequestContext& ctx) {
      handler(route_user, reinterpret_cast<const wh_request_host_ptr*>(&ctx),
              reinterpret_cast<wh_response_host_ptr*>(&ctx));
    };
    switch (r.host->router.Add(std::move(route))) {
      case http::Router::AddResult::kOk:
        return WH_OK;
      case http::Router::AddResult::kConflict:
        return WH_CONFLICT;
      default:
        return WH_INVALID;
    }
  }
}

wh_status RouteAdd(wh_plugin_host_ptr* self, wh_str method, wh_str path, wh_auth_level auth,
                   wh_handler_fn handler, void* route_user) {
  return Guard("route_add", nullptr, nullptr, [&] {
    wh_route_options options{};
    options.struct_size = sizeof options;
    options.method = method;
    options.path = path;
    options.auth = auth;
    return AddRoute(self, options, handler, route_user);
  });
}

wh_status RouteAddEx(wh_plugin_host_ptr* self, const wh_route_options* options,
                     wh_handler_fn handler, void* route_user) {
  return Guard("route_add_ex", nullptr, nullptr, [&] {
    // An older SDK's shorter struct: the fields it lacks keep their defaults. The first four
    // fields (size, method, path, auth) are the least any version has.
    constexpr std::size_t kLeast = offsetof(wh_route_options, auth) + sizeof(wh_auth_level);
    if (options == nullptr || options->struct_size < kLeast) return WH_INVALID;
    wh_route_options full{};
    std::memcpy(&full, options, std::min<std::size_t>(options->struct_size, sizeof full));
    full.struct_size = sizeof full;
    // Enum fields are read as integers: a plugin may send any value.
    std::int32_t body = 0;
    std::memcpy(&body, reinterpret_cast<const char*>(&full) + offsetof(wh_route_options, body),
                sizeof body);
    if (full.max_body_bytes < 0) return WH_INVALID;
    if (body != WH_BODY_BUFFERED && body != WH_BODY_MULTIPART) return WH_INVALID;
    return AddRoute(self, full, handler, route_user);
  });
}

// The chain link that calls a plugin's authenticator and turns its answer into an AuthOutcome.
http::AuthenticatorFn ChainLinkFor(wh_authenticator_fn fn, void* user) {
  return [fn, user](RequestContext& ctx) {
    http::AuthOutcome out;
    const wh_authn_result res = fn(user, reinterpret_cast<const wh_request_host_ptr*>(&ctx),
                                   reinterpret_cast<wh_authn_host_ptr*>(&out));
    if (res == WH_AUTHN_NONE) {
      out.result = http::AuthOutcome::Result::kNone;
    } else if (res == WH_AUTHN_UNAVAILABLE) {
      out.result = http::AuthOutcome::Result::kUnavailable;
    } else if (res == WH_AUTHN_OK && out.result == http::AuthOutcome::Result::kOk) {
      // accepted
    } else {
      // REJECTED, an unknown value, or OK without authn_accept: never let a caller through.
      if (out.result == http::AuthOutcome::Result::kOk) out = http::AuthOutcome{};
      out.result = http::AuthOutcome::Result::kRejected;
    }
    return out;
  };
}

wh_status AuthenticatorSet(wh_plugin_host_ptr* self, wh_authenticator_fn fn, void* user) {
  return Guard("authenticator_set", nullptr, nullptr, [&] {
    auto& r = Rec(self);
    if (fn == nullptr) return WH_INVALID;
    // The primary authenticator answers for every request, so it is never skipped.
    const bool ok = r.host->pipeline.AddAuthenticator(r.name, 0, ChainLinkFor(fn, user), nullptr,
                                                      /*primary=*/true);
    return ok ? WH_OK : WH_CONFLICT;
  });
}

wh_status AuthenticatorAdd(wh_plugin_host_ptr* self, wh_authenticator_fn fn, void* user,
                           int32_t order) {
  return Guard("authenticator_add", nullptr, nullptr, [&] {
    auto& r = Rec(self);
    if (!r.in_init) return WH_DENIED;
    if (fn == nullptr) return WH_INVALID;
    PluginRecord* rec = &r;
    r.host->pipeline.AddAuthenticator(r.name, order, ChainLinkFor(fn, user), [rec] {
      return rec->enabled.load(std::memory_order_relaxed);
    });
    return WH_OK;
  });
}

void AuthnAccept(wh_authn_host_ptr* out, const wh_caller* caller) {
  try {
    auto& o = *reinterpret_cast<http::AuthOutcome*>(out);
    if (caller == nullptr || caller->struct_size < offsetof(wh_caller, name) + sizeof(wh_str)) {
      o.result = http::AuthOutcome::Result::kRejected;
      return;
    }
    o.result = http::AuthOutcome::Result::kOk;
    o.caller = http::Caller{std::string(View(caller->id)), std::string(View(caller->role)),
                            std::string(View(caller->email)), std::string(View(caller->name))};
  } catch (...) {
  }
}

void AuthnReject(wh_authn_host_ptr* out, int status, wh_str detail) {
  try {
    auto& o = *reinterpret_cast<http::AuthOutcome*>(out);
    o.result = http::AuthOutcome::Result::kRejected;
    o.status = status >= 400 && status <= 599 ? status : 401;
    o.detail = detail.len > 0 ? std::string(View(detail)) : "Invalid token";
  } catch (...) {
  }
}

// ---- request accessors ----
wh_str ReqMethod(const wh_request_host_ptr* r) { return Wh(Ctx(r).method()); }
wh_str ReqPath(const wh_request_host_ptr* r) { return Wh(Ctx(r).path()); }
wh_str ReqQueryString(const wh_request_host_ptr* r) { return Wh(Ctx(r).query_string()); }
wh_str ReqBody(const wh_request_host_ptr* r) { return Wh(Ctx(r).body()); }
size_t ReqFormPartCount(const wh_request_host_ptr* r) { return Ctx(r).form_parts().size(); }
wh_status ReqFormPartAt(const wh_request_host_ptr* r, size_t index, wh_form_part* out) {
  if (out == nullptr) return WH_INVALID;
  const auto& parts = Ctx(r).form_parts();
  if (index >= parts.size()) return WH_NOT_FOUND;
  const http::FormPart& part = parts[index];
  // A plugin built against a shorter wh_form_part gets the fields it knows.
  const std::uint32_t size = out->struct_size;
  constexpr std::size_t kLeast = offsetof(wh_form_part, name) + sizeof(wh_str);
  if (size < kLeast) return WH_INVALID;
  wh_form_part full{};
  full.struct_size = size;
  full.name = Wh(part.name);
  full.filename = Wh(part.filename);
  full.content_type = Wh(part.content_type);
  full.value = Wh(part.value);
  full.file_path = Wh(part.file.native());
  full.size = part.size;
  std::memcpy(out, &full, std::min<std::size_t>(size, sizeof full));
  return WH_OK;
}
wh_str ReqId(const wh_request_host_ptr* r) { return Wh(Ctx(r).request_id()); }
wh_str ReqRemoteAddr(const wh_request_host_ptr* r) { return Wh(Ctx(r).remote_addr()); }

template <typename Fn>
wh_status Lookup(wh_str* out, Fn&& fn) noexcept {
  try {
    std::optional<std::string_view> v = fn();
    if (!v) return WH_NOT_FOUND;
    *out = Wh(*v);
    return WH_OK;
  } catch (...) {
    return WH_ERROR;
  }
}
wh_status ReqPathParam(const wh_request_host_ptr* r, wh_str name, wh_str* out) {
  return Lookup(out, [&] { return Ctx(r).PathParam(View(name)); });
}
wh_status ReqQueryParam(const wh_request_host_ptr* r, wh_str name, wh_str* out) {
  return Lookup(out, [&] { return Ctx(r).QueryParam(View(name)); });
}
wh_status ReqHeader(const wh_request_host_ptr* r, wh_str name, wh_str* out) {
  return Lookup(out, [&] { return Ctx(r).Header(View(name)); });
}
wh_status ReqCookie(const wh_request_host_ptr* r, wh_str name, wh_str* out) {
  return Lookup(out, [&] { return Ctx(r).Cookie(View(name)); });
}
size_t ReqHeaderCount(const wh_request_host_ptr* r) {
  try {
    return Ctx(r).Headers().size();
  } catch (...) {
    return 0;
  }
}
wh_status ReqHeaderAt(const wh_request_host_ptr* r, size_t index, wh_header* out) {
  try {
    const auto& hs = Ctx(r).Headers();
    if (index >= hs.size()) return WH_NOT_FOUND;
    out->name = Wh(hs[index].first);
    out->value = Wh(hs[index].second);
    return WH_OK;
  } catch (...) {
    return WH_ERROR;
  }
}
wh_status ReqCaller(const wh_request_host_ptr* r, wh_caller* out) {
  const auto& c = Ctx(r).caller();
  if (!c) return WH_NOT_FOUND;
  if (out == nullptr || out->struct_size < offsetof(wh_caller, name) + sizeof(wh_str))
    return WH_INVALID;
  out->id = Wh(c->id);
  out->role = Wh(c->role);
  out->email = Wh(c->email);
  out->name = Wh(c->name);
  return WH_OK;
}

// ---- responses ----
wh_status ResSetStatus(wh_response_host_ptr* r, int status) {
  if (status < 100 || status > 599) return WH_INVALID;
  Ctx(r).SetStatus(status);
  return WH_OK;
}
wh_status ResSetHeader(wh_response_host_ptr* r, wh_str name, wh_str value) {
  return Guard("res_set_header", nullptr, nullptr, [&] {
    // Header injection: no CR/LF in names or values.
    for (wh_str s : {name, value})
      for (char c : View(s))
        if (c == '\r' || c == '\n') return WH_INVALID;
    if (name.len == 0) return WH_INVALID;
    Ctx(r).SetHeader(View(name), View(value));
    return WH_OK;
  });
}
wh_status ResSend(wh_response_host_ptr* r, wh_str body) {
  return Guard("res_send", nullptr, nullptr,
               [&] { return Ctx(r).Send(std::string(View(body))) ? WH_OK : WH_CONFLICT; });
}
wh_status ResSendError(wh_response_host_ptr* r, int status, wh_str detail) {
  return Guard("res_send_error", nullptr, nullptr, [&] {
    if (status < 100 || status > 599) status = 500;
    return Ctx(r).SendError(status, View(detail)) ? WH_OK : WH_CONFLICT;
  });
}
wh_status ResStreamBegin(wh_response_host_ptr* r, wh_str content_type) {
  return Guard("res_stream_begin", nullptr, nullptr, [&] {
    return Ctx(r).BeginStream(content_type.len ? View(content_type) : "application/octet-stream")
               ? WH_OK
               : WH_CLOSED;
  });
}
wh_status ResStreamWrite(wh_response_host_ptr* r, wh_str chunk) {
  return Guard("res_stream_write", nullptr, nullptr,
               [&] { return Ctx(r).Write(View(chunk)) ? WH_OK : WH_CLOSED; });
}
int ResClientConnected(wh_response_host_ptr* r) {
  try {
    return Ctx(r).ClientConnected() ? 1 : 0;
  } catch (...) {
    return 0;
  }
}

// ---- database ----
wh_db_dialect DbDialect(wh_plugin_host_ptr* self) {
  return Rec(self).host->db.dialect() == storage::Dialect::kPostgres ? WH_DB_POSTGRES
                                                                     : WH_DB_SQLITE;
}

wh_status DbMigrate(wh_plugin_host_ptr* self, const wh_migration* steps, size_t count,
                    wh_str_sink error, void* error_user) {
  auto& r = Rec(self);
  if (!r.in_init) return WH_DENIED;
  const wh_status st = Guard("db_migrate", error, error_user, [&] {
    std::vector<storage::Migration> ms;
    for (size_t i = 0; i < count; ++i) {
      const wh_migration& m = steps[i];
      if (m.struct_size < offsetof(wh_migration, sql_postgres) + sizeof(wh_str)) return WH_INVALID;
      ms.push_back(storage::Migration{m.version, std::string(View(m.description)),
                                      std::string(View(m.sql_sqlite)),
                                      std::string(View(m.sql_postgres))});
    }
    try {
      r.host->db.Migrate(r.name, ms);
    } catch (const std::exception& e) {
      r.fatal_error = e.what();
      throw;
    }
    return WH_OK;
  });
  if (st != WH_OK && r.fatal_error.empty()) r.fatal_error = "invalid migration steps";
  return st;
}

struct Tx {
  std::unique_ptr<storage::Transaction> tx;
};

void ToWhValues(const storage::Row& row, std::vector<wh_db_value>* out) {
  out->clear();
  for (const auto& v : row) {
    wh_db_value w{};
    if (auto i = std::get_if<std::int64_t>(&v)) {
      w.type = WH_DB_INT, w.i = *i;
    } else if (auto d = std::get_if<double>(&v)) {
      w.type = WH_DB_REAL, w.d = *d;
    } else if (auto s = std::get_if<std::string>(&v)) {
      w.type = WH_DB_TEXT, w.s = Wh(*s);
    } else if (auto b = std::get_if<storage::Blob>(&v)) {
      w.type = WH_DB_BLOB, w.s = Wh(b->bytes);
    } else {
      w.type = WH_DB_NULL;
    }
    out->push_back(w);
  }
}

wh_status DbExec(wh_plugin_host_ptr* self, wh_tx_host_ptr* tx, wh_str sql,
                 const wh_db_value* params, size_t param_count, wh_db_row_fn on_row, void* row_user,
                 int64_t* affected, wh_str_sink error, void* error_user) {
  return Guard("db_exec", error, error_user, [&] {
    std::vector<storage::Value> ps;
    ps.reserve(param_count);
    for (size_t i = 0; i < param_count; ++i) {
      const wh_db_value& p = params[i];
      switch (p.type) {
        case WH_DB_NULL:
          ps.emplace_back(std::monostate{});
          break;
        case WH_DB_INT:
          ps.emplace_back(static_cast<std::int64_t>(p.i));
          break;
        case WH_DB_REAL:
          ps.emplace_back(p.d);
          break;
        case WH_DB_TEXT:
          ps.emplace_back(std::string(View(p.s)));
          break;
        case WH_DB_BLOB:
          ps.emplace_back(storage::Blob{std::string(View(p.s))});
          break;
        default:
          return WH_INVALID;
      }
    }
    std::vector<wh_db_value> scratch;
    storage::RowFn fn;
    if (on_row != nullptr) {
      fn = [&](const storage::Row& row) {
        ToWhValues(row, &scratch);
        return on_row(row_user, scratch.data(), scratch.size()) == 0;
      };
    }
    auto& db = Rec(self).host->db;
    const std::int64_t n = tx != nullptr ? reinterpret_cast<Tx*>(tx)->tx->Exec(View(sql), ps, fn)
                                         : db.Exec(View(sql), ps, fn);
    if (affected != nullptr) *affected = n;
    return WH_OK;
  });
}

wh_status DbBegin(wh_plugin_host_ptr* self, wh_tx_host_ptr** tx_out) {
  return Guard("db_begin", nullptr, nullptr, [&] {
    auto t = std::make_unique<Tx>();
    t->tx = Rec(self).host->db.Begin();
    *tx_out = reinterpret_cast<wh_tx_host_ptr*>(t.release());
    return WH_OK;
  });
}
wh_status DbCommit(wh_plugin_host_ptr*, wh_tx_host_ptr* tx) {
  if (tx == nullptr) return WH_INVALID;
  std::unique_ptr<Tx> t(reinterpret_cast<Tx*>(tx));
  return Guard("db_commit", nullptr, nullptr, [&] {
    t->tx->Commit();
    return WH_OK;
  });
}
wh_status DbRollback(wh_plugin_host_ptr*, wh_tx_host_ptr* tx) {
  if (tx == nullptr) return WH_INVALID;
  std::unique_ptr<Tx> t(reinterpret_cast<Tx*>(tx));
  return Guard("db_rollback", nullptr, nullptr, [&] {
    t->tx->Rollback();
    return WH_OK;
  });
}

// ---- key-value ----
wh_status KvGet(wh_plugin_host_ptr* self, wh_str key, wh_str_sink sink, void* user) {
  return Guard("kv_get", nullptr, nullptr, [&] {
    auto v = Rec(self).host->kv.Get(View(key));
    if (!v) return WH_NOT_FOUND;
    sink(user, Wh(*v));
    return WH_OK;
  });
}
wh_status KvSet(wh_plugin_host_ptr* self, wh_str key, wh_str value, int64_t ttl_ms) {
  return Guard("kv_set", nullptr, nullptr, [&] {
    Rec(self).host->kv.Set(View(key), View(value),
                           std::chrono::milliseconds(std::max<int64_t>(0, ttl_ms)));
    return WH_OK;
  });
}
wh_status KvDel(wh_plugin_host_ptr* self, wh_str key) {
  return Guard("kv_del", nullptr, nullptr, [&] {
    Rec(self).host->kv.Del(View(key));
    return WH_OK;
  });
}
wh_status KvIncr(wh_plugin_host_ptr* self, wh_str key, int64_t delta, int64_t ttl_ms,
                 int64_t* value_out) {
  return Guard("kv_incr", nullptr, nullptr, [&] {
    const auto v = Rec(self).host->kv.Incr(View(key), delta,
                                           std::chrono::milliseconds(std::max<int64_t>(0, ttl_ms)));
    if (value_out != nullptr) *value_out = v;
    return WH_OK;
  });
}
wh_status KvTtl(wh_plugin_host_ptr* self, wh_str key, int64_t* ttl_ms_out) {
  return Guard("kv_ttl", nullptr, nullptr, [&] {
    auto t = Rec(self).host->kv.Ttl(View(key));
    if (!t) return WH_NOT_FOUND;
    if (ttl_ms_out != nullptr) *ttl_ms_out = t->count();
    return WH_OK;
  });
}
wh_status KvPublish(wh_plugin_host_ptr* self, wh_str channel, wh_str message) {
  return Guard("kv_publish", nullptr, nullptr, [&] {
    Rec(self).host->kv.Publish(View(channel), View(message));
    return WH_OK;
  });
}
wh_status KvSubscribe(wh_plugin_host_ptr* self, wh_str channel, wh_kv_message_fn fn, void* user,
                      uint64_t* subscription_out) {
  return Guard("kv_subscribe", nullptr, nullptr, [&] {
    if (fn == nullptr) return WH_INVALID;
    const auto id = Rec(self).host->kv.Subscribe(
        View(channel),
        [fn, user](std::string_view ch, std::string_view msg) { fn(user, Wh(ch), Wh(msg)); });
    if (subscription_out != nullptr) *subscription_out = id;
    return WH_OK;
  });
}
wh_status KvUnsubscribe(wh_plugin_host_ptr* self, uint64_t id) {
  return Guard("kv_unsubscribe", nullptr, nullptr, [&] {
    Rec(self).host->kv.Unsubscribe(id);
    return WH_OK;
  });
}
int KvIsShared(wh_plugin_host_ptr* self) { return Rec(self).host->kv.IsShared() ? 1 : 0; }

// ---- outbound HTTP ----
// WH_FETCH_PUBLIC_ONLY, read only when the plugin's struct has `flags` (built before it: off).
bool PublicOnly(const wh_http_request& request) {
  return request.struct_size >= offsetof(wh_http_request, flags) + sizeof(uint64_t) &&
         (request.flags & WH_FETCH_PUBLIC_ONLY) != 0;
}

wh_status HttpFetch(wh_plugin_host_ptr* self, const wh_http_request* request,
                    wh_http_head_fn on_head, wh_http_data_fn on_data, void* user, wh_str_sink error,
                    void* error_user) {
  return Guard("http_fetch", error, error_user, [&] {
    if (request == nullptr ||
        request->struct_size < offsetof(wh_http_request, total_timeout_ms) + sizeof(uint32_t))
      return WH_INVALID;
    outbound::Request req;
    req.method = std::string(View(request->method));
    req.url = std::string(View(request->url));
    for (size_t i = 0; i < request->header_count; ++i)
      req.headers.emplace_back(std::string(View(request->headers[i].name)),
                               std::string(View(request->headers[i].value)));
    req.body = std::string(View(request->body));
    if (request->connect_timeout_ms)
      req.connect_timeout = std::chrono::milliseconds(request->connect_timeout_ms);
    if (request->read_timeout_ms)
      req.read_timeout = std::chrono::milliseconds(request->read_timeout_ms);
    if (request->total_timeout_ms)
      req.total_timeout = std::chrono::milliseconds(request->total_timeout_ms);
    req.public_only = PublicOnly(*request);
    req.allowed = &Rec(self).host->fetch_allowed;
    outbound::Callbacks cb;
    std::vector<wh_header> hs;
    cb.on_head = [&](int status, const outbound::Headers& headers) {
      if (on_head == nullptr) return true;
      hs.clear();
      for (const auto& [k, v] : headers) hs.push_back(wh_header{Wh(k), Wh(v)});
      return on_head(user, status, hs.data(), hs.size()) == 0;
    };
    cb.on_data = [&](std::string_view chunk) {
      return on_data == nullptr || on_data(user, Wh(chunk)) == 0;
    };
    const outbound::Result res = outbound::Fetch(req, cb);
    if (!res.message.empty()) Report(error, error_user, res.message);
    switch (res.outcome) {
      case outbound::Outcome::kOk:
        return WH_OK;
      case outbound::Outcome::kAborted:
        return WH_ABORTED;
      case outbound::Outcome::kTimeout:
        return WH_TIMEOUT;
      case outbound::Outcome::kConnectError:
        return WH_UNAVAILABLE;
      case outbound::Outcome::kInvalid:
        return WH_INVALID;
      case outbound::Outcome::kProtocolError:
        return WH_CLOSED;
      case outbound::Outcome::kRefused:
        return WH_DENIED;
    }
    return WH_ERROR;
  });
}

// ---- relayed streams ----

wh_relay_host_ptr* RelayPtr(net::RelayExchange& ex) {
  return reinterpret_cast<wh_relay_host_ptr*>(&ex);
}
net::RelayExchange& Exchange(wh_relay_host_ptr* relay) {
  return *reinterpret_cast<net::RelayExchange*>(relay);
}

wh_status RelayStatus(net::RelayCall call) {
  switch (call) {
    case net::RelayCall::kOk:
      return WH_OK;
    case net::RelayCall::kClosed:
      return WH_CLOSED;
    case net::RelayCall::kConflict:
      return WH_CONFLICT;
    case net::RelayCall::kInvalid:
      return WH_INVALID;
  }
  return WH_ERROR;
}

wh_status OutcomeStatus(net::RelayOutcome outcome) {
  switch (outcome) {
    case net::RelayOutcome::kOk:
      return WH_OK;
    case net::RelayOutcome::kClientGone:
      return WH_CLOSED;
    case net::RelayOutcome::kTimeout:
      return WH_TIMEOUT;
    case net::RelayOutcome::kUnavailable:
      return WH_UNAVAILABLE;
    case net::RelayOutcome::kError:
      return WH_ERROR;
    case net::RelayOutcome::kAborted:
      return WH_ABORTED;
  }
  return WH_ERROR;
}

// The plugin's wh_relay_handler as the relay sees it. Its destruction is the plugin's release;
// once handed over, on_end comes first (exactly once), even if the relay never ran.
class PluginRelay final : public net::RelayHandler {
 public:
  PluginRelay(const wh_relay_handler& handler, void* user) : handler_(handler), user_(user) {}
  ~PluginRelay() override {
    if (handed_over_ && !ended_) {
      OnEnd(net::ClosedExchange(), net::RelayOutcome::kAborted, "the relay did not start");
    }
    if (handler_.release != nullptr) handler_.release(user_);
  }
  PluginRelay(const PluginRelay&) = delete;
  PluginRelay& operator=(const PluginRelay&) = delete;

  void set_handed_over() { handed_over_ = true; }

  bool forward_body() const override { return handler_.forward_body != 0; }
  bool OnHead(net::RelayExchange& ex, int status, const net::RelayHeaders& headers) override {
    if (handler_.on_head == nullptr) return true;
    std::vector<wh_header> hs;
    hs.reserve(headers.size());
    for (const auto& [k, v] : headers) hs.push_back(wh_header{Wh(k), Wh(v)});
    return handler_.on_head(user_, RelayPtr(ex), status, hs.data(), hs.size()) == 0;
  }
  bool OnData(net::RelayExchange& ex, std::string_view chunk) override {
    if (handler_.on_data == nullptr) return true;
    return handler_.on_data(user_, RelayPtr(ex), Wh(chunk)) == 0;
  }
  void OnEnd(net::RelayExchange& ex, net::RelayOutcome outcome, std::string_view message) override {
    if (ended_) return;
    ended_ = true;
    if (handler_.on_end != nullptr)
      handler_.on_end(user_, RelayPtr(ex), OutcomeStatus(outcome), Wh(message));
  }

 private:
  wh_relay_handler handler_;
  void* user_;
  bool handed_over_ = false;
  bool ended_ = false;
};

// Without a whole handler there is no release to call: refused without touching `user`.
bool WholeHandler(const wh_relay_handler* handler) {
  return handler != nullptr && handler->struct_size >= sizeof(wh_relay_handler);
}

// The plugin's handler, owned; null (release already called) when out of memory.
std::unique_ptr<PluginRelay> WrapRelayHandler(const wh_relay_handler& handler, void* user) {
  try {
    return std::make_unique<PluginRelay>(handler, user);
  } catch (...) {
    if (handler.release != nullptr) handler.release(user);
    return nullptr;
  }
}

// The relay's job for `upstream` with `plugin` as its handler, or null when the request is
// unusable (`plugin` is then still the caller's). Resolving blocks: this runs on the calling
// thread, never on a relay thread.
std::unique_ptr<net::RelayJob> PrepareRelayJob(const char* what, const wh_http_request* upstream,
                                               const outbound::AllowList& allowed,
                                               std::unique_ptr<PluginRelay>& plugin,
                                               wh_status& refusal) {
  refusal = WH_INVALID;
  if (upstream == nullptr ||
      upstream->struct_size < offsetof(wh_http_request, total_timeout_ms) + sizeof(uint32_t))
    return nullptr;
  net::RelayHeaders headers;
  for (size_t i = 0; i < upstream->header_count; ++i)
    headers.emplace_back(std::string(View(upstream->headers[i].name)),
                         std::string(View(upstream->headers[i].value)));
  // The same defaults as http_fetch (outbound::Request).
  const outbound::Request defaults;
  const auto ms = [](uint32_t value, std::chrono::milliseconds fallback) {
    return value != 0 ? std::chrono::milliseconds(value) : fallback;
  };
  std::string error;
  bool refused = false;
  auto prepared = net::PrepareRelayUpstream(
      View(upstream->method), View(upstream->url), headers, std::string(View(upstream->body)),
      ms(upstream->connect_timeout_ms, defaults.connect_timeout),
      ms(upstream->read_timeout_ms, defaults.read_timeout),
      ms(upstream->total_timeout_ms, defaults.total_timeout), error,
      PublicOnly(*upstream) ? &allowed : nullptr, &refused);
  if (!prepared) {
    spdlog::debug("{} refused: {}", what, error);
    if (refused) refusal = WH_DENIED;
    return nullptr;
  }
  auto job = std::make_unique<net::RelayJob>();
  job->upstream = std::move(*prepared);
  job->handler = std::move(plugin);
  return job;
}

wh_status ResRelay(wh_response_host_ptr* r, const wh_http_request* upstream,
                   const wh_relay_handler* handler, void* user) {
  if (!WholeHandler(handler)) return WH_INVALID;
  std::unique_ptr<PluginRelay> plugin = WrapRelayHandler(*handler, user);
  if (!plugin) return WH_ERROR;
  // From here on every early return releases the plugin's `user` (the unique_ptr).
  return Guard("res_relay", nullptr, nullptr, [&] {
    PluginRelay* plugin_side = plugin.get();
    // No plugin record here: a public-only relay of a client's request gets no exceptions.
    static const outbound::AllowList kNoExceptions;
    wh_status refusal = WH_INVALID;
    auto job = PrepareRelayJob("res_relay", upstream, kNoExceptions, plugin, refusal);
    if (!job) return refusal;
    if (!Ctx(r).BeginRelay(job)) return WH_CONFLICT;  // `job` still ours: released here
    plugin_side->set_handed_over();
    return WH_OK;
  });
}

wh_status HttpFetchRelay(wh_plugin_host_ptr* self, const wh_http_request* request,
                         const wh_relay_handler* handler, void* user) {
  if (!WholeHandler(handler)) return WH_INVALID;
  std::unique_ptr<PluginRelay> plugin = WrapRelayHandler(*handler, user);
  if (!plugin) return WH_ERROR;
  return Guard("http_fetch_relay", nullptr, nullptr, [&] {
    net::HttpFront* front = Rec(self).host->front.load();
    if (front == nullptr) return WH_UNAVAILABLE;
    PluginRelay* plugin_side = plugin.get();
    wh_status refusal = WH_INVALID;
    auto job = PrepareRelayJob("http_fetch_relay", request, Rec(self).host->fetch_allowed, plugin,
                               refusal);
    if (!job) return refusal;
    // Handed over: on_end comes from the relay (or from the job's end when it never ran).
    plugin_side->set_handed_over();
    front->RelayFetch(std::move(job));
    return WH_OK;
  });
}

wh_status RelayBeginStream(wh_relay_host_ptr* relay, int status, wh_str content_type) {
  return Guard("relay_begin_stream", nullptr, nullptr, [&] {
    if (relay == nullptr) return WH_INVALID;
    return RelayStatus(Exchange(relay).BeginStream(status, View(content_type)));
  });
}
wh_status RelayWrite(wh_relay_host_ptr* relay, wh_str bytes) {
  return Guard("relay_write", nullptr, nullptr, [&] {
    if (relay == nullptr) return WH_INVALID;
    return RelayStatus(Exchange(relay).Write(View(bytes)));
  });
}
wh_status RelayRespond(wh_relay_host_ptr* relay, int status, wh_str content_type, wh_str body) {
  return Guard("relay_respond", nullptr, nullptr, [&] {
    if (relay == nullptr) return WH_INVALID;
    return RelayStatus(Exchange(relay).Respond(status, View(content_type), View(body)));
  });
}

// ---- services ----
wh_status ServiceOffer(wh_plugin_host_ptr* self, wh_str name, const void* vtable,
                       size_t vtable_size, void* user) {
  return Guard("service_offer", nullptr, nullptr, [&] {
    if (name.len == 0 || vtable == nullptr || vtable_size == 0) return WH_INVALID;
    auto& r = Rec(self);
    r.host->services.Offer({std::string(View(name)), &r, vtable, vtable_size, user, nullptr});
    return WH_OK;
  });
}
wh_status ServiceEach(wh_plugin_host_ptr* self, wh_str name,
                      void (*fn)(void*, wh_str, const void*, size_t, void*), void* user) {
  return Guard("service_each", nullptr, nullptr, [&] {
    if (fn == nullptr) return WH_INVALID;
    auto& registry = Rec(self).host->services;
    for (const auto& e : registry.Find(View(name))) {
      registry.NoteUse(&Rec(self), e.provider);
      fn(user, Wh(e.provider->name), e.vtable, e.vtable_size,
         e.user_for ? e.user_for(Rec(self)) : e.user);
    }
    return WH_OK;
  });
}

wh_host_api MakeTable() {
  wh_host_api t{};
  t.struct_size = sizeof(wh_host_api);
  t.abi_major = WH_ABI_MAJOR;
  t.abi_minor = WH_ABI_MINOR;
  t.log = Log;
  t.config_declare = ConfigDeclare;
  t.config_get = ConfigGet;
  t.config_set = ConfigSet;
  t.env_get = EnvGet;
  t.route_add = RouteAdd;
  t.authenticator_set = AuthenticatorSet;
  t.authenticator_add = AuthenticatorAdd;
  t.authn_accept = AuthnAccept;
  t.authn_reject = AuthnReject;
  t.req_method = ReqMethod;
  t.req_path = ReqPath;
  t.req_query_string = ReqQueryString;
  t.req_path_param = ReqPathParam;
  t.req_query_param = ReqQueryParam;
  t.req_header = ReqHeader;
  t.req_cookie = ReqCookie;
  t.req_header_count = ReqHeaderCount;
  t.req_header_at = ReqHeaderAt;
  t.req_body = ReqBody;
  t.req_caller = ReqCaller;
  t.req_id = ReqId;
  t.req_remote_addr = ReqRemoteAddr;
  t.res_set_status = ResSetStatus;
  t.res_set_header = ResSetHeader;
  t.res_send = ResSend;
  t.res_send_error = ResSendError;
  t.res_stream_begin = ResStreamBegin;
  t.res_stream_write = ResStreamWrite;
  t.res_client_connected = ResClientConnected;
  t.db_dialect = DbDialect;
  t.db_migrate = DbMigrate;
  t.db_exec = DbExec;
  t.db_begin = DbBegin;
  t.db_commit = DbCommit;
  t.db_rollback = DbRollback;
  t.kv_get = KvGet;
  t.kv_set = KvSet;
  t.kv_del = KvDel;
  t.kv_incr = KvIncr;
  t.kv_ttl = KvTtl;
  t.kv_publish = KvPublish;
  t.kv_subscribe = KvSubscribe;
  t.kv_unsubscribe = KvUnsubscribe;
  t.kv_is_shared = KvIsShared;
  t.http_fetch = HttpFetch;
  t.service_offer = ServiceOffer;
  t.service_each = ServiceEach;
  t.res_relay = ResRelay;
  t.relay_begin_stream = RelayBeginStream;
  t.relay_write = RelayWrite;
  t.relay_respond = RelayRespond;
  t.http_fetch_relay = HttpFetchRelay;
  t.route_add_ex = RouteAddEx;
  t.req_form_part_count = ReqFormPartCount;
  t.req_form_part_at = ReqFormPartAt;
  return t;
}

}  // namespace

const wh_host_api* HostApiTable() {
  static const wh_host_api table = MakeTable();
  return &table;
}

}  // namespace webui::plugins
