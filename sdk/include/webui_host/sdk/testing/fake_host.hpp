// webui-host plugin SDK: an in-memory host for unit tests of a plugin (needs sqlite3 to link).
//
//   webui::sdk::testing::FakeHost host;
//   host.SetEnv("HELLO_GREETING", "Hi");
//   ASSERT_EQ(host.Load<HelloPlugin>(), WH_OK);
//   auto res = host.Call("GET", "/api/v1/hello?name=Ada");
//   EXPECT_EQ(res.status, 200);
//
// It implements the wh_host_api table of ABI 1.1 but for relayed streams (res_relay and the
// relay_* calls are NULL, so a plugin under test takes its Host::RelayBlocking fallback):
// settings and environment, a route table a test calls with Call() (routes with a body policy
// too: their options are recorded, CallForm() hands a multipart route its parts, and a body over
// a route's max_body_bytes is answered 413 as the host would), the identity chain
// (authenticator_set / authenticator_add recorded in order; Authenticate() runs it on a request),
// a SQLite :memory: database (one connection; a transaction is BEGIN/COMMIT on it), a std::map
// key-value store with TTLs and synchronous publish/subscribe, outbound HTTP answered from canned
// responses (every request recorded), the service registry and the log. One plugin per FakeHost.
// Not thread-safe: tests call it from one thread.
#pragma once

#include <webui_host/abi.h>
#include <webui_host/services/api_config.h>
#include <webui_host/sdk.hpp>

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace webui::sdk::testing {

// A caller as the host's authenticator would have resolved it.
struct FakeCaller {
  std::string id = "user-1";
  std::string role = "user";
  std::string email = "user@example.com";
  std::string name = "User";
};

// What a route answered.
struct FakeResponse {
  int status = 0;  // 0: the handler sent nothing (the real host answers 500)
  Headers headers;
  std::string body;
  bool streamed = false;
  std::optional<std::string> Header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (EqualsNoCase(k, name)) return v;
    return std::nullopt;
  }
  static bool EqualsNoCase(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if ((a[i] | 0x20) != (b[i] | 0x20)) return false;
    return true;
  }
};

// One part of a multipart body as a test supplies it to CallForm (the host would have parsed it
// from the wire). A file part names a file the test made; the fake neither reads nor deletes it.
struct FakeFormPart {
  std::string name;
  std::string filename;  // empty for plain fields
  std::string content_type;
  std::string value;       // plain fields
  std::string file_path;   // file parts
  std::uint64_t size = 0;  // 0: the value's length
};

// A route as the plugin registered it (route_add or route_add_ex).
struct FakeRoute {
  std::string method, path;
  wh_auth_level auth = WH_AUTH_PUBLIC;
  std::int64_t max_body_bytes = 0;  // 0: the host's WEBUI_MAX_BODY_SIZE
  wh_body_policy body = WH_BODY_BUFFERED;
};

// What the identity chain decided for a request (Authenticate).
struct FakeAuthn {
  wh_authn_result result = WH_AUTHN_NONE;  // NONE: nobody answered, the caller is anonymous
  std::optional<FakeCaller> caller;        // set when an authenticator accepted
  int status = 0;                          // a rejection's status (401 unless it chose one)
  std::string detail;                      // a rejection's detail
  std::size_t decided_by = 0;              // index in authenticators() of the one that answered
};

// A canned answer of an outbound request.
struct FakeFetchAnswer {
  wh_status status = WH_OK;  // WH_UNAVAILABLE: "could not connect"
  int http_status = 200;
  Headers headers;
  std::vector<std::string> pieces;  // body pieces, in order
};

