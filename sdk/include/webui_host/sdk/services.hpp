// webui-host plugin SDK: typed clients of the services in services/*.h. They check the size of
// each provider's table (a provider built against an older, shorter table is skipped or reports
// the function as missing) and turn the C callbacks into std::function, so a plugin never
// writes C to use a service.
#pragma once

#include <webui_host/services/api_config.h>
#include <webui_host/services/model_provider.h>
#include <webui_host/services/socket_emitter.h>
#include <webui_host/sdk/core.hpp>
#include <webui_host/sdk/errors.hpp>
#include <webui_host/sdk/http.hpp>
#include <webui_host/sdk/plugin.hpp>

#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace webui::sdk {

namespace detail {
// True when a table of `size` bytes holds the member at `offset` of `member_size` bytes.
inline bool Reaches(std::size_t size, std::size_t offset, std::size_t member_size) {
  return size >= offset + member_size;
}
#define WEBUI_SDK_REACHES_(Type, size, member) \
  ::webui::sdk::detail::Reaches(size, offsetof(Type, member), sizeof(Type::member))
}  // namespace detail

// The answer of a provider call.
struct ServiceResult {
  wh_status status = WH_OK;
  int http_status = 0;  // the upstream's HTTP status when it answered an error
  std::string error;    // for the log or, when the provider says so, the client
  bool ok() const { return status == WH_OK; }
};

// A model_provider.v1 provider (the openai and ollama plugins). Cheap to copy; valid while the
// host runs (providers are plugins, unloaded only after every plugin's Shutdown).
class ModelProvider {
 public:
  // Every provider whose table reaches chat_completion with list_models, has_model and
  // chat_completion set; others are skipped.
  static std::vector<ModelProvider> All(const Host& host) {
    std::vector<ModelProvider> out;
    for (const auto& s : host.Services(WH_SERVICE_MODEL_PROVIDER_V1)) {
      if (s.vtable == nullptr ||
          !WEBUI_SDK_REACHES_(wh_model_provider_v1, s.vtable_size, chat_completion))
        continue;
      auto* vt = static_cast<const wh_model_provider_v1*>(s.vtable);
      if (vt->list_models == nullptr || vt->has_model == nullptr || vt->chat_completion == nullptr)
        continue;
      out.emplace_back(s.provider, vt, s.vtable_size, s.user);
    }
    return out;
  }

  ModelProvider(std::string plugin, const wh_model_provider_v1* vt, std::size_t size, void* user)
      : plugin_(std::move(plugin)), vt_(vt), size_(size), user_(user) {}

  // The plugin offering it ("openai", "ollama").
  const std::string& plugin() const { return plugin_; }

  // The JSON array of its models (services/model_provider.h describes the items).
  ServiceResult ListModels(bool refresh, std::string& json_out) const {
    json_out.clear();
    ServiceResult r;
    r.status = vt_->list_models(user_, refresh ? 1 : 0, detail::AppendSink, &json_out);
    return r;
  }
  bool HasModel(std::string_view model_id) const {
    return vt_->has_model(user_, ToWh(model_id)) != 0;
  }

  // Runs an OpenAI chat completion (`request_json` as the provider's header says). `on_piece`
  // receives each piece (an empty one is a silence tick) and returns false to abort. An
  // exception from on_piece aborts the call and is rethrown here.
  ServiceResult Chat(std::string_view request_json,
                     const std::function<bool(std::string_view piece)>& on_piece) const {
    struct Ctx {
      const std::function<bool(std::string_view)>* fn;
      std::exception_ptr error;
    } ctx{&on_piece, nullptr};
    auto thunk = [](void* user, wh_str piece) noexcept -> int {
      auto* c = static_cast<Ctx*>(user);
      try {
        return (*c->fn)(FromWh(piece)) ? 0 : 1;
      } catch (...) {
        c->error = std::current_exception();
        return 1;
      }
    };
    ServiceResult r;
    r.status = vt_->chat_completion(user_, ToWh(request_json), thunk, &ctx, &r.http_status,
                                    detail::AppendSink, &r.error);
    if (ctx.error) std::rethrow_exception(ctx.error);
    return r;
  }

  // What ChatAsync hands the answer to. Both calls run on the host's relay thread, which serves
  // many exchanges: they must not block (post slow work elsewhere). An exception counts as
  // "stop" in OnPiece and is swallowed in OnEnd.
  class ChatConsumer {
   public:
    virtual ~ChatConsumer() = default;
    // A piece as Chat's on_piece gets it (empty: a silence tick); false stops the exchange.
    virtual bool OnPiece(std::string_view piece) = 0;
    // The result, once, after the last piece (WH_ABORTED when OnPiece stopped it).
    virtual void OnEnd(const ServiceResult& result) = 0;
  };

