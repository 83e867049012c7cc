// "ollama": Open WebUI's Ollama connections (routers/ollama.py).
//
//   GET  /ollama/config, POST /ollama/config/update, POST /ollama/verify           (admin)
//   GET  /ollama/api/tags[/{url_idx}], /ollama/api/version[/{url_idx}]             (verified)
//   GET  /ollama/api/ps                                                           (admin)
//   POST /ollama/api/chat|generate|embed|embeddings[/{url_idx}]  NDJSON streamed  (verified)
//   POST /ollama/api/show                                                         (verified)
//   POST /ollama/api/pull[/{url_idx}] streamed, DELETE /ollama/api/delete[/{url_idx}] (admin)
//   POST /ollama/v1/chat/completions|completions[/{url_idx}], GET /ollama/v1/models[/{url_idx}]
//   service model_provider.v1: OpenAI-format requests converted to /api/chat and back
//
// A caller-supplied {url_idx} is validated before anything is sent (T20): not an integer -> 422,
// no such connection -> 404, disabled connection or a connection that does not serve the model
// -> 403. Without one, the connection comes from the merged model list.
#include <webui_host/services/model_provider.h>
#include <webui_host/sdk.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>
#include <webui_host/sdk/json.hpp>

#include "model_list_cache.hpp"
#include "ollama_logic.hpp"
#include "openai_logic.hpp"
#include "upstream_fetch.hpp"
#include "upstream_relay.hpp"

