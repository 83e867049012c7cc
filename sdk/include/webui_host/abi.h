/*
 * webui-host plugin ABI, major version 1.
 *
 * This is the only thing a plugin and the host share. It is plain C so that a plugin built by any
 * C or C++ compiler, against any C++ standard library, keeps loading into every later host of the
 * same ABI major.
 *
 * Rules (docs/sdk.md explains them at length):
 *   - A plugin exports exactly one symbol, `webui_host_plugin_entry`, returning a const descriptor.
 *   - The host checks `struct_size`, `abi_major`, `abi_minor` and `build_signature` before it runs
 *     any other plugin code. Major must be equal; the plugin's minor must be <= the host's.
 *   - Host services come as `wh_host_api`, a table that only ever grows at the end. A plugin built
 *     for minor N reads only the fields that exist in minor N (see WH_HOST_HAS).
 *   - Every struct that crosses the boundary starts with its own size.
 *   - Ownership is in the names: `*_host_ptr` belongs to the host and is valid only for the call
 *     (or handler) it was passed to; `*_module_ptr` belongs to the plugin. Strings cross as
 *     `wh_str` (pointer + length, not NUL-terminated unless stated) and are copied by the receiver
 *     if it wants to keep them. Strings the host must hand back of unknown length come through a
 *     `wh_str_sink` callback.
 *   - No C++ exception ever crosses the boundary. Every function returns a status.
 *
 * Appending a field to the end of wh_host_api (or of a size-prefixed struct) bumps the minor.
 * Anything else (reordering, removing, changing a type) bumps the major.
 */
#ifndef WEBUI_HOST_ABI_H
#define WEBUI_HOST_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WH_ABI_MAJOR 1
#define WH_ABI_MINOR 1

/* Name of the one symbol every plugin exports. */
#define WH_PLUGIN_ENTRY_SYMBOL "webui_host_plugin_entry"

/* Build signature: what must match between host and plugin beyond the version numbers. The C ABI
 * does not depend on the C++ standard library, so this is only the data model of the platform. */
#define WH_STRINGIFY_(x) #x
#define WH_STRINGIFY(x) WH_STRINGIFY_(x)
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define WH_ENDIAN_TAG "be"
#else
#define WH_ENDIAN_TAG "le"
#endif
#define WH_BUILD_SIGNATURE                                                                        \
  "wh:p" WH_STRINGIFY(__SIZEOF_POINTER__) ":z" WH_STRINGIFY(__SIZEOF_SIZE_T__) ":i" WH_STRINGIFY( \
      __SIZEOF_INT__) ":" WH_ENDIAN_TAG

/* ---------------------------------------------------------------------------------------------- */
/* Basic types */

/* A borrowed string: `ptr` may be NULL when `len` is 0. */
typedef struct wh_str {
  const char* ptr;
  size_t len;
} wh_str;

/* Receives a host-owned string that is valid only during this call. */
typedef void (*wh_str_sink)(void* user, wh_str value);

typedef enum wh_status {
  WH_OK = 0,
  WH_ERROR = 1,       /* generic failure; details were logged or sent to an error sink */
  WH_NOT_FOUND = 2,   /* key, header, parameter, service ... does not exist */
  WH_INVALID = 3,     /* bad argument (malformed path, unknown method, bad SQL parameter ...) */
  WH_CLOSED = 4,      /* the peer went away (client disconnected, stream ended) */
  WH_TIMEOUT = 5,     /* an outbound call ran out of time */
  WH_DENIED = 6,      /* the plugin may not do this (e.g. set another plugin's config key) */
  WH_CONFLICT = 7,    /* already exists (route, service, authenticator) */
  WH_UNAVAILABLE = 8, /* the backing service is down and there is no fallback (db_*: the
                         database cannot be reached; answer 503, not "not found") */
  WH_ABORTED = 9      /* a callback asked to stop */
} wh_status;

typedef enum wh_log_level {
  WH_LOG_TRACE = 0,
  WH_LOG_DEBUG = 1,
  WH_LOG_INFO = 2,
  WH_LOG_WARN = 3,
  WH_LOG_ERROR = 4
} wh_log_level;

