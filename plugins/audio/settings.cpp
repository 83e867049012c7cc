#include "settings.hpp"

#include <webui_host/sdk/json.hpp>

#include <fnmatch.h>

#include <cctype>
#include <cmath>

namespace webui::audio {
namespace {

using nlohmann::json;

std::string Quoted(std::string_view s) { return json(std::string(s)).dump(); }

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// One form field: (the admin form's key, the persistent key, its env name, its default).
struct Field {
  const char* form;
  const char* key;
  const char* env;
  const char* fallback;
};

// Open WebUI's order (config.py / routers/audio.py). The OPENAI ones default to the
// OPENAI_API_* variables, filled in by DeclareSettings.
constexpr Field kTts[] = {
    {"OPENAI_API_BASE_URL", "audio.tts.openai.api_base_url", "AUDIO_TTS_OPENAI_API_BASE_URL", ""},
    {"OPENAI_API_KEY", "audio.tts.openai.api_key", "AUDIO_TTS_OPENAI_API_KEY", ""},
    {"API_KEY", "audio.tts.api_key", "AUDIO_TTS_API_KEY", ""},
    {"ENGINE", "audio.tts.engine", "AUDIO_TTS_ENGINE", ""},
    {"MODEL", "audio.tts.model", "AUDIO_TTS_MODEL", "tts-1"},
    {"VOICE", "audio.tts.voice", "AUDIO_TTS_VOICE", "alloy"},
    {"SPLIT_ON", "audio.tts.split_on", "AUDIO_TTS_SPLIT_ON", "punctuation"},
    {"AZURE_SPEECH_REGION", "audio.tts.azure.speech_region", "AUDIO_TTS_AZURE_SPEECH_REGION", ""},
    {"AZURE_SPEECH_BASE_URL", "audio.tts.azure.speech_base_url", "AUDIO_TTS_AZURE_SPEECH_BASE_URL",
     ""},
    {"AZURE_SPEECH_OUTPUT_FORMAT", "audio.tts.azure.speech_output_format",
     "AUDIO_TTS_AZURE_SPEECH_OUTPUT_FORMAT", "audio-24khz-160kbitrate-mono-mp3"},
};
constexpr const char* kSupportedTypesKey = "audio.stt.supported_content_types";
constexpr Field kStt[] = {
    {"OPENAI_API_BASE_URL", "audio.stt.openai.api_base_url", "AUDIO_STT_OPENAI_API_BASE_URL", ""},
    {"OPENAI_API_KEY", "audio.stt.openai.api_key", "AUDIO_STT_OPENAI_API_KEY", ""},
    {"ENGINE", "audio.stt.engine", "AUDIO_STT_ENGINE", ""},
    {"MODEL", "audio.stt.model", "AUDIO_STT_MODEL", ""},
    // SUPPORTED_CONTENT_TYPES (a list) sits here in the form; handled apart.
    {"WHISPER_MODEL", "audio.stt.whisper_model", "WHISPER_MODEL", "base"},
    {"DEEPGRAM_API_KEY", "audio.stt.deepgram.api_key", "DEEPGRAM_API_KEY", ""},
    {"AZURE_API_KEY", "audio.stt.azure.api_key", "AUDIO_STT_AZURE_API_KEY", ""},
    {"AZURE_REGION", "audio.stt.azure.region", "AUDIO_STT_AZURE_REGION", ""},
    {"AZURE_LOCALES", "audio.stt.azure.locales", "AUDIO_STT_AZURE_LOCALES", ""},
    {"AZURE_BASE_URL", "audio.stt.azure.base_url", "AUDIO_STT_AZURE_BASE_URL", ""},
    {"AZURE_MAX_SPEAKERS", "audio.stt.azure.max_speakers", "AUDIO_STT_AZURE_MAX_SPEAKERS", ""},
};

std::string Str(const sdk::Host& host, const char* key) {
  return sdk::Setting<std::string>(host, key, "");
}

json Section(const sdk::Host& host, const Field* begin, const Field* end) {
  json out = json::object();
  for (const Field* f = begin; f != end; ++f) out[f->form] = Str(host, f->key);
  return out;
}

const json& RequiredObject(const json& form, const char* name) {
  auto it = form.find(name);
  if (it == form.end()) throw sdk::Unprocessable("missing", name, "Field required");
  if (!it->is_object())
    throw sdk::Unprocessable("model_attributes_type", name, "Input should be a valid dictionary");
  return *it;
}

std::string RequiredString(const json& section, const char* field) {
  auto it = section.find(field);
  if (it == section.end()) throw sdk::Unprocessable("missing", field, "Field required");
  if (!it->is_string())
    throw sdk::Unprocessable("string_type", field, "Input should be a valid string");
  return it->get<std::string>();
}

std::int64_t EnvInt(const sdk::Host& host, const char* name, std::int64_t fallback,
                    std::int64_t min) {
  auto v = host.Env(name);
  if (!v || Trim(*v).empty()) return fallback;
  const std::string t = Trim(*v);
  size_t used = 0;
  long long n = 0;
  try {
    n = std::stoll(t, &used);
  } catch (...) {
    used = 0;
  }
  if (used != t.size() || n < min)
    throw sdk::Error(WH_INVALID, std::string(name) + ": expected an integer >= " +
                                     std::to_string(min) + ", got '" + t + "'");
  return n;
}

}  // namespace

void DeclareSettings(sdk::Host& host) {
  const std::string openai_base =
      host.Env("OPENAI_API_BASE_URL").value_or("https://api.openai.com/v1");
  const std::string openai_key = host.Env("OPENAI_API_KEY").value_or("");
  auto declare = [&](const Field& f) {
    std::string fallback = f.fallback;
    if (std::string_view(f.form) == "OPENAI_API_BASE_URL") fallback = openai_base;
    if (std::string_view(f.form) == "OPENAI_API_KEY") fallback = openai_key;
    host.DeclareConfig(f.key, f.env, Quoted(fallback));
  };
  for (const Field& f : kTts) declare(f);
  for (const Field& f : kStt) declare(f);
  host.DeclareConfig(kSupportedTypesKey, "AUDIO_STT_SUPPORTED_CONTENT_TYPES", "[]");
}

Limits LoadLimits(const sdk::Host& host) {
  Limits l;
  l.cache_max_bytes = static_cast<std::uint64_t>(
      EnvInt(host, "WEBUI_AUDIO_CACHE_MAX_BYTES", static_cast<std::int64_t>(l.cache_max_bytes), 0));
  l.max_upload_bytes = EnvInt(host, "WEBUI_AUDIO_MAX_UPLOAD_BYTES", l.max_upload_bytes, 1);
  l.stt_max_seconds = static_cast<double>(
      EnvInt(host, "WEBUI_AUDIO_STT_MAX_SECONDS", static_cast<std::int64_t>(l.stt_max_seconds), 1));
  l.decode_timeout_ms =
      EnvInt(host, "WEBUI_AUDIO_DECODE_TIMEOUT", l.decode_timeout_ms / 1000, 1) * 1000;
  l.tts_max_chars = static_cast<std::size_t>(
      EnvInt(host, "WEBUI_AUDIO_TTS_MAX_CHARS", static_cast<std::int64_t>(l.tts_max_chars), 1));
  l.stt_openai_max_bytes =
      EnvInt(host, "WEBUI_AUDIO_STT_OPENAI_MAX_BYTES", l.stt_openai_max_bytes, 1024);
  if (auto dir = host.Env("WEBUI_AUDIO_POCKETSPHINX_MODEL_DIR"); dir && !Trim(*dir).empty())
    l.pocketsphinx_model_dir = Trim(*dir);
  return l;
}

TtsSettings LoadTts(const sdk::Host& host) {
  TtsSettings t;
  t.engine = Str(host, "audio.tts.engine");
  t.model = Str(host, "audio.tts.model");
  t.voice = Str(host, "audio.tts.voice");
  t.split_on = Str(host, "audio.tts.split_on");
  t.base_url = Str(host, "audio.tts.openai.api_base_url");
  t.api_key = Str(host, "audio.tts.openai.api_key");
  return t;
}

SttSettings LoadStt(const sdk::Host& host) {
  SttSettings s;
  s.engine = Str(host, "audio.stt.engine");
  s.model = Str(host, "audio.stt.model");
  s.base_url = Str(host, "audio.stt.openai.api_base_url");
  s.api_key = Str(host, "audio.stt.openai.api_key");
  s.supported_content_types =
      NormalizeTypes(sdk::Setting<json>(host, kSupportedTypesKey, json::array()));
  return s;
}

json ConfigForm(const sdk::Host& host) {
  json tts = Section(host, std::begin(kTts), std::end(kTts));
  json stt = Section(host, std::begin(kStt), std::end(kStt));
  stt["SUPPORTED_CONTENT_TYPES"] =
      NormalizeTypes(sdk::Setting<json>(host, kSupportedTypesKey, json::array()));
  return {{"tts", std::move(tts)}, {"stt", std::move(stt)}};
}

void SaveConfigForm(sdk::Host& host, const json& form) {
  const json& tts = RequiredObject(form, "tts");
  const json& stt = RequiredObject(form, "stt");
  // Check everything before writing anything: a 422 leaves the settings as they were.
  std::vector<std::pair<const char*, std::string>> writes;
  for (const Field& f : kTts) writes.emplace_back(f.key, Quoted(RequiredString(tts, f.form)));
  for (const Field& f : kStt) writes.emplace_back(f.key, Quoted(RequiredString(stt, f.form)));
  auto types = stt.find("SUPPORTED_CONTENT_TYPES");
  if (types == stt.end())
    throw sdk::Unprocessable("missing", "SUPPORTED_CONTENT_TYPES", "Field required");
  if (!types->is_array())
    throw sdk::Unprocessable("list_type", "SUPPORTED_CONTENT_TYPES",
                             "Input should be a valid list");
  for (const json& t : *types)
    if (!t.is_string())
      throw sdk::Unprocessable("string_type", "SUPPORTED_CONTENT_TYPES",
                               "Input should be a valid string");
  writes.emplace_back(kSupportedTypesKey, json(NormalizeTypes(*types)).dump());
  for (const auto& [key, value] : writes) host.SetConfig(key, value);
}

std::vector<std::string> NormalizeTypes(const json& value) {
  std::vector<std::string> out;
  auto add = [&](std::string_view text) {
    size_t start = 0;
    while (start <= text.size()) {
      const size_t comma = text.find(',', start);
      const std::string part =
          Trim(text.substr(start, comma == std::string_view::npos ? text.npos : comma - start));
      if (!part.empty()) out.push_back(part);
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
  };
  if (value.is_string()) add(value.get<std::string>());
  if (value.is_array())
    for (const json& v : value)
      if (v.is_string()) add(v.get<std::string>());
  return out;
}

bool ContentTypeAllowed(std::string_view content_type, const std::vector<std::string>& patterns) {
  static const std::vector<std::string> kDefaults = {"audio/*", "video/webm"};
  const std::string type = Lower(Trim(content_type));
  if (type.empty()) return false;
  for (const std::string& p : patterns.empty() ? kDefaults : patterns)
    if (::fnmatch(Lower(p).c_str(), type.c_str(), 0) == 0) return true;
  return false;
}

}  // namespace webui::audio