  // True when the provider reads a chat without a waiting thread (chat_completion_async).
  bool HasChatAsync() const {
    return WEBUI_SDK_REACHES_(wh_model_provider_v1, size_, chat_completion_async) &&
           vt_->chat_completion_async != nullptr;
  }
  // Chat without a waiting thread: returns at once; `consumer` gets the pieces and the result
  // on the host's relay thread (possibly before this returns, for a request refused at once)
  // and is destroyed after OnEnd. False (consumer untouched, destroyed here) when the provider
  // has no such call: use Chat on a thread of your own.
  bool ChatAsync(std::string_view request_json, std::unique_ptr<ChatConsumer> consumer) const {
    if (!HasChatAsync() || consumer == nullptr) return false;
    struct Thunks {
      static int Piece(void* user, wh_str piece) noexcept {
        try {
          return static_cast<ChatConsumer*>(user)->OnPiece(FromWh(piece)) ? 1 : 0;
        } catch (...) {
          return 0;
        }
      }
      static void End(void* user, wh_status status, int http_status, wh_str error) noexcept {
        try {
          ServiceResult r;
          r.status = status;
          r.http_status = http_status;
          r.error = std::string(FromWh(error));
          static_cast<ChatConsumer*>(user)->OnEnd(r);
        } catch (...) {
        }
      }
      static void Release(void* user) noexcept { delete static_cast<ChatConsumer*>(user); }
    };
    wh_model_stream_handler h{};
    h.struct_size = sizeof h;
    h.on_piece = &Thunks::Piece;
    h.on_end = &Thunks::End;
    h.release = &Thunks::Release;
    ChatConsumer* user = consumer.release();
    if (vt_->chat_completion_async(user_, ToWh(request_json), &h, user) == WH_OK) return true;
    delete user;  // refused before any callback (the provider's header says so)
    return false;
  }

  // What ChatRelay hands the answer to: ChatConsumer's calls, each with the client's side of
  // the relayed response (BeginStream / Write / Respond / RespondError, valid during the call).
  // They run on the host's relay thread: never block. An exception counts as "stop" in OnPiece
  // and is swallowed in OnEnd.
  class ChatRelayConsumer {
   public:
    virtual ~ChatRelayConsumer() = default;
    // A piece as Chat's on_piece gets it (empty: a silence tick); false stops the exchange.
    virtual bool OnPiece(Relay& client, std::string_view piece) = 0;
    // The result, once, after the last piece: WH_CLOSED when the client left, WH_ABORTED when
    // OnPiece stopped it. Whatever it leaves unanswered the host answers 502.
    virtual void OnEnd(Relay& client, const ServiceResult& result) = 0;
  };

  // True when the provider can answer a client itself on the host's relay
  // (chat_completion_relay).
  bool HasChatRelay() const {
    return WEBUI_SDK_REACHES_(wh_model_provider_v1, size_, chat_completion_relay) &&
           vt_->chat_completion_relay != nullptr;
  }
  // Answers `res` (the calling handler's response) with the chat completion without a waiting
  // thread: the provider hands the response to the host's relay, and `consumer` turns each
  // piece into what the client sees. ok(): handed over, the handler returns and sends nothing
  // more; `consumer` is destroyed after OnEnd. Otherwise nothing was sent and the result says
  // why, as Chat would (WH_NOT_FOUND: the provider has no such call, or `res` had started).
  ServiceResult ChatRelay(std::string_view request_json, Response& res,
                          std::unique_ptr<ChatRelayConsumer> consumer) const {
    ServiceResult r;
    if (!HasChatRelay() || consumer == nullptr || res.started_) {
      r.status = WH_NOT_FOUND;
      r.error = "the model provider " + plugin_ + " cannot relay a chat";
      return r;
    }
    struct Box {
      Box(const wh_host_api* api, std::unique_ptr<ChatRelayConsumer> c)
          : consumer(std::move(c)), client(api, nullptr) {}
      std::unique_ptr<ChatRelayConsumer> consumer;
      Relay client;
      static Box* Enter(void* user, wh_relay_host_ptr* relay) {
        auto* box = static_cast<Box*>(user);
        box->client.relay_ = relay;
        return box;
      }
      static int Piece(void* user, wh_relay_host_ptr* relay, wh_str piece) noexcept {
        Box* box = Enter(user, relay);
        try {
          return box->consumer->OnPiece(box->client, FromWh(piece)) ? 1 : 0;
        } catch (...) {
          return 0;
        }
      }
      static void End(void* user, wh_relay_host_ptr* relay, wh_status status, int http_status,
                      wh_str error) noexcept {
        Box* box = Enter(user, relay);
        try {
          ServiceResult result;
          result.status = status;
          result.http_status = http_status;
          result.error = std::string(FromWh(error));
          box->consumer->OnEnd(box->client, result);
        } catch (...) {
        }
      }
      static void Release(void* user) noexcept { delete static_cast<Box*>(user); }
    };
    wh_model_relay_handler h{};
    h.struct_size = sizeof h;
    h.on_piece = &Box::Piece;
    h.on_end = &Box::End;
    h.release = &Box::Release;
    // From here the provider owns `box`: it releases it also when it refuses.
    auto* box = new Box(res.api_, std::move(consumer));
    r.status = vt_->chat_completion_relay(user_, ToWh(request_json), res.res_, &h, box,
                                          &r.http_status, detail::AppendSink, &r.error);
    if (r.ok()) res.started_ = true;
    return r;
  }

