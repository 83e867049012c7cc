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
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <webui_host/sdk/json.hpp>

#include "ollama_logic.hpp"
#include "providers/connection_provider.hpp"
#include "providers/upstream_relay.hpp"
#include "providers/wire.hpp"

namespace webui::ollama {
namespace {

using providers::HttpStatusFor;
using providers::kConnectionErrorText;
using providers::UpstreamCall;

constexpr const char* kOllamaNotFound = "WebUI could not connect to Ollama";

std::string ModelNotFound(const std::string& name) { return "Model '" + name + "' was not found"; }

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

constexpr providers::ProviderNames kNames{
    "ollama",         "ollama.enable",      "ENABLE_OLLAMA_API",  "ollama.base_urls",
    nullptr,          "ollama.api_configs", "OLLAMA_API_CONFIGS", "model",
    kConnectionFields};

// Ollama's error body {"error": ...} as text; nullopt when the body is not that.
std::optional<std::string> OllamaError(std::string_view body) {
  json err = sdk::json::Parse(body).value_or(json(json::value_t::discarded));
  if (err.is_discarded() || !err.is_object() || !err.contains("error")) return std::nullopt;
  return err["error"].is_string() ? err["error"].get<std::string>() : err["error"].dump();
}

class OllamaPlugin : public providers::ConnectionProvider {
 public:
  OllamaPlugin() : ConnectionProvider(kNames) {}

  void Init(Host& host) override {
    auto env = [&host](const std::string& name) { return host.Env(name); };
    InitConnections(host, BaseUrlsFromEnv(env));
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
  }

 private:
  // GETs `path` of every enabled connection at once; nullopt where it failed.
  std::vector<std::optional<json>> GetAll(const Connections& c, const std::string& path) const {
    return EachConnection(c, [&](size_t i) { return GetJson(c, i, path); });
  }

  // ---- model list ----
  std::optional<json> ListConnection(const Connections& c, size_t idx) override {
    auto answer = GetJson(c, idx, "/api/tags");
    if (!answer) return std::nullopt;
    return ConnectionModels(*answer, c.ConfigOf(idx));
  }

  json MergeLists(const Connections&,
                  const std::vector<std::optional<json>>& lists) const override {
    return MergeModels(lists);
  }

  json ServiceModels(const providers::ModelSet& set) const override {
    return ProviderModels(set.list, NowSeconds());
  }

