// Pure helpers of the images plugin (no host): base64 and data URLs as engines send images, the
// image type from the bytes, query escaping, and ComfyUI's node substitutions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace webui::images {

// Standard base64 (RFC 4648 §4), whitespace ignored, padding optional. nullopt on any other
// character or a dangling sextet.
std::optional<std::string> Base64Decode(std::string_view text);
std::string Base64Encode(std::string_view bytes);

struct DecodedImage {
  std::string bytes;
  std::string content_type;
};
// An engine's base64 image: bare, or a data URL "data:<type>;base64,<data>". The type is the
// data URL's, else what the bytes are (image/png when unknown), as Open WebUI's
// load_b64_image_data. nullopt when the base64 is broken.
std::optional<DecodedImage> DecodeBase64Image(std::string_view text);

// image/png, image/jpeg, image/webp or image/gif from the magic bytes; "" otherwise.
std::string SniffImageType(std::string_view bytes);
// ".png" for image/png, as Python's mimetypes.guess_extension (".jpg" for JPEG); "" unknown.
std::string ExtensionFor(std::string_view content_type);

// Percent-encodes everything but RFC 3986 unreserved characters (a query value).
std::string QueryEscape(std::string_view s);
// "http://host:port" of an absolute URL, scheme and host lower-cased, the default port
// dropped (http 80, https 443) so http://a and http://a:80 are one origin; "" if not http(s).
std::string Origin(std::string_view url);

// What ComfyUI's workflow receives (Open WebUI's ComfyUIGenerateImageForm).
struct ComfyUiParams {
  std::string model, prompt;
  std::optional<std::string> negative_prompt;
  int width = 512, height = 512;
  std::int64_t n = 1;
  std::optional<std::int64_t> steps, seed;
};
// Writes `p` into `workflow` as `nodes` ([{type, key, node_ids, value?}]) say: model ->
// inputs[key]; prompt / negative_prompt -> inputs[key or "text"]; width, height, steps ->
// inputs[key or the type]; n -> inputs[key or "batch_size"]; seed -> inputs[key or "seed"], a
// random one in 0..2^50 when unset; a node without a type sets inputs[key] = value. node_ids is a
// list or a comma-separated string. Throws std::runtime_error naming a missing node.
void ApplyComfyUiNodes(nlohmann::json& workflow, const nlohmann::json& nodes,
                       const ComfyUiParams& p);

}  // namespace webui::images
