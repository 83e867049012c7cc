// "provider_probe": a test plugin that consumes every model_provider.v1 offered (the openai and
// ollama plugins) and exposes it over HTTP, so integration tests check the service contract the
// chat plugin relies on.
//
//   GET  /api/v1/probe/models?provider=P[&refresh=1]  -> the provider's list_models JSON
//   GET  /api/v1/probe/has?provider=P&model=M         -> {"has": bool}
//   POST /api/v1/probe/chat?provider=P[&abort_after=N] (body: OpenAI request)
//        -> NDJSON: {"piece": <json>} per non-empty piece, then
//           {"status": <wh_status>, "http_status": N, "error": "...", "ticks": N, "ms": N}
//   POST /api/v1/probe/embeddings?provider=P (body: OpenAI embeddings request)
//        -> {"status", "http_status", "error", "result"}
#include <webui_host/services/model_provider.h>
#include <webui_host/sdk.hpp>

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

using nlohmann::json;
using webui::sdk::Auth;
using webui::sdk::Host;
using webui::sdk::HttpError;
using webui::sdk::Request;
using webui::sdk::Response;

namespace {

void Append(void* user, wh_str s) {
  static_cast<std::string*>(user)->append(s.ptr == nullptr ? "" : s.ptr, s.len);
}

class ProviderProbe : public webui::sdk::Plugin {
 public:
  void Init(Host& host) override {
    host_ = &host;
    host.Route("GET", "/api/v1/probe/models", Auth::kVerified, [this](Request& req, Response& res) {
      auto [p, user] = Provider(req);
      std::string out;
      wh_status st = p->list_models(user, req.Query("refresh") ? 1 : 0, &Append, &out);
      if (st != WH_OK) throw HttpError(500, "list_models: " + std::to_string(st));
      res.Json(out);
    });
    host.Route("GET", "/api/v1/probe/has", Auth::kVerified, [this](Request& req, Response& res) {
      auto [p, user] = Provider(req);
      const std::string model(req.Query("model").value_or(""));
      res.Json(json{{"has", p->has_model(user, webui::sdk::ToWh(model)) == 1}}.dump());
    });
    host.Route("POST", "/api/v1/probe/chat", Auth::kVerified,
               [this](Request& req, Response& res) { Chat(req, res); });
    host.Route("POST", "/api/v1/probe/embeddings", Auth::kVerified,
               [this](Request& req, Response& res) {
                 auto [p, user] = Provider(req);
                 std::string out, err;
                 int http_status = 0;
                 const std::string body(req.Body());
                 wh_status st = p->embeddings(user, webui::sdk::ToWh(body), &Append, &out,
                                              &http_status, &Append, &err);
                 json result = json::parse(out, nullptr, false);
                 res.Json(json{{"status", st},
                               {"http_status", http_status},
                               {"error", err},
                               {"result", result.is_discarded() ? json(nullptr) : result}}
                              .dump());
               });
  }

 private:
  std::pair<const wh_model_provider_v1*, void*> Provider(Request& req) {
    const std::string name(req.Query("provider").value_or(""));
    for (const auto& s : host_->Services(WH_SERVICE_MODEL_PROVIDER_V1)) {
      if (s.provider == name && s.vtable_size >= sizeof(wh_model_provider_v1))
        return {static_cast<const wh_model_provider_v1*>(s.vtable), s.user};
    }
    throw HttpError(404, "no model provider named '" + name + "'");
  }

  struct ChatCtx {
    Response* res;
    int pieces = 0;
    int ticks = 0;
    int abort_after = -1;
    bool client_gone = false;
  };

  static int OnPiece(void* user, wh_str piece) {
    auto* c = static_cast<ChatCtx*>(user);
    if (piece.len == 0) {
      ++c->ticks;
      if (!c->res->ClientConnected()) c->client_gone = true;
      return c->client_gone ? 1 : 0;
    }
    json j = json::parse(std::string_view(piece.ptr, piece.len), nullptr, false);
    if (!c->res->Write(json{{"piece", j.is_discarded() ? json("<invalid json>") : j}}.dump() +
                       "\n")) {
      c->client_gone = true;
      return 1;
    }
    ++c->pieces;
    return c->abort_after >= 0 && c->pieces >= c->abort_after ? 1 : 0;
  }

  void Chat(Request& req, Response& res) {
    auto [p, user] = Provider(req);
    ChatCtx ctx{&res};
    if (auto a = req.Query("abort_after")) ctx.abort_after = std::stoi(std::string(*a));
    res.BeginStream("application/x-ndjson");
    std::string err;
    int http_status = 0;
    const std::string body(req.Body());
    const auto t0 = std::chrono::steady_clock::now();
    wh_status st = p->chat_completion(user, webui::sdk::ToWh(body), &OnPiece, &ctx, &http_status,
                                      &Append, &err);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    res.Write(json{{"status", st},
                   {"http_status", http_status},
                   {"error", err},
                   {"ticks", ctx.ticks},
                   {"ms", ms}}
                  .dump() +
              "\n");
  }

  Host* host_ = nullptr;
};

}  // namespace

WEBUI_HOST_PLUGIN(ProviderProbe, "provider_probe", "0.1.0",
                  "Test plugin: exposes every model_provider.v1 over HTTP")