/* Who may call a route. The host resolves the caller before the handler runs. */
typedef enum wh_auth_level {
  WH_AUTH_PUBLIC = 0,   /* anyone; the caller is not resolved */
  WH_AUTH_OPTIONAL = 1, /* anyone; credentials, when present, are verified (bad ones -> 401) */
  WH_AUTH_ANY = 2,      /* any signed-in user, including role "pending" */
  WH_AUTH_VERIFIED = 3, /* role "user" or "admin" */
  WH_AUTH_ADMIN = 4,    /* role "admin" */
  WH_AUTH_PLUGIN = 5    /* the handler checks credentials itself (e.g. SCIM's own bearer token) */
} wh_auth_level;

/* Opaque handles owned by the host. */
typedef struct wh_plugin_host_ptr wh_plugin_host_ptr;     /* this plugin, for every host call */
typedef struct wh_request_host_ptr wh_request_host_ptr;   /* valid during a handler call */
typedef struct wh_response_host_ptr wh_response_host_ptr; /* valid during a handler call */
typedef struct wh_tx_host_ptr wh_tx_host_ptr;             /* an open transaction */
typedef struct wh_authn_host_ptr wh_authn_host_ptr;       /* result slot of an authenticator */

/* Opaque handle owned by the plugin. */
typedef struct wh_plugin_module_ptr wh_plugin_module_ptr;

/* ---------------------------------------------------------------------------------------------- */
/* HTTP handlers */

/* Called on a host worker thread, possibly concurrently with itself. Must not throw. The request
 * and response handles are valid until it returns. If it returns without sending anything the
 * host answers 500. */
typedef void (*wh_handler_fn)(void* route_user, const wh_request_host_ptr* req,
                              wh_response_host_ptr* res);

/* The caller resolved by the host (or being set by an authenticator). */
typedef struct wh_caller {
  uint32_t struct_size;
  wh_str id;
  wh_str role; /* "pending" | "user" | "admin" */
  wh_str email;
  wh_str name;
} wh_caller;

typedef enum wh_authn_result {
  WH_AUTHN_NONE = 0,     /* no credentials in this request */
  WH_AUTHN_OK = 1,       /* authn_accept() was called */
  WH_AUTHN_REJECTED = 2, /* authn_reject() was called (or a default 401 is used) */
  /* ABI 1.1: the credentials could not be checked (the directory, database or cache behind them
   * is down). The host answers 503 and asks nobody else: an outage is never a 401. */
  WH_AUTHN_UNAVAILABLE = 3
} wh_authn_result;

/* Resolves the caller from a request (headers, cookies, path). Part of the host's identity
 * chain (authenticator_add); `user` belongs to the plugin and must live until its shutdown. */
typedef wh_authn_result (*wh_authenticator_fn)(void* user, const wh_request_host_ptr* req,
                                               wh_authn_host_ptr* out);

/* ---------------------------------------------------------------------------------------------- */
/* Routes with their own body policy (ABI 1.1) */

typedef enum wh_body_policy {
  /* The whole body in memory (req_body), never more than the host's WEBUI_MAX_BODY_SIZE. */
  WH_BODY_BUFFERED = 0,
  /* multipart/form-data: each file part is streamed to a temporary file under DATA_DIR and each
   * plain field kept in memory (req_form_part_*); req_body is empty. A body of another content
   * type is buffered as with WH_BODY_BUFFERED. A malformed body is answered 400 by the host. */
  WH_BODY_MULTIPART = 1
} wh_body_policy;

typedef struct wh_route_options {
  uint32_t struct_size; /* sizeof(wh_route_options) of the plugin's SDK */
  wh_str method;        /* as route_add */
  wh_str path;          /* as route_add */
  wh_auth_level auth;
  /* Largest body accepted, in bytes; 0 = the host's WEBUI_MAX_BODY_SIZE. With WH_BODY_MULTIPART it
   * may exceed WEBUI_MAX_BODY_SIZE (uploads). A larger Content-Length is answered 413 before a
   * byte of the body is read; a chunked body is cut off with 413 at the limit. */
  int64_t max_body_bytes;
  wh_body_policy body;
} wh_route_options;

/* One part of a multipart body; strings are host-owned and valid until the handler returns. */
typedef struct wh_form_part {
  uint32_t struct_size;
  wh_str name;     /* the form field's name */
  wh_str filename; /* as the client sent it, for display only (never a path); empty for fields */
  wh_str content_type; /* as the client declared it; empty when it declared none */
  wh_str value;        /* plain fields: the text; file parts: empty */
  /* File parts: absolute path of the temporary file holding the bytes. The host deletes it when
   * the request ends; a handler that keeps the file renames it away first (same filesystem as
   * DATA_DIR). Empty for plain fields. */
  wh_str file_path;
  uint64_t size; /* bytes in `value` or in the file */
} wh_form_part;

