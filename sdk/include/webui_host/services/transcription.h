/*
 * Service "transcription.v1": speech to text for other plugins. Offered by the audio plugin
 * (with the STT engine the admin chose: the local pocketsphinx engine or an OpenAI-compatible
 * server); rag's file processor calls it for audio uploads, as Open WebUI transcribes them into
 * file.data.content.
 *
 * Calls block (decoding and recognition take about as long as the audio on the local engine),
 * so make them from a background thread, never an HTTP worker.
 *
 * Errors: WH_INVALID (the content type is not on the STT allow-list, the file is not decodable
 * audio, it is too long, or the STT engine cannot transcribe files, such as "web"),
 * WH_UNAVAILABLE (the engine or its upstream failed), WH_NOT_FOUND (no such file). On any error
 * a one-line reason is written to `sink` (no secrets, no upstream addresses).
 */
#ifndef WEBUI_HOST_SERVICES_TRANSCRIPTION_H
#define WEBUI_HOST_SERVICES_TRANSCRIPTION_H

#include <webui_host/abi.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WH_SERVICE_TRANSCRIPTION_V1 "transcription.v1"

typedef struct wh_transcription_v1 {
  uint32_t struct_size;
  /* Transcribes the audio file at `path` (readable by this process; the container is sniffed
   * from its bytes). `content_type`: the type the file was uploaded with, checked against the
   * STT allow-list as an upload to /api/v1/audio/transcriptions is. `language`: an ISO 639-1
   * hint, or empty. On WH_OK writes the text (UTF-8, possibly empty for silence). */
  wh_status (*transcribe)(void* service_user, wh_str path, wh_str content_type, wh_str language,
                          wh_str_sink sink, void* sink_user);
  void (*reserved[4])(void);
} wh_transcription_v1;

#ifdef __cplusplus
}
#endif

#endif
