// The images plugin: Open WebUI 0.6.32's /api/v1/images (image generation through OpenAI-
// compatible servers, Gemini/Imagen, AUTOMATIC1111 and ComfyUI, and its admin settings), and the
// image_generation flag of /api/config. Every image becomes a file row of the caller through
// files.v1; other plugins reach it through image_generation.v1. An optional module (package
// webui-host-mod-images); not installed, these routes answer 404.
#pragma once

#include <webui_host/sdk.hpp>
#include <webui_host/sdk/json.hpp>

#include <string>
#include <vector>

#include "settings.hpp"

namespace webui::images {

// The engine failed or answered something unusable: 400 "[ERROR: <what>]" as upstream.
class EngineError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One generated image and the parameters it was made with (kept as the file's meta.data).
struct Generated {
  std::string bytes, content_type;
  nlohmann::json data;
};

// POST /generations' form (Open WebUI's GenerateImageForm).
struct GenerateForm {
  std::string prompt;
  std::string model, size;  // "" when not sent
  std::int64_t n = 1;
  std::optional<std::string> negative_prompt;
};

class ImagesPlugin : public sdk::Plugin {
 public:
  void Init(sdk::Host& host) override;

  // Generates with the configured engine and stores each image as a file of `caller`; returns
  // [{"url": "/api/v1/files/<id>/content"}]. Throws sdk::HttpError (400 engine errors, 503 when
  // the files module is not loaded).
  nlohmann::json Generate(const sdk::Caller& caller, const GenerateForm& form);
  // Generation is on and `caller` may use it (what image_generation.v1's `permitted` answers).
  bool Allowed(const sdk::Caller& caller) const;
  const Limits& limits() const { return limits_; }

 private:
  void AddConfigRoutes();
  // Open WebUI's has_permission(features.image_generation): the default USER_PERMISSIONS, or any
  // group of the user that grants it; admins always pass.
  bool Permitted(const sdk::Caller& caller) const;

  // The engines (engines.cpp). Each throws EngineError.
  std::vector<Generated> OpenAi(const Settings& s, const GenerateForm& form);
  std::vector<Generated> Gemini(const Settings& s, const GenerateForm& form);
  std::vector<Generated> Automatic1111(const Settings& s, const GenerateForm& form);
  std::vector<Generated> ComfyUi(const Settings& s, const GenerateForm& form,
                                 const std::string& client_id);
  // GET /models per engine; throws EngineError.
  nlohmann::json Models(const Settings& s);
  // The model the engine uses (A1111: its sd_model_checkpoint option).
  std::string CurrentModel(const Settings& s);
  // Saves the model; with A1111 also sets its checkpoint (failures there are only logged, as
  // upstream).
  void ChangeModel(const std::string& model);
  // An image URL an engine answered with. On the engine's own origin (`engine_base`) it is
  // fetched as the engine is, with `engine_headers` (the admin trusts that origin); anywhere
  // else through the SSRF guard (public addresses only, redirects checked hop by hop) and
  // without the engine's credentials (docs/security.md T26–T28).
  Generated FetchImage(const std::string& url, const std::string& engine_base,
                       const sdk::Headers& engine_headers);
  // An engine's answer, its body bounded by `cap` (0: kListCap): past it, WH_ABORTED.
  sdk::FetchResult Ask(const sdk::FetchRequest& rq, std::size_t cap = 0);
  // The bound of an answer that carries `n` base64 images.
  std::size_t AnswerCap(std::int64_t n) const;
  // Lists, options, ComfyUI's history and /object_info (several MB with many custom nodes).
  static constexpr std::size_t kListCap = std::size_t{32} << 20;
  sdk::FetchRequest EngineRequest(std::string method, std::string url, sdk::Headers headers,
                                  std::string body = {}) const;

  sdk::Host* host_ = nullptr;
  Limits limits_;
};

}  // namespace webui::images