/* ---------------------------------------------------------------------------------------------- */
/* Database */

typedef enum wh_db_type {
  WH_DB_NULL = 0,
  WH_DB_INT = 1,
  WH_DB_REAL = 2,
  WH_DB_TEXT = 3,
  WH_DB_BLOB = 4
} wh_db_type;

typedef struct wh_db_value {
  uint32_t type; /* wh_db_type */
  int64_t i;
  double d;
  wh_str s; /* TEXT or BLOB */
} wh_db_value;

typedef enum wh_db_dialect { WH_DB_SQLITE = 1, WH_DB_POSTGRES = 2 } wh_db_dialect;

/* One result row; `cols` is host-owned and valid during the call. Return 0 to continue, non-zero
 * to stop reading rows. */
typedef int (*wh_db_row_fn)(void* user, const wh_db_value* cols, size_t ncols);

/* A schema step owned by a plugin. Versions start at 1 and increase by one. SQL may contain
 * several statements separated by ';'. `sql_postgres` may be empty when the SQLite text works. */
typedef struct wh_migration {
  uint32_t struct_size;
  int32_t version;
  wh_str description;
  wh_str sql_sqlite;
  wh_str sql_postgres;
} wh_migration;

/* ---------------------------------------------------------------------------------------------- */
/* Outbound HTTP */

typedef struct wh_header {
  wh_str name;
  wh_str value;
} wh_header;

typedef struct wh_http_request {
  uint32_t struct_size;
  wh_str method;
  wh_str url; /* http:// or https:// */
  const wh_header* headers;
  size_t header_count;
  wh_str body;
  uint32_t connect_timeout_ms; /* 0 = host default */
  uint32_t read_timeout_ms;    /* longest silence between bytes; 0 = host default */
  uint32_t total_timeout_ms;   /* whole exchange; 0 = none */
  /* ABI 1.1 append: WH_FETCH_* bits (a host reads them only when struct_size covers them). */
  uint64_t flags;
} wh_http_request;

/* wh_http_request.flags. WH_FETCH_PUBLIC_ONLY is the guard for URLs a user (or a page, or an
 * engine's answer) chose rather than an admin: the host parses the URL once, resolves the name
 * once, refuses the exchange with WH_DENIED unless *every* address is a public unicast one (no
 * loopback, private, link-local, shared, multicast, reserved, documentation or unspecified
 * ranges, nor IPv4 inside IPv6), and connects to the address it checked, so a second lookup
 * cannot rebind the name. Redirects are never followed by the host: each hop is a new request,
 * checked again (sdk Host::FetchFollowing). */
#define WH_FETCH_PUBLIC_ONLY ((uint64_t)1)

/* Called once when the status line and headers arrived. Non-zero aborts the exchange. */
typedef int (*wh_http_head_fn)(void* user, int status, const wh_header* headers, size_t count);
/* Called for every piece of body as it arrives (not buffered). Non-zero aborts the exchange.
 * While the upstream is silent (also while connecting and awaiting the status line, i.e. possibly
 * before on_head) it is called with an empty chunk at least every 250 ms, so a plugin whose client
 * went away (or pressed stop) can abort without waiting for the next byte. */
typedef int (*wh_http_data_fn)(void* user, wh_str chunk);

/* ---------------------------------------------------------------------------------------------- */
/* Relayed streams (ABI 1.1)
 *
 * A handler that would otherwise hold its thread for a whole upstream stream (a chat completion
 * read token by token) hands the exchange to the host instead: `res_relay` starts the upstream
 * request, the handler returns at once, and the host's relay thread moves bytes from the upstream
 * to the client without a thread per stream. The plugin still decides what the client sees: its
 * callbacks run on the relay thread as the upstream answers.
 *
 * The callbacks must not block (no database, no outbound HTTP, no waiting on locks held long):
 * one relay thread serves many streams. They receive a `wh_relay_host_ptr*` that is valid until
 * `on_end` returns; the relay_* calls are valid only inside these callbacks, on that thread.
 * relay_respond from on_head or on_data ends the exchange (the upstream is dropped; on_end
 * follows with WH_OK). Order: on_head at most once, on_data any number of times, on_end exactly
 * once (also when connecting failed, the client left or the host shuts down), then release. */

