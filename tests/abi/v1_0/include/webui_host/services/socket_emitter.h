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

/* A client event. `caller` is the socket's signed-in user (NULL when anonymous), re-checked
 * against the authenticator so a deleted or demoted user is seen as such. `data_json` is a JSON
 * array of the event's arguments. When the client asked for an acknowledgement, `ack` is non-NULL:
 * call it (once) with a JSON array of reply arguments. Runs on a host thread; keep it short. */
typedef void (*wh_socket_event_fn)(void* user, wh_str socket_id, const wh_caller* caller,
                                   wh_str event, wh_str data_json, wh_str_sink ack, void* ack_user);

typedef struct wh_socket_emitter_v1 {
  uint32_t struct_size;
  /* `to`: a socket id (Open WebUI's session_id), a room such as "user:<user id>", several of
   * those separated by ',' (each socket receives the event once, like Open WebUI's emitter that
   * sends to the union of the user's sessions and the requesting one), or empty for every
   * connected socket. `data_json`: the event's single argument, JSON. */
  wh_status (*emit)(void* service_user, wh_str to, wh_str event, wh_str data_json);
  /* Receives client events named `event`; *id_out identifies the registration for off(). */
  wh_status (*on)(void* service_user, wh_str event, wh_socket_event_fn fn, void* user,
                  uint64_t* id_out);
  wh_status (*off)(void* service_user, uint64_t id);
  void (*reserved[4])(void);
} wh_socket_emitter_v1;

#ifdef __cplusplus
}
#endif

#endif
