// "openai": Open WebUI's OpenAI-compatible connections (routers/openai.py).
//
//   GET  /openai/config, POST /openai/config/update, POST /openai/verify          (admin)
//   GET  /openai/models, /openai/models/{url_idx}                                  (verified)
//   POST /openai/chat/completions                                                  (verified)
//   GET|POST|PUT|DELETE /openai/{path...}  passthrough to a connection             (verified)
//   service model_provider.v1 (list_models, has_model, chat_completion, embeddings)
//
// Streaming is real: SSE bytes go to the client as they arrive (on the host's relay thread when
// the host has one, upstream_relay.hpp), a client that leaves closes the upstream request within
// 250 ms, and an upstream that drops mid-stream ends the stream with an explicit error event. The connection serving a completion is always
// the one that listed the model; callers cannot pick it.
#include <webui_host/services/model_provider.h>
#include <webui_host/sdk.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>
#include <webui_host/sdk/json.hpp>

#include "model_list_cache.hpp"
#include "openai_logic.hpp"
#include "upstream_fetch.hpp"
#include "upstream_relay.hpp"

namespace webui::openai {
namespace {

using sdk::Auth;
using sdk::Caller;
using sdk::FetchRequest;
using sdk::Host;
using sdk::HttpError;
using sdk::Request;
using sdk::Response;
using Clock = std::chrono::steady_clock;
using upstream::FetchCallbacks;
using upstream::FetchOutcome;
using upstream::Headers;
using upstream::HeaderValue;
using upstream::HttpStatusFor;
using upstream::IEquals;
using upstream::StreamFetch;

constexpr const char* kConnectionError = "Open WebUI: Server Connection Error";
constexpr size_t kMaxBufferedBody = 64u << 20;  // a non-streamed upstream answer we hold in memory

json ParseObjectBody(std::string_view body) {
  json j = sdk::json::Parse(body).value_or(json(json::value_t::discarded));
  if (j.is_discarded() || !j.is_object())
    throw HttpError(422, "Request body must be a JSON object");
  return j;
}

// ---- the plugin ------------------------------------------------------------------------------
struct ModelSet {
  json list = json::array();                      // merged /openai/models items
  std::unordered_map<std::string, size_t> by_id;  // id -> position in list (last one wins)
  std::string fingerprint;                        // of the settings it was built from
  Clock::time_point started{};
};

class OpenAiPlugin : public sdk::Plugin {
 public:
  void Init(Host& host) override {
    host_ = &host;
    auto env = [&host](const std::string& name) { return host.Env(name); };
    host.DeclareConfig("openai.enable", "ENABLE_OPENAI_API", "true");
    // The ';' lists are read here, not by the host: upstream keeps empty items in place (a key
    // list like ";sk-2" must keep sk-2 on the second connection) and has fallbacks to the
    // singular variables.
    host.DeclareConfig("openai.api_base_urls", "", json(BaseUrlsFromEnv(env)).dump());
    host.DeclareConfig("openai.api_keys", "", json(KeysFromEnv(env)).dump());
    host.DeclareConfig("openai.api_configs", "OPENAI_API_CONFIGS", "{}");

    // Upstream: AIOHTTP_CLIENT_TIMEOUT is unset by default (no limit); here it bounds the
    // silence between upstream bytes, and unset leaves the host's default read timeout.
    request_timeout_s_ = TimeoutSeconds(host.Env("AIOHTTP_CLIENT_TIMEOUT"), std::nullopt, 300);
    auto list_raw = host.Env("AIOHTTP_CLIENT_TIMEOUT_MODEL_LIST");
    if (!list_raw) list_raw = host.Env("AIOHTTP_CLIENT_TIMEOUT_OPENAI_MODEL_LIST");
    model_list_timeout_s_ = TimeoutSeconds(list_raw, 10, 10);
    cache_ttl_s_ = TimeoutSeconds(host.Env("MODELS_CACHE_TTL"), 1, 1);
    forward_user_headers_ = EnvBool("ENABLE_FORWARD_USER_INFO_HEADERS");

    host.Route("GET", "/openai/config", Auth::kAdmin,
               [this](Request&, Response& res) { res.Json(ConnectionsToJson(Load()).dump()); });
    host.Route("POST", "/openai/config/update", Auth::kAdmin,
               [this](Request& req, Response& res) { UpdateConfig(req, res); });
    host.Route("POST", "/openai/verify", Auth::kAdmin,
               [this](Request& req, Response& res) { Verify(req, res); });
    host.Route("GET", "/openai/models", Auth::kVerified,
               [this](Request& req, Response& res) { ListModels(req, res); });
    host.Route("GET", "/openai/models/{url_idx}", Auth::kVerified,
               [this](Request& req, Response& res) { ListConnectionModels(req, res); });
    host.Route("POST", "/openai/chat/completions", Auth::kVerified,
               [this](Request& req, Response& res) { ChatCompletions(req, res); });
    for (const char* method : {"GET", "POST", "PUT", "DELETE"})
      host.Route(method, "/openai/{path...}", Auth::kVerified,
                 [this](Request& req, Response& res) { Passthrough(req, res); });

    provider_.struct_size = sizeof provider_;
    provider_.list_models = &SvcListModels;
    provider_.has_model = &SvcHasModel;
    provider_.chat_completion = &SvcChat;
    provider_.embeddings = &SvcEmbeddings;
    host.OfferService(WH_SERVICE_MODEL_PROVIDER_V1, &provider_, this);
  }