typedef struct wh_relay_host_ptr wh_relay_host_ptr; /* one relayed exchange */

typedef struct wh_relay_handler {
  uint32_t struct_size;
  /* 1: every upstream body piece is written to the client as is, after on_data has seen it
   * (on_data may then only watch: a plugin that forwards SSE untouched pays no copy). 0: the
   * client sees only what the callbacks write. Only applies once a stream was begun. */
  int forward_body;
  /* The upstream's status line and headers. Typically the plugin calls relay_begin_stream here
   * (a stream follows). If it begins nothing, the body still comes to on_data (the plugin keeps
   * what it needs) and the plugin answers with relay_respond in on_end (e.g. an upstream JSON
   * error passed on). Non-zero ends the exchange at once (on_end follows). */
  int (*on_head)(void* user, wh_relay_host_ptr* relay, int status, const wh_header* headers,
                 size_t count);
  /* A piece of the upstream body (de-chunked), as it arrives. Non-zero: the answer is complete,
   * end the client's response and drop the upstream (e.g. after "data: [DONE]"). */
  int (*on_data)(void* user, wh_relay_host_ptr* relay, wh_str chunk);
  /* The exchange is over. `outcome`: WH_OK (upstream body complete, or on_head/on_data ended it),
   * WH_CLOSED (the client went away; nothing more can be written), WH_TIMEOUT (connect, silence
   * or total timeout), WH_UNAVAILABLE (could not connect / TLS failed), WH_ERROR (the upstream
   * broke the protocol or the connection dropped mid-body), WH_ABORTED (host shutdown).
   * `message` describes a failure for the log (it may name the upstream address: not for clients).
   * The plugin may still write (a final error event) or, if nothing was sent yet, respond. If it
   * does neither before returning and no response was started, the host answers 502. */
  void (*on_end)(void* user, wh_relay_host_ptr* relay, wh_status outcome, wh_str message);
  /* Called once after on_end (or instead of every callback when res_relay failed). */
  void (*release)(void* user);
} wh_relay_handler;

/* ---------------------------------------------------------------------------------------------- */
/* Key-value store (Redis, or the in-process fallback) */

/* Auth events. The plugin that owns users publishes on this channel whenever what a signed-in
 * caller may do changes: sign-out (a token revoked), role or permission change, deactivation,
 * deletion. The message is the user id, or empty when every user is concerned (e.g. default
 * permissions changed). The host re-checks that user's open sockets; plugins that cache anything
 * derived from a caller drop it. Published through Redis when present, so every instance hears it
 * (docs/security.md T05). */
#define WH_CHANNEL_AUTH_CHANGED "webui-host:auth-changed"

/* A published message; host-owned, valid during the call. Called on a host thread. */
typedef void (*wh_kv_message_fn)(void* user, wh_str channel, wh_str message);

/* ---------------------------------------------------------------------------------------------- */
/* The host's services */

