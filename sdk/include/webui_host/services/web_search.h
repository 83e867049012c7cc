/*
 * Service "web_search.v1": a web search for a chat completion (the chat's web-search toggle).
 * Offered by the rag plugin, which owns the engines' settings (Admin Settings > Web Search), the
 * page loader and its SSRF guard (docs/security.md T26-T28) and the collections; consumed by
 * chat, which needs none of them.
 *
 * The provider runs what POST /api/v1/retrieval/process/web/search runs, as the caller: the
 * configured engine for every query, each result page loaded through the guard, the pages
 * stored in one collection owned by the caller (another user can neither read nor overwrite it:
 * T15). The collection's chunks name each page's URL in metadata.source, so retrieval.v1 cites
 * the pages.
 *
 * Calls block (engine requests, page loads, embeddings), so make them from a thread that may
 * wait.
 */
#ifndef WEBUI_HOST_SERVICES_WEB_SEARCH_H
#define WEBUI_HOST_SERVICES_WEB_SEARCH_H

#include <webui_host/abi.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WH_SERVICE_WEB_SEARCH_V1 "web_search.v1"

typedef struct wh_web_search_v1 {
  uint32_t struct_size;
  /* Whether web search is on (ENABLE_WEB_SEARCH) and the user (`role` "admin" | "user") may use
   * it (admins always, users with the features.web_search permission): `*allowed` 1 or 0. */
  wh_status (*permitted)(void* service_user, wh_str user_id, wh_str role, int* allowed);
  /* Searches for the user. `request_json`: {"queries": ["..."]} (1 to 20 strings). On WH_OK
   * writes {"collection_names": [name] (empty when the pages went unstored),
   * "filenames": [the loaded pages' URLs], "items": [{"link", "title", "snippet"}...],
   * "loaded_count": n} or, with BYPASS_WEB_SEARCH_EMBEDDING_AND_RETRIEVAL, {"collection_names":
   * [], "docs": [{"content": the page's text, "metadata": {"source": url, ...}}...], "filenames",
   * "items", "loaded_count"}. Other statuses write a one-line reason the user may see (no
   * secrets, no internal addresses): WH_DENIED (off, or the user lacks the permission),
   * WH_INVALID (`request_json` is not such an object), WH_NOT_FOUND (the engines found
   * nothing), WH_UNAVAILABLE (an engine failed: unreachable, a missing key, an answer not JSON),
   * WH_ERROR (anything else). */
  wh_status (*search)(void* service_user, wh_str user_id, wh_str role, wh_str request_json,
                      wh_str_sink sink, void* sink_user);
  void (*reserved[4])(void);
} wh_web_search_v1;

#ifdef __cplusplus
}
#endif

#endif
