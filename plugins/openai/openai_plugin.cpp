// "openai": Open WebUI's OpenAI-compatible connections (routers/openai.py).
//
//   GET  /openai/config, POST /openai/config/update, POST /openai/verify          (admin)
//   GET  /openai/models, /openai/models/{url_idx}                                  (verified)
//   POST /openai/chat/completions                                                  (verified)
//   GET|POST|PUT|DELETE /openai/{path...}  passthrough to a connection             (verified)
//   service model_provider.v1 (list_models, has_model, chat_completion, embeddings)
//
// Streaming is real: SSE bytes go to the client as they arrive (on the host's relay thread when
// the host has one, providers/upstream_relay.hpp), a client that leaves closes the upstream request
// within 250 ms, and an upstream that drops mid-stream ends the stream with an explicit error
// event. The connection serving a completion is always the one that listed the model; callers
// cannot pick it.
#include <webui_host/services/model_provider.h>
#include <webui_host/sdk.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <webui_host/sdk/json.hpp>

#include "openai_logic.hpp"
#include "providers/connection_provider.hpp"
#include "providers/openai_endpoint.hpp"
#include "providers/wire.hpp"

namespace webui::openai {
namespace {

using providers::Headers;
using providers::HeaderValue;
using providers::HttpStatusFor;
using providers::kConnectionErrorText;
using providers::UpstreamCall;

constexpr providers::ProviderNames kNames{
    "openai",          "openai.enable",      "ENABLE_OPENAI_API",  "openai.api_base_urls",
    "openai.api_keys", "openai.api_configs", "OPENAI_API_CONFIGS", "id",
    kConnectionFields};

class OpenAiPlugin : public providers::ConnectionProvider {
 public:
  OpenAiPlugin() : ConnectionProvider(kNames) {}

  void Init(Host& host) override {
    auto env = [&host](const std::string& name) { return host.Env(name); };
    InitConnections(host, BaseUrlsFromEnv(env), KeysFromEnv(env));
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
  }

 private:
  // auth_type "none" drops the key; OpenRouter wants to know the app; a connection's configured
  // headers win over everything else.
  void AddConnectionHeaders(const Connections& c, size_t idx, Headers* h) const override {
    const json config = c.ConfigOf(idx);
    if (c.Url(idx).find("openrouter.ai") != std::string::npos) {
      h->emplace_back("HTTP-Referer", "https://openwebui.com/");
      h->emplace_back("X-Title", "Open WebUI");
    }
    const json auth_type = config.value("auth_type", json("bearer"));
    if (auth_type.is_string() && auth_type.get<std::string>() == "none")
      std::erase_if(*h, [](const auto& p) { return providers::IEquals(p.first, "Authorization"); });
    if (auto it = config.find("headers"); it != config.end() && it->is_object()) {
      for (const auto& [k, v] : it->items()) {
        if (!v.is_string()) continue;
        std::erase_if(*h, [&k = k](const auto& p) { return providers::IEquals(p.first, k); });
        h->emplace_back(k, v.get<std::string>());
      }
    }
  }

  // ---- model list ----
  std::optional<json> ListConnection(const Connections& c, size_t idx) override {
    const json config = c.ConfigOf(idx);
    const json model_ids = config.value("model_ids", json::array());
    if (model_ids.is_array() && !model_ids.empty())
      return ConnectionModels(SynthesisedModels(model_ids, idx), config);
    auto response = GetJson(c, idx, "/models");
    if (!response) return std::nullopt;
    return ConnectionModels(*response, config);
  }

  json MergeLists(const Connections& c,
                  const std::vector<std::optional<json>>& lists) const override {
    return MergeModels(lists, c.urls);
  }

  json ServiceModels(const providers::ModelSet& set) const override {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    json out = json::array();
    for (json m : set.list) {
      if (!m.contains("object")) m["object"] = "model";
      if (!m.contains("created")) m["created"] = now;
      out.push_back(std::move(m));
    }
    return out;
  }

  struct Route {
    json model;
    size_t idx = 0;
    Connections conns;
  };

  // The connection that serves `model_id`, from the model list (never from the caller).
  std::optional<Route> Resolve(const std::string& model_id) {
    auto model = FindModel(model_id);
    if (!model) return std::nullopt;
    Route r;
    r.model = std::move(*model);
    r.idx = r.model.value("urlIdx", size_t{0});
    r.conns = Load();
    if (!r.conns.enable || r.idx >= r.conns.urls.size() || !r.conns.Enabled(r.idx))
      return std::nullopt;
    return r;
  }

  // The request for a chat completion of `route`'s connection.
  FetchRequest ChatRequest(const Route& route, json payload, const Caller* caller) const {
    PrepareChatPayload(payload, route.conns.ConfigOf(route.idx), route.conns.Url(route.idx));
    UpstreamCall call;
    call.path = "/chat/completions";
    call.body = payload.dump();
    call.caller = caller;
    return Call(route.conns, route.idx, call);
  }

