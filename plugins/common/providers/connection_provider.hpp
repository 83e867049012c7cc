// ConnectionProvider: what the openai and ollama plugins share, as a base class. It owns the
// connection settings (/<plugin>/config and /<plugin>/config/update), the requests to one
// connection (headers, timeouts), the merged model list and its cache, the checks of a
// caller-supplied {url_idx}, and the model_provider.v1 service (list_models, has_model,
// chat_completion, embeddings). A plugin supplies what differs: its settings names, how one
// connection's models are fetched and merged, and the wire format of a chat (SSE vs NDJSON).
//
// Calling a connection's OpenAI-compatible endpoint (chat, audio, images, embeddings): build the
// request with Call(c, idx, UpstreamCall{...}) - JSON or multipart body, the connection's key and
// headers, the read timeout - then either relay it to the client with RelayOpenAiAnswer()
// (openai_endpoint.hpp; streams pass through as they arrive) or take the whole answer with
// ServiceFetch().
#pragma once

#include <webui_host/services/model_provider.h>
#include <webui_host/sdk.hpp>
#include <webui_host/sdk/metrics.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "providers/connections.hpp"
#include "providers/model_list_cache.hpp"
#include "providers/upstream_fetch.hpp"
#include "providers/upstream_relay.hpp"

namespace webui::providers {

inline constexpr const char* kConnectionErrorText = "Open WebUI: Server Connection Error";

// The names that tell one router from the other.
struct ProviderNames {
  const char* plugin;           // "openai": log prefix and the /<plugin>/config routes
  const char* enable_setting;   // "openai.enable"
  const char* enable_env;       // "ENABLE_OPENAI_API"
  const char* urls_setting;     // "openai.api_base_urls"
  const char* keys_setting;     // "openai.api_keys", nullptr when keys live in the configs
  const char* configs_setting;  // "openai.api_configs"
  const char* configs_env;      // "OPENAI_API_CONFIGS"
  const char* model_key;        // the field that names a merged model: "id" or "model"
  ConnectionFields fields;      // of /<plugin>/config
};

// The merged model list of one settings fingerprint.
struct ModelSet {
  json list = json::array();
  std::unordered_map<std::string, size_t> by_id;  // model name -> position (last one wins)
  std::string fingerprint;
  std::chrono::steady_clock::time_point started{};
};

// One request to a connection, relative to its base URL.
struct UpstreamCall {
  std::string method = "POST";
  std::string path;   // "/chat/completions", "/audio/speech"
  std::string query;  // without '?'; empty for none
  std::string body;
  std::string content_type = "application/json";  // or "multipart/form-data; boundary=..."
  const sdk::Caller* caller = nullptr;            // forwarded as X-OpenWebUI-User-* when enabled
};

// A prepared model_provider.v1 chat: the upstream request and how its answer is read. The
// same plan runs on the caller's thread (chat_completion) or on the host's relay
// (chat_completion_async), so each provider's wire format (SSE, NDJSON) is read by one piece of
// code either way. Its functions run one at a time, on one thread at a time.
struct ChatPlan {
  sdk::FetchRequest request;
  // From the head: true when the body is a stream (pieces go to on_stream), false to buffer it.
  std::function<bool(int status, const Headers& headers)> streams;
  // A piece of a streamed body; false stops reading (the answer is complete, or the consumer
  // stopped it).
  std::function<bool(std::string_view chunk)> on_stream;
  // The call's result once the exchange is over (`out`: how the transport ended).
  std::function<wh_status(const FetchOutcome& out, int* http_status, std::string* message)> finish;
};

// One model_provider.v1 chat exchange: hands pieces to the consumer, buffers a whole answer
// (bounded), and remembers the upstream's status.
class ServiceExchange {
 public:
  // `consumer` gets every piece (empty: a silence tick) and returns false to stop.
  explicit ServiceExchange(std::function<bool(std::string_view piece)> consumer)
      : consumer_(std::move(consumer)) {}

  // False once the consumer asked to stop (it then stays false).
  bool Emit(std::string_view piece);
  bool aborted() const { return aborted_; }

