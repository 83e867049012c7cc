/*
 * Service "api_config.v1": lets a plugin add fields to GET /api/config (the frontend's bootstrap
 * document). The host calls every enabled provider and deep-merges the JSON objects they write.
 * Keep the anonymous part to bootstrap data only (name, flags): never keys, URLs or secrets.
 *
 * Merge order: ascending `order`, then load order; a later contribution overrides an earlier one
 * field by field. `order` was appended after 1.0: the host reads it only when struct_size covers
 * it, and a table without it counts as WH_API_CONFIG_ORDER_DEFAULT.
 */
#ifndef WEBUI_HOST_SERVICES_API_CONFIG_H
#define WEBUI_HOST_SERVICES_API_CONFIG_H

#include <webui_host/abi.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WH_SERVICE_API_CONFIG_V1 "api_config.v1"

/* A plugin's own fields. */
#define WH_API_CONFIG_ORDER_DEFAULT 0
/* Fallback values the frontend needs before the module that owns them exists: merged first, so
 * the owner's contribution replaces them. */
#define WH_API_CONFIG_ORDER_UI_DEFAULTS (-1000)

typedef struct wh_api_config_v1 {
  uint32_t struct_size;
  /* Writes one JSON object to `sink`. The caller (if any) is available through req_caller. */
  wh_status (*contribute)(void* service_user, const wh_request_host_ptr* req, wh_str_sink sink,
                          void* sink_user);
  /* Appended (size-checked): where this contribution sits in the merge order. */
  int32_t order;
} wh_api_config_v1;

#ifdef __cplusplus
}
#endif

#endif