  static std::string ModelOf(const json& payload) {
    return payload.value("model", json()).is_string() ? payload["model"].get<std::string>() : "";
  }

  // ---- HTTP handlers ----
  void Verify(Request& req, Response& res) {
    // Open WebUI's ConnectionVerificationForm: url and key are required strings.
    const json body = sdk::JsonBody(req);
    Connections one;
    one.urls = {sdk::RequiredString(body, "url")};
    one.keys = {sdk::RequiredString(body, "key")};
    if (body.contains("config") && body["config"].is_object()) one.configs["0"] = body["config"];
    auto caller = req.RequireCaller();
    sdk::FetchResult r = host().Fetch(ModelListRequest(one, 0, "/models", &caller));
    if (!r.ok()) {
      host().Warn("openai: verify " + one.Url(0) + " failed: " + r.error);
      throw HttpError(HttpStatusFor(r.status), kConnectionErrorText);
    }
    providers::SendUpstreamAnswer(res, r.http_status, HeaderValue(r.headers, "Content-Type"),
                                  r.body);
  }

  void ListModels(Request& req, Response& res) {
    auto caller = req.RequireCaller();
    auto set = Models(req.Query("refresh") ? Freshness::kRefresh : Freshness::kWithinTtl);
    json data = json::array();
    if (MayUseModel(caller)) data = set->list;
    res.Json(json{{"data", data}, {"object", "list"}}.dump());
  }

  void ListConnectionModels(Request& req, Response& res) {
    auto caller = req.RequireCaller();
    const Connections c = Load();
    const size_t idx = ConnectionIndex(req.PathParam("url_idx").value_or(""), c);
    sdk::FetchResult r = host().Fetch(ModelListRequest(c, idx, "/models", &caller));
    if (!r.ok()) throw HttpError(HttpStatusFor(r.status), kConnectionErrorText);
    if (r.http_status != 200)
      throw HttpError(r.http_status >= 400 ? r.http_status : 502,
                      "External Error: " + providers::UpstreamErrorText(r.body, "HTTP Error"));
    json models = sdk::json::Parse(r.body).value_or(json(json::value_t::discarded));
    if (models.is_discarded() || !models.is_object())
      throw HttpError(502, "Unexpected error: upstream answered with invalid JSON");
    if (models.contains("data") && models["data"].is_array()) {
      json kept = json::array();
      for (const auto& m : models["data"]) {
        // api.openai.com lists lose their non-chat models, as in the merged list.
        const bool listed = !MergeModels({json::array({m})}, {c.Url(idx)}).empty() ||
                            c.Url(idx).find("api.openai.com") == std::string::npos;
        if (listed && MayUseModel(caller)) kept.push_back(m);
      }
      models["data"] = kept;
    }
    res.Json(models.dump());
  }

  void ChatCompletions(Request& req, Response& res) {
    auto caller = req.RequireCaller();
    json payload = sdk::JsonBody(req);
    payload.erase("metadata");
    auto route = Resolve(ModelOf(payload));
    if (!route) throw HttpError(404, "Model not found");
    if (!MayUseModel(caller)) throw HttpError(403, "Model not found");
    if (route->model.value("pipeline", json(false)).is_boolean() &&
        route->model.value("pipeline", false)) {
      payload["user"] = {
          {"name", caller.name}, {"id", caller.id}, {"email", caller.email}, {"role", caller.role}};
    }
    providers::RelayOpenAiAnswer(host(), res, ChatRequest(*route, std::move(payload), &caller),
                                 FailuresOf(route->idx));
  }

  void Passthrough(Request& req, Response& res) {
    auto caller = req.RequireCaller();
    std::string_view full = req.Path();
    constexpr std::string_view kPrefix = "/openai/";
    std::string path(full.substr(std::min(full.size(), kPrefix.size())));
    for (const auto& seg : providers::SplitKeepEmpty(path, '/'))
      if (seg == ".." || seg == "." || seg.find("%2e") != std::string::npos ||
          seg.find("%2E") != std::string::npos)
        throw HttpError(400, "Invalid path");
    const Connections c = Load();
    UpstreamCall call;
    call.method = std::string(req.Method());
    call.path = "/" + path;
    call.query = std::string(req.QueryString());
    call.body = std::string(req.Body());
    call.caller = &caller;
    size_t idx = 0;
    json j = sdk::json::Parse(call.body).value_or(json(json::value_t::discarded));
    if (!j.is_discarded() && j.is_object() && j.contains("model") && j["model"].is_string()) {
      if (auto route = Resolve(j["model"].get<std::string>())) {
        if (!MayUseModel(caller)) throw HttpError(403, "Model not found");
        idx = route->idx;
        j["model"] = providers::StripPrefix(j["model"].get<std::string>(), c.ConfigOf(idx));
        call.body = j.dump();
      }
    }
    if (c.urls.empty() || !c.enable) throw HttpError(404, "OpenAI API was not found");
    if (!c.Enabled(idx)) throw HttpError(403, "Connection is disabled");
    providers::RelayOpenAiAnswer(host(), res, Call(c, idx, call), FailuresOf(idx));
  }