  // The connection for `model` (a listed name): the caller's {url_idx} only when it is enabled
  // and serves that model; otherwise one of the model's enabled connections.
  size_t ConnectionFor(Request& req, const std::string& model, const Connections& c) {
    auto caller = req.RequireCaller();
    if (!MayUseModel(caller)) throw HttpError(403, "Model not found");
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
  class ProxyAnswer final : public providers::ProxyRelay {
   public:
    ProxyAnswer(Host& host, const std::string& url, bool stream,
                const std::string& content_type_override, Framing framing,
                const std::function<void()>& finished)
        : ProxyRelay(host, "ollama", url,
                     framing == Framing::kNdjson ? providers::StreamEndWatcher::Format::kNdjson
                                                 : providers::StreamEndWatcher::Format::kSse),
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
      return providers::SseErrorEvent(message, "", tail);
    }
    void Answer(sdk::Relay& relay, int status, const std::string&,
                const std::string& body) override {
      if (status >= 400) {
        relay.RespondError(status, OllamaError(body).value_or(kConnectionErrorText));
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
    UpstreamCall call;
    call.method = method;
    call.path = path;
    call.body = payload.dump();
    call.caller = caller;
    const FetchRequest f = Call(c, idx, call);
    providers::ProxyThrough<ProxyAnswer>(host(), res, f, FailuresOf(idx), f.url, stream,
                                         content_type_override, framing, finished);
  }

  // A simple request whose answer is relayed as JSON; errors as {"detail": "Ollama: ..."}.
  json Relay(const Connections& c, size_t idx, const std::string& method, const std::string& path,
             const json* payload, const Caller* caller, int* status_out = nullptr) {
    UpstreamCall call;
    call.method = method;
    call.path = path;
    if (payload != nullptr) call.body = payload->dump();
    call.caller = caller;
    const FetchRequest f = Call(c, idx, call);
    sdk::FetchResult r = host().Fetch(f);
    if (!r.ok()) {
      host().Warn("ollama: request to " + f.url + " failed: " + r.error);
      throw HttpError(HttpStatusFor(r.status), kConnectionErrorText);
    }
    if (status_out != nullptr) *status_out = r.http_status;
    if (r.http_status >= 400) {
      auto error = OllamaError(r.body);
      throw HttpError(r.http_status, error ? "Ollama: " + *error : kConnectionErrorText);
    }
    if (r.body.empty()) return json();
    json j = sdk::json::Parse(r.body).value_or(json(json::value_t::discarded));
    if (j.is_discarded()) throw HttpError(502, "Ollama: invalid JSON from upstream");
    return j;
  }

  // ---- handlers: settings ----
  void Verify(Request& req, Response& res) {
    // Open WebUI's ConnectionVerificationForm: url is a required string.
    const json body = sdk::JsonBody(req);
    Connections one;
    one.keys_in_config = true;
    one.urls = {sdk::RequiredString(body, "url")};
    if (body.contains("key") && body["key"].is_string()) one.configs["0"] = {{"key", body["key"]}};
    auto caller = req.RequireCaller();
    sdk::FetchResult r = host().Fetch(ModelListRequest(one, 0, "/api/version", &caller));
    if (!r.ok()) throw HttpError(HttpStatusFor(r.status), kConnectionErrorText);
    if (r.http_status != 200)
      throw HttpError(500, "Unexpected error: External Error: " +
                               providers::UpstreamErrorText(r.body, "HTTP Error"));
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
      if (MayUseModel(caller)) models.push_back(m);
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
      for (const auto& part : providers::SplitKeepEmpty(core, '.')) {
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
      if (MayUseModel(caller))
        data.push_back({{"id", n}, {"object", "model"}, {"created", now}, {"owned_by", "openai"}});
    res.Json(json{{"data", data}, {"object", "list"}}.dump());
  }

  // ---- handlers: model operations ----
  void Pull(Request& req, Response& res) {
    json body = sdk::JsonBody(req);
    const Connections c = Load();
    auto raw = req.PathParam("url_idx");
    const size_t idx = ConnectionIndex(raw ? *raw : "0", c);
    RequireModel(body);
    body["insecure"] = true;  // the admin may pull from any registry, as upstream
    auto caller = req.RequireCaller();
    const bool stream = body.value("stream", json(true)) != json(false);
    // The pulled model should show up in the next list, once the pull is over.
    SendPost(res, c, idx, "/api/pull", "POST", body, stream, &caller, "", Framing::kNdjson,
             [this] { InvalidateModels(); });
  }

  // The body's "model", or the legacy "name" (moved to "model"); 422 when neither is a string.
  static std::string RequireModel(json& body) {
    if (!body.contains("model") || body["model"].is_null())
      body["model"] = body.value("name", json());
    if (body["model"].is_null()) throw sdk::Unprocessable("missing", "model", "Field required");
    return sdk::RequiredString(body, "model");
  }

  void Delete(Request& req, Response& res) {
    json body = sdk::JsonBody(req);
    const std::string model = RequireModel(body);
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
    InvalidateModels();
    res.Json("true");
  }

  void Show(Request& req, Response& res) {
    json body = sdk::JsonBody(req);
    const std::string model = RequireModel(body);
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

  void Embed(Request& req, Response& res) { ForwardJson(req, res, "input", "/api/embed"); }

  void Embeddings(Request& req, Response& res) {
    ForwardJson(req, res, "prompt", "/api/embeddings");
  }

  // A request whose answer comes back whole, as JSON.
  void ForwardJson(Request& req, Response& res, const char* required_field, const char* path) {
    json body = sdk::JsonBody(req);
    const Connections c = Load();
    const size_t idx = Prepare(req, body, c, required_field, false);
    auto caller = req.RequireCaller();
    res.Json(Relay(c, idx, "POST", path, &body, &caller).dump());
  }

  // How the generating routes differ from one another.
  struct GenerateRoute {
    const char* path;
    const char* required_field;  // "messages" must also be a list
    bool tag_payload;            // the upstream gets the name with its tag
    bool drop_metadata;
    const char* content_type;  // of the client's stream, "" for the upstream's
    Framing framing;           // NDJSON routes stream unless told not to, SSE ones the reverse
  };

  void Generate(Request& req, Response& res) {
    Forward(req, res, {"/api/generate", "prompt", false, false, "", Framing::kNdjson});
  }
  void Chat(Request& req, Response& res) {
    Forward(req, res,
            {"/api/chat", "messages", true, true, "application/x-ndjson", Framing::kNdjson});
  }
  void OpenAiChat(Request& req, Response& res) {
    Forward(req, res, {"/v1/chat/completions", "messages", true, true, "", Framing::kSse});
  }
  void OpenAiCompletion(Request& req, Response& res) {
    Forward(req, res, {"/v1/completions", "prompt", true, true, "", Framing::kSse});
  }

  void Forward(Request& req, Response& res, const GenerateRoute& route) {
    json body = sdk::JsonBody(req);
    if (route.drop_metadata) body.erase("metadata");
    if (std::string_view(route.required_field) == "messages" &&
        (!body.contains("messages") || !body["messages"].is_array()))
      throw HttpError(400, "messages: field required");
    const Connections c = Load();
    const size_t idx = Prepare(req, body, c, route.required_field, route.tag_payload);
    if (route.framing == Framing::kNdjson && (!body.contains("stream") || body["stream"].is_null()))
      body["stream"] = true;
    const bool stream = body.value("stream", json(false)) == json(true);
    auto caller = req.RequireCaller();
    SendPost(res, c, idx, route.path, "POST", body, stream, &caller, route.content_type,
             route.framing);
  }

  // ---- model_provider.v1 ----
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

  wh_status ServiceChat(json openai_req, providers::ServiceExchange& x, providers::ChatPlan* plan,
                        int* http_status, std::string* message) override {
    const std::string model = openai_req.value("model", json()).is_string()
                                  ? WithTag(openai_req["model"].get<std::string>())
                                  : std::string();
    auto conn = ServiceConnection(model);
    if (!conn) {
      *http_status = 404;
      *message = ModelNotFound(model);
      return WH_NOT_FOUND;
    }
    const size_t idx = conn->first;
    const Connections& c = conn->second;
    json payload = OpenAiToOllamaChat(openai_req);
    payload["model"] = StripPrefix(model, c.ConfigOf(idx));
    const bool want_stream = payload["stream"] == json(true);
    UpstreamCall call;
    call.path = "/api/chat";
    call.body = payload.dump();
    plan->request = Call(c, idx, call);

    static std::atomic<uint64_t> counter{0};
    // What the NDJSON read has seen so far; shared by the plan's functions.
    struct Read {
      Read(std::string id, long long created) : conv(std::move(id), created) {}
      ChatConverter conv;
      providers::LineSplitter lines;
      bool saw_done = false, pieces = false;
      std::string stream_error;
    };
    auto r = std::make_shared<Read>("chatcmpl-ollama-" + std::to_string(NowSeconds()) + "-" +
                                        std::to_string(counter.fetch_add(1)),
                                    NowSeconds());
    const std::string url = plan->request.url;
    auto on_line = [this, r, &x, url](std::string_view text) {
      json line = sdk::json::Parse(text).value_or(json(json::value_t::discarded));
      if (line.is_discarded() || !line.is_object()) {
        host().Warn("ollama: skipped a malformed stream line from " + url);
        return true;
      }
      if (line.contains("error")) {
        r->stream_error =
            line["error"].is_string() ? line["error"].get<std::string>() : line["error"].dump();
        return false;
      }
      const bool done = line.value("done", json(false)) == json(true);
      if (done) r->saw_done = true;
      if (auto chunk = r->conv.Chunk(line)) {
        r->pieces = true;
        if (!x.Emit(chunk->dump())) return false;
      }
      // The answer is complete: stop reading even if the upstream keeps the connection open.
      return !done;
    };
    plan->streams = [want_stream](int st, const providers::Headers&) {
      return want_stream && st < 400;
    };
    plan->on_stream = [r, on_line](std::string_view chunk) {
      return r->lines.Feed(chunk, on_line);
    };
    plan->finish = [this, r, &x, url, idx, on_line](const providers::FetchOutcome& out,
                                                    int* http_status, std::string* message) {
      if (x.aborted()) return WH_ABORTED;
      if (!r->saw_done) CountUpstreamError(idx, out.status, x.status());
      if (x.streaming() && x.status() > 0) {
        *http_status = x.status();
        if (out.status == WH_OK && r->stream_error.empty() && !r->lines.AtBoundary()) {
          // The last line may come without a newline.
          std::string rest = r->lines.pending();
          on_line(rest);
          if (x.aborted()) return WH_ABORTED;
        }
        if (!r->stream_error.empty()) {
          *message = "Ollama: " + r->stream_error;
          if (!r->pieces) *http_status = 500;
          return r->pieces ? WH_CLOSED : WH_ERROR;
        }
        if (out.status != WH_OK && out.status != WH_ABORTED) {
          host().Warn("ollama: stream from " + url + " failed: " + out.error);
          *message =
              out.status == WH_TIMEOUT ? "upstream read timeout" : "upstream connection lost";
          if (!r->pieces) *http_status = HttpStatusFor(out.status);
          return out.status == WH_TIMEOUT ? WH_TIMEOUT : (r->pieces ? WH_CLOSED : WH_UNAVAILABLE);
        }
        if (!r->saw_done) {
          *message = "Ollama ended the stream without finishing it";
          return WH_CLOSED;
        }
        return WH_OK;
      }
      if (out.status != WH_OK) host().Warn("ollama: request to " + url + " failed: " + out.error);
      json answer;
      const wh_status st = x.Whole(
          out,
          [](const std::string& body) { return OllamaError(body).value_or(kConnectionErrorText); },
          "Ollama: invalid JSON from upstream", &answer, http_status, message);
      if (st != WH_OK) return st;
      return x.Emit(r->conv.Completion(answer).dump()) ? WH_OK : WH_ABORTED;
    };
    return WH_OK;
  }

  wh_status ServiceEmbeddings(std::string_view request, std::string* answer, int* http_status,
                              std::string* message) override {
    json req = sdk::json::Parse(request).value_or(json(json::value_t::discarded));
    if (req.is_discarded() || !req.is_object() || !req.value("model", json()).is_string()) {
      *http_status = 400;
      *message = "Request body must be a JSON object with a model";
      return WH_INVALID;
    }
    const std::string model = WithTag(req["model"].get<std::string>());
    auto conn = ServiceConnection(model);
    if (!conn) {
      *http_status = 404;
      *message = ModelNotFound(model);
      return WH_NOT_FOUND;
    }
    const auto& [idx, c] = *conn;
    // Ollama's /api/embed takes a string or a list as `input`: a batch is one request.
    UpstreamCall call;
    call.path = "/api/embed";
    call.body = json{{"model", StripPrefix(model, c.ConfigOf(idx))},
                     {"input", req.value("input", json(""))}}
                    .dump();
    sdk::FetchResult r;
    const wh_status st =
        ServiceFetch(idx, Call(c, idx, call), "Ollama: ", &r, http_status, message);
    if (st != WH_OK) return st;
    json result = sdk::json::Parse(r.body).value_or(json(json::value_t::discarded));
    if (result.is_discarded() || !result.is_object() || !result["embeddings"].is_array()) {
      *http_status = 502;
      *message = "Ollama: invalid embeddings answer";
      return WH_ERROR;
    }
    json data = json::array();
    size_t i = 0;
    for (const auto& e : result["embeddings"])
      data.push_back({{"object", "embedding"}, {"embedding", e}, {"index", i++}});
    *answer = json{{"object", "list"}, {"data", data}, {"model", req["model"]}}.dump();
    return WH_OK;
  }

  std::atomic<size_t> next_{0};
};

}  // namespace
}  // namespace webui::ollama

WEBUI_HOST_PLUGIN(webui::ollama::OllamaPlugin, "ollama", "0.1.0",
                  "Ollama connections: /ollama proxy and model provider")