typedef struct wh_host_api {
  uint32_t struct_size; /* sizeof(wh_host_api) of the host; fields past it do not exist */
  uint16_t abi_major;
  uint16_t abi_minor;

  /* -- logging ------------------------------------------------------------------------------- */
  void (*log)(wh_plugin_host_ptr* self, wh_log_level level, wh_str message);

  /* -- configuration -------------------------------------------------------------------------- */
  /* Declares a setting this plugin owns. `key` is Open WebUI's dot path (e.g. "ui.enable_signup"),
   * `env_name` the environment variable that feeds it (may be empty), `default_json` its default
   * as JSON text. `persistent` = 1 stores admin changes in the `config` table. */
  wh_status (*config_declare)(wh_plugin_host_ptr* self, wh_str key, wh_str env_name,
                              wh_str default_json, int persistent);
  /* Current value as JSON text. WH_NOT_FOUND when nobody declared the key. Any plugin may read. */
  wh_status (*config_get)(wh_plugin_host_ptr* self, wh_str key, wh_str_sink sink, void* user);
  /* Sets a declared key this plugin owns (WH_DENIED otherwise); persisted when persistent. */
  wh_status (*config_set)(wh_plugin_host_ptr* self, wh_str key, wh_str value_json);
  /* Raw environment / .env lookup of a variable (not declared settings). */
  wh_status (*env_get)(wh_plugin_host_ptr* self, wh_str name, wh_str_sink sink, void* user);

  /* -- routes and authentication -------------------------------------------------------------- */
  /* `method` GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS; `path` like "/api/v1/chats/{id}". A final
   * segment "{name...}" matches the rest of the path. Only valid during init. */
  wh_status (*route_add)(wh_plugin_host_ptr* self, wh_str method, wh_str path, wh_auth_level auth,
                         wh_handler_fn handler, void* route_user);
  wh_status (*authenticator_set)(wh_plugin_host_ptr* self, wh_authenticator_fn fn, void* user);
  void (*authn_accept)(wh_authn_host_ptr* out, const wh_caller* caller);
  void (*authn_reject)(wh_authn_host_ptr* out, int http_status, wh_str detail);

  /* -- request accessors (strings valid until the handler returns) ---------------------------- */
  wh_str (*req_method)(const wh_request_host_ptr* req);
  wh_str (*req_path)(const wh_request_host_ptr* req); /* without the query string */
  wh_str (*req_query_string)(const wh_request_host_ptr* req);
  wh_status (*req_path_param)(const wh_request_host_ptr* req, wh_str name, wh_str* out);
  wh_status (*req_query_param)(const wh_request_host_ptr* req, wh_str name, wh_str* out);
  wh_status (*req_header)(const wh_request_host_ptr* req, wh_str name, wh_str* out);
  wh_status (*req_cookie)(const wh_request_host_ptr* req, wh_str name, wh_str* out);
  size_t (*req_header_count)(const wh_request_host_ptr* req);
  wh_status (*req_header_at)(const wh_request_host_ptr* req, size_t index, wh_header* out);
  /* The whole body; the host has already enforced the size limit. */
  wh_str (*req_body)(const wh_request_host_ptr* req);
  /* The resolved caller; WH_NOT_FOUND for anonymous requests. */
  wh_status (*req_caller)(const wh_request_host_ptr* req, wh_caller* out);
  wh_str (*req_id)(const wh_request_host_ptr* req);
  wh_str (*req_remote_addr)(const wh_request_host_ptr* req);

  /* -- responses ------------------------------------------------------------------------------ */
  wh_status (*res_set_status)(wh_response_host_ptr* res, int status);
  wh_status (*res_set_header)(wh_response_host_ptr* res, wh_str name, wh_str value);
  /* Sends the whole body (status and headers set before). Once only. */
  wh_status (*res_send)(wh_response_host_ptr* res, wh_str body);
  /* Sends `{"detail": detail}` with `status`. */
  wh_status (*res_send_error)(wh_response_host_ptr* res, int status, wh_str detail);
  /* Starts a chunked response now (headers go out at once). For text/event-stream the host adds
   * Cache-Control: no-cache and X-Accel-Buffering: no. */
  wh_status (*res_stream_begin)(wh_response_host_ptr* res, wh_str content_type);
  /* Writes and flushes one piece. WH_CLOSED when the client has gone: stop producing. */
  wh_status (*res_stream_write)(wh_response_host_ptr* res, wh_str chunk);
  /* 1 while the client is still connected (a cheap, non-blocking check). */
  int (*res_client_connected)(wh_response_host_ptr* res);

  /* -- database (one pool owned by the host; `?` placeholders on every dialect) -----------------
   */
  wh_db_dialect (*db_dialect)(wh_plugin_host_ptr* self);
  /* Applies this plugin's migrations that are not applied yet, once, under a cluster-wide lock,
   * all in one transaction. Only valid during init; on failure the host refuses to start. */
  wh_status (*db_migrate)(wh_plugin_host_ptr* self, const wh_migration* steps, size_t count,
                          wh_str_sink error, void* error_user);
  /* Runs one statement. `tx` NULL = its own connection in autocommit. `on_row` may be NULL.
   * `affected` may be NULL. Errors text goes to `error` (may be NULL). */
  wh_status (*db_exec)(wh_plugin_host_ptr* self, wh_tx_host_ptr* tx, wh_str sql,
                       const wh_db_value* params, size_t param_count, wh_db_row_fn on_row,
                       void* row_user, int64_t* affected, wh_str_sink error, void* error_user);
  wh_status (*db_begin)(wh_plugin_host_ptr* self, wh_tx_host_ptr** tx_out);
  wh_status (*db_commit)(wh_plugin_host_ptr* self, wh_tx_host_ptr* tx);   /* frees tx */
  wh_status (*db_rollback)(wh_plugin_host_ptr* self, wh_tx_host_ptr* tx); /* frees tx */

  /* -- key-value, counters, TTL, publish/subscribe ---------------------------------------------
   * Keys are prefixed by the host with "{REDIS_KEY_PREFIX}:". ttl_ms 0 = no expiry. */
  wh_status (*kv_get)(wh_plugin_host_ptr* self, wh_str key, wh_str_sink sink, void* user);
  wh_status (*kv_set)(wh_plugin_host_ptr* self, wh_str key, wh_str value, int64_t ttl_ms);
  wh_status (*kv_del)(wh_plugin_host_ptr* self, wh_str key);
  /* Adds `delta`; when the key is new and ttl_ms > 0, the key expires after ttl_ms. */
  wh_status (*kv_incr)(wh_plugin_host_ptr* self, wh_str key, int64_t delta, int64_t ttl_ms,
                       int64_t* value_out);
  /* Remaining time to live in ms; -1 no expiry; WH_NOT_FOUND when the key does not exist. */
  wh_status (*kv_ttl)(wh_plugin_host_ptr* self, wh_str key, int64_t* ttl_ms_out);
  wh_status (*kv_publish)(wh_plugin_host_ptr* self, wh_str channel, wh_str message);
  /* Subscription id > 0 on success; messages arrive on a host thread. */
  wh_status (*kv_subscribe)(wh_plugin_host_ptr* self, wh_str channel, wh_kv_message_fn fn,
                            void* user, uint64_t* subscription_out);
  wh_status (*kv_unsubscribe)(wh_plugin_host_ptr* self, uint64_t subscription);
  /* 1 when backed by Redis (shared by instances), 0 for the in-process fallback. */
  int (*kv_is_shared)(wh_plugin_host_ptr* self);

  /* -- outbound HTTP (blocking on the calling thread; callbacks see data as it arrives) ---------
   */
  wh_status (*http_fetch)(wh_plugin_host_ptr* self, const wh_http_request* request,
                          wh_http_head_fn on_head, wh_http_data_fn on_data, void* user,
                          wh_str_sink error, void* error_user);

  /* -- service registry ------------------------------------------------------------------------
   * A service is a C struct of function pointers (its "vtable") named like "model_provider.v1",
   * defined in a header both sides include. Several plugins may offer the same name. */
  wh_status (*service_offer)(wh_plugin_host_ptr* self, wh_str name, const void* vtable,
                             size_t vtable_size, void* service_user);
  /* Calls `fn` for each enabled provider of `name` (in load order). */
  wh_status (*service_each)(wh_plugin_host_ptr* self, wh_str name,
                            void (*fn)(void* user, wh_str provider_plugin, const void* vtable,
                                       size_t vtable_size, void* service_user),
                            void* user);

  /* Reserved: always NULL. */
  void (*reserved[8])(void);

  /* -- ABI 1.1: relayed streams (see wh_relay_handler) ------------------------------------------
   * Hands this response to the host's relay: the host sends `upstream` and calls `handler` on its
   * relay thread as the answer arrives. The handler must return soon after; the response belongs
   * to the relay from now on (no res_* call on it any more). `handler` is copied; `user` lives
   * until handler->release. On failure (bad request, called twice, response already started) the
   * host calls release at once and the response is still the handler's to answer. */
  wh_status (*res_relay)(wh_response_host_ptr* res, const wh_http_request* upstream,
                         const wh_relay_handler* handler, void* user);
  /* Starts the client's response as a chunked stream with `status` (headers of the route's
   * response, plus Content-Type, go out at once). Only before anything else was sent. */
  wh_status (*relay_begin_stream)(wh_relay_host_ptr* relay, int status, wh_str content_type);
  /* Queues bytes for the client (after relay_begin_stream). WH_CLOSED once the client is gone.
   * The host bounds what waits for a slow client by pausing the upstream, not by dropping. */
  wh_status (*relay_write)(wh_relay_host_ptr* relay, wh_str bytes);
  /* A whole answer instead of a stream (e.g. the upstream's JSON error passed on), or
   * `{"detail": ...}` when `content_type` is empty. Only before anything else was sent. */
  wh_status (*relay_respond)(wh_relay_host_ptr* relay, int status, wh_str content_type,
                             wh_str body);

  /* -- ABI 1.1: the identity chain ------------------------------------------------------------
   * Adds `fn` to the host's chain of authenticators. For a route that needs a caller the host asks
   * them in ascending `order` (equal orders: load order). WH_AUTHN_NONE passes to the next one;
   * the first WH_AUTHN_OK or WH_AUTHN_REJECTED decides; WH_AUTHN_UNAVAILABLE stops the chain with
   * 503. No answer from anyone means anonymous. The auth plugin (JWT, API keys, trusted header)
   * uses order 0; a plugin with its own credentials picks its place around it. The host still
   * applies the route's level to the caller. Only valid during init; `user` must live until the
   * plugin's shutdown. (authenticator_set is this with order 0, once per host.) */
  wh_status (*authenticator_add)(wh_plugin_host_ptr* self, wh_authenticator_fn fn, void* user,
                                 int32_t order);

  /* -- ABI 1.1: routes with a body policy (uploads) -------------------------------------------
   * route_add with the options above. Only valid during init. */
  wh_status (*route_add_ex)(wh_plugin_host_ptr* self, const wh_route_options* options,
                            wh_handler_fn handler, void* route_user);
  /* The parts of a WH_BODY_MULTIPART body, in the order they came; 0 for other routes. */
  size_t (*req_form_part_count)(const wh_request_host_ptr* req);
  wh_status (*req_form_part_at)(const wh_request_host_ptr* req, size_t index, wh_form_part* out);

  /* -- ABI 1.1: outbound exchanges without a waiting thread -----------------------------------
   * http_fetch driven by the host's relay thread: returns at once, and `handler`'s callbacks run
   * on the relay thread as the upstream answers (same order and outcomes as for res_relay, except
   * that no client is attached: relay_begin_stream, relay_write and relay_respond answer
   * WH_INVALID, `forward_body` is ignored and the outcome is never WH_CLOSED). As with http_fetch,
   * while the upstream is silent (also before on_head) on_data gets an empty chunk at least every
   * 250 ms, so the plugin can stop an exchange its own consumer gave up. Non-zero from on_head or
   * on_data drops the upstream; on_end follows with WH_OK. For work that outlives a request (a
   * model's answer saved in the background). `handler` is copied; `user` lives until
   * handler->release, which also comes (at once) when this returns an error: WH_INVALID (a bad
   * request), WH_DENIED (WH_FETCH_PUBLIC_ONLY and the destination is not public),
   * WH_UNAVAILABLE (the relay is not running: during init or after shutdown). The name
   * is resolved on the calling thread. */
  wh_status (*http_fetch_relay)(wh_plugin_host_ptr* self, const wh_http_request* request,
                                const wh_relay_handler* handler, void* user);
} wh_host_api;