  // ---- model_provider.v1 ----
  wh_status ServiceChat(json payload, providers::ServiceExchange& x, providers::ChatPlan* plan,
                        int* http_status, std::string* message) override {
    payload.erase("metadata");
    auto route = Resolve(ModelOf(payload));
    if (!route) {
      *http_status = 404;
      *message = "Model not found";
      return WH_NOT_FOUND;
    }
    const bool want_stream = payload.value("stream", json(false)) == json(true);
    const size_t idx = route->idx;
    plan->request = ChatRequest(*route, std::move(payload), nullptr);
    struct Read {
      providers::SseSplitter sse;
      bool saw_end = false, saw_done = false;
    };
    auto r = std::make_shared<Read>();
    const std::string url = plan->request.url;
    plan->streams = [](int st, const Headers& hs) {
      return st < 400 &&
             HeaderValue(hs, "Content-Type").find("text/event-stream") != std::string::npos;
    };
    plan->on_stream = [this, r, &x, url](std::string_view chunk) {
      return r->sse.Feed(chunk, [&](std::string_view data) {
        if (data == "[DONE]") {
          // The answer is complete: stop reading even if the upstream keeps the connection open.
          r->saw_end = r->saw_done = true;
          return false;
        }
        json j = sdk::json::Parse(data).value_or(json(json::value_t::discarded));
        if (j.is_discarded()) {
          // Open WebUI skips a chunk it cannot parse and goes on with the stream.
          host().Warn("openai: skipped a malformed stream chunk from " + url);
          return true;
        }
        if (j.contains("choices") && j["choices"].is_array())
          for (const auto& c : j["choices"])
            if (c.is_object() && c.contains("finish_reason") && !c["finish_reason"].is_null())
              r->saw_end = true;
        return x.Emit(data);
      });
    };
    plan->finish = [this, r, &x, url, idx, want_stream](const providers::FetchOutcome& out,
                                                        int* http_status, std::string* message) {
      if (x.aborted()) return WH_ABORTED;
      if (!r->saw_done) CountUpstreamError(idx, out.status, x.status());
      if (x.streaming()) {
        *http_status = x.status();
        if (out.status != WH_OK && !r->saw_done) {
          host().Warn("openai: upstream stream from " + url + " failed: " + out.error);
          *message =
              out.status == WH_TIMEOUT ? "upstream read timeout" : "upstream connection lost";
          return out.status == WH_TIMEOUT ? WH_TIMEOUT : WH_CLOSED;
        }
        if (!r->saw_end) {
          *message = "upstream ended the stream without finishing it";
          return WH_CLOSED;
        }
        return WH_OK;
      }
      json body;
      const wh_status st = x.Whole(
          out,
          [](const std::string& text) {
            return providers::UpstreamErrorText(text, kConnectionErrorText);
          },
          "upstream answered with invalid JSON", &body, http_status, message);
      if (st != WH_OK) return st;
      if (!want_stream) return x.Emit(body.dump()) ? WH_OK : WH_ABORTED;
      // Asked to stream, got a whole completion: hand it over as one chunk.
      body["object"] = "chat.completion.chunk";
      if (body.contains("choices") && body["choices"].is_array()) {
        for (auto& c : body["choices"]) {
          if (!c.is_object()) continue;
          c["delta"] = c.value("message", json::object());
          c.erase("message");
        }
      }
      return x.Emit(body.dump()) ? WH_OK : WH_ABORTED;
    };
    return WH_OK;
  }

  wh_status ServiceEmbeddings(std::string_view request, std::string* answer, int* http_status,
                              std::string* message) override {
    json payload = sdk::json::Parse(request).value_or(json(json::value_t::discarded));
    if (payload.is_discarded() || !payload.is_object()) {
      *http_status = 400;
      *message = "Request body must be a JSON object";
      return WH_INVALID;
    }
    const std::string model_id = ModelOf(payload);
    auto route = Resolve(model_id);
    if (!route) {
      *http_status = 404;
      *message = "Model not found";
      return WH_NOT_FOUND;
    }
    payload["model"] = providers::StripPrefix(model_id, route->conns.ConfigOf(route->idx));
    UpstreamCall call;
    call.path = "/embeddings";
    call.body = payload.dump();
    sdk::FetchResult r;
    const wh_status st = ServiceFetch(route->idx, Call(route->conns, route->idx, call),
                                      "External: ", &r, http_status, message);
    if (st == WH_OK) *answer = std::move(r.body);
    return st;
  }
};

}  // namespace
}  // namespace webui::openai

WEBUI_HOST_PLUGIN(webui::openai::OpenAiPlugin, "openai", "0.1.0",
                  "OpenAI-compatible connections: /openai proxy and model provider")
