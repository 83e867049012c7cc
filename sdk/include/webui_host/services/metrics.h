/*
 * Service "metrics.v1": lets a plugin add its own series to the host's GET /metrics (Prometheus
 * text format; ENABLE_METRICS). Offered by the host. Each consumer gets its own service_user, so
 * every series carries a `plugin` label with the caller's name.
 *
 * `name` is [a-z][a-z0-9_]{0,63}; the series is exposed as webui_<name> (counters as
 * webui_<name>_total). `labels_json` is a JSON object of string values (keys [a-z][a-z0-9_]*,
 * not "plugin"), or empty for none. Keep label values bounded (a connection index, a status
 * class): never a user id, a path or free text. A plugin holds at most 1000 series; past that,
 * calls answer WH_DENIED. A name used as a counter cannot become a gauge (WH_CONFLICT). Cheap
 * enough for every upstream call; not meant for every streamed chunk.
 *
 * Errors: WH_INVALID (bad name, labels or value), WH_DENIED (series cap), WH_CONFLICT (type).
 */
#ifndef WEBUI_HOST_SERVICES_METRICS_H
#define WEBUI_HOST_SERVICES_METRICS_H

#include <webui_host/abi.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WH_SERVICE_METRICS_V1 "metrics.v1"

typedef struct wh_metrics_v1 {
  uint32_t struct_size;
  /* Adds `delta` (finite, >= 0) to a counter. */
  wh_status (*counter_add)(void* service_user, wh_str name, wh_str labels_json, double delta);
  /* Sets a gauge to `value` (finite). */
  wh_status (*gauge_set)(void* service_user, wh_str name, wh_str labels_json, double value);
  void (*reserved[6])(void);
} wh_metrics_v1;

#ifdef __cplusplus
}
#endif

#endif
