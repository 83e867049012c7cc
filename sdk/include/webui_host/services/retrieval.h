/*
 * Service "retrieval.v1": the context of a chat completion from its attached files and knowledge
 * bases. Offered by the rag plugin, consumed by chat (POST /api/chat/completions with `files`),
 * which needs no knowledge of collections, embeddings or rag's settings.
 *
 * The provider checks the caller's access to every item itself (a file by its own access, a
 * knowledge base by its access control: docs/security.md T12-T15; never by a name's prefix): an
 * item the caller may not read contributes nothing, exactly like a missing one.
 *
 * Calls block (embedding a query may call an HTTP service), so make them from a thread that may
 * wait: an HTTP worker of the completion route, a background task.
 */
#ifndef WEBUI_HOST_SERVICES_RETRIEVAL_H
#define WEBUI_HOST_SERVICES_RETRIEVAL_H

#include <webui_host/abi.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WH_SERVICE_RETRIEVAL_V1 "retrieval.v1"
/* Published by the provider (Host::Publish) when a knowledge base is deleted; the message is its
 * id. The chat plugin drops it from its models' meta.knowledge, as Open WebUI does on deletion. */
#define WH_CHANNEL_KNOWLEDGE_DELETED "webui-host:knowledge-deleted"

typedef struct wh_retrieval_v1 {
  uint32_t struct_size;
  /* Retrieves for the caller (`user_id`, `role` as in users.h). `request_json`:
   * {"files": [the chat payload's items, Open WebUI 0.6.32's shapes: {"type": "file", "id"},
   * {"type": "collection", "id"}, {"collection_name"}, {"type": "text", "content"}, "docs", ...],
   *  "queries": ["..."]}. On WH_OK writes {"sources": [{"source": {item without "data"},
   * "document": [text...], "metadata": [{...}...], "distances"?: [score...]}...],
   * "template": the RAG template the admin set (the 0.6.32 default when unset)}; "sources" may
   * be empty. WH_INVALID: `request_json` is not such an object. Any other status writes a
   * one-line reason (no secrets, no upstream addresses). */
  wh_status (*retrieve)(void* service_user, wh_str user_id, wh_str role, wh_str request_json,
                        wh_str_sink sink, void* sink_user);
  void (*reserved[4])(void);
} wh_retrieval_v1;

#ifdef __cplusplus
}
#endif

#endif
