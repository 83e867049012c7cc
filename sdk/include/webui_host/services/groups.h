/*
 * Service "groups.v1": user groups and their members. Offered by the auth plugin, which owns the
 * "group" and group_member tables; other plugins (chat's model access control, future ldap/scim)
 * use this instead of SQL.
 *
 * Results are JSON text in Open WebUI's GroupModel field names: id, user_id (the creator), name,
 * description, data, meta, permissions, user_ids, created_at, updated_at (epoch seconds).
 *
 * Mutating calls publish WH_CHANNEL_AUTH_CHANGED and bump the same stamp as the user cache, so a
 * membership change takes effect on the next request on every instance (docs/security.md T05).
 *
 * Errors as in users.h: WH_NOT_FOUND, WH_CONFLICT, WH_INVALID, WH_UNAVAILABLE.
 */
#ifndef WEBUI_HOST_SERVICES_GROUPS_H
#define WEBUI_HOST_SERVICES_GROUPS_H

#include <webui_host/abi.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WH_SERVICE_GROUPS_V1 "groups.v1"

typedef struct wh_groups_v1 {
  uint32_t struct_size;
  /* One GroupModel object. */
  wh_status (*get)(void* service_user, wh_str id, wh_str_sink sink, void* sink_user);
  /* [GroupModel...] ordered by name. */
  wh_status (*list)(void* service_user, wh_str_sink sink, void* sink_user);
  /* `group_json`: {name, description?, permissions?, user_ids?}; `owner_id` becomes user_id.
   * Writes the created GroupModel. */
  wh_status (*create)(void* service_user, wh_str owner_id, wh_str group_json, wh_str_sink sink,
                      void* sink_user);
  /* `patch_json`: any of name, description, permissions, user_ids (replaces the member list). */
  wh_status (*update)(void* service_user, wh_str id, wh_str patch_json, wh_str_sink sink,
                      void* sink_user);
  wh_status (*remove)(void* service_user, wh_str id);
  /* `user_ids_json`: a JSON array of user ids. Unknown ids are ignored, as in Open WebUI. */
  wh_status (*add_users)(void* service_user, wh_str id, wh_str user_ids_json);
  wh_status (*remove_users)(void* service_user, wh_str id, wh_str user_ids_json);
  /* JSON array of the ids of the groups `user_id` belongs to. Meant for every access check:
   * providers answer from an index or cache, not a scan of all groups. */
  wh_status (*groups_of)(void* service_user, wh_str user_id, wh_str_sink sink, void* sink_user);
  void (*reserved[6])(void);
} wh_groups_v1;

#ifdef __cplusplus
}
#endif

#endif