 private:
  // ---- settings ----
  bool EnvBool(const std::string& name) const {
    auto v = host_->Env(name);
    if (!v) return false;
    std::string s = *v;
    for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s == "true" || s == "1" || s == "yes" || s == "on";
  }

  json ConfigValue(const char* key, json fallback) const {
    auto text = host_->ConfigJson(key);
    if (!text) return fallback;
    json j = sdk::json::Parse(*text).value_or(json(json::value_t::discarded));
    return j.is_discarded() ? fallback : j;
  }

  Connections Load() const {
    Connections c;
    const json enable = ConfigValue("openai.enable", true);
    c.enable = enable.is_boolean() ? enable.get<bool>() : false;
    for (const auto& [key, out] :
         {std::pair{"openai.api_base_urls", &c.urls}, std::pair{"openai.api_keys", &c.keys}}) {
      const json list = ConfigValue(key, json::array());
      if (!list.is_array()) continue;
      for (const auto& item : list) out->push_back(item.is_string() ? item.get<std::string>() : "");
    }
    c.configs = ConfigValue("openai.api_configs", json::object());
    if (!c.configs.is_object()) c.configs = json::object();
    c.Normalize();
    return c;
  }

  // ---- requests to a connection ----
  Headers UpstreamHeaders(const Connections& c, size_t idx, const Caller* caller) const {
    Headers h{{"Content-Type", "application/json"}};
    const json config = c.ConfigOf(idx);
    const std::string url = c.Url(idx);
    if (url.find("openrouter.ai") != std::string::npos) {
      h.emplace_back("HTTP-Referer", "https://openwebui.com/");
      h.emplace_back("X-Title", "Open WebUI");
    }
    const std::string auth_type = config.value("auth_type", json("bearer")).is_string()
                                      ? config.value("auth_type", std::string("bearer"))
                                      : "bearer";
    if (auth_type != "none" && !c.Key(idx).empty())
      h.emplace_back("Authorization", "Bearer " + c.Key(idx));
    if (forward_user_headers_ && caller != nullptr) {
      h.emplace_back("X-OpenWebUI-User-Name", UrlQuote(caller->name));
      h.emplace_back("X-OpenWebUI-User-Id", std::string(caller->id));
      h.emplace_back("X-OpenWebUI-User-Email", std::string(caller->email));
      h.emplace_back("X-OpenWebUI-User-Role", std::string(caller->role));
    }
    if (auto it = config.find("headers"); it != config.end() && it->is_object()) {
      for (const auto& [k, v] : it->items()) {
        if (!v.is_string()) continue;
        std::erase_if(h, [&k = k](const auto& p) { return IEquals(p.first, k); });
        h.emplace_back(k, v.get<std::string>());
      }
    }
    return h;
  }

