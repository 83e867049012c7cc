// The audio plugin's settings: Open WebUI's PersistentConfig keys and env names (config.py), so a
// database made by Open WebUI keeps its audio settings, and the admin form of
// /api/v1/audio/config that reads and writes them; plus the few limits this server adds
// (environment only).
#pragma once

#include <webui_host/sdk.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace webui::audio {

// Engine values as the 0.6.32 admin page sends them.
namespace engines {
inline constexpr std::string_view kOpenAi = "openai";
inline constexpr std::string_view kLocalTts = "transformers";  // espeak-ng here
inline constexpr std::string_view kLocalStt = "";              // pocketsphinx here
inline constexpr std::string_view kBrowserStt = "web";
}  // namespace engines

struct TtsSettings {
  std::string engine, model, voice, split_on, base_url, api_key;
};
struct SttSettings {
  std::string engine, model, base_url, api_key;
  std::vector<std::string> supported_content_types;  // blanks dropped; empty: the defaults
};

// Limits read once at start (environment only).
struct Limits {
  std::uint64_t cache_max_bytes = 256ull << 20;
  std::int64_t max_upload_bytes = 100ll << 20;
  double stt_max_seconds = 600;
  std::int64_t decode_timeout_ms = 60'000;
  std::size_t tts_max_chars = 10'000;
  // Open WebUI's limit for one upload to an OpenAI-compatible STT server (20 MB).
  std::int64_t stt_openai_max_bytes = 20ll << 20;
  std::string pocketsphinx_model_dir = "/usr/share/pocketsphinx/model/en-us";
};

void DeclareSettings(sdk::Host& host);
Limits LoadLimits(const sdk::Host& host);
TtsSettings LoadTts(const sdk::Host& host);
SttSettings LoadStt(const sdk::Host& host);

// GET /config: {tts:{...}, stt:{...}} with Open WebUI's upper-case keys.
nlohmann::json ConfigForm(const sdk::Host& host);
// POST /config/update: every key is required (422 otherwise, as pydantic); saves them all.
void SaveConfigForm(sdk::Host& host, const nlohmann::json& form);

// Open WebUI's MIME rule: the upload's content type must fnmatch one of the configured patterns,
// or, when none is configured, "audio/*" or "video/webm". Parameters ("; codecs=opus") are part
// of the type, as upstream (the patterns end in "*" in practice).
bool ContentTypeAllowed(std::string_view content_type, const std::vector<std::string>& patterns);

// The list as an admin or the env gives it: comma-separated strings, trimmed, blanks dropped.
std::vector<std::string> NormalizeTypes(const nlohmann::json& value);

}  // namespace webui::audio
