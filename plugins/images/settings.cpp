#include "settings.hpp"

#include <webui_host/sdk/json.hpp>

#include <cctype>
#include <charconv>
#include <utility>
#include <vector>

namespace webui::images {
namespace {

using nlohmann::json;

std::string Quoted(std::string_view s) { return json(std::string(s)).dump(); }

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

// ERROR_MESSAGES.INCORRECT_FORMAT(s).
std::string IncorrectFormat(std::string_view s) {
  return "Invalid format. Please use the correct format" + std::string(s);
}

// The persistent keys (config.py of 0.6.32).
namespace key {
constexpr const char* kEnable = "image_generation.enable";
constexpr const char* kEngine = "image_generation.engine";
constexpr const char* kPromptEnable = "image_generation.prompt.enable";
constexpr const char* kModel = "image_generation.model";
constexpr const char* kSize = "image_generation.size";
constexpr const char* kSteps = "image_generation.steps";
constexpr const char* kOpenAiBase = "image_generation.openai.api_base_url";
constexpr const char* kOpenAiVersion = "image_generation.openai.api_version";
constexpr const char* kOpenAiKey = "image_generation.openai.api_key";
constexpr const char* kGeminiBase = "image_generation.gemini.api_base_url";
constexpr const char* kGeminiKey = "image_generation.gemini.api_key";
constexpr const char* kA1111Base = "image_generation.automatic1111.base_url";
constexpr const char* kA1111Auth = "image_generation.automatic1111.api_auth";
constexpr const char* kA1111Cfg = "image_generation.automatic1111.cfg_scale";
constexpr const char* kA1111Sampler = "image_generation.automatic1111.sampler";
constexpr const char* kA1111Scheduler = "image_generation.automatic1111.scheduler";
constexpr const char* kComfyBase = "image_generation.comfyui.base_url";
constexpr const char* kComfyKey = "image_generation.comfyui.api_key";
constexpr const char* kComfyWorkflow = "image_generation.comfyui.workflow";
constexpr const char* kComfyNodes = "image_generation.comfyui.nodes";
}  // namespace key

std::string Str(const sdk::Host& host, const char* k) {
  return sdk::Setting<std::string>(host, k, "");
}

json Raw(const sdk::Host& host, const char* k) {
  auto text = host.ConfigJson(k);
  if (!text) return nullptr;
  return sdk::json::Parse(*text).value_or(json(nullptr));
}

const json& RequiredObject(const json& form, const char* name) {
  auto it = form.find(name);
  if (it == form.end()) throw sdk::Unprocessable("missing", name, "Field required");
  if (!it->is_object())
    throw sdk::Unprocessable("model_attributes_type", name, "Input should be a valid dictionary");
  return *it;
}

using sdk::RequiredString;

bool RequiredBool(const json& form, const char* field) {
  auto it = form.find(field);
  if (it == form.end()) throw sdk::Unprocessable("missing", field, "Field required");
  if (!it->is_boolean())
    throw sdk::Unprocessable("bool_type", field, "Input should be a valid boolean");
  return it->get<bool>();
}

// An Optional[str] field: null, or a string ("" becomes null, as upstream).
json OptionalString(const json& section, const char* field) {
  auto it = section.find(field);
  if (it == section.end() || it->is_null()) return nullptr;
  if (!it->is_string())
    throw sdk::Unprocessable("string_type", field, "Input should be a valid string");
  return it->get<std::string>().empty() ? json(nullptr) : *it;
}

// AUTOMATIC1111_CFG_SCALE: a number, a numeric string, or null/"" (null).
json CfgScale(const json& section) {
  auto it = section.find("AUTOMATIC1111_CFG_SCALE");
  if (it == section.end() || it->is_null()) return nullptr;
  if (it->is_number()) return it->get<double>();
  if (it->is_string()) {
    const std::string t = Trim(it->get<std::string>());
    if (t.empty()) return nullptr;
    try {
      size_t used = 0;
      const double v = std::stod(t, &used);
      if (used == t.size()) return v;
    } catch (...) {
    }
  }
  throw sdk::Unprocessable("float_parsing", "AUTOMATIC1111_CFG_SCALE",
                           "Input should be a valid number");
}

std::int64_t EnvInt(const sdk::Host& host, const char* name, std::int64_t fallback,
                    std::int64_t min) {
  auto v = host.Env(name);
  if (!v || Trim(*v).empty()) return fallback;
  const std::string t = Trim(*v);
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
  if (ec != std::errc() || end != t.data() + t.size() || n < min)
    throw sdk::Error(WH_INVALID, std::string(name) + ": expected an integer >= " +
                                     std::to_string(min) + ", got '" + t + "'");
  return n;
}

}  // namespace

void DeclareSettings(sdk::Host& host) {
  // IMAGES_OPENAI_* and IMAGES_GEMINI_* default to the general variables, as config.py.
  const std::string openai_base =
      host.Env("OPENAI_API_BASE_URL").value_or("https://api.openai.com/v1");
  const std::string openai_key = host.Env("OPENAI_API_KEY").value_or("");
  const std::string gemini_base = host.Env("GEMINI_API_BASE_URL").value_or("");
  const std::string gemini_key = host.Env("GEMINI_API_KEY").value_or("");
  host.DeclareConfig(key::kEnable, "ENABLE_IMAGE_GENERATION", "false");
  host.DeclareConfig(key::kEngine, "IMAGE_GENERATION_ENGINE", Quoted(engines::kOpenAi));
  host.DeclareConfig(key::kPromptEnable, "ENABLE_IMAGE_PROMPT_GENERATION", "true");
  host.DeclareConfig(key::kModel, "IMAGE_GENERATION_MODEL", Quoted(""));
  host.DeclareConfig(key::kSize, "IMAGE_SIZE", Quoted("512x512"));
  host.DeclareConfig(key::kSteps, "IMAGE_STEPS", "50");
  host.DeclareConfig(key::kOpenAiBase, "IMAGES_OPENAI_API_BASE_URL", Quoted(openai_base));
  host.DeclareConfig(key::kOpenAiVersion, "IMAGES_OPENAI_API_VERSION", Quoted(""));
  host.DeclareConfig(key::kOpenAiKey, "IMAGES_OPENAI_API_KEY", Quoted(openai_key));
  host.DeclareConfig(key::kGeminiBase, "IMAGES_GEMINI_API_BASE_URL", Quoted(gemini_base));
  host.DeclareConfig(key::kGeminiKey, "IMAGES_GEMINI_API_KEY", Quoted(gemini_key));
  host.DeclareConfig(key::kA1111Base, "AUTOMATIC1111_BASE_URL", Quoted(""));
  host.DeclareConfig(key::kA1111Auth, "AUTOMATIC1111_API_AUTH", Quoted(""));
  // Untyped (null) defaults: the env value is taken as JSON when it parses, else as a string.
  host.DeclareConfig(key::kA1111Cfg, "AUTOMATIC1111_CFG_SCALE", "null");
  host.DeclareConfig(key::kA1111Sampler, "AUTOMATIC1111_SAMPLER", "null");
  host.DeclareConfig(key::kA1111Scheduler, "AUTOMATIC1111_SCHEDULER", "null");
  host.DeclareConfig(key::kComfyBase, "COMFYUI_BASE_URL", Quoted(""));
  host.DeclareConfig(key::kComfyKey, "COMFYUI_API_KEY", Quoted(""));
  host.DeclareConfig(key::kComfyWorkflow, "COMFYUI_WORKFLOW", Quoted(DefaultComfyUiWorkflow()));
  // Upstream reads no working env var here (it passes "COMFYUI_WORKFLOW" by mistake); this
  // server reads COMFYUI_WORKFLOW_NODES, a JSON array.
  host.DeclareConfig(key::kComfyNodes, "COMFYUI_WORKFLOW_NODES", "[]");
}

Limits LoadLimits(const sdk::Host& host) {
  Limits l;
  l.max_image_bytes = static_cast<std::size_t>(
      EnvInt(host, "WEBUI_IMAGES_MAX_BYTES", static_cast<std::int64_t>(l.max_image_bytes), 1024));
  l.comfyui_timeout_ms =
      EnvInt(host, "WEBUI_IMAGES_COMFYUI_TIMEOUT", l.comfyui_timeout_ms / 1000, 1) * 1000;
  l.engine_timeout_ms =
      EnvInt(host, "WEBUI_IMAGES_ENGINE_TIMEOUT", l.engine_timeout_ms / 1000, 1) * 1000;
  l.max_n = EnvInt(host, "WEBUI_IMAGES_MAX_N", l.max_n, 1);
  return l;
}

Settings Load(const sdk::Host& host) {
  Settings s;
  s.enabled = sdk::Setting<bool>(host, key::kEnable, false);
  s.prompt_generation = sdk::Setting<bool>(host, key::kPromptEnable, true);
  s.engine = Str(host, key::kEngine);
  s.model = Str(host, key::kModel);
  s.size = Str(host, key::kSize);
  const json steps = Raw(host, key::kSteps);
  if (steps.is_number_integer()) s.steps = steps.get<std::int64_t>();
  s.openai_base_url = Str(host, key::kOpenAiBase);
  s.openai_api_version = Str(host, key::kOpenAiVersion);
  s.openai_api_key = Str(host, key::kOpenAiKey);
  s.gemini_base_url = Str(host, key::kGeminiBase);
  s.gemini_api_key = Str(host, key::kGeminiKey);
  s.a1111_base_url = Str(host, key::kA1111Base);
  s.a1111_api_auth = Str(host, key::kA1111Auth);
  s.a1111_cfg_scale = Raw(host, key::kA1111Cfg);
  s.a1111_sampler = Raw(host, key::kA1111Sampler);
  s.a1111_scheduler = Raw(host, key::kA1111Scheduler);
  s.comfyui_base_url = Str(host, key::kComfyBase);
  s.comfyui_api_key = Str(host, key::kComfyKey);
  s.comfyui_workflow = Str(host, key::kComfyWorkflow);
  s.comfyui_nodes = NormalizeNodes(Raw(host, key::kComfyNodes));
  return s;
}

void SetEnabled(sdk::Host& host, bool enabled) {
  host.SetConfig(key::kEnable, enabled ? "true" : "false");
}

void SetModel(sdk::Host& host, const std::string& model) {
  host.SetConfig(key::kModel, Quoted(model));
}

json ConfigForm(const Settings& s) {
  return {{"enabled", s.enabled},
          {"engine", s.engine},
          {"prompt_generation", s.prompt_generation},
          {"openai",
           {{"OPENAI_API_BASE_URL", s.openai_base_url},
            {"OPENAI_API_VERSION", s.openai_api_version},
            {"OPENAI_API_KEY", s.openai_api_key}}},
          {"automatic1111",
           {{"AUTOMATIC1111_BASE_URL", s.a1111_base_url},
            {"AUTOMATIC1111_API_AUTH", s.a1111_api_auth},
            {"AUTOMATIC1111_CFG_SCALE", s.a1111_cfg_scale},
            {"AUTOMATIC1111_SAMPLER", s.a1111_sampler},
            {"AUTOMATIC1111_SCHEDULER", s.a1111_scheduler}}},
          {"comfyui",
           {{"COMFYUI_BASE_URL", s.comfyui_base_url},
            {"COMFYUI_API_KEY", s.comfyui_api_key},
            {"COMFYUI_WORKFLOW", s.comfyui_workflow},
            {"COMFYUI_WORKFLOW_NODES", s.comfyui_nodes}}},
          {"gemini",
           {{"GEMINI_API_BASE_URL", s.gemini_base_url}, {"GEMINI_API_KEY", s.gemini_api_key}}}};
}

void SaveConfigForm(sdk::Host& host, const json& form) {
  if (!form.is_object())
    throw sdk::Unprocessable("model_attributes_type", "body", "Input should be a valid dictionary");
  // Check everything before writing anything: a 422 leaves the settings as they were.
  std::vector<std::pair<const char*, std::string>> writes;
  writes.emplace_back(key::kEnable, RequiredBool(form, "enabled") ? "true" : "false");
  writes.emplace_back(key::kEngine, Quoted(RequiredString(form, "engine")));
  writes.emplace_back(key::kPromptEnable,
                      RequiredBool(form, "prompt_generation") ? "true" : "false");
  const json& openai = RequiredObject(form, "openai");
  writes.emplace_back(key::kOpenAiBase, Quoted(RequiredString(openai, "OPENAI_API_BASE_URL")));
  writes.emplace_back(key::kOpenAiVersion, Quoted(RequiredString(openai, "OPENAI_API_VERSION")));
  writes.emplace_back(key::kOpenAiKey, Quoted(RequiredString(openai, "OPENAI_API_KEY")));
  const json& a1111 = RequiredObject(form, "automatic1111");
  writes.emplace_back(key::kA1111Base, Quoted(RequiredString(a1111, "AUTOMATIC1111_BASE_URL")));
  writes.emplace_back(key::kA1111Auth, Quoted(RequiredString(a1111, "AUTOMATIC1111_API_AUTH")));
  writes.emplace_back(key::kA1111Cfg, CfgScale(a1111).dump());
  writes.emplace_back(key::kA1111Sampler, OptionalString(a1111, "AUTOMATIC1111_SAMPLER").dump());
  writes.emplace_back(key::kA1111Scheduler,
                      OptionalString(a1111, "AUTOMATIC1111_SCHEDULER").dump());
  const json& comfy = RequiredObject(form, "comfyui");
  std::string comfy_base = RequiredString(comfy, "COMFYUI_BASE_URL");
  // Python's str.strip('/'): both ends.
  while (!comfy_base.empty() && comfy_base.back() == '/') comfy_base.pop_back();
  while (!comfy_base.empty() && comfy_base.front() == '/') comfy_base.erase(0, 1);
  writes.emplace_back(key::kComfyBase, Quoted(comfy_base));
  writes.emplace_back(key::kComfyKey, Quoted(RequiredString(comfy, "COMFYUI_API_KEY")));
  const std::string workflow = RequiredString(comfy, "COMFYUI_WORKFLOW");
  writes.emplace_back(key::kComfyWorkflow, Quoted(workflow));
  auto nodes = comfy.find("COMFYUI_WORKFLOW_NODES");
  if (nodes == comfy.end())
    throw sdk::Unprocessable("missing", "COMFYUI_WORKFLOW_NODES", "Field required");
  if (!nodes->is_array())
    throw sdk::Unprocessable("list_type", "COMFYUI_WORKFLOW_NODES", "Input should be a valid list");
  for (const json& n : *nodes)
    if (!n.is_object())
      throw sdk::Unprocessable("dict_type", "COMFYUI_WORKFLOW_NODES",
                               "Input should be a valid dictionary");
  writes.emplace_back(key::kComfyNodes, NormalizeNodes(*nodes).dump());
  const json& gemini = RequiredObject(form, "gemini");
  writes.emplace_back(key::kGeminiBase, Quoted(RequiredString(gemini, "GEMINI_API_BASE_URL")));
  writes.emplace_back(key::kGeminiKey, Quoted(RequiredString(gemini, "GEMINI_API_KEY")));
  for (const auto& [k, value] : writes) host.SetConfig(k, value);
}

std::string SaveImageForm(sdk::Host& host, const json& form) {
  if (!form.is_object())
    throw sdk::Unprocessable("model_attributes_type", "body", "Input should be a valid dictionary");
  const std::string model = RequiredString(form, "MODEL");
  const std::string size = RequiredString(form, "IMAGE_SIZE");
  auto steps = form.find("IMAGE_STEPS");
  if (steps == form.end()) throw sdk::Unprocessable("missing", "IMAGE_STEPS", "Field required");
  if (!steps->is_number_integer())
    throw sdk::Unprocessable("int_type", "IMAGE_STEPS", "Input should be a valid integer");
  if (size == "auto" && model != "gpt-image-1")
    throw sdk::BadRequest(IncorrectFormat("  (auto is only allowed with gpt-image-1)."));
  if (!SizeAccepted(size, model)) throw sdk::BadRequest(IncorrectFormat("  (e.g., 512x512)."));
  if (steps->get<std::int64_t>() < 0) throw sdk::BadRequest(IncorrectFormat("  (e.g., 50)."));
  host.SetConfig(key::kSize, Quoted(size));
  host.SetConfig(key::kSteps, std::to_string(steps->get<std::int64_t>()));
  return model;
}

std::optional<std::pair<int, int>> ParseSize(std::string_view size) {
  const size_t x = size.find('x');
  if (x == std::string_view::npos || x == 0 || x + 1 >= size.size()) return std::nullopt;
  auto number = [](std::string_view digits) -> std::optional<int> {
    if (digits.size() > 6) return std::nullopt;
    int v = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + (c - '0');
    }
    if (v < 1 || v > 16384) return std::nullopt;
    return v;
  };
  auto w = number(size.substr(0, x));
  auto h = number(size.substr(x + 1));
  if (!w || !h) return std::nullopt;
  return std::make_pair(*w, *h);
}

