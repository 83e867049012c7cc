/*
 * Service "api_config.v1": lets a plugin add fields to GET /api/config (the frontend's bootstrap
 * document). The host calls every enabled provider and deep-merges the JSON objects they write.
 * Keep the anonymous part to bootstrap data only (name, flags): never keys, URLs or secrets.
 */
#ifndef WEBUI_HOST_SERVICES_API_CONFIG_H
#define WEBUI_HOST_SERVICES_API_CONFIG_H

#include <webui_host/abi.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WH_SERVICE_API_CONFIG_V1 "api_config.v1"

typedef struct wh_api_config_v1 {
  uint32_t struct_size;
  /* Writes one JSON object to `sink`. The caller (if any) is available through req_caller. */
  wh_status (*contribute)(void* service_user, const wh_request_host_ptr* req, wh_str_sink sink,
                          void* sink_user);
} wh_api_config_v1;

#ifdef __cplusplus
}
#endif

#endif
