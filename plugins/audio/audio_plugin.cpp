#include "audio_plugin.hpp"

#include <webui_host/services/transcription.h>
#include <webui_host/sdk/users.hpp>

#include "media.hpp"

namespace webui::audio {

using nlohmann::json;
using sdk::Auth;
using sdk::Request;
using sdk::Response;

namespace {

std::string CacheDir(const sdk::Host& host) {
  if (auto v = host.Env("CACHE_DIR"); v && !v->empty()) return *v;
  auto data_dir = host.Env("DATA_DIR");
  return (data_dir && !data_dir->empty() ? *data_dir : std::string("./data")) + "/cache";
}

bool Grants(const json& permissions, const char* chat_permission) {
  if (!permissions.is_object()) return false;
  auto chat = permissions.find("chat");
  if (chat == permissions.end() || !chat->is_object()) return false;
  auto it = chat->find(chat_permission);
  return it != chat->end() && it->is_boolean() && it->get<bool>();
}

// transcription.v1 -----------------------------------------------------------------------------
void WriteText(wh_str_sink sink, void* sink_user, std::string_view text) {
  if (sink) sink(sink_user, sdk::ToWh(text));
}

wh_status TranscribeService(void* self, wh_str path, wh_str content_type, wh_str language,
                            wh_str_sink sink, void* sink_user) {
  auto* plugin = static_cast<AudioPlugin*>(self);
  try {
    const SttSettings stt = LoadStt(*plugin->host());
    if (!ContentTypeAllowed(sdk::FromWh(content_type), stt.supported_content_types)) {
      WriteText(sink, sink_user, kFileNotSupported);
      return WH_INVALID;
    }
    const std::string file(sdk::FromWh(path));
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) {
      WriteText(sink, sink_user, "no such file");
      return WH_NOT_FOUND;
    }
    WriteText(sink, sink_user, plugin->Transcribe(file, std::string(sdk::FromWh(language))));
    return WH_OK;
  } catch (const BadAudio& e) {
    WriteText(sink, sink_user, e.what());
    return WH_INVALID;
  } catch (const std::exception& e) {
    WriteText(sink, sink_user, e.what());
    return WH_UNAVAILABLE;
  } catch (...) {
    return WH_ERROR;
  }
}

const wh_transcription_v1 kTranscriptionVtable = {
    sizeof(wh_transcription_v1), &TranscribeService, {}};

}  // namespace

void AudioPlugin::Init(sdk::Host& host) {
  host_ = &host;
  QuietMediaLogs();
  DeclareSettings(host);
  limits_ = LoadLimits(host);
  cache_ = std::make_unique<SpeechCache>(std::filesystem::path(CacheDir(host)) / "audio" / "speech",
                                         limits_.cache_max_bytes);
  pocketsphinx_ = std::make_unique<Pocketsphinx>(limits_.pocketsphinx_model_dir);

  host.Route("GET", "/api/v1/audio/config", Auth::kAdmin,
             [this](Request&, Response& res) { sdk::Reply(res, ConfigForm(*host_)); });
  host.Route("POST", "/api/v1/audio/config/update", Auth::kAdmin,
             [this](Request& req, Response& res) {
               SaveConfigForm(*host_, sdk::JsonBody(req));
               sdk::Reply(res, ConfigForm(*host_));
             });
  AddSpeechRoutes();
  AddTranscriptionRoutes();
  AddListRoutes();

  // What the chat page reads: the read-aloud button and the microphone (signed-in callers only,
  // as Open WebUI; ui_defaults answers the same block while this module is off).
  sdk::OfferApiConfigJson(host, [this](Request& req) {
    if (!req.GetCaller()) return json::object();
    const TtsSettings tts = LoadTts(*host_);
    const SttSettings stt = LoadStt(*host_);
    return json{
        {"audio",
         {{"tts", {{"engine", tts.engine}, {"voice", tts.voice}, {"split_on", tts.split_on}}},
          {"stt", {{"engine", stt.engine}}}}}};
  });

  host.OfferService(WH_SERVICE_TRANSCRIPTION_V1, &kTranscriptionVtable, this);
}

bool AudioPlugin::Permitted(const sdk::Caller& caller, const char* chat_permission) const {
  if (caller.IsAdmin()) return true;
  const json defaults = sdk::Setting<json>(*host_, "user.permissions", json::object());
  // USER_PERMISSIONS_CHAT_* default to true: a missing entry allows.
  const auto chat = defaults.find("chat");
  if (chat == defaults.end() || !chat->is_object() || !chat->contains(chat_permission) ||
      Grants(defaults, chat_permission))
    return true;
  try {
    sdk::Groups groups(*host_);
    for (const json& id : groups.GroupsOf(caller.id)) {
      if (!id.is_string()) continue;
      auto group = groups.Get(id.get<std::string>());
      if (group && Grants(group->value("permissions", json::object()), chat_permission))
        return true;
    }
  } catch (const sdk::Error& e) {
    if (e.status() != WH_NOT_FOUND) throw;  // an outage is a 503, never a silent yes or no
  }
  return false;
}

}  // namespace webui::audio

WEBUI_HOST_PLUGIN(webui::audio::AudioPlugin, "audio", "1.0.0",
                  "Speech in and out: /api/v1/audio with espeak-ng and pocketsphinx offline");
