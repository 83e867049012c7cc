/*
 * Service "model_provider.v1": a source of models (the openai and ollama plugins offer it; the
 * chat plugin consumes every provider alike). All requests and responses are OpenAI-format JSON;
 * a provider that speaks something else upstream (Ollama) converts both ways.
 *
 * Threading: every function may be called concurrently from several host threads.
 */
#ifndef WEBUI_HOST_SERVICES_MODEL_PROVIDER_H
#define WEBUI_HOST_SERVICES_MODEL_PROVIDER_H

#include <webui_host/abi.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WH_SERVICE_MODEL_PROVIDER_V1 "model_provider.v1"

/* Receives one piece of a completion. For a streamed completion: one OpenAI
 * `chat.completion.chunk` JSON object per call (no "data: " prefix, no "[DONE]"); an EMPTY piece is
 * a silence tick (at least every 250 ms) so the consumer can abort. For a non-streamed completion:
 * one call with the whole `chat.completion` object. Return non-zero to abort: the provider closes
 * the upstream request within a second and returns WH_ABORTED. */
typedef int (*wh_model_chunk_fn)(void* user, wh_str piece);

/* The consumer of chat_completion_async. Every callback runs on a host relay thread that serves
 * many exchanges: none may block (no database, no outbound HTTP, no long-held lock).
 * Order: on_piece any number of times, on_end exactly once, then release. on_end may come before
 * chat_completion_async has returned (a request refused at once). */
typedef struct wh_model_stream_handler {
  uint32_t struct_size; /* sizeof(wh_model_stream_handler) of the consumer's SDK */
  /* One piece, as wh_model_chunk_fn gets it (an EMPTY piece is a silence tick, at least every
   * 250 ms). Returns non-zero to go on, 0 to stop: the provider drops the upstream at once and
   * on_end follows with WH_ABORTED. */
  int (*on_piece)(void* user, wh_str piece);
  /* The result, as chat_completion returns it: `status`, the upstream's `http_status` (0 when it
   * did not answer) and the error text (empty on WH_OK). */
  void (*on_end)(void* user, wh_status status, int http_status, wh_str error);
  /* Called once, last. */
  void (*release)(void* user);
} wh_model_stream_handler;

/* The consumer of chat_completion_relay: the callbacks of wh_model_stream_handler, each also
 * given the client's relayed response, which it answers with relay_begin_stream / relay_write /
 * relay_respond (abi.h; valid only inside the callback). They run on a host relay thread: none
 * may block. Order: on_piece any number of times, on_end exactly once, then release. When the
 * client goes away the provider drops the upstream and on_end gets WH_CLOSED (nothing can be
 * written any more). */
typedef struct wh_model_relay_handler {
  uint32_t struct_size; /* sizeof(wh_model_relay_handler) of the consumer's SDK */
  /* One piece (EMPTY: a silence tick, at least every 250 ms). Non-zero goes on, 0 stops (the
   * upstream is dropped; on_end follows with WH_ABORTED). */
  int (*on_piece)(void* user, wh_relay_host_ptr* relay, wh_str piece);
  /* The result, as chat_completion returns it. If nothing was sent to the client yet and the
   * consumer sends nothing here either, the host answers 502. */
  void (*on_end)(void* user, wh_relay_host_ptr* relay, wh_status status, int http_status,
                 wh_str error);
  /* Called once, last. */
  void (*release)(void* user);
} wh_model_relay_handler;

typedef struct wh_model_provider_v1 {
  uint32_t struct_size;

  /* Writes a JSON array of models in Open WebUI's /api/models item shape: at least
   * {id, name, object:"model", created, owned_by:"openai"|"ollama", connection_type, urlIdx} plus
   * the provider's raw upstream object under "openai" or "ollama". Unreachable upstreams are
   * skipped within the provider's model-list timeout; this never blocks longer than that.
   * `refresh` non-zero bypasses any cache. */
  wh_status (*list_models)(void* service_user, int refresh, wh_str_sink sink, void* sink_user);

  /* 1 when `model_id` is one of this provider's models (from its cached list; cheap). */
  int (*has_model)(void* service_user, wh_str model_id);

  /* Runs an OpenAI chat completion request body (`model` is the id as listed; the provider maps it
   * to its upstream and strips any prefix). "stream": true → pieces as described above.
   * Before any piece: an upstream HTTP error sets *http_status to its status and writes
   * Open WebUI's error text to `error` (returns WH_ERROR); an unreachable upstream gives
   * WH_UNAVAILABLE (502-style), a timeout WH_TIMEOUT. After pieces started: an upstream that drops
   * returns WH_CLOSED with a message — never a silent WH_OK. */
  wh_status (*chat_completion)(void* service_user, wh_str request_json, wh_model_chunk_fn on_piece,
                               void* piece_user, int* http_status, wh_str_sink error,
                               void* error_user);

  /* OpenAI embeddings: request {model, input}, writes {object:"list", data:[{embedding,index}],
   * model}. */
  wh_status (*embeddings)(void* service_user, wh_str request_json, wh_str_sink sink,
                          void* sink_user, int* http_status, wh_str_sink error, void* error_user);

  void (*reserved[4])(void);

  /* chat_completion without a waiting thread: returns at once, the upstream is read on the host's
   * relay and `handler` gets the pieces and the result there (same pieces, statuses and texts as
   * the blocking call). `handler` is copied; `user` lives until handler->release. Every outcome
   * comes to on_end, also a failure found at once (a bad request, an unknown model): then
   * before this returns. Returns WH_OK, or WH_INVALID for a NULL handler or one smaller than
   * this header's (then no callback runs at all). NULL in providers built before it: call
   * chat_completion on a thread of your own. */
  wh_status (*chat_completion_async)(void* service_user, wh_str request_json,
                                     const wh_model_stream_handler* handler, void* user);

  /* chat_completion answered straight to a client without a waiting thread: during the caller's
   * request handler, the provider hands `res` (that handler's response) to the host's relay
   * (res_relay) and `handler` turns the pieces into the client's answer on the relay thread.
   * WH_OK: handed over. The response is no longer the caller's (no res_* call on it any more);
   * on_end and release follow. Any other status: nothing was handed over and nothing was sent,
   * release has already been called, and *http_status / `error` say why exactly as
   * chat_completion would (the caller answers). NULL in providers built before it. */
  wh_status (*chat_completion_relay)(void* service_user, wh_str request_json,
                                     wh_response_host_ptr* res,
                                     const wh_model_relay_handler* handler, void* user,
                                     int* http_status, wh_str_sink error, void* error_user);
} wh_model_provider_v1;

#ifdef __cplusplus
}
#endif

#endif
