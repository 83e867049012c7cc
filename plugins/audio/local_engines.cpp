#include "local_engines.hpp"

#include <espeak-ng/speak_lib.h>
#include <pocketsphinx.h>
#include <sphinxbase/cmn.h>
#include <sphinxbase/feat.h>

#include <cstring>
#include <set>
#include <stdexcept>

namespace webui::audio {
namespace {

// espeak-ng hands synthesised audio to one process-wide callback; the request's buffer travels
// in the event's user_data.
int CollectSamples(short* wav, int count, espeak_EVENT* events) {
  if (wav && count > 0 && events && events->user_data) {
    auto* out = static_cast<std::vector<int16_t>*>(events->user_data);
    out->insert(out->end(), wav, wav + count);
  }
  return 0;  // go on
}

}  // namespace

void Espeak::EnsureStarted() {
  if (started_) return;
  const int rate =
      espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, nullptr, espeakINITIALIZE_DONT_EXIT);
  if (rate <= 0)
    throw std::runtime_error("espeak-ng could not start (is espeak-ng-data installed?)");
  sample_rate_ = rate;
  espeak_SetSynthCallback(&CollectSamples);
  started_ = true;
}

std::pair<std::vector<int16_t>, int> Espeak::Synthesize(const std::string& text,
                                                        const std::string& voice) {
  std::lock_guard<std::mutex> lock(mu_);
  EnsureStarted();
  if (voice.empty() || espeak_SetVoiceByName(voice.c_str()) != EE_OK) espeak_SetVoiceByName("en");
  std::vector<int16_t> samples;
  const espeak_ERROR rc = espeak_Synth(text.c_str(), text.size() + 1, 0, POS_CHARACTER, 0,
                                       espeakCHARS_UTF8, nullptr, &samples);
  if (rc != EE_OK) throw std::runtime_error("espeak-ng failed to synthesise the text");
  return {std::move(samples), sample_rate_};
}

std::vector<std::pair<std::string, std::string>> Espeak::Voices() {
  std::lock_guard<std::mutex> lock(mu_);
  EnsureStarted();
  std::vector<std::pair<std::string, std::string>> out;
  std::set<std::string> seen;
  const espeak_VOICE** list = espeak_ListVoices(nullptr);
  for (size_t i = 0; list && list[i]; ++i) {
    const espeak_VOICE* v = list[i];
    // `languages`: a priority byte, a language name, NUL, ... ; the first one names the voice.
    if (!v->languages || !v->languages[0] || !v->name) continue;
    const std::string id(v->languages + 1);
    if (id.empty() || !seen.insert(id).second) continue;
    std::string name(v->name);
    for (char& c : name)
      if (c == '_') c = ' ';
    out.emplace_back(id, name + " (" + id + ")");
  }
  return out;
}

Pocketsphinx::~Pocketsphinx() {
  if (decoder_) ps_free(static_cast<ps_decoder_t*>(decoder_));
}

std::string Pocketsphinx::Transcribe(const std::vector<int16_t>& samples) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!decoder_) {
    const std::string hmm = model_dir_ + "/en-us";
    const std::string lm = model_dir_ + "/en-us.lm.bin";
    const std::string dict = model_dir_ + "/cmudict-en-us.dict";
    cmd_ln_t* config = cmd_ln_init(nullptr, ps_args(), TRUE, "-hmm", hmm.c_str(), "-lm", lm.c_str(),
                                   "-dict", dict.c_str(), "-logfn", "/dev/null", nullptr);
    if (!config) throw std::runtime_error("pocketsphinx: bad model directory " + model_dir_);
    decoder_ = ps_init(config);
    cmd_ln_free_r(config);  // the decoder keeps its own reference
    if (!decoder_)
      throw std::runtime_error("pocketsphinx could not load its model from " + model_dir_ +
                               " (is pocketsphinx-en-us installed?)");
    static_assert(sizeof(mfcc_t) == sizeof(float), "Debian's sphinxbase uses float features");
    const cmn_t* cmn = ps_get_feat(static_cast<ps_decoder_t*>(decoder_))->cmn_struct;
    initial_mean_.assign(cmn->cmn_mean, cmn->cmn_mean + cmn->veclen);
  }
  auto* ps = static_cast<ps_decoder_t*>(decoder_);
  // Live normalisation carries its running mean from one clip to the next, so a clip's words
  // would depend on the requests before it: every clip starts from the model's initial mean.
  cmn_live_set(ps_get_feat(ps)->cmn_struct, initial_mean_.data());
  if (ps_start_utt(ps) < 0) throw std::runtime_error("pocketsphinx could not start");
  // Half a second of silence on both sides: the decoder normalises each utterance by its
  // mean (CMN), and clips cut right at the first word lose it without a quiet lead-in.
  const std::vector<int16_t> silence(8000, 0);
  auto feed = [&](const std::vector<int16_t>& pcm) {
    // Pieces of a second: the decoder's own buffering is sized for live audio.
    constexpr size_t kPiece = 16000;
    for (size_t at = 0; at < pcm.size(); at += kPiece) {
      const size_t n = std::min(kPiece, pcm.size() - at);
      if (ps_process_raw(ps, pcm.data() + at, n, FALSE, FALSE) < 0) {
        ps_end_utt(ps);
        throw std::runtime_error("pocketsphinx failed on the audio");
      }
    }
  };
  feed(silence);
  feed(samples);
  feed(silence);
  ps_end_utt(ps);
  int32 score = 0;
  const char* hyp = ps_get_hyp(ps, &score);
  return hyp ? std::string(hyp) : std::string();
}

}  // namespace webui::audio