  uint32_t RequestReadTimeoutMs() const {
    return request_timeout_s_ && *request_timeout_s_ > 0
               ? static_cast<uint32_t>(*request_timeout_s_) * 1000u
               : 0u;
  }
  uint32_t ModelListTimeoutMs() const {
    return model_list_timeout_s_ && *model_list_timeout_s_ > 0
               ? static_cast<uint32_t>(*model_list_timeout_s_) * 1000u
               : 0u;
  }
  FetchRequest ModelListRequest(const std::string& url, Headers headers) const {
    FetchRequest f;
    f.method = "GET";
    f.url = url + "/models";
    f.headers = std::move(headers);
    f.total_timeout_ms = ModelListTimeoutMs();
    if (f.total_timeout_ms) f.connect_timeout_ms = std::min<uint32_t>(f.total_timeout_ms, 10000);
    return f;
  }

  // ---- model list ----
  std::optional<json> FetchConnectionModels(const Connections& c, size_t idx) {
    if (!c.Enabled(idx)) return std::nullopt;
    const json config = c.ConfigOf(idx);
    json response;
    const json model_ids = config.value("model_ids", json::array());
    if (model_ids.is_array() && !model_ids.empty()) {
      response = SynthesisedModels(model_ids, idx);
    } else {
      FetchRequest f = ModelListRequest(c.Url(idx), UpstreamHeaders(c, idx, nullptr));
      sdk::FetchResult r;
      try {
        r = host_->Fetch(f);
      } catch (const std::exception& e) {
        host_->Warn(std::string("openai: model list of connection ") + std::to_string(idx) +
                    " failed: " + e.what());
        return std::nullopt;
      }
      if (!r.ok() || r.http_status < 200 || r.http_status >= 300) {
        host_->Warn(
            "openai: model list of connection " + std::to_string(idx) + " (" + c.Url(idx) +
            ") unavailable: " + (r.ok() ? "HTTP " + std::to_string(r.http_status) : r.error));
        return std::nullopt;
      }
      response = sdk::json::Parse(r.body).value_or(json(json::value_t::discarded));
      if (response.is_discarded()) return std::nullopt;
    }
    return ConnectionModels(response, config);
  }

  std::shared_ptr<const ModelSet> Build(const Connections& c, Clock::time_point started) {
    auto set = std::make_shared<ModelSet>();
    set->fingerprint = c.Fingerprint();
    set->started = started;
    if (c.enable) {
      // One thread per connection: a dead one costs its own timeout, not the sum.
      std::vector<std::future<std::optional<json>>> pending;
      for (size_t i = 0; i < c.urls.size(); ++i)
        pending.push_back(
            std::async(std::launch::async, [this, &c, i] { return FetchConnectionModels(c, i); }));
      std::vector<std::optional<json>> lists;
      for (auto& f : pending) lists.push_back(f.get());
      set->list = MergeModels(lists, c.urls);
    }
    for (size_t i = 0; i < set->list.size(); ++i)
      set->by_id[set->list[i]["id"].get<std::string>()] = i;
    return set;
  }

  using Freshness = providers::ModelListCache<ModelSet>::Freshness;

  // The merged model list of the current settings.
  std::shared_ptr<const ModelSet> Models(Freshness want) {
    const Connections c = Load();
    return models_.Get(c.Fingerprint(), want, cache_ttl_s_, [&] { return Build(c, Clock::now()); });
  }

  std::shared_ptr<const ModelSet> Current() const { return models_.Current(); }

  struct Route {
    json model;
    size_t idx = 0;
    Connections conns;
  };