  // True when the provider's table has embeddings.
  bool HasEmbeddings() const {
    return WEBUI_SDK_REACHES_(wh_model_provider_v1, size_, embeddings) &&
           vt_->embeddings != nullptr;
  }
  // OpenAI embeddings; WH_NOT_FOUND when the provider has none.
  ServiceResult Embeddings(std::string_view request_json, std::string& json_out) const {
    json_out.clear();
    ServiceResult r;
    if (!HasEmbeddings()) {
      r.status = WH_NOT_FOUND;
      r.error = "the model provider " + plugin_ + " has no embeddings";
      return r;
    }
    r.status = vt_->embeddings(user_, ToWh(request_json), detail::AppendSink, &json_out,
                               &r.http_status, detail::AppendSink, &r.error);
    return r;
  }

 private:
  std::string plugin_;
  const wh_model_provider_v1* vt_;
  std::size_t size_;
  void* user_;
};

// A socket_emitter.v1 provider (the host's Socket.IO server).
class SocketEmitter {
 public:
  // Every provider whose table reaches emit with emit set.
  static std::vector<SocketEmitter> All(const Host& host) {
    std::vector<SocketEmitter> out;
    for (const auto& s : host.Services(WH_SERVICE_SOCKET_EMITTER_V1)) {
      if (s.vtable == nullptr || !WEBUI_SDK_REACHES_(wh_socket_emitter_v1, s.vtable_size, emit))
        continue;
      auto* vt = static_cast<const wh_socket_emitter_v1*>(s.vtable);
      if (vt->emit == nullptr) continue;
      out.emplace_back(vt, s.vtable_size, s.user);
    }
    return out;
  }
  SocketEmitter(const wh_socket_emitter_v1* vt, std::size_t size, void* user)
      : vt_(vt), size_(size), user_(user) {}

  // Sends `event` with `data_json` to `to` (services/socket_emitter.h: a socket id, a room
  // "user:<id>", several separated by ',', or empty for everybody). False when refused.
  bool Emit(std::string_view to, std::string_view event, std::string_view data_json) const {
    return vt_->emit(user_, ToWh(to), ToWh(event), ToWh(data_json)) == WH_OK;
  }
  // True when the table has on/off (client events).
  bool CanListen() const {
    return WEBUI_SDK_REACHES_(wh_socket_emitter_v1, size_, off) && vt_->on != nullptr &&
           vt_->off != nullptr;
  }
  const wh_socket_emitter_v1* raw() const { return vt_; }
  void* raw_user() const { return user_; }

 private:
  const wh_socket_emitter_v1* vt_;
  std::size_t size_;
  void* user_;
};

// Contributes fields to GET /api/config (api_config.v1). `fn` returns one JSON object as text;
// the request's caller (if any) is Request::GetCaller(). An exception is logged and the
// contribution left out. `order` places it in the merge (api_config.h: lower first, later ones
// override). The SDK owns `fn` and its table until the plugin is unloaded.
inline void OfferApiConfig(Host& host, std::function<std::string(Request&)> fn,
                           int32_t order = WH_API_CONFIG_ORDER_DEFAULT) {
  struct Contributor {
    Host* host;
    std::function<std::string(Request&)> fn;
    wh_api_config_v1 table;
  };
  auto owned = std::make_shared<Contributor>();
  owned->host = &host;
  owned->fn = std::move(fn);
  owned->table.struct_size = sizeof(wh_api_config_v1);
  owned->table.order = order;
  owned->table.contribute = [](void* user, const wh_request_host_ptr* req, wh_str_sink sink,
                               void* sink_user) noexcept -> wh_status {
    auto* c = static_cast<Contributor*>(user);
    try {
      Request rq(c->host->api(), req);
      const std::string text = c->fn(rq);
      sink(sink_user, ToWh(text));
      return WH_OK;
    } catch (const std::exception& e) {
      c->host->LogError(std::string("api_config contribution failed: ") + e.what());
    } catch (...) {
      c->host->LogError("api_config contribution failed");
    }
    return WH_ERROR;
  };
  host.Keep(owned);
  host.OfferService(WH_SERVICE_API_CONFIG_V1, &owned->table, owned.get());
}

}  // namespace webui::sdk