class FakeHost {
 public:
  FakeHost() {
    api_.struct_size = sizeof(wh_host_api);  // ABI 1.1, the relay calls left NULL
    api_.abi_major = WH_ABI_MAJOR;
    api_.abi_minor = WH_ABI_MINOR;
    api_.log = &Log;
    api_.config_declare = &ConfigDeclare;
    api_.config_get = &ConfigGet;
    api_.config_set = &ConfigSet;
    api_.env_get = &EnvGet;
    api_.route_add = &RouteAdd;
    api_.route_add_ex = &RouteAddEx;
    api_.authenticator_set = [](wh_plugin_host_ptr* self, wh_authenticator_fn fn, void* user) {
      // The primary authenticator: one per host, at order 0.
      FakeHost* h = Self(self);
      if (fn == nullptr) return WH_INVALID;
      for (const auto& a : h->authenticators_)
        if (a.primary) return WH_CONFLICT;
      h->AddToChain(AuthenticatorState{fn, user, 0, true});
      return WH_OK;
    };
    api_.authenticator_add = [](wh_plugin_host_ptr* self, wh_authenticator_fn fn, void* user,
                                int32_t order) {
      if (fn == nullptr) return WH_INVALID;
      Self(self)->AddToChain(AuthenticatorState{fn, user, order, false});
      return WH_OK;
    };
    api_.authn_accept = [](wh_authn_host_ptr* out, const wh_caller* c) {
      auto* a = reinterpret_cast<FakeAuthn*>(out);
      // Like the host: a caller struct too short to hold every field is a rejection.
      if (c == nullptr || c->struct_size < offsetof(wh_caller, name) + sizeof(wh_str)) {
        a->result = WH_AUTHN_REJECTED;
        return;
      }
      a->result = WH_AUTHN_OK;
      a->caller = FakeCaller{std::string(FromWh(c->id)), std::string(FromWh(c->role)),
                             std::string(FromWh(c->email)), std::string(FromWh(c->name))};
    };
    api_.authn_reject = [](wh_authn_host_ptr* out, int status, wh_str detail) {
      auto* a = reinterpret_cast<FakeAuthn*>(out);
      a->result = WH_AUTHN_REJECTED;
      a->status = status >= 400 && status <= 599 ? status : 401;
      a->detail = detail.len > 0 ? std::string(FromWh(detail)) : "Invalid token";
    };
    api_.req_method = [](const wh_request_host_ptr* r) { return ToWh(Req(r)->method); };
    api_.req_path = [](const wh_request_host_ptr* r) { return ToWh(Req(r)->path); };
    api_.req_query_string = [](const wh_request_host_ptr* r) { return ToWh(Req(r)->query); };
    api_.req_path_param = [](const wh_request_host_ptr* r, wh_str n, wh_str* out) {
      return Find(Req(r)->params, FromWh(n), out, false);
    };
    api_.req_query_param = [](const wh_request_host_ptr* r, wh_str n, wh_str* out) {
      return Find(Req(r)->query_params, FromWh(n), out, false);
    };
    api_.req_header = [](const wh_request_host_ptr* r, wh_str n, wh_str* out) {
      return Find(Req(r)->headers, FromWh(n), out, true);
    };
    api_.req_cookie = [](const wh_request_host_ptr*, wh_str, wh_str*) { return WH_NOT_FOUND; };
    api_.req_header_count = [](const wh_request_host_ptr* r) { return Req(r)->headers.size(); };
    api_.req_header_at = [](const wh_request_host_ptr* r, size_t i, wh_header* out) {
      const auto& hs = Req(r)->headers;
      if (i >= hs.size()) return WH_NOT_FOUND;
      *out = wh_header{ToWh(hs[i].first), ToWh(hs[i].second)};
      return WH_OK;
    };
    api_.req_body = [](const wh_request_host_ptr* r) { return ToWh(Req(r)->body); };
    api_.req_form_part_count = [](const wh_request_host_ptr* r) { return Req(r)->parts.size(); };
    api_.req_form_part_at = &FormPartAt;
    api_.req_caller = [](const wh_request_host_ptr* r, wh_caller* out) {
      const auto& c = Req(r)->caller;
      if (!c) return WH_NOT_FOUND;
      out->id = ToWh(c->id), out->role = ToWh(c->role), out->email = ToWh(c->email),
      out->name = ToWh(c->name);
      return WH_OK;
    };
    api_.req_id = [](const wh_request_host_ptr*) { return ToWh("fake-request"); };
    api_.req_remote_addr = [](const wh_request_host_ptr*) { return ToWh("127.0.0.1"); };
    api_.res_set_status = [](wh_response_host_ptr* r, int status) {
      if (status < 100 || status > 599 || Res(r)->sent) return WH_INVALID;
      Res(r)->out.status = status;
      return WH_OK;
    };
    api_.res_set_header = [](wh_response_host_ptr* r, wh_str n, wh_str v) {
      // Like the host: CR/LF would split the header (response splitting).
      for (const wh_str s : {n, v})
        if (FromWh(s).find_first_of("\r\n") != std::string_view::npos) return WH_INVALID;
      if (Res(r)->sent || n.len == 0) return WH_INVALID;
      Res(r)->out.headers.emplace_back(std::string(FromWh(n)), std::string(FromWh(v)));
      return WH_OK;
    };
    api_.res_send = [](wh_response_host_ptr* r, wh_str body) {
      auto* res = Res(r);
      if (res->sent) return WH_INVALID;
      res->sent = true;
      if (res->out.status == 0) res->out.status = 200;
      res->out.body.assign(FromWh(body));
      return WH_OK;
    };
    api_.res_send_error = [](wh_response_host_ptr* r, int status, wh_str detail) {
      auto* res = Res(r);
      if (res->sent) return WH_INVALID;
      res->sent = true;
      res->out.status = status;
      res->out.headers.emplace_back("Content-Type", "application/json");
      res->out.body = "{\"detail\":" + detail::JsonQuote(FromWh(detail)) + "}";
      return WH_OK;
    };
    api_.res_stream_begin = [](wh_response_host_ptr* r, wh_str content_type) {
      auto* res = Res(r);
      if (res->sent) return WH_INVALID;
      res->sent = res->out.streamed = true;
      if (res->out.status == 0) res->out.status = 200;
      res->out.headers.emplace_back("Content-Type", std::string(FromWh(content_type)));
      return WH_OK;
    };
    api_.res_stream_write = [](wh_response_host_ptr* r, wh_str chunk) {
      if (!Res(r)->out.streamed) return WH_INVALID;
      Res(r)->out.body.append(FromWh(chunk));
      return WH_OK;
    };
    api_.res_client_connected = [](wh_response_host_ptr*) { return 1; };
    api_.db_dialect = [](wh_plugin_host_ptr*) { return WH_DB_SQLITE; };
    api_.db_migrate = &DbMigrate;
    api_.db_exec = &DbExec;
    api_.db_begin = [](wh_plugin_host_ptr* self, wh_tx_host_ptr** out) {
      const wh_status st = Self(self)->Run("BEGIN");
      if (st == WH_OK) *out = reinterpret_cast<wh_tx_host_ptr*>(self);
      return st;
    };
    api_.db_commit = [](wh_plugin_host_ptr* self, wh_tx_host_ptr*) {
      return Self(self)->Run("COMMIT");
    };
    api_.db_rollback = [](wh_plugin_host_ptr* self, wh_tx_host_ptr*) {
      return Self(self)->Run("ROLLBACK");
    };
    api_.kv_get = [](wh_plugin_host_ptr* self, wh_str key, wh_str_sink sink, void* user) {
      auto* e = Self(self)->KvFind(FromWh(key));
      if (e == nullptr) return WH_NOT_FOUND;
      sink(user, ToWh(e->value));
      return WH_OK;
    };
    api_.kv_set = [](wh_plugin_host_ptr* self, wh_str key, wh_str value, int64_t ttl_ms) {
      Self(self)->kv_[std::string(FromWh(key))] =
          KvEntry{std::string(FromWh(value)), Expiry(ttl_ms)};
      return WH_OK;
    };
    api_.kv_del = [](wh_plugin_host_ptr* self, wh_str key) {
      Self(self)->kv_.erase(std::string(FromWh(key)));
      return WH_OK;
    };
    api_.kv_incr = [](wh_plugin_host_ptr* self, wh_str key, int64_t delta, int64_t ttl_ms,
                      int64_t* out) {
      FakeHost* h = Self(self);
      KvEntry* e = h->KvFind(FromWh(key));
      int64_t v = delta;
      if (e == nullptr) {
        h->kv_[std::string(FromWh(key))] = KvEntry{std::to_string(v), Expiry(ttl_ms)};
      } else {
        try {
          v = std::stoll(e->value) + delta;
        } catch (...) {
          return WH_INVALID;
        }
        e->value = std::to_string(v);
      }
      if (out != nullptr) *out = v;
      return WH_OK;
    };
    api_.kv_ttl = [](wh_plugin_host_ptr* self, wh_str key, int64_t* out) {
      KvEntry* e = Self(self)->KvFind(FromWh(key));
      if (e == nullptr) return WH_NOT_FOUND;
      *out = e->expires ? std::chrono::duration_cast<std::chrono::milliseconds>(
                              *e->expires - std::chrono::steady_clock::now())
                              .count()
                        : -1;
      return WH_OK;
    };
    api_.kv_publish = [](wh_plugin_host_ptr* self, wh_str channel, wh_str message) {
      // Copied first: a subscriber may subscribe or unsubscribe while being called.
      const auto subs = Self(self)->subs_;
      for (const auto& [id, s] : subs)
        if (s.channel == FromWh(channel)) s.fn(s.user, channel, message);
      return WH_OK;
    };
    api_.kv_subscribe = [](wh_plugin_host_ptr* self, wh_str channel, wh_kv_message_fn fn,
                           void* user, uint64_t* out) {
      FakeHost* h = Self(self);
      const uint64_t id = ++h->next_sub_;
      h->subs_[id] = Sub{std::string(FromWh(channel)), fn, user};
      *out = id;
      return WH_OK;
    };
    api_.kv_unsubscribe = [](wh_plugin_host_ptr* self, uint64_t id) {
      Self(self)->subs_.erase(id);
      return WH_OK;
    };
    api_.kv_is_shared = [](wh_plugin_host_ptr*) { return 0; };
    api_.http_fetch = &HttpFetch;
    api_.service_offer = [](wh_plugin_host_ptr* self, wh_str name, const void* vt, size_t size,
                            void* user) {
      Self(self)->services_.push_back(
          Service{std::string(FromWh(name)), "plugin-under-test", vt, size, user});
      return WH_OK;
    };
    api_.service_each = [](wh_plugin_host_ptr* self, wh_str name,
                           void (*fn)(void*, wh_str, const void*, size_t, void*), void* user) {
      for (const auto& s : Self(self)->services_)
        if (s.name == FromWh(name)) fn(user, ToWh(s.provider), s.vtable, s.size, s.user);
      return WH_OK;
    };
    sqlite3_open(":memory:", &db_);
  }
  ~FakeHost() {
    Unload();
    sqlite3_close(db_);
  }
  FakeHost(const FakeHost&) = delete;
  FakeHost& operator=(const FakeHost&) = delete;

