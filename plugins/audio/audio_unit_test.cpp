// The speech cache (LRU within its byte cap, rebuilt from its directory), Open WebUI's MIME rule,
// the content-type list as the admin form sends it, and the local engines end to end (espeak-ng
// speaks, libmp3lame encodes, libavformat decodes, pocketsphinx hears).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "local_engines.hpp"
#include "media.hpp"
#include "settings.hpp"
#include "speech_cache.hpp"

namespace webui::audio {
namespace {

namespace fs = std::filesystem;

fs::path FreshDir(const std::string& tag) {
  fs::path p = fs::temp_directory_path() / ("wh-audio-" + tag + "-" + std::to_string(::getpid()) +
                                            "-" + std::to_string(std::rand()));
  fs::remove_all(p);
  return p;
}

std::string Key(int i) { return SpeechCache::Key("body" + std::to_string(i), "openai", "m", "u"); }

TEST(SpeechCache, KeyCoversEngineModelAndBaseUrl) {
  const std::string k = SpeechCache::Key("{}", "openai", "tts-1", "http://a");
  EXPECT_EQ(k.size(), 64u);
  EXPECT_EQ(k, SpeechCache::Key("{}", "openai", "tts-1", "http://a"));
  EXPECT_NE(k, SpeechCache::Key("{}", "openai", "tts-1", "http://b"));
  EXPECT_NE(k, SpeechCache::Key("{}", "openai", "tts-1-hd", "http://a"));
  EXPECT_NE(k, SpeechCache::Key("{}", "transformers", "tts-1", "http://a"));
  // Field boundaries count: moving a character across fields changes the key.
  EXPECT_NE(SpeechCache::Key("ab", "c", "", ""), SpeechCache::Key("a", "bc", "", ""));
}

TEST(SpeechCache, EvictsTheLeastRecentlyUsedBeyondTheCap) {
  const fs::path dir = FreshDir("lru");
  SpeechCache cache(dir, 250);
  cache.Put(Key(1), std::string(100, 'a'));
  cache.Put(Key(2), std::string(100, 'b'));
  ASSERT_TRUE(cache.Get(Key(1)));  // 1 is now more recent than 2
  cache.Put(Key(3), std::string(100, 'c'));
  EXPECT_FALSE(cache.Get(Key(2)));
  EXPECT_FALSE(fs::exists(dir / (Key(2) + ".mp3")));
  EXPECT_EQ(*cache.Get(Key(1)), std::string(100, 'a'));
  EXPECT_EQ(*cache.Get(Key(3)), std::string(100, 'c'));
  EXPECT_EQ(cache.total_bytes(), 200u);
  // Larger than the whole cap: served, not kept.
  cache.Put(Key(4), std::string(300, 'd'));
  EXPECT_FALSE(cache.Get(Key(4)));
  EXPECT_EQ(cache.entries(), 2u);
  fs::remove_all(dir);
}

TEST(SpeechCache, RebuildsFromTheDirectoryAndDropsLeftovers) {
  const fs::path dir = FreshDir("rebuild");
  {
    SpeechCache cache(dir, 1000);
    cache.Put(Key(1), "one");
    cache.Put(Key(2), "two");
  }
  std::ofstream(dir / (Key(3) + ".tmp.1.2")) << "half";
  std::ofstream(dir / "not-a-key.mp3") << "x";
  SpeechCache again(dir, 1000);
  EXPECT_EQ(again.entries(), 2u);
  EXPECT_EQ(*again.Get(Key(2)), "two");
  EXPECT_FALSE(fs::exists(dir / (Key(3) + ".tmp.1.2")));
  // A smaller cap at start evicts at once.
  SpeechCache smaller(dir, 3);
  EXPECT_EQ(smaller.entries(), 1u);
  fs::remove_all(dir);
}

TEST(ContentTypes, OpenWebUisFnmatchRuleWithItsDefaults) {
  const std::vector<std::string> none;
  EXPECT_TRUE(ContentTypeAllowed("audio/wav", none));
  EXPECT_TRUE(ContentTypeAllowed("audio/webm; codecs=opus", none));
  EXPECT_TRUE(ContentTypeAllowed("video/webm", none));
  EXPECT_TRUE(ContentTypeAllowed("Audio/MPEG", none));
  EXPECT_FALSE(ContentTypeAllowed("video/mp4", none));
  EXPECT_FALSE(ContentTypeAllowed("text/plain", none));
  EXPECT_FALSE(ContentTypeAllowed("", none));
  const std::vector<std::string> only_wav = {"audio/wav", "audio/x-*"};
  EXPECT_TRUE(ContentTypeAllowed("audio/wav", only_wav));
  EXPECT_TRUE(ContentTypeAllowed("audio/x-m4a", only_wav));
  EXPECT_FALSE(ContentTypeAllowed("audio/webm", only_wav));
}

TEST(ContentTypes, BlanksFromTheAdminFormMeanUnset) {
  EXPECT_TRUE(NormalizeTypes(nlohmann::json::array({""})).empty());
  EXPECT_TRUE(NormalizeTypes(nlohmann::json::array({" ", ""})).empty());
  EXPECT_EQ(NormalizeTypes(nlohmann::json::array({"audio/wav, audio/webm", ""})),
            (std::vector<std::string>{"audio/wav", "audio/webm"}));
  EXPECT_EQ(NormalizeTypes(nlohmann::json("audio/*,video/webm")),
            (std::vector<std::string>{"audio/*", "video/webm"}));
}

TEST(LocalEngines, EspeakSpeaksMp3ThatDecodesAndPocketsphinxHearsIt) {
  QuietMediaLogs();
  Espeak espeak;
  auto [samples, rate] = espeak.Synthesize("hello world", "en-us");
  ASSERT_GT(samples.size(), 1000u);
  const std::string mp3 = EncodeMp3(samples, rate);
  ASSERT_GT(mp3.size(), 100u);
  const double seconds = DecodedSeconds(mp3);
  EXPECT_GT(seconds, 0.5);
  EXPECT_LT(seconds, 3.0);
  const fs::path dir = FreshDir("stt");
  fs::create_directories(dir);
  std::ofstream(dir / "speech.wav", std::ios::binary) << mp3;       // an MP3 under a .wav name
  EXPECT_EQ(SniffExtension((dir / "speech.wav").string()), "mp3");  // the bytes, not the name
  auto pcm = DecodeToMono16k((dir / "speech.wav").string(), DecodeLimits{});
  Pocketsphinx ps("/usr/share/pocketsphinx/model/en-us");
  EXPECT_EQ(ps.Transcribe(pcm), "hello world");
  // Bounded: a limit of a tenth of a second refuses the clip.
  EXPECT_THROW(DecodeToMono16k((dir / "speech.wav").string(), DecodeLimits{{}, 0.1}), MediaError);
  fs::remove_all(dir);
}

TEST(LocalEngines, VoicesAreListedAndNotAudioIsRefused) {
  Espeak espeak;
  auto voices = espeak.Voices();
  EXPECT_GT(voices.size(), 10u);
  bool has_en_us = false;
  for (auto& v : voices) has_en_us = has_en_us || v.first == "en-us";
  EXPECT_TRUE(has_en_us);
  EXPECT_THROW(DecodedSeconds("this is plain text, not audio at all"), MediaError);
  const fs::path text = FreshDir("text");
  std::ofstream(text) << "this is plain text, not audio at all";
  EXPECT_EQ(SniffExtension(text.string()), "bin");
  EXPECT_EQ(SniffExtension(text.string() + ".missing"), "bin");
  fs::remove(text);
}

}  // namespace
}  // namespace webui::audio
