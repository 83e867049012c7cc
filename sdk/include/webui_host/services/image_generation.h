/*
 * Service "image_generation.v1": image generation for other plugins, as POST
 * /api/v1/images/generations does it. Offered by the images plugin (with the engine the admin
 * chose); meant for the chat's image toggle (features.image_generation in a completion).
 *
 * `generate` blocks for as long as the engine takes (ComfyUI: up to WEBUI_IMAGES_COMFYUI_TIMEOUT)
 * and stores every image as a file of the user through files.v1.
 *
 * Errors: WH_DENIED (image generation is off, or the user may not use it), WH_INVALID (a bad
 * request or one the engine refused: the same cases as the route's 400/422), WH_UNAVAILABLE (the
 * files module is not loaded, or the database is down). On any error a one-line reason is written
 * to `sink` (Open WebUI's "[ERROR: ...]" text where the route has one; no secrets, no upstream
 * addresses).
 */
#ifndef WEBUI_HOST_SERVICES_IMAGE_GENERATION_H
#define WEBUI_HOST_SERVICES_IMAGE_GENERATION_H

#include <webui_host/abi.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WH_SERVICE_IMAGE_GENERATION_V1 "image_generation.v1"

typedef struct wh_image_generation_v1 {
  uint32_t struct_size;
  /* Whether image generation is on and the user (`role` "admin" | "user") may use it:
   * `*allowed` 1 or 0. What decides whether a chat offers it. */
  wh_status (*permitted)(void* service_user, wh_str user_id, wh_str role, int* allowed);
  /* Generates for the user. `request_json`: {"prompt", "model"?, "size"?, "n"?,
   * "negative_prompt"?} as the route's body. On WH_OK writes [{"url":
   * "/api/v1/files/<id>/content"}]. */
  wh_status (*generate)(void* service_user, wh_str user_id, wh_str role, wh_str request_json,
                        wh_str_sink sink, void* sink_user);
  void (*reserved[4])(void);
} wh_image_generation_v1;

#ifdef __cplusplus
}
#endif

#endif