  // -- set-up --
  void SetEnv(std::string name, std::string value) { env_[std::move(name)] = std::move(value); }
  // An outbound request to exactly `url` (any method) gets `answer`; others WH_UNAVAILABLE.
  void AnswerFetch(std::string url, FakeFetchAnswer answer) {
    fetch_answers_[std::move(url)] = std::move(answer);
  }
  // Offers a service as if another plugin `provider` had (the vtable and user must outlive
  // this host).
  void OfferService(std::string name, std::string provider, const void* vtable, size_t size,
                    void* user) {
    services_.push_back(Service{std::move(name), std::move(provider), vtable, size, user});
  }

  // Runs plugin T's Init (through the same entry thunk the real host calls). Anything but WH_OK
  // means the plugin refused to load: load_error() says why.
  template <typename T>
  wh_status Load() {
    Unload();
    load_error_.clear();
    return detail::InitThunk<T>(&api_, self(), &module_, &detail::AppendSink, &load_error_);
  }
  // Runs the plugin's Shutdown and releases it (also done by the destructor).
  void Unload() {
    if (module_ != nullptr) detail::ShutdownThunk(std::exchange(module_, nullptr));
  }
  const std::string& load_error() const { return load_error_; }

  // -- requests --
  // Calls the route matching `method` and `target` (path and optional "?query"); 404 {"detail":
  // "Not Found"} when none does. `caller` is who the host would have resolved (no auth-level
  // checks are made: a test of "who may call" belongs to the real host).
  FakeResponse Call(std::string_view method, std::string_view target, std::string body = {},
                    Headers headers = {}, std::optional<FakeCaller> caller = std::nullopt) {
    RequestState rq = NewRequest(method, target, std::move(headers), std::move(caller));
    rq.body = std::move(body);
    return Invoke(std::move(rq));
  }
  // Calls a route with a multipart body already parsed into `parts`, as the host does for a
  // route registered with WH_BODY_MULTIPART (req_body is then empty). A route without that policy
  // sees no parts, as on the host. The parts' sizes count against the route's max_body_bytes.
  FakeResponse CallForm(std::string_view method, std::string_view target,
                        std::vector<FakeFormPart> parts, Headers headers = {},
                        std::optional<FakeCaller> caller = std::nullopt) {
    RequestState rq = NewRequest(method, target, std::move(headers), std::move(caller));
    for (auto& p : parts)
      if (p.size == 0) p.size = p.value.size();
    rq.parts = std::move(parts);
    return Invoke(std::move(rq));
  }