  // The connection that serves `model_id`, from the model list (never from the caller).
  std::optional<Route> Resolve(const std::string& model_id) {
    for (Freshness f : {Freshness::kAnyAge, Freshness::kWithinTtl}) {
      auto set = Models(f);
      auto it = set->by_id.find(model_id);
      if (it == set->by_id.end()) continue;
      Route r;
      r.model = set->list[it->second];
      r.idx = r.model.value("urlIdx", size_t{0});
      r.conns = Load();
      if (!r.conns.enable || r.idx >= r.conns.urls.size() || !r.conns.Enabled(r.idx))
        return std::nullopt;
      return r;
    }
    return std::nullopt;
  }

  // Model access control, in one place. Open WebUI filters provider models for role "user" by
  // the `model` table's access_control (owned by the chat plugin); that table is not this
  // plugin's, so every listed model is usable by every verified user here, as with
  // BYPASS_MODEL_ACCESS_CONTROL=true. Admins always pass.
  bool MayUseModel(const Caller& caller, const json& /*model*/) const {
    return caller.role == "admin" || caller.role == "user";
  }

  // ---- HTTP handlers ----
  void UpdateConfig(Request& req, Response& res) {
    const json body = ParseObjectBody(req.Body());
    Connections c;
    try {
      c = ConnectionsFromUpdate(body, Load().enable);
    } catch (const std::invalid_argument& e) {
      throw HttpError(422, e.what());
    }
    host_->SetConfig("openai.enable", json(c.enable).dump());
    host_->SetConfig("openai.api_base_urls", json(c.urls).dump());
    host_->SetConfig("openai.api_keys", json(c.keys).dump());
    host_->SetConfig("openai.api_configs", c.configs.dump());
    res.Json(ConnectionsToJson(c).dump());
  }

  void Verify(Request& req, Response& res) {
    const json body = ParseObjectBody(req.Body());
    if (!body.contains("url") || !body["url"].is_string() || !body.contains("key") ||
        !body["key"].is_string())
      throw HttpError(422, "url and key are required");
    Connections one;
    one.urls = {body["url"].get<std::string>()};
    one.keys = {body["key"].get<std::string>()};
    if (body.contains("config") && body["config"].is_object()) one.configs["0"] = body["config"];
    auto caller = req.RequireCaller();
    FetchRequest f = ModelListRequest(one.Url(0), UpstreamHeaders(one, 0, &caller));
    sdk::FetchResult r = host_->Fetch(f);
    if (!r.ok()) {
      host_->Warn("openai: verify " + one.Url(0) + " failed: " + r.error);
      throw HttpError(HttpStatusFor(r.status), kConnectionError);
    }
    SendUpstreamBody(res, r.http_status, HeaderValue(r.headers, "Content-Type"), r.body);
  }

  void ListModels(Request& req, Response& res) {
    auto caller = req.RequireCaller();
    auto set = Models(req.Query("refresh") ? Freshness::kRefresh : Freshness::kWithinTtl);
    json data = json::array();
    for (const auto& m : set->list)
      if (MayUseModel(caller, m)) data.push_back(m);
    res.Json(json{{"data", data}, {"object", "list"}}.dump());
  }

