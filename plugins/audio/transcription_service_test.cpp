// transcription.v1 as another plugin sees it: the audio plugin loaded into the SDK's fake host,
// called through the typed client (sdk/transcription.hpp), with the offline engine.
#include <webui_host/sdk/testing/fake_host.hpp>
#include <webui_host/sdk/transcription.hpp>

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "audio_plugin.hpp"
#include "local_engines.hpp"
#include "media.hpp"

namespace webui::audio {
namespace {

namespace fs = std::filesystem;

class TranscriptionService : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("wh-audio-svc-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    host_.SetEnv("DATA_DIR", dir_.string());
  }
  void TearDown() override {
    host_.Unload();
    fs::remove_all(dir_);
  }
  // "hello world" spoken by espeak-ng, as MP3 under a .wav name (the bytes decide, not the name).
  std::string Clip() {
    Espeak espeak;
    auto [samples, rate] = espeak.Synthesize("hello world", "en-us");
    const fs::path p = dir_ / "clip.wav";
    std::ofstream(p, std::ios::binary) << EncodeMp3(samples, rate);
    return p.string();
  }
  sdk::Host& Client() {
    client_ = std::make_unique<sdk::Host>(host_.api(), host_.self());
    return *client_;
  }

  fs::path dir_;
  sdk::testing::FakeHost host_;
  std::unique_ptr<sdk::Host> client_;
};

TEST_F(TranscriptionService, TheOfflineEngineTranscribesAndRefusesWhatTheRouteRefuses) {
  ASSERT_EQ(host_.Load<AudioPlugin>(), WH_OK) << host_.load_error();
  sdk::Transcription stt(Client());
  ASSERT_TRUE(stt.Available());
  const std::string clip = Clip();
  EXPECT_EQ(stt.Transcribe(clip, "audio/wav", "en"), "hello world");
  try {
    stt.Transcribe(clip, "text/plain");
    ADD_FAILURE() << "a type off the allow-list was transcribed";
  } catch (const sdk::Error& e) {
    EXPECT_EQ(e.status(), WH_INVALID);
    EXPECT_NE(std::string(e.what()).find("not supported"), std::string::npos) << e.what();
  }
  std::ofstream(dir_ / "text.wav") << "no audio here";
  try {
    stt.Transcribe((dir_ / "text.wav").string(), "audio/wav");
    ADD_FAILURE() << "text was transcribed";
  } catch (const sdk::Error& e) {
    EXPECT_EQ(e.status(), WH_INVALID);
  }
  try {
    stt.Transcribe((dir_ / "missing.wav").string(), "audio/wav");
    ADD_FAILURE() << "a missing file was transcribed";
  } catch (const sdk::Error& e) {
    EXPECT_EQ(e.status(), WH_NOT_FOUND);
  }
}

TEST_F(TranscriptionService, TheBrowserEngineTakesNoFiles) {
  host_.SetEnv("AUDIO_STT_ENGINE", "web");
  ASSERT_EQ(host_.Load<AudioPlugin>(), WH_OK) << host_.load_error();
  sdk::Transcription stt(Client());
  try {
    stt.Transcribe(Clip(), "audio/wav");
    ADD_FAILURE() << "the web engine transcribed on the server";
  } catch (const sdk::Error& e) {
    EXPECT_EQ(e.status(), WH_INVALID);
  }
}

}  // namespace
}  // namespace webui::audio