  // -- the identity chain --
  // Asks the registered authenticators about a request with `headers`, in the host's order
  // (ascending order, then registration): NONE passes on; the first OK, REJECTED or
  // UNAVAILABLE decides. An authenticator that says OK without accepting anyone is a rejection,
  // as on the host.
  FakeAuthn Authenticate(Headers headers = {}, std::string_view target = "/") {
    RequestState rq = NewRequest("GET", target, std::move(headers), std::nullopt);
    for (std::size_t i = 0; i < authenticators_.size(); ++i) {
      const AuthenticatorState& a = authenticators_[i];
      FakeAuthn out;
      const wh_authn_result said = a.fn(a.user, reinterpret_cast<const wh_request_host_ptr*>(&rq),
                                        reinterpret_cast<wh_authn_host_ptr*>(&out));
      if (said == WH_AUTHN_NONE) continue;
      out.decided_by = i;
      if (said == WH_AUTHN_UNAVAILABLE) {
        out.result = WH_AUTHN_UNAVAILABLE;
        out.caller.reset();
      } else if (said != WH_AUTHN_OK || out.result != WH_AUTHN_OK) {
        out.caller.reset();
        out.result = WH_AUTHN_REJECTED;
        if (out.status == 0) out.status = 401;
      }
      return out;
    }
    return FakeAuthn{};
  }
  // The orders of the registered authenticators, in the order they are asked.
  std::vector<int32_t> authenticators() const {
    std::vector<int32_t> out;
    for (const auto& a : authenticators_) out.push_back(a.order);
    return out;
  }