bool SizeAccepted(std::string_view size, std::string_view model) {
  if (size == "auto") return model.find("gpt-image-1") != std::string_view::npos;
  return ParseSize(size).has_value();
}

json NormalizeNodes(const json& value) {
  json out = json::array();
  if (!value.is_array()) return out;
  for (const json& n : value)
    if (n.is_object()) out.push_back(n);
  return out;
}

const char* DefaultComfyUiWorkflow() {
  // ComfyUI's own example text-to-image graph ("API format"): ids as strings, each node's
  // class_type and inputs; links are [node id, output index].
  return R"wf({
  "3": {"inputs": {"seed": 0, "steps": 20, "cfg": 8, "sampler_name": "euler", "scheduler": "normal", "denoise": 1, "model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0]}, "class_type": "KSampler", "_meta": {"title": "KSampler"}},
  "4": {"inputs": {"ckpt_name": "model.safetensors"}, "class_type": "CheckpointLoaderSimple", "_meta": {"title": "Load Checkpoint"}},
  "5": {"inputs": {"width": 512, "height": 512, "batch_size": 1}, "class_type": "EmptyLatentImage", "_meta": {"title": "Empty Latent Image"}},
  "6": {"inputs": {"text": "Prompt", "clip": ["4", 1]}, "class_type": "CLIPTextEncode", "_meta": {"title": "CLIP Text Encode (Prompt)"}},
  "7": {"inputs": {"text": "", "clip": ["4", 1]}, "class_type": "CLIPTextEncode", "_meta": {"title": "CLIP Text Encode (Prompt)"}},
  "8": {"inputs": {"samples": ["3", 0], "vae": ["4", 2]}, "class_type": "VAEDecode", "_meta": {"title": "VAE Decode"}},
  "9": {"inputs": {"filename_prefix": "ComfyUI", "images": ["8", 0]}, "class_type": "SaveImage", "_meta": {"title": "Save Image"}}
}
)wf";
}

}  // namespace webui::images
