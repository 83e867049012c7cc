/*
 * Service "socket_emitter.v1": sends Socket.IO events to browsers. Offered by the host's
 * Socket.IO server; a plugin that finds no provider simply has nobody to tell (its work, e.g. a
 * chat completion saved to the database, must not depend on it).
 *
 * With WEBSOCKET_MANAGER=redis an event emitted on one instance reaches a socket held by another.
 */
#ifndef WEBUI_HOST_SERVICES_SOCKET_EMITTER_H
#define WEBUI_HOST_SERVICES_SOCKET_EMITTER_H

#include <webui_host/abi.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WH_SERVICE_SOCKET_EMITTER_V1 "socket_emitter.v1"

typedef struct wh_socket_emitter_v1 {
  uint32_t struct_size;
  /* `to`: a socket id (Open WebUI's session_id), a room such as "user:<user id>", or empty for
   * every connected socket. `data_json`: the event's single argument, JSON. */
  wh_status (*emit)(void* service_user, wh_str to, wh_str event, wh_str data_json);
  void (*reserved[4])(void);
} wh_socket_emitter_v1;

#ifdef __cplusplus
}
#endif

#endif
