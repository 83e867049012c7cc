#include "providers/connection_provider.hpp"

#include <webui_host/sdk/json.hpp>

#include <algorithm>
#include <future>
#include <stdexcept>

#include "providers/upstream_relay.hpp"
#include "providers/wire.hpp"

namespace webui::providers {

namespace {

constexpr size_t kMaxWholeAnswer = kMaxBufferedBody;  // a non-streamed answer held in memory

uint32_t Ms(const std::optional<int>& s) {
  return s && *s > 0 ? static_cast<uint32_t>(*s) * 1000u : 0u;
}

void Sink(wh_str_sink sink, void* user, const std::string& text) {
  if (sink != nullptr) sink(user, wh_str{text.data(), text.size()});
}

// Runs one service call; an exception becomes WH_ERROR with its text (and 500 when no status
// was set): nothing may cross the C boundary.
template <typename Call>
wh_status Guarded(int* http_status, std::string* message, Call&& call) {
  try {
    return call();
  } catch (const std::exception& e) {
    *message = e.what();
  } catch (...) {
    *message = "internal error";
  }
  if (*http_status == 0) *http_status = 500;
  return WH_ERROR;
}

wh_status FailureStatus(wh_status transport) {
  return transport == WH_TIMEOUT ? WH_TIMEOUT : WH_UNAVAILABLE;
}

}  // namespace

// ---- ServiceExchange ----------------------------------------------------------------------

bool ServiceExchange::Emit(std::string_view piece) {
  if (!aborted_ && !consumer_(piece)) aborted_ = true;
  return !aborted_;
}

bool ServiceExchange::Head(const ChatPlan& plan, int status, const Headers& headers) {
  status_ = status;
  streaming_ = plan.streams(status, headers);
  return true;
}

bool ServiceExchange::Data(const ChatPlan& plan, std::string_view chunk) {
  if (chunk.empty()) return Emit("");  // silence tick: the consumer may abort
  if (streaming_) return plan.on_stream(chunk);
  if (buffered_.size() + chunk.size() > kMaxWholeAnswer) return false;
  buffered_.append(chunk);
  return true;
}

FetchOutcome ServiceExchange::Run(sdk::Host& host, const ChatPlan& plan) {
  FetchCallbacks cb;
  cb.on_head = [&](int status, const Headers& headers) { return Head(plan, status, headers); };
  cb.on_data = [&](std::string_view chunk) { return Data(plan, chunk); };
  return StreamFetch(host, plan.request, cb);
}

wh_status ServiceExchange::Whole(const FetchOutcome& out,
                                 const std::function<std::string(const std::string&)>& error_text,
                                 const char* invalid_json, json* answer, int* http_status,
                                 std::string* message) const {
  if (out.status != WH_OK) {
    *http_status = HttpStatusFor(out.status);
    *message = kConnectionErrorText;
    return FailureStatus(out.status);
  }
  *http_status = status_;
  if (status_ >= 400) {
    *message = error_text(buffered_);
    return WH_ERROR;
  }
  *answer = sdk::json::Parse(buffered_).value_or(json(json::value_t::discarded));
  if (answer->is_discarded() || !answer->is_object()) {
    *http_status = 502;
    *message = invalid_json;
    return WH_ERROR;
  }
  return WH_OK;
}

// ---- settings ------------------------------------------------------------------------------

void ConnectionProvider::InitConnections(sdk::Host& host,
                                         const std::vector<std::string>& default_urls,
                                         const std::vector<std::string>& default_keys) {
  host_ = &host;
  metrics_ = sdk::Metrics(host);
  host.DeclareConfig(names_.enable_setting, names_.enable_env, "true");
  // The ';' lists are read by the plugin, not the host: upstream keeps empty items in place (a
  // key list like ";sk-2" must keep sk-2 on the second connection) and has fallbacks to the
  // singular variables.
  host.DeclareConfig(names_.urls_setting, "", json(default_urls).dump());
  if (names_.keys_setting != nullptr)
    host.DeclareConfig(names_.keys_setting, "", json(default_keys).dump());
  host.DeclareConfig(names_.configs_setting, names_.configs_env, "{}");
  env_ = ProviderEnv::From([&host](const std::string& name) { return host.Env(name); });

  const std::string prefix = std::string("/") + names_.plugin;
  host.Route("GET", prefix + "/config", sdk::Auth::kAdmin,
             [this](sdk::Request&, sdk::Response& res) {
               res.Json(ConnectionsToJson(Load(), names_.fields).dump());
             });
  host.Route("POST", prefix + "/config/update", sdk::Auth::kAdmin,
             [this](sdk::Request& req, sdk::Response& res) { UpdateConfig(req, res); });

  provider_.struct_size = sizeof provider_;
  provider_.list_models = &SvcListModels;
  provider_.has_model = &SvcHasModel;
  provider_.chat_completion = &SvcChat;
  provider_.embeddings = &SvcEmbeddings;
  provider_.chat_completion_async = &SvcChatAsync;
  provider_.chat_completion_relay = &SvcChatRelay;
  host.OfferService(WH_SERVICE_MODEL_PROVIDER_V1, &provider_, this);
}

Connections ConnectionProvider::Load() const {
  Connections c;
  c.keys_in_config = names_.keys_setting == nullptr;
  const json enable = sdk::Setting<json>(*host_, names_.enable_setting, true);
  c.enable = enable.is_boolean() && enable.get<bool>();
  const json urls = sdk::Setting<json>(*host_, names_.urls_setting, json::array());
  if (urls.is_array())
    for (const auto& u : urls) c.urls.push_back(u.is_string() ? u.get<std::string>() : "");
  if (!c.keys_in_config) {
    const json keys = sdk::Setting<json>(*host_, names_.keys_setting, json::array());
    if (keys.is_array())
      for (const auto& k : keys) c.keys.push_back(k.is_string() ? k.get<std::string>() : "");
    c.Normalize();
  }
  c.configs = sdk::Setting<json>(*host_, names_.configs_setting, json::object());
  if (!c.configs.is_object()) c.configs = json::object();
  return c;
}

void ConnectionProvider::UpdateConfig(sdk::Request& req, sdk::Response& res) {
  const json body = sdk::JsonBody(req);
  Connections c;
  try {
    c = ConnectionsFromUpdate(body, Load().enable, names_.fields);
  } catch (const std::invalid_argument& e) {
    throw sdk::HttpError(422, e.what());
  }
  host_->SetConfig(names_.enable_setting, json(c.enable).dump());
  host_->SetConfig(names_.urls_setting, json(c.urls).dump());
  if (names_.keys_setting != nullptr) host_->SetConfig(names_.keys_setting, json(c.keys).dump());
  host_->SetConfig(names_.configs_setting, c.configs.dump());
  res.Json(ConnectionsToJson(c, names_.fields).dump());
}

// ---- requests to a connection ----------------------------------------------------------------

Headers ConnectionProvider::UpstreamHeaders(const Connections& c, size_t idx,
                                            const sdk::Caller* caller) const {
  Headers h{{"Content-Type", "application/json"}};
  const std::string key = c.Key(idx);
  if (!key.empty()) h.emplace_back("Authorization", "Bearer " + key);
  if (env_.forward_user_headers && caller != nullptr) {
    h.emplace_back("X-OpenWebUI-User-Name", UrlQuote(caller->name));
    h.emplace_back("X-OpenWebUI-User-Id", std::string(caller->id));
    h.emplace_back("X-OpenWebUI-User-Email", std::string(caller->email));
    h.emplace_back("X-OpenWebUI-User-Role", std::string(caller->role));
  }
  AddConnectionHeaders(c, idx, &h);
  return h;
}

void ConnectionProvider::AddConnectionHeaders(const Connections&, size_t, Headers*) const {}

sdk::FetchRequest ConnectionProvider::Call(const Connections& c, size_t idx,
                                           const UpstreamCall& call) const {
  sdk::FetchRequest f;
  f.method = call.method;
  f.url = c.Url(idx) + call.path;
  if (!call.query.empty()) f.url += "?" + call.query;
  f.headers = UpstreamHeaders(c, idx, call.caller);
  if (call.content_type != "application/json") {
    for (auto& [name, value] : f.headers)
      if (IEquals(name, "Content-Type")) value = call.content_type;
  }
  f.body = call.body;
  f.read_timeout_ms = Ms(env_.request_timeout_s);
  return f;
}

sdk::FetchRequest ConnectionProvider::ModelListRequest(const Connections& c, size_t idx,
                                                       const std::string& path,
                                                       const sdk::Caller* caller) const {
  sdk::FetchRequest f;
  f.method = "GET";
  f.url = c.Url(idx) + path;
  f.headers = UpstreamHeaders(c, idx, caller);
  f.total_timeout_ms = Ms(env_.model_list_timeout_s);
  if (f.total_timeout_ms) f.connect_timeout_ms = std::min<uint32_t>(f.total_timeout_ms, 10000);
  return f;
}

std::optional<json> ConnectionProvider::GetJson(const Connections& c, size_t idx,
                                                const std::string& path) const {
  const std::string where =
      std::string(names_.plugin) + ": " + path + " of connection " + std::to_string(idx);
  try {
    sdk::FetchResult r = host_->Fetch(ModelListRequest(c, idx, path, nullptr));
    if (!r.ok() || r.http_status < 200 || r.http_status >= 300) {
      CountUpstreamError(idx, r.status, r.http_status);
      host_->Warn(where + " (" + c.Url(idx) +
                  ") unavailable: " + (r.ok() ? "HTTP " + std::to_string(r.http_status) : r.error));
      return std::nullopt;
    }
    json j = sdk::json::Parse(r.body).value_or(json(json::value_t::discarded));
    if (j.is_discarded()) return std::nullopt;
    return j;
  } catch (const std::exception& e) {
    host_->Warn(where + " failed: " + e.what());
    return std::nullopt;
  }
}

void ConnectionProvider::CountUpstreamError(size_t idx, wh_status transport,
                                            int http_status) const {
  const char* reason = transport == WH_TIMEOUT   ? "timeout"
                       : transport == WH_ABORTED ? nullptr  // we stopped reading, not the upstream
                       : transport != WH_OK      ? "unreachable"
                       : http_status >= 500      ? "http_5xx"
                                                 : nullptr;
  if (reason == nullptr) return;
  const std::string connection = std::to_string(idx);
  metrics_.Count("upstream_errors", {{"connection", connection}, {"reason", reason}});
}

std::vector<std::optional<json>> ConnectionProvider::EachConnection(
    const Connections& c, const std::function<std::optional<json>(size_t)>& fetch) const {
  std::vector<std::future<std::optional<json>>> pending;
  for (size_t i = 0; i < c.urls.size(); ++i) {
    pending.push_back(std::async(std::launch::async, [&c, &fetch, i]() -> std::optional<json> {
      if (!c.Enabled(i)) return std::nullopt;
      return fetch(i);
    }));
  }
  std::vector<std::optional<json>> out;
  for (auto& f : pending) out.push_back(f.get());
  return out;
}

wh_status ConnectionProvider::ServiceFetch(size_t idx, const sdk::FetchRequest& f,
                                           std::string_view error_prefix, sdk::FetchResult* r,
                                           int* http_status, std::string* message) const {
  *r = host_->Fetch(f);
  CountUpstreamError(idx, r->status, r->http_status);
  if (!r->ok()) {
    host_->Warn(std::string(names_.plugin) + ": request to " + f.url + " failed: " + r->error);
    *http_status = HttpStatusFor(r->status);
    *message = kConnectionErrorText;
    return FailureStatus(r->status);
  }
  *http_status = r->http_status;
  if (r->http_status >= 400) {
    *message = std::string(error_prefix) + UpstreamErrorText(r->body, kConnectionErrorText);
    return WH_ERROR;
  }
  return WH_OK;
}

// ---- model list ------------------------------------------------------------------------------

std::shared_ptr<const ModelSet> ConnectionProvider::Build(const Connections& c,
                                                          Clock::time_point started) {
  auto set = std::make_shared<ModelSet>();
  set->fingerprint = c.Fingerprint();
  set->started = started;
  if (c.enable)
    set->list = MergeLists(c, EachConnection(c, [&](size_t i) { return ListConnection(c, i); }));
  for (size_t i = 0; i < set->list.size(); ++i)
    set->by_id[set->list[i][names_.model_key].get<std::string>()] = i;
  return set;
}

std::shared_ptr<const ModelSet> ConnectionProvider::Models(Freshness want) {
  const Connections c = Load();
  return models_.Get(c.Fingerprint(), want, env_.cache_ttl_s,
                     [&] { return Build(c, Clock::now()); });
}

std::optional<json> ConnectionProvider::FindModel(const std::string& name) {
  for (Freshness f : {Freshness::kAnyAge, Freshness::kWithinTtl}) {
    auto set = Models(f);
    auto it = set->by_id.find(name);
    if (it != set->by_id.end()) return set->list[it->second];
  }
  return std::nullopt;
}

bool ConnectionProvider::MayUseModel(const sdk::Caller& caller) const {
  return caller.role == "admin" || caller.role == "user";
}

size_t ConnectionProvider::ConnectionIndex(std::string_view raw, const Connections& c) const {
  if (raw.empty() || raw.size() > 6 ||
      !std::all_of(raw.begin(), raw.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
    throw sdk::HttpError(422, "url_idx must be a non-negative integer");
  const size_t idx = static_cast<size_t>(std::stoul(std::string(raw)));
  if (idx >= c.urls.size()) throw sdk::HttpError(404, "Connection not found");
  if (!c.enable || !c.Enabled(idx)) throw sdk::HttpError(403, "Connection is disabled");
  return idx;
}

// ---- model_provider.v1 -----------------------------------------------------------------------

wh_status ConnectionProvider::SvcListModels(void* self, int refresh, wh_str_sink sink,
                                            void* sink_user) {
  try {
    auto* p = static_cast<ConnectionProvider*>(self);
    auto set = p->Models(refresh ? Freshness::kRefresh : Freshness::kWithinTtl);
    Sink(sink, sink_user, p->ServiceModels(*set).dump());
    return WH_OK;
  } catch (...) {
    return WH_ERROR;
  }
}

int ConnectionProvider::SvcHasModel(void* self, wh_str model_id) {
  try {
    auto* p = static_cast<ConnectionProvider*>(self);
    auto set = p->Current();
    if (!set || set->fingerprint != p->Load().Fingerprint()) set = p->Models(Freshness::kAnyAge);
    return set->by_id.count(std::string(sdk::FromWh(model_id))) ? 1 : 0;
  } catch (...) {
    return 0;
  }
}

wh_status ConnectionProvider::SvcChat(void* self, wh_str request_json, wh_model_chunk_fn on_piece,
                                      void* piece_user, int* http_status, wh_str_sink error,
                                      void* error_user) {
  int status_storage = 0;
  if (http_status == nullptr) http_status = &status_storage;
  std::string message;
  const wh_status st = Guarded(http_status, &message, [&] {
    auto* p = static_cast<ConnectionProvider*>(self);
    ServiceExchange exchange(
        [&](std::string_view piece) { return on_piece(piece_user, sdk::ToWh(piece)) == 0; });
    ChatPlan plan;
    wh_status chat = p->PlanChat(request_json, exchange, &plan, http_status, &message);
    if (chat == WH_OK) chat = plan.finish(exchange.Run(*p->host_, plan), http_status, &message);
    if (!exchange.aborted()) return chat;
    message = "aborted by the consumer";
    return WH_ABORTED;
  });
  if (st != WH_OK) Sink(error, error_user, message);
  return st;
}

wh_status ConnectionProvider::PlanChat(wh_str request_json, ServiceExchange& exchange,
                                       ChatPlan* plan, int* http_status, std::string* message) {
  json payload =
      sdk::json::Parse(sdk::FromWh(request_json)).value_or(json(json::value_t::discarded));
  if (payload.is_discarded() || !payload.is_object()) {
    *http_status = 400;
    *message = "Request body must be a JSON object";
    return WH_INVALID;
  }
  return ServiceChat(std::move(payload), exchange, plan, http_status, message);
}

namespace {

// A chat plan run by the host's relay: each piece and, exactly once, the result go to a
// consumer in another plugin (Piece / Result), with the client's side of the exchange when one
// is attached (chat_completion_relay) or none (chat_completion_async).
class RelayedChat : public sdk::RelayHandler {
 public:
  RelayedChat() : exchange_([this](std::string_view piece) { return Piece(client_, piece); }) {}
  RelayedChat(const RelayedChat&) = delete;
  RelayedChat& operator=(const RelayedChat&) = delete;

  ServiceExchange& exchange() { return exchange_; }
  ChatPlan& plan() { return plan_; }

  // The result, once (`client`: the relay's handle during a callback, else nullptr).
  void Report(wh_relay_host_ptr* client, wh_status status, int http_status,
              const std::string& message) {
    if (ended_) return;
    ended_ = true;
    Result(client, status, http_status, status == WH_OK ? std::string() : message);
  }

  bool OnHead(sdk::Relay& relay, int status, const sdk::Headers& headers) override {
    client_ = relay.handle();
    return Go(exchange_.Head(plan_, status, headers));
  }
  bool OnData(sdk::Relay& relay, std::string_view chunk) override {
    client_ = relay.handle();
    return Go(exchange_.Data(plan_, chunk));
  }
  bool OnSilence(sdk::Relay& relay) override {
    client_ = relay.handle();
    return Go(exchange_.Data(plan_, {}));
  }

  void OnEnd(sdk::Relay& relay, wh_status outcome, std::string_view message) override {
    client_ = relay.handle();
    int http_status = 0;
    std::string text;
    wh_status st = Guarded(&http_status, &text, [&] {
      return plan_.finish(FetchOutcome{Transport(outcome), std::string(message)}, &http_status,
                          &text);
    });
    if (outcome == WH_CLOSED) {
      st = WH_CLOSED;
      text = "the client closed the connection";
    } else if (exchange_.aborted()) {
      st = WH_ABORTED;
      text = "aborted by the consumer";
    }
    Report(client_, st, http_status, text);
  }

 protected:
  bool ended() const { return ended_; }

 private:
  virtual bool Piece(wh_relay_host_ptr* client, std::string_view piece) = 0;
  virtual void Result(wh_relay_host_ptr* client, wh_status status, int http_status,
                      const std::string& error) = 0;

  bool Go(bool keep_going) {
    if (!keep_going) stopped_ = true;
    return keep_going;
  }
  // The relay's outcome as http_fetch reports the same end, for the plan's finish: a callback
  // that stopped reading is WH_ABORTED, a broken or cut answer (or the host shutting down)
  // WH_CLOSED.
  wh_status Transport(wh_status outcome) const {
    if (stopped_) return WH_ABORTED;
    switch (outcome) {
      case WH_OK:
      case WH_TIMEOUT:
      case WH_UNAVAILABLE:
        return outcome;
      default:
        return WH_CLOSED;
    }
  }

  ServiceExchange exchange_;
  ChatPlan plan_;
  wh_relay_host_ptr* client_ = nullptr;
  bool stopped_ = false;
  bool ended_ = false;
};

// chat_completion_async: no client; the consumer hears of the result also when the relay refused
// or never ran the exchange (then as an unreachable upstream).
class BackgroundChat final : public RelayedChat {
 public:
  BackgroundChat(const wh_model_stream_handler& handler, void* user)
      : handler_(handler), user_(user) {}
  ~BackgroundChat() override {
    if (!ended()) Report(nullptr, WH_UNAVAILABLE, 502, kConnectionErrorText);
    if (handler_.release != nullptr) handler_.release(user_);
  }

 private:
  bool Piece(wh_relay_host_ptr*, std::string_view piece) override {
    return handler_.on_piece(user_, sdk::ToWh(piece)) != 0;
  }
  void Result(wh_relay_host_ptr*, wh_status status, int http_status,
              const std::string& error) override {
    if (handler_.on_end != nullptr) handler_.on_end(user_, status, http_status, sdk::ToWh(error));
  }

  wh_model_stream_handler handler_;
  void* user_;
};

// chat_completion_relay: the consumer answers the attached client. When the relay refused the
// exchange the consumer hears nothing (the caller still owns the response and answers it).
class ClientChat final : public RelayedChat {
 public:
  ClientChat(const wh_model_relay_handler& handler, void* user) : handler_(handler), user_(user) {}
  ~ClientChat() override {
    if (handler_.release != nullptr) handler_.release(user_);
  }

 private:
  bool Piece(wh_relay_host_ptr* client, std::string_view piece) override {
    return handler_.on_piece(user_, client, sdk::ToWh(piece)) != 0;
  }
  void Result(wh_relay_host_ptr* client, wh_status status, int http_status,
              const std::string& error) override {
    if (handler_.on_end != nullptr && client != nullptr)
      handler_.on_end(user_, client, status, http_status, sdk::ToWh(error));
  }

  wh_model_relay_handler handler_;
  void* user_;
};

}  // namespace

wh_status ConnectionProvider::SvcChatAsync(void* self, wh_str request_json,
                                           const wh_model_stream_handler* handler, void* user) {
  if (handler == nullptr || handler->struct_size < sizeof(wh_model_stream_handler) ||
      handler->on_piece == nullptr)
    return WH_INVALID;
  std::unique_ptr<BackgroundChat> chat;
  try {
    chat = std::make_unique<BackgroundChat>(*handler, user);
  } catch (...) {
    if (handler->on_end != nullptr)
      handler->on_end(user, WH_ERROR, 500, sdk::ToWh("out of memory"));
    if (handler->release != nullptr) handler->release(user);
    return WH_OK;
  }
  // From here every way out reports through `chat` (its destructor at the latest).
  auto* p = static_cast<ConnectionProvider*>(self);
  int http_status = 0;
  std::string message;
  const wh_status planned = Guarded(&http_status, &message, [&] {
    return p->PlanChat(request_json, chat->exchange(), &chat->plan(), &http_status, &message);
  });
  if (planned != WH_OK) {
    chat->Report(nullptr, planned, http_status, message);
    return WH_OK;
  }
  // A copy: `chat` (which holds the plan) is handed over in the same call.
  const sdk::FetchRequest request = chat->plan().request;
  try {
    if (p->host_->FetchRelay(request, std::move(chat))) return WH_OK;
  } catch (...) {
  }
  // Refused (older host, unusable request): the handler already reported 502 when it went.
  p->host_->Warn(std::string(p->names_.plugin) + ": the relay refused the request to " +
                 request.url);
  return WH_OK;
}

wh_status ConnectionProvider::SvcChatRelay(void* self, wh_str request_json,
                                           wh_response_host_ptr* res,
                                           const wh_model_relay_handler* handler, void* user,
                                           int* http_status, wh_str_sink error, void* error_user) {
  int status_storage = 0;
  if (http_status == nullptr) http_status = &status_storage;
  if (handler == nullptr || handler->struct_size < sizeof(wh_model_relay_handler) ||
      handler->on_piece == nullptr || res == nullptr) {
    if (handler != nullptr && handler->release != nullptr) handler->release(user);
    *http_status = 500;
    Sink(error, error_user, "chat_completion_relay: unusable handler");
    return WH_INVALID;
  }
  std::unique_ptr<ClientChat> chat;
  try {
    chat = std::make_unique<ClientChat>(*handler, user);
  } catch (...) {
    if (handler->release != nullptr) handler->release(user);
    *http_status = 500;
    Sink(error, error_user, "out of memory");
    return WH_ERROR;
  }
  // From here `chat` releases the consumer when it goes, whichever way that is.
  auto* p = static_cast<ConnectionProvider*>(self);
  std::string message;
  const wh_status planned = Guarded(http_status, &message, [&] {
    return p->PlanChat(request_json, chat->exchange(), &chat->plan(), http_status, &message);
  });
  if (planned != WH_OK) {
    Sink(error, error_user, message);
    return planned;
  }
  const sdk::FetchRequest request = chat->plan().request;
  sdk::Response client(p->host_->api(), res);
  try {
    if (client.Relay(request, std::move(chat), /*forward_body=*/false)) return WH_OK;
  } catch (...) {
  }
  // Refused (an older host, an unusable request): the response is still the caller's.
  p->host_->Warn(std::string(p->names_.plugin) + ": the relay refused the request to " +
                 request.url);
  *http_status = 502;
  Sink(error, error_user, kConnectionErrorText);
  return WH_UNAVAILABLE;
}

wh_status ConnectionProvider::SvcEmbeddings(void* self, wh_str request_json, wh_str_sink sink,
                                            void* sink_user, int* http_status, wh_str_sink error,
                                            void* error_user) {
  int status_storage = 0;
  if (http_status == nullptr) http_status = &status_storage;
  std::string answer, message;
  const wh_status st = Guarded(http_status, &message, [&] {
    return static_cast<ConnectionProvider*>(self)->ServiceEmbeddings(
        sdk::FromWh(request_json), &answer, http_status, &message);
  });
  if (st == WH_OK)
    Sink(sink, sink_user, answer);
  else
    Sink(error, error_user, message);
  return st;
}

}  // namespace webui::providers
