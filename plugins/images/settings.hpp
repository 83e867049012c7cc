// The images plugin's settings: Open WebUI 0.6.32's PersistentConfig keys (all under
// image_generation.) and env names, so a database made by Open WebUI keeps its image settings;
// the two admin forms of /api/v1/images that read and write them; and the few limits this server
// adds (environment only).
#pragma once

#include <webui_host/sdk.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace webui::images {

// Engine values as the 0.6.32 admin page sends them ("" acts as automatic1111, as upstream).
namespace engines {
inline constexpr std::string_view kOpenAi = "openai";
inline constexpr std::string_view kGemini = "gemini";
inline constexpr std::string_view kComfyUi = "comfyui";
inline constexpr std::string_view kAutomatic1111 = "automatic1111";
}  // namespace engines

struct Settings {
  bool enabled = false;
  bool prompt_generation = true;
  std::string engine, model, size;
  std::optional<std::int64_t> steps;
  std::string openai_base_url, openai_api_version, openai_api_key;
  std::string gemini_base_url, gemini_api_key;
  std::string a1111_base_url, a1111_api_auth;
  nlohmann::json a1111_cfg_scale, a1111_sampler, a1111_scheduler;  // null when unset
  std::string comfyui_base_url, comfyui_api_key, comfyui_workflow;
  nlohmann::json comfyui_nodes;  // always an array
  bool IsAutomatic1111() const { return engine.empty() || engine == engines::kAutomatic1111; }
};

// Read once at start (environment only).
struct Limits {
  // Largest image accepted from an engine (decoded), and so the cap on a fetched image URL.
  std::size_t max_image_bytes = 32u << 20;
  // How long one ComfyUI job may run before /generations gives up waiting (the job itself goes
  // on in ComfyUI; see docs/modules/images.md).
  std::int64_t comfyui_timeout_ms = 300'000;
  // Total time for one engine request (OpenAI, Gemini, AUTOMATIC1111 generate synchronously).
  std::int64_t engine_timeout_ms = 300'000;
  // Images per request (the form's n).
  std::int64_t max_n = 10;
};

void DeclareSettings(sdk::Host& host);
Limits LoadLimits(const sdk::Host& host);
Settings Load(const sdk::Host& host);
void SetEnabled(sdk::Host& host, bool enabled);
void SetModel(sdk::Host& host, const std::string& model);

// GET /config: {enabled, engine, prompt_generation, openai:{...}, automatic1111:{...},
// comfyui:{...}, gemini:{...}} with Open WebUI's upper-case keys.
nlohmann::json ConfigForm(const Settings& s);
// POST /config/update: checks everything (422 as pydantic), then saves it all.
void SaveConfigForm(sdk::Host& host, const nlohmann::json& form);
// POST /image/config/update: {MODEL, IMAGE_SIZE, IMAGE_STEPS}; 400 INCORRECT_FORMAT on a bad
// size or steps. Saves size and steps; returns the model to set.
std::string SaveImageForm(sdk::Host& host, const nlohmann::json& form);

// "512x512" -> (512, 512); nullopt unless it is <digits>x<digits> with both in 1..16384.
std::optional<std::pair<int, int>> ParseSize(std::string_view size);
// Open WebUI's check of IMAGE_SIZE: ^\d+x\d+$, or "auto" with a gpt-image-1 model.
bool SizeAccepted(std::string_view size, std::string_view model);

// ComfyUI's default text-to-image workflow (SD 1.5), the COMFYUI_WORKFLOW default.
const char* DefaultComfyUiWorkflow();
// COMFYUI_WORKFLOW_NODES as stored or sent: an array of {type, key, node_ids, value?} objects;
// anything else becomes [] (the admin page crashes on a non-array).
nlohmann::json NormalizeNodes(const nlohmann::json& value);

}  // namespace webui::images
