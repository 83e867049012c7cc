/*
 * Service "users.v1": the one way for a plugin other than auth to read or change users. Offered
 * by the auth plugin, which owns the "user" and "auth" tables; nobody else runs SQL on them.
 *
 * Results are JSON text in Open WebUI's UserModel field names: id, name, email, role
 * ("pending" | "user" | "admin"), profile_image_url, last_active_at, updated_at, created_at
 * (epoch seconds), settings, info. Password hashes are never returned.
 *
 * Every mutating call publishes WH_CHANNEL_AUTH_CHANGED and bumps the user-cache stamp exactly as
 * auth's admin routes do, so a change made here is seen by the next request on every instance
 * (docs/security.md T05). create() applies signup's race-safe first-admin rule (docs/security.md
 * T03): on an empty table exactly one concurrent create becomes admin.
 *
 * Callers (ldap, scim) create or find accounts here and may sign a user in with issue_token.
 *
 * Errors: WH_NOT_FOUND (no such user), WH_CONFLICT (email taken), WH_INVALID (bad JSON or field),
 * WH_UNAVAILABLE (database down: answer 503). Nothing is written to `sink` on error.
 */
#ifndef WEBUI_HOST_SERVICES_USERS_H
#define WEBUI_HOST_SERVICES_USERS_H

#include <webui_host/abi.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WH_SERVICE_USERS_V1 "users.v1"

typedef struct wh_users_v1 {
  uint32_t struct_size;
  /* One UserModel object. */
  wh_status (*get_by_id)(void* service_user, wh_str id, wh_str_sink sink, void* sink_user);
  /* Email is compared case-insensitively, like signin. */
  wh_status (*get_by_email)(void* service_user, wh_str email, wh_str_sink sink, void* sink_user);
  /* `user_json`: {name, email, role?, profile_image_url?, password_hash?}. An empty `role` means
   * the configured default (DEFAULT_USER_ROLE), or "admin" for the first user. Writes the created
   * UserModel. */
  wh_status (*create)(void* service_user, wh_str user_json, wh_str_sink sink, void* sink_user);
  /* `patch_json`: any of name, email, role, profile_image_url, settings, info, oauth_sub. Writes
   * the new UserModel. The primary admin stays admin (WH_INVALID otherwise). */
  wh_status (*update)(void* service_user, wh_str id, wh_str patch_json, wh_str_sink sink,
                      void* sink_user);
  wh_status (*remove)(void* service_user, wh_str id);
  /* {"users": [UserModel...], "total": n}, ordered by created_at; `limit` 0 means no limit. */
  wh_status (*list)(void* service_user, uint64_t skip, uint64_t limit, wh_str_sink sink,
                    void* sink_user);
  /* Signs `id` in: writes {"token": "...", "token_type": "Bearer", "expires_at": n|null,
   * "permissions": {...}, "cookie": "token=...; ..."}, the same JWT and expiry (JWT_EXPIRES_IN)
   * as POST /api/v1/auths/signin, the session's permissions as sign-in answers them, and the
   * Set-Cookie value sign-in sends (auth's SameSite/Secure policy). Older auth plugins write only
   * the first three. */
  wh_status (*issue_token)(void* service_user, wh_str id, wh_str_sink sink, void* sink_user);
  /* Sets the password of `id`, hashed by auth (bcrypt, the configured cost). As Open WebUI's
   * admin password change (POST /api/v1/users/{id}/update), tokens already issued stay valid;
   * the user cache is dropped on every instance. WH_INVALID for an empty password or one bcrypt
   * cannot take (NUL byte, more than 72 bytes); WH_NOT_FOUND for an unknown id. It took the place
   * of a reserved slot, so the struct size is unchanged: an auth plugin built before it leaves it
   * NULL, which callers treat as "not offered". */
  wh_status (*set_password)(void* service_user, wh_str id, wh_str password);
  void (*reserved[4])(void);
} wh_users_v1;

#ifdef __cplusplus
}
#endif

#endif