namespace webui::ollama {
namespace {

using sdk::Auth;
using sdk::Caller;
using sdk::FetchRequest;
using sdk::Host;
using sdk::HttpError;
using sdk::Request;
using sdk::Response;
using upstream::FetchCallbacks;
using upstream::FetchOutcome;
using upstream::Headers;
using upstream::HeaderValue;
using upstream::HttpStatusFor;
using upstream::StreamFetch;
using Clock = std::chrono::steady_clock;

constexpr const char* kConnectionError = "Open WebUI: Server Connection Error";
constexpr const char* kOllamaNotFound = "WebUI could not connect to Ollama";
constexpr size_t kMaxBufferedBody = 64u << 20;

std::string ModelNotFound(const std::string& name) { return "Model '" + name + "' was not found"; }

json ParseObjectBody(std::string_view body) {
  json j = sdk::json::Parse(body).value_or(json(json::value_t::discarded));
  if (j.is_discarded() || !j.is_object())
    throw HttpError(422, "Request body must be a JSON object");
  return j;
}

std::string StrField(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

long long NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

enum class Framing { kNdjson, kSse };

struct ModelSet {
  json list = json::array();                        // merged /api/tags models, each with "urls"
  std::unordered_map<std::string, size_t> by_name;  // "model" -> position
  std::string fingerprint;
  Clock::time_point started{};
};

class OllamaPlugin : public sdk::Plugin {
 public:
  void Init(Host& host) override {
    host_ = &host;
    auto env = [&host](const std::string& name) { return host.Env(name); };
    host.DeclareConfig("ollama.enable", "ENABLE_OLLAMA_API", "true");
    host.DeclareConfig("ollama.base_urls", "", json(BaseUrlsFromEnv(env)).dump());
    host.DeclareConfig("ollama.api_configs", "OLLAMA_API_CONFIGS", "{}");

    request_timeout_s_ =
        openai::TimeoutSeconds(host.Env("AIOHTTP_CLIENT_TIMEOUT"), std::nullopt, 300);
    auto list_raw = host.Env("AIOHTTP_CLIENT_TIMEOUT_MODEL_LIST");
    if (!list_raw) list_raw = host.Env("AIOHTTP_CLIENT_TIMEOUT_OPENAI_MODEL_LIST");
    model_list_timeout_s_ = openai::TimeoutSeconds(list_raw, 10, 10);
    cache_ttl_s_ = openai::TimeoutSeconds(host.Env("MODELS_CACHE_TTL"), 1, 1);
    auto fwd = host.Env("ENABLE_FORWARD_USER_INFO_HEADERS");
    forward_user_headers_ = fwd && (*fwd == "true" || *fwd == "True" || *fwd == "1");

    auto route = [&](const char* method, const std::string& path, Auth auth,
                     void (OllamaPlugin::*fn)(Request&, Response&)) {
      host.Route(method, path, auth,
                 [this, fn](Request& req, Response& res) { (this->*fn)(req, res); });
    };
    auto both = [&](const char* method, const std::string& path, Auth auth,
                    void (OllamaPlugin::*fn)(Request&, Response&)) {
      route(method, path, auth, fn);
      route(method, path + "/{url_idx}", auth, fn);
    };
    host.Route("GET", "/ollama", Auth::kPublic,
               [](Request&, Response& res) { res.Json(R"({"status":true})"); });
    host.Route("GET", "/ollama/", Auth::kPublic,
               [](Request&, Response& res) { res.Json(R"({"status":true})"); });
    route("GET", "/ollama/config", Auth::kAdmin, &OllamaPlugin::GetConfig);
    route("POST", "/ollama/config/update", Auth::kAdmin, &OllamaPlugin::UpdateConfig);
    route("POST", "/ollama/verify", Auth::kAdmin, &OllamaPlugin::Verify);
    both("GET", "/ollama/api/tags", Auth::kVerified, &OllamaPlugin::Tags);
    both("GET", "/ollama/api/version", Auth::kVerified, &OllamaPlugin::Version);
    route("GET", "/ollama/api/ps", Auth::kAdmin, &OllamaPlugin::Ps);
    both("POST", "/ollama/api/pull", Auth::kAdmin, &OllamaPlugin::Pull);
    both("DELETE", "/ollama/api/delete", Auth::kAdmin, &OllamaPlugin::Delete);
    route("POST", "/ollama/api/show", Auth::kVerified, &OllamaPlugin::Show);
    both("POST", "/ollama/api/embed", Auth::kVerified, &OllamaPlugin::Embed);
    both("POST", "/ollama/api/embeddings", Auth::kVerified, &OllamaPlugin::Embeddings);
    both("POST", "/ollama/api/generate", Auth::kVerified, &OllamaPlugin::Generate);
    both("POST", "/ollama/api/chat", Auth::kVerified, &OllamaPlugin::Chat);
    both("POST", "/ollama/v1/chat/completions", Auth::kVerified, &OllamaPlugin::OpenAiChat);
    both("POST", "/ollama/v1/completions", Auth::kVerified, &OllamaPlugin::OpenAiCompletion);
    both("GET", "/ollama/v1/models", Auth::kVerified, &OllamaPlugin::OpenAiModels);

    provider_.struct_size = sizeof provider_;
    provider_.list_models = &SvcListModels;
    provider_.has_model = &SvcHasModel;
    provider_.chat_completion = &SvcChat;
    provider_.embeddings = &SvcEmbeddings;
    host.OfferService(WH_SERVICE_MODEL_PROVIDER_V1, &provider_, this);
  }

 private:
  // ---- settings ----
  json ConfigValue(const char* key, json fallback) const {
    auto text = host_->ConfigJson(key);
    if (!text) return fallback;
    json j = sdk::json::Parse(*text).value_or(json(json::value_t::discarded));
    return j.is_discarded() ? fallback : j;
  }

  Connections Load() const {
    Connections c;
    const json enable = ConfigValue("ollama.enable", true);
    c.enable = enable.is_boolean() && enable.get<bool>();
    const json urls = ConfigValue("ollama.base_urls", json::array());
    if (urls.is_array())
      for (const auto& u : urls) c.urls.push_back(u.is_string() ? u.get<std::string>() : "");
    c.configs = ConfigValue("ollama.api_configs", json::object());
    if (!c.configs.is_object()) c.configs = json::object();
    return c;
  }

  uint32_t Ms(const std::optional<int>& s) const {
    return s && *s > 0 ? static_cast<uint32_t>(*s) * 1000u : 0u;
  }

  Headers UpstreamHeaders(const Connections& c, size_t idx, const Caller* caller) const {
    Headers h{{"Content-Type", "application/json"}};
    const std::string key = c.Key(idx);
    if (!key.empty()) h.emplace_back("Authorization", "Bearer " + key);
    if (forward_user_headers_ && caller != nullptr) {
      h.emplace_back("X-OpenWebUI-User-Name", openai::UrlQuote(caller->name));
      h.emplace_back("X-OpenWebUI-User-Id", std::string(caller->id));
      h.emplace_back("X-OpenWebUI-User-Email", std::string(caller->email));
      h.emplace_back("X-OpenWebUI-User-Role", std::string(caller->role));
    }
    return h;
  }

  FetchRequest ListRequest(const Connections& c, size_t idx, const std::string& path,
                           const Caller* caller) const {
    FetchRequest f;
    f.method = "GET";
    f.url = c.Url(idx) + path;
    f.headers = UpstreamHeaders(c, idx, caller);
    f.total_timeout_ms = Ms(model_list_timeout_s_);
    if (f.total_timeout_ms) f.connect_timeout_ms = std::min<uint32_t>(f.total_timeout_ms, 10000);
    return f;
  }

  // GETs `path` of every enabled connection at once; nullopt where it failed.
  std::vector<std::optional<json>> GetAll(const Connections& c, const std::string& path) {
    std::vector<std::future<std::optional<json>>> pending;
    for (size_t i = 0; i < c.urls.size(); ++i) {
      pending.push_back(
          std::async(std::launch::async, [this, &c, i, &path]() -> std::optional<json> {
            if (!c.Enabled(i)) return std::nullopt;
            try {
              sdk::FetchResult r = host_->Fetch(ListRequest(c, i, path, nullptr));
              if (!r.ok() || r.http_status < 200 || r.http_status >= 300) {
                host_->Warn("ollama: " + c.Url(i) + path + " unavailable: " +
                            (r.ok() ? "HTTP " + std::to_string(r.http_status) : r.error));
                return std::nullopt;
              }
              json j = sdk::json::Parse(r.body).value_or(json(json::value_t::discarded));
              if (j.is_discarded()) return std::nullopt;
              return j;
            } catch (const std::exception& e) {
              host_->Warn(std::string("ollama: ") + path + " failed: " + e.what());
              return std::nullopt;
            }
          }));
    }
    std::vector<std::optional<json>> out;
    for (auto& f : pending) out.push_back(f.get());
    return out;
  }

  // ---- model list ----
  std::shared_ptr<const ModelSet> Build(const Connections& c, Clock::time_point started) {
    auto set = std::make_shared<ModelSet>();
    set->fingerprint = c.Fingerprint();
    set->started = started;
    if (c.enable) {
      auto answers = GetAll(c, "/api/tags");
      std::vector<std::optional<json>> lists;
      for (size_t i = 0; i < answers.size(); ++i)
        lists.push_back(answers[i] ? ConnectionModels(*answers[i], c.ConfigOf(i)) : std::nullopt);
      set->list = MergeModels(lists);
    }
    for (size_t i = 0; i < set->list.size(); ++i)
      set->by_name[set->list[i]["model"].get<std::string>()] = i;
    return set;
  }

  using Freshness = providers::ModelListCache<ModelSet>::Freshness;

  // The merged model list of the current settings.
  std::shared_ptr<const ModelSet> Models(Freshness want) {
    const Connections c = Load();
    return models_.Get(c.Fingerprint(), want, cache_ttl_s_, [&] { return Build(c, Clock::now()); });
  }

  std::shared_ptr<const ModelSet> Current() const { return models_.Current(); }

  void Invalidate() { models_.Invalidate(); }

  // A model by its listed name; refreshes once when it is not (yet) known.
  std::optional<json> FindModel(const std::string& name) {
    for (Freshness f : {Freshness::kAnyAge, Freshness::kWithinTtl}) {
      auto set = Models(f);
      auto it = set->by_name.find(name);
      if (it != set->by_name.end()) return set->list[it->second];
    }
    return std::nullopt;
  }

  // Model access control, in one place: see plugins/openai (every listed model is usable by
  // verified users until the chat plugin's model table offers per-model grants).
  bool MayUseModel(const Caller& caller, const std::string& /*model*/) const {
    return caller.role == "admin" || caller.role == "user";
  }

  // Validates a caller-supplied connection index.
  size_t ConnectionIndex(std::string_view raw, const Connections& c) const {
    if (raw.empty() || raw.size() > 6 ||
        !std::all_of(raw.begin(), raw.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
      throw HttpError(422, "url_idx must be a non-negative integer");
    const size_t idx = static_cast<size_t>(std::stoul(std::string(raw)));
    if (idx >= c.urls.size()) throw HttpError(404, "Connection not found");
    if (!c.enable || !c.Enabled(idx)) throw HttpError(403, "Connection is disabled");
    return idx;
  }

  // The connection for `model` (a listed name): the caller's {url_idx} only when it is enabled
  // and serves that model; otherwise one of the model's enabled connections.
  size_t ConnectionFor(Request& req, const std::string& model, const Connections& c) {
    auto caller = req.RequireCaller();
    if (!MayUseModel(caller, model)) throw HttpError(403, "Model not found");
    auto raw = req.PathParam("url_idx");
    std::optional<size_t> asked;
    if (raw) asked = ConnectionIndex(*raw, c);
    auto found = FindModel(model);
    if (!found) {
      if (asked)
        throw HttpError(403,
                        "Model '" + model + "' is not served by connection " + std::string(*raw));
      throw HttpError(400, ModelNotFound(model));
    }
    std::vector<size_t> serving;
    for (const auto& u : (*found)["urls"])
      if (u.is_number_unsigned() && u.get<size_t>() < c.urls.size() && c.Enabled(u.get<size_t>()))
        serving.push_back(u.get<size_t>());
    if (asked) {
      if (std::find(serving.begin(), serving.end(), *asked) == serving.end())
        throw HttpError(403,
                        "Model '" + model + "' is not served by connection " + std::string(*raw));
      return *asked;
    }
    if (serving.empty() || !c.enable) throw HttpError(400, ModelNotFound(model));
    return serving[next_.fetch_add(1, std::memory_order_relaxed) % serving.size()];
  }

  // ---- sending to a connection (upstream send_post_request) ----
  // One exchange for the client: streamed through when `stream` and the upstream said < 400
  // (ended after the "done": true line, or [DONE] for SSE); otherwise buffered and answered with
  // JSON, or with Open WebUI's error shape {"detail": <upstream "error">}.
  class ProxyAnswer final : public upstream::ProxyRelay {
   public:
    ProxyAnswer(Host& host, const std::string& url, bool stream,
                const std::string& content_type_override, Framing framing,
                const std::function<void()>& finished)
        : ProxyRelay(host, "ollama", url,
                     framing == Framing::kNdjson ? openai::StreamEndWatcher::Format::kNdjson
                                                 : openai::StreamEndWatcher::Format::kSse),
          stream_(stream),
          content_type_override_(content_type_override),
          framing_(framing),
          finished_(finished) {}

   private:
    std::optional<std::string> StreamType(int status, const std::string& content_type) override {
      if (!stream_ || status >= 400) return std::nullopt;
      const std::string& ct =
          content_type_override_.empty() ? content_type : content_type_override_;
      return ct.empty() ? "application/x-ndjson" : ct;
    }
    std::string ErrorEvent(bool timed_out, std::string_view tail) override {
      const char* message =
          timed_out ? "Ollama: upstream read timeout" : "Ollama: upstream connection lost";
      if (framing_ == Framing::kNdjson) {
        // Ollama reports a failed stream as a line {"error": ...}; its clients raise it.
        const bool at_line_start = !tail.empty() && tail.back() == '\n';
        return std::string(at_line_start ? "" : "\n") + json{{"error", message}}.dump() + "\n";
      }
      return std::string(tail == "\n\n" ? "" : "\n\n") +
             "data: " + json{{"error", {{"message", message}, {"type", "upstream_error"}}}}.dump() +
             "\n\ndata: [DONE]\n\n";
    }
    void Answer(sdk::Relay& relay, int status, const std::string&,
                const std::string& body) override {
      if (status >= 400) {
        json err = sdk::json::Parse(body).value_or(json(json::value_t::discarded));
        if (!err.is_discarded() && err.is_object() && err.contains("error")) {
          relay.RespondError(status, err["error"].is_string() ? err["error"].get<std::string>()
                                                              : err["error"].dump());
        } else {
          relay.RespondError(status, kConnectionError);
        }
        return;
      }
      json j = sdk::json::Parse(body).value_or(json(json::value_t::discarded));
      if (j.is_discarded()) {
        // A streamed answer arrived although stream was false: hand it on as it is.
        relay.Respond(status ? status : 200, "application/x-ndjson", body);
        return;
      }
      relay.Respond(200, "application/json", j.dump());
    }
    void Finished() override {
      if (finished_) finished_();
    }

    bool stream_;
    std::string content_type_override_;
    Framing framing_;
    std::function<void()> finished_;
  };

  // Sends one request to a connection for the client, on the host's relay when it has one (no
  // thread waits for the stream). `finished` runs when the exchange is over; it must not block.
  void SendPost(Response& res, const Connections& c, size_t idx, const std::string& path,
                const std::string& method, const json& payload, bool stream, const Caller* caller,
                const std::string& content_type_override, Framing framing,
                const std::function<void()>& finished = {}) {
    FetchRequest f;
    f.method = method;
    f.url = c.Url(idx) + path;
    f.headers = UpstreamHeaders(c, idx, caller);
    f.body = payload.dump();
    f.read_timeout_ms = Ms(request_timeout_s_);
    upstream::ProxyThrough<ProxyAnswer>(*host_, res, f, f.url, stream, content_type_override,
                                        framing, finished);
  }

  // A simple request whose answer is relayed as JSON; errors as {"detail": "Ollama: ..."}.
  json Relay(const Connections& c, size_t idx, const std::string& method, const std::string& path,
             const json* payload, const Caller* caller, int* status_out = nullptr) {
    FetchRequest f;
    f.method = method;
    f.url = c.Url(idx) + path;
    f.headers = UpstreamHeaders(c, idx, caller);
    if (payload != nullptr) f.body = payload->dump();
    f.read_timeout_ms = Ms(request_timeout_s_);
    sdk::FetchResult r = host_->Fetch(f);
    if (!r.ok()) {
      host_->Warn("ollama: request to " + f.url + " failed: " + r.error);
      throw HttpError(HttpStatusFor(r.status), kConnectionError);
    }
    if (status_out != nullptr) *status_out = r.http_status;
    if (r.http_status >= 400) {
      json err = sdk::json::Parse(r.body).value_or(json(json::value_t::discarded));
      std::string detail = kConnectionError;
      if (!err.is_discarded() && err.is_object() && err.contains("error"))
        detail = "Ollama: " +
                 (err["error"].is_string() ? err["error"].get<std::string>() : err["error"].dump());
      throw HttpError(r.http_status, detail);
    }
    if (r.body.empty()) return json();
    json j = sdk::json::Parse(r.body).value_or(json(json::value_t::discarded));
    if (j.is_discarded()) throw HttpError(502, "Ollama: invalid JSON from upstream");
    return j;
  }

  // ---- handlers: settings ----
  void GetConfig(Request&, Response& res) { res.Json(ConnectionsToJson(Load()).dump()); }

  void UpdateConfig(Request& req, Response& res) {
    const json body = ParseObjectBody(req.Body());
    Connections c;
    try {
      c = ConnectionsFromUpdate(body, Load().enable);
    } catch (const std::invalid_argument& e) {
      throw HttpError(422, e.what());
    }
    host_->SetConfig("ollama.enable", json(c.enable).dump());
    host_->SetConfig("ollama.base_urls", json(c.urls).dump());
    host_->SetConfig("ollama.api_configs", c.configs.dump());
    res.Json(ConnectionsToJson(c).dump());
  }

  void Verify(Request& req, Response& res) {
    const json body = ParseObjectBody(req.Body());
    if (!body.contains("url") || !body["url"].is_string()) throw HttpError(422, "url is required");
    Connections one;
    one.urls = {body["url"].get<std::string>()};
    if (body.contains("key") && body["key"].is_string()) one.configs["0"] = {{"key", body["key"]}};
    auto caller = req.RequireCaller();
    sdk::FetchResult r = host_->Fetch(ListRequest(one, 0, "/api/version", &caller));
    if (!r.ok()) throw HttpError(HttpStatusFor(r.status), kConnectionError);
    if (r.http_status != 200)
      throw HttpError(500, "Unexpected error: External Error: " +
                               openai::UpstreamErrorText(r.body, "HTTP Error"));
    json j = sdk::json::Parse(r.body).value_or(json(json::value_t::discarded));
    if (j.is_discarded()) throw HttpError(500, "Unexpected error: invalid JSON");
    res.Json(j.dump());
  }

  // ---- handlers: lists ----
  void Tags(Request& req, Response& res) {
    auto caller = req.RequireCaller();
    const Connections c = Load();
    if (auto raw = req.PathParam("url_idx")) {
      const size_t idx = ConnectionIndex(*raw, c);
      json j = Relay(c, idx, "GET", "/api/tags", nullptr, &caller);
      res.Json(j.dump());
      return;
    }
    auto set = Models(Freshness::kWithinTtl);
    json models = json::array();
    for (const auto& m : set->list)
      if (MayUseModel(caller, m["model"].get<std::string>())) models.push_back(m);
    res.Json(json{{"models", models}}.dump());
  }

  void Version(Request& req, Response& res) {
    auto caller = req.RequireCaller();
    const Connections c = Load();
    if (!c.enable) {
      res.Json(R"({"version":false})");
      return;
    }
    if (auto raw = req.PathParam("url_idx")) {
      const size_t idx = ConnectionIndex(*raw, c);
      res.Json(Relay(c, idx, "GET", "/api/version", nullptr, &caller).dump());
      return;
    }
    // The lowest version of all reachable connections.
    std::optional<std::string> lowest;
    std::vector<int> lowest_key;
    for (const auto& answer : GetAll(c, "/api/version")) {
      if (!answer || !answer->is_object() || !(*answer)["version"].is_string()) continue;
      const std::string v = (*answer)["version"].get<std::string>();
      std::vector<int> key;
      std::string core = v.rfind('v', 0) == 0 ? v.substr(1) : v;
      core = core.substr(0, core.find('-'));
      for (const auto& part : openai::SplitKeepEmpty(core, '.')) {
        try {
          key.push_back(std::stoi(part));
        } catch (...) {
          key.push_back(0);
        }
      }
      if (!lowest || key < lowest_key) {
        lowest = v;
        lowest_key = key;
      }
    }
    if (!lowest) throw HttpError(500, kOllamaNotFound);
    res.Json(json{{"version", *lowest}}.dump());
  }

  void Ps(Request&, Response& res) {
    const Connections c = Load();
    if (!c.enable) {
      res.Json(R"({"models":[]})");
      return;
    }
    auto answers = GetAll(c, "/api/ps");
    std::vector<std::optional<json>> lists;
    for (size_t i = 0; i < answers.size(); ++i) {
      if (!answers[i] || !answers[i]->is_object() || !(*answers[i])["models"].is_array()) {
        lists.push_back(std::nullopt);
        continue;
      }
      json models = json::array();
      for (json m : (*answers[i])["models"]) {
        if (!m.is_object() || !m["model"].is_string()) continue;
        const std::string prefix = StrField(c.ConfigOf(i), "prefix_id");
        if (!prefix.empty()) m["model"] = prefix + "." + m["model"].get<std::string>();
        models.push_back(std::move(m));
      }
      lists.push_back(models);
    }
    res.Json(json{{"models", MergeModels(lists)}}.dump());
  }

  void OpenAiModels(Request& req, Response& res) {
    auto caller = req.RequireCaller();
    const Connections c = Load();
    json names = json::array();
    if (auto raw = req.PathParam("url_idx")) {
      const size_t idx = ConnectionIndex(*raw, c);
      json tags = Relay(c, idx, "GET", "/api/tags", nullptr, &caller);
      if (tags.is_object() && tags["models"].is_array())
        for (const auto& m : tags["models"])
          if (m.is_object() && m["model"].is_string()) names.push_back(m["model"]);
    } else {
      for (const auto& m : Models(Freshness::kWithinTtl)->list) names.push_back(m["model"]);
    }
    const long long now = NowSeconds();
    json data = json::array();
    for (const auto& n : names)
      if (MayUseModel(caller, n.get<std::string>()))
        data.push_back({{"id", n}, {"object", "model"}, {"created", now}, {"owned_by", "openai"}});
    res.Json(json{{"data", data}, {"object", "list"}}.dump());
  }

  // ---- handlers: model operations ----
  void Pull(Request& req, Response& res) {
    json body = ParseObjectBody(req.Body());
    const Connections c = Load();
    auto raw = req.PathParam("url_idx");
    const size_t idx = ConnectionIndex(raw ? *raw : "0", c);
    if (!body.contains("model") || body["model"].is_null())
      body["model"] = body.value("name", json());
    if (!body["model"].is_string()) throw HttpError(422, "model is required");
    body["insecure"] = true;  // the admin may pull from any registry, as upstream
    auto caller = req.RequireCaller();
    const bool stream = body.value("stream", json(true)) != json(false);
    // The pulled model should show up in the next list, once the pull is over.
    SendPost(res, c, idx, "/api/pull", "POST", body, stream, &caller, "", Framing::kNdjson,
             [this] { Invalidate(); });
  }

  void Delete(Request& req, Response& res) {
    json body = ParseObjectBody(req.Body());
    if (!body.contains("model") || body["model"].is_null())
      body["model"] = body.value("name", json());
    if (!body["model"].is_string()) throw HttpError(422, "model is required");
    const std::string model = body["model"].get<std::string>();
    const Connections c = Load();
    size_t idx = 0;
    if (auto raw = req.PathParam("url_idx")) {
      idx = ConnectionIndex(*raw, c);
    } else {
      auto found = FindModel(model);
      if (!found || (*found)["urls"].empty()) throw HttpError(400, ModelNotFound(model));
      idx = (*found)["urls"][0].get<size_t>();
      if (idx >= c.urls.size() || !c.Enabled(idx)) throw HttpError(400, ModelNotFound(model));
    }
    body["model"] = StripPrefix(model, c.ConfigOf(idx));
    auto caller = req.RequireCaller();
    Relay(c, idx, "DELETE", "/api/delete", &body, &caller);
    Invalidate();
    res.Json("true");
  }

  void Show(Request& req, Response& res) {
    json body = ParseObjectBody(req.Body());
    if (!body.contains("model") || body["model"].is_null())
      body["model"] = body.value("name", json());
    if (!body["model"].is_string()) throw HttpError(422, "model is required");
    const std::string model = body["model"].get<std::string>();
    const Connections c = Load();
    const size_t idx = ConnectionFor(req, model, c);
    body["model"] = StripPrefix(model, c.ConfigOf(idx));
    auto caller = req.RequireCaller();
    res.Json(Relay(c, idx, "POST", "/api/show", &body, &caller).dump());
  }

  // Shared by embed, embeddings, generate and chat: validate, pick the connection, strip the
  // prefix. Returns the connection index; `body.model` is rewritten for the upstream.
  size_t Prepare(Request& req, json& body, const Connections& c, const char* required_field,
                 bool tag_payload) {
    if (!body.contains("model") || !body["model"].is_string())
      throw HttpError(400, "model: field required");
    if (!body.contains(required_field) || body[required_field].is_null())
      throw HttpError(400, std::string(required_field) + ": field required");
    std::string listed = WithTag(body["model"].get<std::string>());
    const size_t idx = ConnectionFor(req, listed, c);
    std::string upstream_name = tag_payload ? listed : body["model"].get<std::string>();
    body["model"] = StripPrefix(upstream_name, c.ConfigOf(idx));
    return idx;
  }

  void Embed(Request& req, Response& res) {
    json body = ParseObjectBody(req.Body());
    const Connections c = Load();
    const size_t idx = Prepare(req, body, c, "input", false);
    auto caller = req.RequireCaller();
    res.Json(Relay(c, idx, "POST", "/api/embed", &body, &caller).dump());
  }

  void Embeddings(Request& req, Response& res) {
    json body = ParseObjectBody(req.Body());
    const Connections c = Load();
    const size_t idx = Prepare(req, body, c, "prompt", false);
    auto caller = req.RequireCaller();
    res.Json(Relay(c, idx, "POST", "/api/embeddings", &body, &caller).dump());
  }

  void Generate(Request& req, Response& res) {
    json body = ParseObjectBody(req.Body());
    const Connections c = Load();
    const size_t idx = Prepare(req, body, c, "prompt", false);
    if (!body.contains("stream") || body["stream"].is_null()) body["stream"] = true;
    auto caller = req.RequireCaller();
    SendPost(res, c, idx, "/api/generate", "POST", body, body["stream"] == json(true), &caller, "",
             Framing::kNdjson);
  }

  void Chat(Request& req, Response& res) {
    json body = ParseObjectBody(req.Body());
    body.erase("metadata");
    if (!body.contains("messages") || !body["messages"].is_array())
      throw HttpError(400, "messages: field required");
    const Connections c = Load();
    const size_t idx = Prepare(req, body, c, "messages", true);
    if (!body.contains("stream") || body["stream"].is_null()) body["stream"] = true;
    auto caller = req.RequireCaller();
    SendPost(res, c, idx, "/api/chat", "POST", body, body["stream"] == json(true), &caller,
             "application/x-ndjson", Framing::kNdjson);
  }

  void OpenAiChat(Request& req, Response& res) {
    json body = ParseObjectBody(req.Body());
    body.erase("metadata");
    if (!body.contains("messages") || !body["messages"].is_array())
      throw HttpError(400, "messages: field required");
    const Connections c = Load();
    const size_t idx = Prepare(req, body, c, "messages", true);
    auto caller = req.RequireCaller();
    SendPost(res, c, idx, "/v1/chat/completions", "POST", body,
             body.value("stream", json(false)) == json(true), &caller, "", Framing::kSse);
  }

  void OpenAiCompletion(Request& req, Response& res) {
    json body = ParseObjectBody(req.Body());
    body.erase("metadata");
    const Connections c = Load();
    const size_t idx = Prepare(req, body, c, "prompt", true);
    auto caller = req.RequireCaller();
    SendPost(res, c, idx, "/v1/completions", "POST", body,
             body.value("stream", json(false)) == json(true), &caller, "", Framing::kSse);
  }

  // ---- model_provider.v1 ----
  static void Sink(wh_str_sink sink, void* user, const std::string& text) {
    if (sink != nullptr) sink(user, wh_str{text.data(), text.size()});
  }

  static wh_status SvcListModels(void* self, int refresh, wh_str_sink sink, void* sink_user) {
    try {
      auto* p = static_cast<OllamaPlugin*>(self);
      auto set = p->Models(refresh ? Freshness::kRefresh : Freshness::kWithinTtl);
      Sink(sink, sink_user, ProviderModels(set->list, NowSeconds()).dump());
      return WH_OK;
    } catch (...) {
      return WH_ERROR;
    }
  }

  static int SvcHasModel(void* self, wh_str model_id) {
    try {
      auto* p = static_cast<OllamaPlugin*>(self);
      auto set = p->Current();
      if (!set || set->fingerprint != p->Load().Fingerprint()) set = p->Models(Freshness::kAnyAge);
      return set->by_name.count(std::string(sdk::FromWh(model_id))) ? 1 : 0;
    } catch (...) {
      return 0;
    }
  }

  // The connection for a provider request (no caller index exists here).
  std::optional<std::pair<size_t, Connections>> ServiceConnection(const std::string& model) {
    auto found = FindModel(model);
    if (!found) return std::nullopt;
    Connections c = Load();
    if (!c.enable) return std::nullopt;
    std::vector<size_t> serving;
    for (const auto& u : (*found)["urls"])
      if (u.is_number_unsigned() && u.get<size_t>() < c.urls.size() && c.Enabled(u.get<size_t>()))
        serving.push_back(u.get<size_t>());
    if (serving.empty()) return std::nullopt;
    const size_t idx = serving[next_.fetch_add(1, std::memory_order_relaxed) % serving.size()];
    return std::make_pair(idx, std::move(c));
  }

  static wh_status SvcChat(void* self, wh_str request_json, wh_model_chunk_fn on_piece,
                           void* piece_user, int* http_status, wh_str_sink error,
                           void* error_user) {
    auto* p = static_cast<OllamaPlugin*>(self);
    int status_storage = 0;
    if (http_status == nullptr) http_status = &status_storage;
    std::string message;
    wh_status st = WH_ERROR;
    try {
      st = p->ServiceChat(sdk::FromWh(request_json), on_piece, piece_user, http_status, &message);
    } catch (const std::exception& e) {
      message = e.what();
      if (*http_status == 0) *http_status = 500;
    } catch (...) {
      message = "internal error";
    }
    if (st != WH_OK) Sink(error, error_user, message);
    return st;
  }

  wh_status ServiceChat(std::string_view request_json, wh_model_chunk_fn on_piece, void* piece_user,
                        int* http_status, std::string* message) {
    json openai_req = sdk::json::Parse(request_json).value_or(json(json::value_t::discarded));
    if (openai_req.is_discarded() || !openai_req.is_object()) {
      *http_status = 400;
      *message = "Request body must be a JSON object";
      return WH_INVALID;
    }
    const std::string model = openai_req.value("model", json()).is_string()
                                  ? WithTag(openai_req["model"].get<std::string>())
                                  : std::string();
    auto conn = ServiceConnection(model);
    if (!conn) {
      *http_status = 404;
      *message = ModelNotFound(model);
      return WH_NOT_FOUND;
    }
    const auto& [idx, c] = *conn;
    json payload = OpenAiToOllamaChat(openai_req);
    payload["model"] = StripPrefix(model, c.ConfigOf(idx));
    const bool want_stream = payload["stream"] == json(true);
    FetchRequest f;
    f.method = "POST";
    f.url = c.Url(idx) + "/api/chat";
    f.headers = UpstreamHeaders(c, idx, nullptr);
    f.body = payload.dump();
    f.read_timeout_ms = Ms(request_timeout_s_);

    static std::atomic<uint64_t> counter{0};
    ChatConverter conv("chatcmpl-ollama-" + std::to_string(NowSeconds()) + "-" +
                           std::to_string(counter.fetch_add(1)),
                       NowSeconds());
    int status = 0;
    bool aborted = false, saw_done = false, pieces = false;
    std::string buffered, stream_error;
    LineSplitter lines;
    auto emit = [&](std::string_view piece) {
      if (on_piece(piece_user, sdk::ToWh(piece)) != 0) aborted = true;
      return !aborted;
    };
    auto on_line = [&](std::string_view text) {
      json line = sdk::json::Parse(text).value_or(json(json::value_t::discarded));
      if (line.is_discarded() || !line.is_object()) {
        host_->Warn("ollama: skipped a malformed stream line from " + f.url);
        return true;
      }
      if (line.contains("error")) {
        stream_error =
            line["error"].is_string() ? line["error"].get<std::string>() : line["error"].dump();
        return false;
      }
      const bool done = line.value("done", json(false)) == json(true);
      if (done) saw_done = true;
      if (auto chunk = conv.Chunk(line)) {
        pieces = true;
        if (!emit(chunk->dump())) return false;
      }
      // The answer is complete: stop reading even if the upstream keeps the connection open.
      return !done;
    };
    FetchCallbacks cb;
    cb.on_head = [&](int st, const Headers&) {
      status = st;
      return true;
    };
    cb.on_data = [&](std::string_view chunk) {
      if (chunk.empty()) return emit("");
      if (status >= 400 || !want_stream) {
        if (buffered.size() + chunk.size() > kMaxBufferedBody) return false;
        buffered.append(chunk);
        return true;
      }
      return lines.Feed(chunk, on_line);
    };
    FetchOutcome out = StreamFetch(*host_, f, cb);
    if (aborted) {
      *message = "aborted by the consumer";
      return WH_ABORTED;
    }
    if (want_stream && status > 0 && status < 400) {
      *http_status = status;
      if (out.status == WH_OK && stream_error.empty() && !lines.AtBoundary()) {
        // The last line may come without a newline.
        std::string rest = lines.pending();
        on_line(rest);
        if (aborted) return WH_ABORTED;
      }
      if (!stream_error.empty()) {
        *message = "Ollama: " + stream_error;
        if (!pieces) *http_status = 500;
        return pieces ? WH_CLOSED : WH_ERROR;
      }
      if (out.status != WH_OK && out.status != WH_ABORTED) {
        host_->Warn("ollama: stream from " + f.url + " failed: " + out.error);
        *message = out.status == WH_TIMEOUT ? "upstream read timeout" : "upstream connection lost";
        if (!pieces) *http_status = HttpStatusFor(out.status);
        return out.status == WH_TIMEOUT ? WH_TIMEOUT : (pieces ? WH_CLOSED : WH_UNAVAILABLE);
      }
      if (!saw_done) {
        *message = "Ollama ended the stream without finishing it";
        return WH_CLOSED;
      }
      return WH_OK;
    }
    if (out.status != WH_OK) {
      host_->Warn("ollama: request to " + f.url + " failed: " + out.error);
      *http_status = HttpStatusFor(out.status);
      *message = kConnectionError;
      return out.status == WH_TIMEOUT ? WH_TIMEOUT : WH_UNAVAILABLE;
    }
    *http_status = status;
    if (status >= 400) {
      json err = sdk::json::Parse(buffered).value_or(json(json::value_t::discarded));
      *message = !err.is_discarded() && err.is_object() && err.contains("error") &&
                         err["error"].is_string()
                     ? err["error"].get<std::string>()
                     : kConnectionError;
      return WH_ERROR;
    }
    json answer = sdk::json::Parse(buffered).value_or(json(json::value_t::discarded));
    if (answer.is_discarded() || !answer.is_object()) {
      *http_status = 502;
      *message = "Ollama: invalid JSON from upstream";
      return WH_ERROR;
    }
    return emit(conv.Completion(answer).dump()) ? WH_OK : WH_ABORTED;
  }

  static wh_status SvcEmbeddings(void* self, wh_str request_json, wh_str_sink sink, void* sink_user,
                                 int* http_status, wh_str_sink error, void* error_user) {
    auto* p = static_cast<OllamaPlugin*>(self);
    int status_storage = 0;
    if (http_status == nullptr) http_status = &status_storage;
    try {
      json req =
          sdk::json::Parse(sdk::FromWh(request_json)).value_or(json(json::value_t::discarded));
      if (req.is_discarded() || !req.is_object() || !req.value("model", json()).is_string()) {
        *http_status = 400;
        Sink(error, error_user, "Request body must be a JSON object with a model");
        return WH_INVALID;
      }
      const std::string model = WithTag(req["model"].get<std::string>());
      auto conn = p->ServiceConnection(model);
      if (!conn) {
        *http_status = 404;
        Sink(error, error_user, ModelNotFound(model));
        return WH_NOT_FOUND;
      }
      const auto& [idx, c] = *conn;
      json payload = {{"model", StripPrefix(model, c.ConfigOf(idx))},
                      {"input", req.value("input", json(""))}};
      FetchRequest f;
      f.method = "POST";
      f.url = c.Url(idx) + "/api/embed";
      f.headers = p->UpstreamHeaders(c, idx, nullptr);
      f.body = payload.dump();
      f.read_timeout_ms = p->Ms(p->request_timeout_s_);
      sdk::FetchResult r = p->host_->Fetch(f);
      if (!r.ok()) {
        p->host_->Warn("ollama: request to " + f.url + " failed: " + r.error);
        *http_status = HttpStatusFor(r.status);
        Sink(error, error_user, kConnectionError);
        return r.status == WH_TIMEOUT ? WH_TIMEOUT : WH_UNAVAILABLE;
      }
      *http_status = r.http_status;
      json answer = sdk::json::Parse(r.body).value_or(json(json::value_t::discarded));
      if (r.http_status >= 400) {
        Sink(error, error_user, "Ollama: " + openai::UpstreamErrorText(r.body, kConnectionError));
        return WH_ERROR;
      }
      if (answer.is_discarded() || !answer.is_object() || !answer["embeddings"].is_array()) {
        *http_status = 502;
        Sink(error, error_user, "Ollama: invalid embeddings answer");
        return WH_ERROR;
      }
      json data = json::array();
      size_t i = 0;
      for (const auto& e : answer["embeddings"])
        data.push_back({{"object", "embedding"}, {"embedding", e}, {"index", i++}});
      Sink(sink, sink_user,
           json{{"object", "list"}, {"data", data}, {"model", req["model"]}}.dump());
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
  std::atomic<size_t> next_{0};
  providers::ModelListCache<ModelSet> models_;
  wh_model_provider_v1 provider_{};
};

}  // namespace
}  // namespace webui::ollama

WEBUI_HOST_PLUGIN(webui::ollama::OllamaPlugin, "ollama", "0.1.0",
                  "Ollama connections: /ollama proxy and model provider")
