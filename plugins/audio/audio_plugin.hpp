// The audio plugin: Open WebUI's /api/v1/audio (speech out, speech in, their settings), the
// audio block of /api/config and the transcription.v1 service. An optional module (package
// webui-host-mod-audio); disabled or not installed, these routes answer 404.
#pragma once

#include <webui_host/sdk.hpp>
#include <webui_host/sdk/json.hpp>

#include <memory>
#include <string>
#include <string_view>

#include "local_engines.hpp"
#include "settings.hpp"
#include "speech_cache.hpp"

namespace webui::audio {

// ERROR_MESSAGES.FILE_NOT_SUPPORTED.
inline constexpr const char* kFileNotSupported =
    "Oops! It seems like the file format you're trying to upload is not supported. Please upload "
    "a file with a supported format and try again.";

// Input the engine cannot take (not audio, too long, an engine that takes no files): 400 on the
// route, WH_INVALID through the service. Anything else that fails is the engine's fault.
class BadAudio : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class AudioPlugin : public sdk::Plugin {
 public:
  void Init(sdk::Host& host) override;

  // Speech to text with the configured engine. Throws BadAudio or std::runtime_error.
  std::string Transcribe(const std::string& path, const std::string& language);
  sdk::Host* host() const { return host_; }

 private:
  void AddSpeechRoutes();
  void AddTranscriptionRoutes();
  void AddListRoutes();
  // Open WebUI's has_permission: the default USER_PERMISSIONS, or any group of the user that
  // grants it; admins always pass.
  bool Permitted(const sdk::Caller& caller, const char* chat_permission) const;

  std::string SpeechFromOpenAi(const TtsSettings& tts, nlohmann::json payload);
  std::string SpeechFromEspeak(const TtsSettings& tts, const nlohmann::json& payload);
  std::string TranscribeOpenAi(const SttSettings& stt, const std::string& path,
                               const std::string& language);
  // `extension`: the container's, for the name the file is sent under.
  std::string TranscribeOpenAiBytes(const SttSettings& stt, const std::string& bytes,
                                    const std::string& extension, const std::string& language);

  sdk::Host* host_ = nullptr;
  Limits limits_;
  std::unique_ptr<SpeechCache> cache_;
  Espeak espeak_;
  std::unique_ptr<Pocketsphinx> pocketsphinx_;
};

}  // namespace webui::audio
