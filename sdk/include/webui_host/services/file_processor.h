/*
 * Service "file_processor.v1": what the files plugin calls to process an uploaded file (text
 * extraction, chunking, embeddings: the rag plugin). Offered by a processing plugin, consumed by
 * files, which owns the rows and the bytes and needs no change when a processor appears.
 *
 * files calls the first provider it finds (service order; a disabled plugin's is skipped). With
 * none, files extracts the text of text-like files itself and marks every other file completed
 * with no content. A file's status stream (GET /api/v1/files/{id}/process/status?stream=true)
 * reports "completed" only after `process` returned, so a processor must return only once its
 * results are committed (e.g. its vectors stored).
 *
 * Calls run on files' background threads, several at once, never on an HTTP worker.
 */
#ifndef WEBUI_HOST_SERVICES_FILE_PROCESSOR_H
#define WEBUI_HOST_SERVICES_FILE_PROCESSOR_H

#include <webui_host/abi.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WH_SERVICE_FILE_PROCESSOR_V1 "file_processor.v1"

typedef struct wh_file_processor_v1 {
  uint32_t struct_size;
  /* Processes one file and blocks until its results are committed. `file_json`: the FileModel
   * (files.h); `path`: its bytes, readable by this process; `options_json`: {} or {"content":
   * text} (POST /api/v1/files/{id}/data/content/update: use this text instead of extracting).
   * `cancelled(cancel_user)` turns nonzero when the host shuts down: stop and return WH_ABORTED.
   * On WH_OK writes {"content": the extracted text, "meta"?: fields merged into the row's meta
   * (e.g. collection_name)}; files then stores data.content, hash = sha256(content) and
   * data.status "completed". Any other status writes the error text shown to the user, stored
   * as data.error with data.status "failed". */
  wh_status (*process)(void* service_user, wh_str file_json, wh_str path, wh_str options_json,
                       int (*cancelled)(void* cancel_user), void* cancel_user, wh_str_sink sink,
                       void* sink_user);
  /* The file is gone (deleted by its owner, an admin, DELETE /all or its user's deletion): drop
   * what was derived from it (e.g. the collection file-{id}). May be NULL. */
  void (*removed)(void* service_user, wh_str file_id);
  void (*reserved[4])(void);
} wh_file_processor_v1;

#ifdef __cplusplus
}
#endif

#endif
