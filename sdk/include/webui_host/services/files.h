/*
 * Service "files.v1": the one way for a plugin other than files to store and read uploaded
 * files. Offered by the files plugin, which owns the "file" table and the upload storage; nobody
 * else runs SQL on that table or writes under the storage root. Used by rag (extraction,
 * knowledge bases), images and audio (their outputs), tests.
 *
 * Rows are JSON text in Open WebUI's FileModel field names: id, user_id, hash, filename, path,
 * data ({status, content, error}), meta ({name, content_type, size, data, collection_name?}),
 * access_control, created_at, updated_at (epoch seconds).
 *
 * Errors: WH_NOT_FOUND (no such file), WH_INVALID (bad JSON or field, unreadable source, more
 * bytes than RAG_FILE_MAX_SIZE), WH_UNAVAILABLE (database down: answer 503), WH_ERROR
 * (storage failed). Nothing is written to `sink` on error, except by `read`, whose pieces may
 * already have gone out when the storage fails mid-file.
 */
#ifndef WEBUI_HOST_SERVICES_FILES_H
#define WEBUI_HOST_SERVICES_FILES_H

#include <webui_host/abi.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WH_SERVICE_FILES_V1 "files.v1"

typedef struct wh_files_v1 {
  uint32_t struct_size;
  /* Stores a new file owned by `owner_id`. `info_json`: {"filename": the name shown to users
   * (required; it never becomes a path), "content_type"?: the declared type, "data"?: an object
   * kept as meta.data, "process"?: false (default: the row is completed at once) or true (the
   * file is processed as an upload is, see file_processor.h)}. The bytes are `source_path` when
   * it is not empty (a file the caller gives away: renamed into the storage when on the same
   * filesystem, else copied and deleted), else `bytes`. Writes the new FileModel. */
  wh_status (*store)(void* service_user, wh_str owner_id, wh_str info_json, wh_str bytes,
                     wh_str source_path, wh_str_sink sink, void* sink_user);
  /* One FileModel, with data.content when it was extracted. */
  wh_status (*get)(void* service_user, wh_str file_id, wh_str_sink sink, void* sink_user);
  /* The stored bytes, through `sink` in pieces of at most 64 KiB, in order (an empty file: no
   * call). */
  wh_status (*read)(void* service_user, wh_str file_id, wh_str_sink sink, void* sink_user);
  /* A path of the stored bytes that this process can open, for libraries that want a file. Read
   * only: the file belongs to the files plugin and may vanish when the file is deleted. */
  wh_status (*local_path)(void* service_user, wh_str file_id, wh_str_sink sink, void* sink_user);
  /* Deletes the row and its bytes (and tells every file_processor.v1 through `removed`). */
  wh_status (*remove)(void* service_user, wh_str file_id);
  /* Whether `user_id` with `role` may `access` ("read" | "write") the file: `*allowed` 1 or 0.
   * The owner and role "admin" may do both; others need a grant in the row's access_control (a
   * null access_control is private, unlike models: files are never public). WH_NOT_FOUND when
   * there is no such file. */
  wh_status (*check_access)(void* service_user, wh_str user_id, wh_str role, wh_str file_id,
                            wh_str access, int* allowed);
  /* Merges `patch_json` into the row: {"data"?: object merged into data, "meta"?: object merged
   * into meta, "hash"?: string or null, "access_control"?: value}. Writes the new FileModel. */
  wh_status (*update)(void* service_user, wh_str file_id, wh_str patch_json, wh_str_sink sink,
                      void* sink_user);
  void (*reserved[6])(void);

  /* Appended (read it only when the provider's vtable_size covers it): deletes the stored bytes
   * of every file, and anything else in the upload storage, as Open WebUI's POST
   * /api/v1/retrieval/reset/uploads empties UPLOAD_DIR. The rows stay, with their extracted text
   * (chats and knowledge bases that cite them keep it, and the web UI still lists them); reading
   * their bytes answers WH_NOT_FOUND from then on, and deleting them works as before.
   * `*removed` (may be NULL) gets how many stored objects went. An object that cannot be deleted
   * is logged and skipped; WH_ERROR only when the storage cannot be listed at all. */
  wh_status (*remove_all_bytes)(void* service_user, uint64_t* removed);
} wh_files_v1;

#ifdef __cplusplus
}
#endif

#endif