  // Parses a caller-supplied connection index; 4xx (never 500) for anything unusable.
  size_t ConnectionIndex(std::string_view raw, const Connections& c) const {
    if (raw.empty() || raw.size() > 6 ||
        !std::all_of(raw.begin(), raw.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
      throw HttpError(422, "url_idx must be a non-negative integer");
    const size_t idx = static_cast<size_t>(std::stoul(std::string(raw)));
    if (idx >= c.urls.size()) throw HttpError(404, "Connection not found");
    if (!c.enable || !c.Enabled(idx)) throw HttpError(403, "Connection is disabled");
    return idx;
  }

  void ListConnectionModels(Request& req, Response& res) {
    auto caller = req.RequireCaller();
    const Connections c = Load();
    const size_t idx = ConnectionIndex(req.PathParam("url_idx").value_or(""), c);
    json config = c.ConfigOf(idx);
    FetchRequest f = ModelListRequest(c.Url(idx), UpstreamHeaders(c, idx, &caller));
    sdk::FetchResult r = host_->Fetch(f);
    if (!r.ok()) throw HttpError(HttpStatusFor(r.status), kConnectionError);
    if (r.http_status != 200)
      throw HttpError(r.http_status >= 400 ? r.http_status : 502,
                      "External Error: " + UpstreamErrorText(r.body, "HTTP Error"));
    json models = sdk::json::Parse(r.body).value_or(json(json::value_t::discarded));
    if (models.is_discarded() || !models.is_object())
      throw HttpError(502, "Unexpected error: upstream answered with invalid JSON");
    if (c.Url(idx).find("api.openai.com") != std::string::npos && models["data"].is_array()) {
      json kept = json::array();
      for (const auto& m : models["data"]) {
        json merged = MergeModels({json::array({m})}, {c.Url(idx)});
        if (!merged.empty()) kept.push_back(m);
      }
      models["data"] = kept;
    }
    if (models.contains("data") && models["data"].is_array()) {
      json kept = json::array();
      for (const auto& m : models["data"])
        if (MayUseModel(caller, m)) kept.push_back(m);
      models["data"] = kept;
    }
    res.Json(models.dump());
  }

  void ChatCompletions(Request& req, Response& res) {
    auto caller = req.RequireCaller();
    json payload = ParseObjectBody(req.Body());
    payload.erase("metadata");
    const std::string model_id =
        payload.value("model", json()).is_string() ? payload["model"].get<std::string>() : "";
    auto route = Resolve(model_id);
    if (!route) throw HttpError(404, "Model not found");
    if (!MayUseModel(caller, route->model)) throw HttpError(403, "Model not found");
    const std::string url = route->conns.Url(route->idx);
    PrepareChatPayload(payload, route->conns.ConfigOf(route->idx), url);
    if (route->model.value("pipeline", json(false)).is_boolean() &&
        route->model.value("pipeline", false)) {
      payload["user"] = {
          {"name", caller.name}, {"id", caller.id}, {"email", caller.email}, {"role", caller.role}};
    }
    FetchRequest f;
    f.method = "POST";
    f.url = url + "/chat/completions";
    f.headers = UpstreamHeaders(route->conns, route->idx, &caller);
    f.body = payload.dump();
    f.read_timeout_ms = RequestReadTimeoutMs();
    Proxy(res, f);
  }

  void Passthrough(Request& req, Response& res) {
    auto caller = req.RequireCaller();
    std::string_view full = req.Path();
    constexpr std::string_view kPrefix = "/openai/";
    std::string path(full.substr(std::min(full.size(), kPrefix.size())));
    for (const auto& seg : SplitKeepEmpty(path, '/'))
      if (seg == ".." || seg == "." || seg.find("%2e") != std::string::npos ||
          seg.find("%2E") != std::string::npos)
        throw HttpError(400, "Invalid path");
    const Connections c = Load();
    std::string body(req.Body());
    size_t idx = 0;
    json j = sdk::json::Parse(body).value_or(json(json::value_t::discarded));
    if (!j.is_discarded() && j.is_object() && j.contains("model") && j["model"].is_string()) {
      if (auto route = Resolve(j["model"].get<std::string>())) {
        if (!MayUseModel(caller, route->model)) throw HttpError(403, "Model not found");
        idx = route->idx;
        j["model"] = StripPrefix(j["model"].get<std::string>(), c.ConfigOf(idx));
        body = j.dump();
      }
    }
    if (c.urls.empty() || !c.enable) throw HttpError(404, "OpenAI API was not found");
    if (!c.Enabled(idx)) throw HttpError(403, "Connection is disabled");
    FetchRequest f;
    f.method = std::string(req.Method());
    f.url = c.Url(idx) + "/" + path;
    if (!req.QueryString().empty()) f.url += "?" + std::string(req.QueryString());
    f.headers = UpstreamHeaders(c, idx, &caller);
    f.body = std::move(body);
    f.read_timeout_ms = RequestReadTimeoutMs();
    Proxy(res, f);
  }

  // A buffered upstream answer as it goes to the client: JSON stays JSON, anything else keeps
  // its content type.
  struct Answer {
    int status;
    std::string content_type;
    std::string body;
  };
  static Answer UpstreamAnswer(int status, std::string content_type, const std::string& body) {
    if (status <= 0) status = 502;
    json j = sdk::json::Parse(body).value_or(json(json::value_t::discarded));
    if (!j.is_discarded()) return {status, "application/json", j.dump()};
    if (content_type.empty()) content_type = "text/plain; charset=utf-8";
    return {status, std::move(content_type), body};
  }

  static void SendUpstreamBody(Response& res, int status, std::string content_type,
                               const std::string& body) {
    const Answer a = UpstreamAnswer(status, std::move(content_type), body);
    res.Status(a.status).Header("Content-Type", a.content_type);
    res.Send(a.body);
  }

  // One upstream exchange for the client: SSE streamed through as it arrives (ended after
  // "data: [DONE]"), anything else buffered and passed on with the upstream status (errors
  // included, as upstream does).
  class ProxyAnswer final : public upstream::ProxyRelay {
   public:
    ProxyAnswer(Host& host, const std::string& url)
        : ProxyRelay(host, "openai", url, StreamEndWatcher::Format::kSse) {}

   private:
    std::optional<std::string> StreamType(int status, const std::string& content_type) override {
      if (status < 400 && content_type.find("text/event-stream") != std::string::npos)
        return "text/event-stream";
      return std::nullopt;
    }
    std::string ErrorEvent(bool timed_out, std::string_view tail) override {
      const char* message =
          timed_out ? "Open WebUI: upstream read timeout" : "Open WebUI: upstream connection lost";
      std::string event = tail == "\n\n" ? "" : "\n\n";
      event += "data: " +
               json{{"error",
                     {{"message", message},
                      {"type", "upstream_error"},
                      {"code", timed_out ? "upstream_timeout" : "upstream_disconnected"}}}}
                   .dump() +
               "\n\ndata: [DONE]\n\n";
      return event;
    }
    void Answer(sdk::Relay& relay, int status, const std::string& content_type,
                const std::string& body) override {
      const OpenAiPlugin::Answer a = UpstreamAnswer(status, content_type, body);
      relay.Respond(a.status, a.content_type, a.body);
    }
  };

  // Forwards one upstream exchange to the client, on the host's relay when it has one: no
  // thread waits for the stream.
  void Proxy(Response& res, const FetchRequest& f) {
    upstream::ProxyThrough<ProxyAnswer>(*host_, res, f, f.url);
  }

  // ---- model_provider.v1 ----
  static void Sink(wh_str_sink sink, void* user, const std::string& text) {
    if (sink != nullptr) sink(user, wh_str{text.data(), text.size()});
  }

  static wh_status SvcListModels(void* self, int refresh, wh_str_sink sink, void* sink_user) {
    try {
      auto* p = static_cast<OpenAiPlugin*>(self);
      auto set = p->Models(refresh ? Freshness::kRefresh : Freshness::kWithinTtl);
      const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
      json out = json::array();
      for (json m : set->list) {
        if (!m.contains("object")) m["object"] = "model";
        if (!m.contains("created")) m["created"] = now;
        out.push_back(std::move(m));
      }
      Sink(sink, sink_user, out.dump());
      return WH_OK;
    } catch (...) {
      return WH_ERROR;
    }
  }

  static int SvcHasModel(void* self, wh_str model_id) {
    try {
      auto* p = static_cast<OpenAiPlugin*>(self);
      auto set = p->Current();
      if (!set || set->fingerprint != p->Load().Fingerprint()) set = p->Models(Freshness::kAnyAge);
      return set->by_id.count(std::string(sdk::FromWh(model_id))) ? 1 : 0;
    } catch (...) {
      return 0;
    }
  }

  static wh_status SvcChat(void* self, wh_str request_json, wh_model_chunk_fn on_piece,
                           void* piece_user, int* http_status, wh_str_sink error,
                           void* error_user) {
    auto* p = static_cast<OpenAiPlugin*>(self);
    int status_storage = 0;
    if (http_status == nullptr) http_status = &status_storage;
    std::string message;
    wh_status st = WH_ERROR;
    try {
      st = p->ServiceChat(sdk::FromWh(request_json), on_piece, piece_user, http_status, &message);
    } catch (const std::exception& e) {
      message = e.what();
      if (*http_status == 0) *http_status = 500;
      st = WH_ERROR;
    } catch (...) {
      message = "internal error";
      st = WH_ERROR;
    }
    if (st != WH_OK) Sink(error, error_user, message);
    return st;
  }

  wh_status ServiceChat(std::string_view request_json, wh_model_chunk_fn on_piece, void* piece_user,
                        int* http_status, std::string* message) {
    json payload = sdk::json::Parse(request_json).value_or(json(json::value_t::discarded));
    if (payload.is_discarded() || !payload.is_object()) {
      *http_status = 400;
      *message = "Request body must be a JSON object";
      return WH_INVALID;
    }
    payload.erase("metadata");
    const std::string model_id =
        payload.value("model", json()).is_string() ? payload["model"].get<std::string>() : "";
    auto route = Resolve(model_id);
    if (!route) {
      *http_status = 404;
      *message = "Model not found";
      return WH_NOT_FOUND;
    }
    const std::string url = route->conns.Url(route->idx);
    PrepareChatPayload(payload, route->conns.ConfigOf(route->idx), url);
    const bool want_stream = payload.value("stream", json(false)) == json(true);
    FetchRequest f;
    f.method = "POST";
    f.url = url + "/chat/completions";
    f.headers = UpstreamHeaders(route->conns, route->idx, nullptr);
    f.body = payload.dump();
    f.read_timeout_ms = RequestReadTimeoutMs();

    int status = 0;
    bool streaming = false, aborted = false, saw_end = false, saw_done = false;
    std::string buffered;
    SseSplitter sse;
    auto emit = [&](std::string_view piece) {
      if (on_piece(piece_user, sdk::ToWh(piece)) != 0) aborted = true;
      return !aborted;
    };
    FetchCallbacks cb;
    cb.on_head = [&](int st, const Headers& hs) {
      status = st;
      streaming = st < 400 &&
                  HeaderValue(hs, "Content-Type").find("text/event-stream") != std::string::npos;
      return true;
    };
    cb.on_data = [&](std::string_view chunk) {
      if (chunk.empty()) return emit("");  // silence tick: the consumer may abort
      if (!streaming) {
        if (buffered.size() + chunk.size() > kMaxBufferedBody) return false;
        buffered.append(chunk);
        return true;
      }
      return sse.Feed(chunk, [&](std::string_view data) {
        if (data == "[DONE]") {
          // The answer is complete: stop reading even if the upstream keeps the connection open.
          saw_end = saw_done = true;
          return false;
        }
        json j = sdk::json::Parse(data).value_or(json(json::value_t::discarded));
        if (j.is_discarded()) {
          // Open WebUI skips a chunk it cannot parse and goes on with the stream.
          host_->Warn("openai: skipped a malformed stream chunk from " + url);
          return true;
        }
        if (j.contains("choices") && j["choices"].is_array())
          for (const auto& c : j["choices"])
            if (c.is_object() && c.contains("finish_reason") && !c["finish_reason"].is_null())
              saw_end = true;
        return emit(data);
      });
    };
    const FetchOutcome out = StreamFetch(*host_, f, cb);
    if (aborted) {
      *message = "aborted by the consumer";
      return WH_ABORTED;
    }
    if (streaming) {
      *http_status = status;
      if (out.status != WH_OK && !saw_done) {
        host_->Warn("openai: upstream stream from " + url + " failed: " + out.error);
        *message = out.status == WH_TIMEOUT ? "upstream read timeout" : "upstream connection lost";
        return out.status == WH_TIMEOUT ? WH_TIMEOUT : WH_CLOSED;
      }
      if (!saw_end) {
        *message = "upstream ended the stream without finishing it";
        return WH_CLOSED;
      }
      return WH_OK;
    }
    if (out.status != WH_OK) {
      *http_status = HttpStatusFor(out.status);
      *message = kConnectionError;
      return out.status == WH_TIMEOUT ? WH_TIMEOUT : WH_UNAVAILABLE;
    }
    *http_status = status;
    if (status >= 400) {
      *message = UpstreamErrorText(buffered, kConnectionError);
      return WH_ERROR;
    }
    json body = sdk::json::Parse(buffered).value_or(json(json::value_t::discarded));
    if (body.is_discarded() || !body.is_object()) {
      *http_status = 502;
      *message = "upstream answered with invalid JSON";
      return WH_ERROR;
    }
    if (!want_stream) return emit(buffered) ? WH_OK : WH_ABORTED;
    // Asked to stream, got a whole completion: hand it over as one chunk.
    json chunk = body;
    chunk["object"] = "chat.completion.chunk";
    if (chunk.contains("choices") && chunk["choices"].is_array()) {
      for (auto& c : chunk["choices"]) {
        if (!c.is_object()) continue;
        c["delta"] = c.value("message", json::object());
        c.erase("message");
      }
    }
    return emit(chunk.dump()) ? WH_OK : WH_ABORTED;
  }

  static wh_status SvcEmbeddings(void* self, wh_str request_json, wh_str_sink sink, void* sink_user,
                                 int* http_status, wh_str_sink error, void* error_user) {
    auto* p = static_cast<OpenAiPlugin*>(self);
    int status_storage = 0;
    if (http_status == nullptr) http_status = &status_storage;
    std::string message;
    try {
      json payload =
          sdk::json::Parse(sdk::FromWh(request_json)).value_or(json(json::value_t::discarded));
      if (payload.is_discarded() || !payload.is_object()) {
        *http_status = 400;
        Sink(error, error_user, "Request body must be a JSON object");
        return WH_INVALID;
      }
      const std::string model_id =
          payload.value("model", json()).is_string() ? payload["model"].get<std::string>() : "";
      auto route = p->Resolve(model_id);
      if (!route) {
        *http_status = 404;
        Sink(error, error_user, "Model not found");
        return WH_NOT_FOUND;
      }
      payload["model"] = StripPrefix(model_id, route->conns.ConfigOf(route->idx));
      FetchRequest f;
      f.method = "POST";
      f.url = route->conns.Url(route->idx) + "/embeddings";
      f.headers = p->UpstreamHeaders(route->conns, route->idx, nullptr);
      f.body = payload.dump();
      f.read_timeout_ms = p->RequestReadTimeoutMs();
      sdk::FetchResult r = p->host_->Fetch(f);
      if (!r.ok()) {
        *http_status = HttpStatusFor(r.status);
        Sink(error, error_user, kConnectionError);
        return r.status == WH_TIMEOUT ? WH_TIMEOUT : WH_UNAVAILABLE;
      }
      *http_status = r.http_status;
      if (r.http_status >= 400) {
        Sink(error, error_user, "External: " + UpstreamErrorText(r.body, kConnectionError));
        return WH_ERROR;
      }
      Sink(sink, sink_user, r.body);
      return WH_OK;
    } catch (const std::exception& e) {
      Sink(error, error_user, e.what());
      return WH_ERROR;
    } catch (...) {
      return WH_ERROR;
    }
  }

  Host* host_ = nullptr;
  std::optional<int> request_timeout_s_;
  std::optional<int> model_list_timeout_s_;
  std::optional<int> cache_ttl_s_;
  bool forward_user_headers_ = false;
  providers::ModelListCache<ModelSet> models_;
  wh_model_provider_v1 provider_{};
};

}  // namespace
}  // namespace webui::openai

WEBUI_HOST_PLUGIN(webui::openai::OpenAiPlugin, "openai", "0.1.0",
                  "OpenAI-compatible connections: /openai proxy and model provider")