  // The transport's callbacks, whichever transport it is. Head decides with plan.streams
  // whether the body is a stream: then every piece goes to plan.on_stream; otherwise it is
  // buffered. An empty chunk is a silence tick, passed to the consumer either way. False: stop.
  bool Head(const ChatPlan& plan, int status, const Headers& headers);
  bool Data(const ChatPlan& plan, std::string_view chunk);

  // Runs `plan` on this thread (blocking).
  FetchOutcome Run(sdk::Host& host, const ChatPlan& plan);
  int status() const { return status_; }
  bool streaming() const { return streaming_; }

  // The result of an exchange that was not streamed: the transport failure (502/504), the
  // upstream's error (`error_text` of its body), invalid JSON (502, `invalid_json`), or WH_OK
  // with the parsed answer.
  wh_status Whole(const FetchOutcome& out,
                  const std::function<std::string(const std::string&)>& error_text,
                  const char* invalid_json, json* answer, int* http_status,
                  std::string* message) const;

 private:
  std::function<bool(std::string_view)> consumer_;
  bool aborted_ = false;
  bool streaming_ = false;
  int status_ = 0;
  std::string buffered_;
};

class ConnectionProvider : public sdk::Plugin {
 public:
  explicit ConnectionProvider(const ProviderNames& names) : names_(names) {}

 protected:
  using Freshness = ModelListCache<ModelSet>::Freshness;
  using Clock = std::chrono::steady_clock;
  // The SDK names every provider's routes use.
  using Auth = sdk::Auth;
  using Caller = sdk::Caller;
  using FetchRequest = sdk::FetchRequest;
  using Host = sdk::Host;
  using HttpError = sdk::HttpError;
  using Request = sdk::Request;
  using Response = sdk::Response;

  // Declares the settings (`default_keys` only when keys are a list), reads the environment,
  // routes GET /<plugin>/config and POST /<plugin>/config/update (admin) and offers
  // model_provider.v1. Call first in Init().
  void InitConnections(sdk::Host& host, const std::vector<std::string>& default_urls,
                       const std::vector<std::string>& default_keys = {});

  sdk::Host& host() const { return *host_; }
  const ProviderEnv& env() const { return env_; }
  const ProviderNames& names() const { return names_; }

  // The current settings.
  Connections Load() const;

  // ---- requests to a connection ----
  // Content-Type, the connection's key, X-OpenWebUI-User-* (when enabled and a caller is
  // given), then AddConnectionHeaders().
  Headers UpstreamHeaders(const Connections& c, size_t idx, const sdk::Caller* caller) const;
  // What a plugin adds for one connection (OpenAI: auth_type, config headers, OpenRouter's).
  virtual void AddConnectionHeaders(const Connections& c, size_t idx, Headers* headers) const;
  // A request to connection `idx` bounded by the request timeout (silence between bytes).
  sdk::FetchRequest Call(const Connections& c, size_t idx, const UpstreamCall& call) const;
  // A GET bounded by the model-list timeout (the whole exchange).
  sdk::FetchRequest ModelListRequest(const Connections& c, size_t idx, const std::string& path,
                                     const sdk::Caller* caller) const;
  // GET `path` of one connection as JSON; nullopt (with a warning) when that failed. A failure
  // is counted by CountUpstreamError.
  std::optional<json> GetJson(const Connections& c, size_t idx, const std::string& path) const;
  // One failed exchange with connection `idx` in /metrics (metrics.v1):
  //   webui_upstream_errors_total{plugin="<plugin>",connection="<idx>",reason="..."}
  // `transport` is the fetch's status (WH_TIMEOUT: reason "timeout", any other failure:
  // "unreachable"; WH_ABORTED, the caller stopping the exchange, is not counted); on WH_OK, an
  // answer with `http_status` >= 500 is reason "http_5xx". A 4xx answer is the caller's request,
  // not the upstream failing: not counted. Label values stay
  // bounded: the connection index, never its URL.
  void CountUpstreamError(size_t idx, wh_status transport, int http_status) const;
  // CountUpstreamError for connection `idx`, as a proxied exchange's outcome report.
  ProxyRelay::OutcomeFn FailuresOf(size_t idx) const {
    return [this, idx](wh_status outcome, int http_status) {
      CountUpstreamError(idx, outcome, http_status);
    };
  }
  // `fetch(idx)` for every enabled connection at once (a dead one costs its own timeout, not
  // the sum); nullopt for the disabled ones.
  std::vector<std::optional<json>> EachConnection(
      const Connections& c, const std::function<std::optional<json>(size_t)>& fetch) const;
  // A whole answer for a service call: transport failure -> 502/504 with the generic text,
  // upstream status >= 400 -> WH_ERROR with `error_prefix` + its error text. A failure of
  // connection `idx` is counted (CountUpstreamError).
  wh_status ServiceFetch(size_t idx, const sdk::FetchRequest& f, std::string_view error_prefix,
                         sdk::FetchResult* r, int* http_status, std::string* message) const;