  // -- what the plugin did --
  // The registered route for `method` and `path` (the pattern, e.g. "/files/{id}").
  std::optional<FakeRoute> Route(std::string_view method, std::string_view path) const {
    for (const auto& r : routes_)
      if (r.route.method == method && r.route.path == path) return r.route;
    return std::nullopt;
  }
  struct FetchRecord {
    std::string method, url, body;
    Headers headers;
    bool public_only = false;  // WH_FETCH_PUBLIC_ONLY (the fake host does not check addresses)
  };
  const std::vector<FetchRecord>& fetches() const { return fetches_; }
  const std::vector<std::pair<wh_log_level, std::string>>& logs() const { return logs_; }
  // A setting's current JSON text.
  std::optional<std::string> Config(const std::string& key) const {
    auto it = config_.find(key);
    if (it == config_.end()) return std::nullopt;
    return it->second;
  }
  // Runs SQL directly on the plugin's database (e.g. to check what a route stored).
  std::vector<std::vector<std::string>> Sql(const std::string& sql) {
    std::vector<std::vector<std::string>> rows;
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) return rows;
    while (sqlite3_step(st) == SQLITE_ROW) {
      std::vector<std::string> row;
      for (int i = 0; i < sqlite3_column_count(st); ++i) {
        const auto* t = sqlite3_column_text(st, i);
        row.emplace_back(t == nullptr ? "" : reinterpret_cast<const char*>(t));
      }
      rows.push_back(std::move(row));
    }
    sqlite3_finalize(st);
    return rows;
  }
  // What every api_config.v1 provider contributes to GET /api/config for `caller`.
  std::vector<std::string> ApiConfig(std::optional<FakeCaller> caller = std::nullopt) {
    RequestState rq;
    rq.method = "GET";
    rq.path = "/api/config";
    rq.caller = std::move(caller);
    std::vector<std::string> out;
    for (const auto& s : services_) {
      if (s.name != WH_SERVICE_API_CONFIG_V1 ||
          s.size < offsetof(wh_api_config_v1, contribute) + sizeof(void*))
        continue;
      std::string text;
      auto* vt = static_cast<const wh_api_config_v1*>(s.vtable);
      if (vt->contribute(s.user, reinterpret_cast<const wh_request_host_ptr*>(&rq),
                         &detail::AppendSink, &text) == WH_OK)
        out.push_back(std::move(text));
    }
    return out;
  }
  const wh_host_api* api() const { return &api_; }
  wh_plugin_host_ptr* self() { return reinterpret_cast<wh_plugin_host_ptr*>(this); }

 private:
  struct RequestState {
    std::string method, path, query, body;
    Headers headers, params, query_params;
    std::optional<FakeCaller> caller;
    std::vector<FakeFormPart> parts;
  };
  struct ResponseState {
    FakeResponse out;
    bool sent = false;
  };
  struct RouteState {
    FakeRoute route;
    wh_handler_fn handler;
    void* user;
  };
  struct AuthenticatorState {
    wh_authenticator_fn fn;
    void* user;
    int32_t order;
    bool primary;
  };
  struct KvEntry {
    std::string value;
    std::optional<std::chrono::steady_clock::time_point> expires;
  };
  struct Sub {
    std::string channel;
    wh_kv_message_fn fn;
    void* user;
  };
  struct Service {
    std::string name, provider;
    const void* vtable;
    size_t size;
    void* user;
  };

  static FakeHost* Self(wh_plugin_host_ptr* p) { return reinterpret_cast<FakeHost*>(p); }
  static RequestState NewRequest(std::string_view method, std::string_view target, Headers headers,
                                 std::optional<FakeCaller> caller) {
    RequestState rq;
    rq.method = std::string(method);
    const size_t q = target.find('?');
    rq.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) rq.query = std::string(target.substr(q + 1));
    rq.query_params = ParseQuery(rq.query);
    rq.headers = std::move(headers);
    rq.caller = std::move(caller);
    return rq;
  }
  static FakeResponse ErrorResponse(int status, const std::string& detail) {
    FakeResponse r;
    r.status = status;
    r.headers.emplace_back("Content-Type", "application/json");
    r.body = "{\"detail\":" + detail::JsonQuote(detail) + "}";
    return r;
  }
  // Runs the route matching the request, with the host's body policy: parts only for a
  // multipart route, 413 over the route's limit before the handler runs.
  FakeResponse Invoke(RequestState rq) {
    for (const auto& r : routes_) {
      if (r.route.method != rq.method || !Match(r.route.path, rq.path, rq.params)) {
        rq.params.clear();
        continue;
      }
      if (r.route.body != WH_BODY_MULTIPART) rq.parts.clear();
      std::uint64_t bytes = rq.body.size();
      for (const auto& p : rq.parts) bytes += p.size;
      const auto limit = static_cast<std::uint64_t>(r.route.max_body_bytes);
      if (limit > 0 && bytes > limit)
        return ErrorResponse(413,
                             "Request body too large (limit " + std::to_string(limit) + " bytes)");
      ResponseState rs;
      r.handler(r.user, reinterpret_cast<const wh_request_host_ptr*>(&rq),
                reinterpret_cast<wh_response_host_ptr*>(&rs));
      return rs.out;
    }
    return ErrorResponse(404, "Not Found");
  }
  // Equal orders keep the order of registration, as on the host.
  void AddToChain(AuthenticatorState a) {
    auto at = authenticators_.begin();
    while (at != authenticators_.end() && at->order <= a.order) ++at;
    authenticators_.insert(at, a);
  }
  static const RequestState* Req(const wh_request_host_ptr* r) {
    return reinterpret_cast<const RequestState*>(r);
  }
  static ResponseState* Res(wh_response_host_ptr* r) { return reinterpret_cast<ResponseState*>(r); }
  static std::optional<std::chrono::steady_clock::time_point> Expiry(int64_t ttl_ms) {
    if (ttl_ms <= 0) return std::nullopt;
    return std::chrono::steady_clock::now() + std::chrono::milliseconds(ttl_ms);
  }
  KvEntry* KvFind(std::string_view key) {
    auto it = kv_.find(std::string(key));
    if (it == kv_.end()) return nullptr;
    if (it->second.expires && *it->second.expires <= std::chrono::steady_clock::now()) {
      kv_.erase(it);
      return nullptr;
    }
    return &it->second;
  }
  static wh_status Find(const Headers& hs, std::string_view name, wh_str* out, bool nocase) {
    for (const auto& [k, v] : hs) {
      if (nocase ? FakeResponse::EqualsNoCase(k, name) : k == name) {
        *out = ToWh(v);
        return WH_OK;
      }
    }
    return WH_NOT_FOUND;
  }
  static int Hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') return (c | 0x20) - 'a' + 10;
    return -1;
  }
  static std::string Unescape(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '+') {
        out.push_back(' ');
      } else if (s[i] == '%' && i + 2 < s.size() && Hex(s[i + 1]) >= 0 && Hex(s[i + 2]) >= 0) {
        out.push_back(static_cast<char>(Hex(s[i + 1]) * 16 + Hex(s[i + 2])));
        i += 2;
      } else {
        out.push_back(s[i]);
      }
    }
    return out;
  }
  static Headers ParseQuery(std::string_view q) {
    Headers out;
    while (!q.empty()) {
      const size_t amp = q.find('&');
      const std::string_view part = q.substr(0, amp);
      const size_t eq = part.find('=');
      out.emplace_back(Unescape(part.substr(0, eq)),
                       eq == std::string_view::npos ? "" : Unescape(part.substr(eq + 1)));
      if (amp == std::string_view::npos) break;
      q.remove_prefix(amp + 1);
    }
    return out;
  }
  // "/a/{id}/b" against "/a/7/b"; a last segment "{rest...}" takes the remaining path.
  static bool Match(std::string_view pattern, std::string_view path, Headers& params) {
    while (true) {
      if (pattern.empty() || path.empty()) return pattern.empty() && path.empty();
      const size_t ps = pattern.find('/', 1), ts = path.find('/', 1);
      std::string_view pseg = pattern.substr(0, ps), tseg = path.substr(0, ts);
      if (pseg.size() > 2 && pseg[1] == '{' && pseg.back() == '}') {
        std::string name(pseg.substr(2, pseg.size() - 3));
        if (name.size() > 3 && name.compare(name.size() - 3, 3, "...") == 0) {
          params.emplace_back(name.substr(0, name.size() - 3), std::string(path.substr(1)));
          return true;
        }
        if (tseg.size() < 2) return false;
        params.emplace_back(std::move(name), std::string(tseg.substr(1)));
      } else if (pseg != tseg) {
        return false;
      }
      pattern.remove_prefix(pseg.size());
      path.remove_prefix(tseg.size());
    }
  }

  static void Log(wh_plugin_host_ptr* self, wh_log_level level, wh_str message) {
    Self(self)->logs_.emplace_back(level, std::string(FromWh(message)));
  }
  static wh_status ConfigDeclare(wh_plugin_host_ptr* self, wh_str key, wh_str env_name,
                                 wh_str default_json, int) {
    FakeHost* h = Self(self);
    std::string value(FromWh(default_json));
    auto env = h->env_.find(std::string(FromWh(env_name)));
    if (env_name.len > 0 && env != h->env_.end()) {
      // Like the host: a string setting takes the variable as text, others as JSON.
      value = !value.empty() && value.front() == '"' ? detail::JsonQuote(env->second) : env->second;
    }
    if (!h->config_.emplace(std::string(FromWh(key)), value).second) return WH_CONFLICT;
    return WH_OK;
  }
  static wh_status ConfigGet(wh_plugin_host_ptr* self, wh_str key, wh_str_sink sink, void* user) {
    auto it = Self(self)->config_.find(std::string(FromWh(key)));
    if (it == Self(self)->config_.end()) return WH_NOT_FOUND;
    sink(user, ToWh(it->second));
    return WH_OK;
  }
  static wh_status ConfigSet(wh_plugin_host_ptr* self, wh_str key, wh_str value) {
    auto it = Self(self)->config_.find(std::string(FromWh(key)));
    if (it == Self(self)->config_.end()) return WH_DENIED;
    it->second.assign(FromWh(value));
    return WH_OK;
  }
  static wh_status EnvGet(wh_plugin_host_ptr* self, wh_str name, wh_str_sink sink, void* user) {
    auto it = Self(self)->env_.find(std::string(FromWh(name)));
    if (it == Self(self)->env_.end()) return WH_NOT_FOUND;
    sink(user, ToWh(it->second));
    return WH_OK;
  }
  static wh_status RouteAdd(wh_plugin_host_ptr* self, wh_str method, wh_str path,
                            wh_auth_level auth, wh_handler_fn handler, void* user) {
    FakeRoute route;
    route.method = std::string(FromWh(method));
    route.path = std::string(FromWh(path));
    route.auth = auth;
    return Self(self)->AddRoute(std::move(route), handler, user);
  }
  // Checked like the host does: an older SDK's shorter struct keeps the defaults of the fields it
  // lacks; a negative limit or an unknown body policy is refused.
  static wh_status RouteAddEx(wh_plugin_host_ptr* self, const wh_route_options* options,
                              wh_handler_fn handler, void* user) {
    constexpr size_t kLeast = offsetof(wh_route_options, auth) + sizeof(wh_auth_level);
    if (options == nullptr || options->struct_size < kLeast) return WH_INVALID;
    wh_route_options full{};
    std::memcpy(&full, options, std::min<size_t>(options->struct_size, sizeof full));
    std::int32_t body = 0;
    std::memcpy(&body, reinterpret_cast<const char*>(&full) + offsetof(wh_route_options, body),
                sizeof body);
    if (full.max_body_bytes < 0) return WH_INVALID;
    if (body != WH_BODY_BUFFERED && body != WH_BODY_MULTIPART) return WH_INVALID;
    FakeRoute route;
    route.method = std::string(FromWh(full.method));
    route.path = std::string(FromWh(full.path));
    route.auth = full.auth;
    route.max_body_bytes = full.max_body_bytes;
    route.body = static_cast<wh_body_policy>(body);
    return Self(self)->AddRoute(std::move(route), handler, user);
  }
  wh_status AddRoute(FakeRoute route, wh_handler_fn handler, void* user) {
    if (handler == nullptr) return WH_INVALID;
    for (const auto& r : routes_)
      if (r.route.method == route.method && r.route.path == route.path) return WH_CONFLICT;
    routes_.push_back(RouteState{std::move(route), handler, user});
    return WH_OK;
  }
  // Fills as much of `out` as the plugin's struct holds, like the host.
  static wh_status FormPartAt(const wh_request_host_ptr* r, size_t index, wh_form_part* out) {
    if (out == nullptr) return WH_INVALID;
    const auto& parts = Req(r)->parts;
    if (index >= parts.size()) return WH_NOT_FOUND;
    const uint32_t size = out->struct_size;
    if (size < offsetof(wh_form_part, name) + sizeof(wh_str)) return WH_INVALID;
    const FakeFormPart& p = parts[index];
    const wh_form_part full{size,
                            ToWh(p.name),
                            ToWh(p.filename),
                            ToWh(p.content_type),
                            ToWh(p.value),
                            ToWh(p.file_path),
                            p.size};
    std::memcpy(out, &full, std::min<size_t>(size, sizeof full));
    return WH_OK;
  }
  wh_status Run(const char* sql) {
    return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) == SQLITE_OK ? WH_OK : WH_ERROR;
  }
  static wh_status DbMigrate(wh_plugin_host_ptr* self, const wh_migration* steps, size_t count,
                             wh_str_sink error, void* error_user) {
    FakeHost* h = Self(self);
    for (size_t i = 0; i < count; ++i) {
      if (steps[i].version <= h->schema_version_) continue;
      char* msg = nullptr;
      const std::string sql(FromWh(steps[i].sql_sqlite));
      if (sqlite3_exec(h->db_, sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
        if (error != nullptr) error(error_user, ToWh(msg == nullptr ? "migration failed" : msg));
        sqlite3_free(msg);
        return WH_ERROR;
      }
      h->schema_version_ = steps[i].version;
    }
    return WH_OK;
  }
  static wh_status DbExec(wh_plugin_host_ptr* self, wh_tx_host_ptr*, wh_str sql,
                          const wh_db_value* params, size_t count, wh_db_row_fn on_row,
                          void* row_user, int64_t* affected, wh_str_sink error, void* error_user) {
    FakeHost* h = Self(self);
    sqlite3_stmt* st = nullptr;
    auto fail = [&](wh_status status) {
      if (error != nullptr) error(error_user, ToWh(sqlite3_errmsg(h->db_)));
      sqlite3_finalize(st);
      return status;
    };
    if (sqlite3_prepare_v2(h->db_, sql.ptr, static_cast<int>(sql.len), &st, nullptr) != SQLITE_OK)
      return fail(WH_INVALID);
    for (size_t i = 0; i < count; ++i) {
      const int at = static_cast<int>(i + 1);
      const wh_db_value& p = params[i];
      int rc = SQLITE_OK;
      switch (p.type) {
        case WH_DB_INT:
          rc = sqlite3_bind_int64(st, at, p.i);
          break;
        case WH_DB_REAL:
          rc = sqlite3_bind_double(st, at, p.d);
          break;
        case WH_DB_TEXT:
          rc = sqlite3_bind_text(st, at, p.s.ptr == nullptr ? "" : p.s.ptr,
                                 static_cast<int>(p.s.len), SQLITE_TRANSIENT);
          break;
        case WH_DB_BLOB:
          rc = sqlite3_bind_blob(st, at, p.s.ptr, static_cast<int>(p.s.len), SQLITE_TRANSIENT);
          break;
        default:
          rc = sqlite3_bind_null(st, at);
      }
      if (rc != SQLITE_OK) return fail(WH_INVALID);
    }
    std::vector<wh_db_value> cols;
    int rc = SQLITE_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      if (on_row == nullptr) continue;
      const int n = sqlite3_column_count(st);
      cols.assign(static_cast<size_t>(n), wh_db_value{});
      for (int c = 0; c < n; ++c) {
        wh_db_value& v = cols[static_cast<size_t>(c)];
        switch (sqlite3_column_type(st, c)) {
          case SQLITE_INTEGER:
            v.type = WH_DB_INT, v.i = sqlite3_column_int64(st, c);
            break;
          case SQLITE_FLOAT:
            v.type = WH_DB_REAL, v.d = sqlite3_column_double(st, c);
            break;
          case SQLITE_TEXT:
            v.type = WH_DB_TEXT;
            v.s = wh_str{reinterpret_cast<const char*>(sqlite3_column_text(st, c)),
                         static_cast<size_t>(sqlite3_column_bytes(st, c))};
            break;
          case SQLITE_BLOB:
            v.type = WH_DB_BLOB;
            v.s = wh_str{static_cast<const char*>(sqlite3_column_blob(st, c)),
                         static_cast<size_t>(sqlite3_column_bytes(st, c))};
            break;
          default:
            v.type = WH_DB_NULL;
        }
      }
      if (on_row(row_user, cols.data(), cols.size()) != 0) {
        rc = SQLITE_DONE;
        break;
      }
    }
    if (rc != SQLITE_DONE) return fail(WH_ERROR);
    if (affected != nullptr) *affected = sqlite3_changes(h->db_);
    sqlite3_finalize(st);
    return WH_OK;
  }
  static wh_status HttpFetch(wh_plugin_host_ptr* self, const wh_http_request* r,
                             wh_http_head_fn on_head, wh_http_data_fn on_data, void* user,
                             wh_str_sink error, void* error_user) {
    FakeHost* h = Self(self);
    FetchRecord rec{std::string(FromWh(r->method)),
                    std::string(FromWh(r->url)),
                    std::string(FromWh(r->body)),
                    {},
                    r->struct_size >= offsetof(wh_http_request, flags) + sizeof(uint64_t) &&
                        (r->flags & WH_FETCH_PUBLIC_ONLY) != 0};
    for (size_t i = 0; i < r->header_count; ++i)
      rec.headers.emplace_back(std::string(FromWh(r->headers[i].name)),
                               std::string(FromWh(r->headers[i].value)));
    h->fetches_.push_back(rec);
    auto it = h->fetch_answers_.find(rec.url);
    if (it == h->fetch_answers_.end() || it->second.status == WH_UNAVAILABLE) {
      if (error != nullptr) error(error_user, ToWh("could not connect to " + rec.url));
      return WH_UNAVAILABLE;
    }
    const FakeFetchAnswer& a = it->second;
    std::vector<wh_header> hs;
    for (const auto& [k, v] : a.headers) hs.push_back(wh_header{ToWh(k), ToWh(v)});
    if (on_head != nullptr && on_head(user, a.http_status, hs.data(), hs.size()) != 0)
      return WH_ABORTED;
    for (const auto& piece : a.pieces)
      if (on_data != nullptr && on_data(user, ToWh(piece)) != 0) return WH_ABORTED;
    return a.status;
  }

  wh_host_api api_{};
  wh_plugin_module_ptr* module_ = nullptr;
  std::string load_error_;
  sqlite3* db_ = nullptr;
  int schema_version_ = 0;
  std::map<std::string, std::string> env_;
  std::map<std::string, std::string> config_;
  std::vector<RouteState> routes_;
  std::vector<AuthenticatorState> authenticators_;
  std::map<std::string, KvEntry> kv_;
  std::map<uint64_t, Sub> subs_;
  uint64_t next_sub_ = 0;
  std::map<std::string, FakeFetchAnswer> fetch_answers_;
  std::vector<FetchRecord> fetches_;
  std::vector<Service> services_;
  std::vector<std::pair<wh_log_level, std::string>> logs_;
};

}  // namespace webui::sdk::testing
