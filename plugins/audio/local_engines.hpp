// The offline engines: speech from espeak-ng (TTS engine "transformers", the name the 0.6.32
// admin page gives its local engine) and transcription by pocketsphinx with Debian's en-us model
// (STT engine "", upstream's local whisper). Both libraries keep global or per-decoder state that
// is not thread-safe, so each engine serialises its calls behind one mutex: concurrent requests
// queue, they never interleave.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace webui::audio {

class Espeak {
 public:
  // Synthesises `text` with `voice` (an espeak-ng voice or language name such as "en-us"; an
  // unknown one falls back to "en"). Returns mono samples and their rate. Throws
  // std::runtime_error when espeak-ng cannot start (no espeak-ng-data).
  std::pair<std::vector<int16_t>, int> Synthesize(const std::string& text,
                                                  const std::string& voice);
  // (id, display name) of every installed voice, ids unique.
  std::vector<std::pair<std::string, std::string>> Voices();

 private:
  void EnsureStarted();  // under mu_
  std::mutex mu_;
  bool started_ = false;
  int sample_rate_ = 22050;
};

class Pocketsphinx {
 public:
  // `model_dir`: a directory holding en-us/ (the acoustic model), en-us.lm.bin and
  // cmudict-en-us.dict (Debian's pocketsphinx-en-us: /usr/share/pocketsphinx/model/en-us).
  explicit Pocketsphinx(std::string model_dir) : model_dir_(std::move(model_dir)) {}
  ~Pocketsphinx();
  Pocketsphinx(const Pocketsphinx&) = delete;
  Pocketsphinx& operator=(const Pocketsphinx&) = delete;

  // The words heard in 16 kHz mono samples ("" for silence). Throws std::runtime_error when the
  // model cannot be loaded.
  std::string Transcribe(const std::vector<int16_t>& samples);

 private:
  std::string model_dir_;
  std::mutex mu_;
  void* decoder_ = nullptr;  // ps_decoder_t, loaded on first use (a second or so)
  // The decoder's cepstral mean as loaded: every clip starts from it (see Transcribe).
  std::vector<float> initial_mean_;
};

}  // namespace webui::audio