  // ---- model list ----
  // One connection's models (already adjusted by its config), nullopt when unavailable.
  virtual std::optional<json> ListConnection(const Connections& c, size_t idx) = 0;
  // The per-connection lists merged into the router's list (items named by names().model_key).
  virtual json MergeLists(const Connections& c,
                          const std::vector<std::optional<json>>& lists) const = 0;
  // The model_provider.v1 list_models items of a merged list.
  virtual json ServiceModels(const ModelSet& set) const = 0;

  std::shared_ptr<const ModelSet> Models(Freshness want);
  std::shared_ptr<const ModelSet> Current() const { return models_.Current(); }
  void InvalidateModels() { models_.Invalidate(); }
  // A listed model by name; refreshes once when it is not (yet) known.
  std::optional<json> FindModel(const std::string& name);

  // Model access control, in one place. Open WebUI filters provider models for role "user" by
  // the `model` table's access_control (owned by the chat plugin); that table is not this
  // plugin's, so every listed model is usable by every verified user here, as with
  // BYPASS_MODEL_ACCESS_CONTROL=true. Admins always pass.
  bool MayUseModel(const sdk::Caller& caller) const;

  // Parses a caller-supplied connection index (docs/security.md T20): 422 when not an integer,
  // 404 when no such connection, 403 when it is disabled; never 500.
  size_t ConnectionIndex(std::string_view raw, const Connections& c) const;

  // ---- model_provider.v1 ----
  // Plans a chat for the consumer's OpenAI request `payload` (already known to be a JSON
  // object): WH_OK with `plan` filled (its functions may use `exchange`, which outlives the
  // plan), or the error at once (e.g. an unknown model).
  virtual wh_status ServiceChat(json payload, ServiceExchange& exchange, ChatPlan* plan,
                                int* http_status, std::string* message) = 0;
  // Writes the OpenAI embeddings answer to `answer` on WH_OK, else the error to `message`.
  virtual wh_status ServiceEmbeddings(std::string_view request, std::string* answer,
                                      int* http_status, std::string* message) = 0;

 private:
  std::shared_ptr<const ModelSet> Build(const Connections& c, Clock::time_point started);
  void UpdateConfig(sdk::Request& req, sdk::Response& res);

  static wh_status SvcListModels(void* self, int refresh, wh_str_sink sink, void* sink_user);
  static int SvcHasModel(void* self, wh_str model_id);
  static wh_status SvcChat(void* self, wh_str request_json, wh_model_chunk_fn on_piece,
                           void* piece_user, int* http_status, wh_str_sink error, void* error_user);
  // The consumer's request parsed and planned (ServiceChat).
  wh_status PlanChat(wh_str request_json, ServiceExchange& exchange, ChatPlan* plan,
                     int* http_status, std::string* message);
  static wh_status SvcChatAsync(void* self, wh_str request_json,
                                const wh_model_stream_handler* handler, void* user);
  static wh_status SvcChatRelay(void* self, wh_str request_json, wh_response_host_ptr* res,
                                const wh_model_relay_handler* handler, void* user, int* http_status,
                                wh_str_sink error, void* error_user);
  static wh_status SvcEmbeddings(void* self, wh_str request_json, wh_str_sink sink, void* sink_user,
                                 int* http_status, wh_str_sink error, void* error_user);

  ProviderNames names_;
  sdk::Host* host_ = nullptr;
  ProviderEnv env_;
  ModelListCache<ModelSet> models_;
  sdk::Metrics metrics_;
  wh_model_provider_v1 provider_{};
};

}  // namespace webui::providers