/* True when `api` has field `field` (it was added in a minor this host has). */
#define WH_HOST_HAS(api, field)                                                             \
  ((api) != NULL &&                                                                         \
   (api)->struct_size >= offsetof(wh_host_api, field) + sizeof(((wh_host_api*)0)->field) && \
   (api)->field != NULL)

/* ---------------------------------------------------------------------------------------------- */
/* The plugin's descriptor */

typedef struct wh_plugin_descriptor {
  uint32_t struct_size; /* sizeof(wh_plugin_descriptor) of the plugin's SDK */
  uint16_t abi_major;
  uint16_t abi_minor;
  const char* build_signature; /* WH_BUILD_SIGNATURE */
  const char* name;            /* [a-z0-9_-]{1,64}, unique in a deployment */
  const char* version;         /* the plugin's own version, e.g. "1.2.0" */
  const char* description;
  const char* const* dependencies; /* NULL-terminated names, or NULL */

  /* Called once, in dependency order. Register routes, settings, migrations and services here.
   * Return WH_OK and optionally a state pointer; anything else refuses the plugin (the message
   * sent to `error` is logged). */
  wh_status (*init)(const wh_host_api* host, wh_plugin_host_ptr* self,
                    wh_plugin_module_ptr** state_out, wh_str_sink error, void* error_user);
  /* Called once at host shutdown, in reverse dependency order, after no request runs any more. */
  void (*shutdown)(wh_plugin_module_ptr* state);

  void* reserved[8];
} wh_plugin_descriptor;

typedef const wh_plugin_descriptor* (*wh_plugin_entry_fn)(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* WEBUI_HOST_ABI_H */
