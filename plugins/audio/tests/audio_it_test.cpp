// The audio plugin through HTTP on the real binary, with the real auth plugin: the OpenAI-
// compatible engines against openai_audio_stub.py (a real HTTP server on loopback), and the
// offline engines (espeak-ng speaks, pocketsphinx hears a clip espeak-ng spoke, recorded as
// webm/opus and uploaded as "recording.wav", audio/wav, as the web UI's call overlay does).
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "../media.hpp"
#include "it_support.hpp"
#include "script_server.hpp"

namespace webui::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kBoundary = "----whaudio7Hq2xLm0";
constexpr const char* kStubBytes = "ID3-stub-speech-bytes!";  // 22 bytes
constexpr const char* kFileNotSupported =
    "Oops! It seems like the file format you're trying to upload is not supported. Please upload "
    "a file with a supported format and try again.";

// openai_audio_stub.py as a child process (script_server.hpp: gone with the test process too).
class Stub {
 public:
  int port() const { return server_.port(); }
  std::string base() const { return server_.origin() + "/v1"; }
  json Stats() const { return Http(port(), "GET", "/stats").Json(); }

 private:
  ScriptServer server_{AUDIO_STUB_SCRIPT};
};

const MultipartForm kForm(kBoundary);

HeaderList With(HeaderList h, const std::string& name, const std::string& value) {
  h.emplace_back(name, value);
  return h;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

template <typename Suite>
class AudioSuite : public AccountsSuite<Suite> {
 public:
  static void Common(HostProcess::Options& o) {
    PluginHostEnv(o, "auth,audio,ui_defaults", "it-secret-for-the-audio-plugin-tests");
    o.env["WEBUI_AUDIO_MAX_UPLOAD_BYTES"] = std::to_string(1 << 20);
  }

 protected:
  using Base = AccountsSuite<Suite>;
  using Base::Admin;
  using Base::Call;
  using Base::Port;
  // Alice (a name of the user's own: "Alice") and Pat, a pending account.
  static const Account& User() {
    static const Account user = Base::AddUser("Alice");
    return user;
  }
  static const Account& Pending() {
    static const Account pending = Base::AddUser("Pat", "pending");
    return pending;
  }
  static HttpResult Speech(const json& body, const HeaderList& who) {
    return Call("POST", "/api/v1/audio/speech", body.dump(),
                With(who, "Content-Type", "application/json"));
  }
  static HttpResult Transcribe(const HeaderList& who, const std::string& filename,
                               const std::string& bytes, const std::string& type,
                               const std::string& extra = "") {
    return Call("POST", "/api/v1/audio/transcriptions",
                kForm.File(filename, bytes, type) + extra + kForm.End(),
                With(who, "Content-Type", kForm.ContentType()));
  }
  static fs::path SpeechCacheDir() {
    return fs::path(Base::host().data_dir()) / "cache" / "audio" / "speech";
  }
};

// ---- OpenAI-compatible engines against the stub ------------------------------------------------

// Started by the first Configure, stopped when the test process exits.
Stub& TheStub() {
  static Stub stub;
  return stub;
}

class AudioOpenAi : public AudioSuite<AudioOpenAi> {
 public:
  static void Configure(HostProcess::Options& o) {
    Common(o);
    o.env["AUDIO_TTS_ENGINE"] = "openai";
    o.env["AUDIO_TTS_OPENAI_API_BASE_URL"] = TheStub().base();
    o.env["AUDIO_TTS_OPENAI_API_KEY"] = "sk-stub-tts";
    o.env["AUDIO_TTS_VOICE"] = "alloy";
    o.env["AUDIO_STT_ENGINE"] = "openai";
    o.env["AUDIO_STT_MODEL"] = "whisper-1";
    o.env["AUDIO_STT_OPENAI_API_BASE_URL"] = TheStub().base();
    // Files over 4000 bytes are too large for this "server": re-encoded and split.
    o.env["WEBUI_AUDIO_STT_OPENAI_MAX_BYTES"] = "4000";
    // Room for four of the stub's 22-byte answers.
    o.env["WEBUI_AUDIO_CACHE_MAX_BYTES"] = "100";
  }
  static Stub& stub() { return TheStub(); }
};

TEST_F(AudioOpenAi, RepeatedSpeechIsServedFromTheCacheAndADifferentVoiceIsNot) {
  ASSERT_GT(stub().port(), 0);
  const int before = stub().Stats()["speech"];
  auto r = Speech({{"input", "Hello there."}, {"voice", "alloy"}}, User().auth());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, kStubBytes);
  EXPECT_EQ(r.Header("Content-Type"), "audio/mpeg");
  json seen = stub().Stats();
  EXPECT_EQ(seen["speech"], before + 1);
  // The configured model replaces the client's; the key goes to the server only.
  EXPECT_EQ(seen["last_speech"]["model"], "tts-1");
  EXPECT_EQ(seen["last_speech"]["input"], "Hello there.");
  EXPECT_EQ(seen["last_auth"], "Bearer sk-stub-tts");

  r = Speech({{"input", "Hello there."}, {"voice", "alloy"}}, User().auth());
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, kStubBytes);
  EXPECT_EQ(stub().Stats()["speech"], before + 1);

  r = Speech({{"input", "Hello there."}, {"voice", "nova"}}, User().auth());
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(stub().Stats()["speech"], before + 2);
}

TEST_F(AudioOpenAi, TheCacheStaysUnderItsCapAndEvictsTheLeastRecentlyUsed) {
  const std::string first = "Evict me " + std::to_string(::getpid());
  ASSERT_EQ(Speech({{"input", first}, {"voice", "alloy"}}, User().auth()).status, 200);
  const int after_first = stub().Stats()["speech"];
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(Speech({{"input", "Filler " + std::to_string(i)}}, User().auth()).status, 200);
  std::uintmax_t total = 0;
  for (const auto& e : fs::directory_iterator(SpeechCacheDir())) total += e.file_size();
  EXPECT_LE(total, 100u);
  EXPECT_GT(total, 0u);
  // The oldest entry is gone: the stub is asked again.
  ASSERT_EQ(Speech({{"input", first}, {"voice", "alloy"}}, User().auth()).status, 200);
  EXPECT_EQ(stub().Stats()["speech"], after_first + 6);
}

TEST_F(AudioOpenAi, UpstreamErrorsKeepTheirStatusAndBadJsonIs400) {
  auto r = Speech({{"input", "status:400"}}, User().auth());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Json()["detail"], "External: stub refuses status:400");
  r = Speech({{"input", "status:503"}}, User().auth());
  EXPECT_EQ(r.status, 503);
  r = Call("POST", "/api/v1/audio/speech", "{not json", User().auth());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Json()["detail"], "Invalid JSON payload");
}

TEST_F(AudioOpenAi, ModelsAndVoicesComeFromTheSpeechServer) {
  auto r = Call("GET", "/api/v1/audio/models", "", User().auth());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["models"][0]["id"], "stub-tts");
  r = Call("GET", "/api/v1/audio/voices", "", User().auth());
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Json()["voices"], json::parse(R"([{"id":"v1","name":"Voice One"}])"));
}

TEST_F(AudioOpenAi, TranscriptionRetriesWithoutTheLanguageTheServerRefused) {
  const size_t before = stub().Stats()["transcription_forms"].size();
  auto r = Transcribe(User().auth(), "../../etc/passwd.webm", std::string(300, 'x'),
                      "audio/webm; codecs=opus", kForm.Field("language", "xx"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["text"], "stub heard 300 bytes");
  // The client's name is never used: a generated uuid with the extension only.
  const std::string name = r.Json()["filename"];
  EXPECT_EQ(name.find('/'), std::string::npos);
  EXPECT_EQ(name.size(), 36u + 5u) << name;
  const json forms = stub().Stats()["transcription_forms"];
  ASSERT_EQ(forms.size(), before + 2);
  EXPECT_EQ(forms[before]["fields"]["language"], "xx");
  EXPECT_EQ(forms[before]["fields"]["model"], "whisper-1");
  EXPECT_FALSE(forms[before + 1]["fields"].contains("language"));
}

TEST_F(AudioOpenAi, FilesTooLargeForTheServerAreReencodedAndSplit) {
  const fs::path dir = TempDir("audio-split");
  const std::string wav = (dir / "long.wav").string();
  ASSERT_EQ(std::system(("espeak-ng -v en-us -w " + wav +
                         " 'one two three four five six seven eight nine ten'")
                            .c_str()),
            0);
  const std::string bytes = ReadFile(wav);
  ASSERT_GT(bytes.size(), 4000u);
  const size_t before = stub().Stats()["transcription_forms"].size();
  auto r = Transcribe(User().auth(), "long.wav", bytes, "audio/wav");
  ASSERT_EQ(r.status, 200) << r.body;
  const json forms = stub().Stats()["transcription_forms"];
  ASSERT_GE(forms.size(), before + 2);
  std::string expected;
  for (size_t i = before; i < forms.size(); ++i) {
    EXPECT_LE(forms[i]["file_size"].get<int>(), 4000);
    EXPECT_GT(forms[i]["file_size"].get<int>(), 0);
    const std::string name = forms[i]["filename"];
    EXPECT_EQ(name.substr(name.size() - 4), ".mp3");
    expected += (expected.empty() ? "" : " ") + std::string("stub heard ") +
                std::to_string(forms[i]["file_size"].get<int>()) + " bytes";
  }
  EXPECT_EQ(r.Json()["text"], expected);
  fs::remove_all(dir);
}

TEST_F(AudioOpenAi, UploadsOffTheListOverTheLimitOrMalformedAreRefused) {
  auto r = Transcribe(User().auth(), "notes.txt", "hello", "text/plain");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Json()["detail"], kFileNotSupported);
  // Malformed: no closing delimiter.
  r = Call("POST", "/api/v1/audio/transcriptions",
           std::string("--") + kBoundary +
               "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n\r\nabc",
           With(User().auth(), "Content-Type", kForm.ContentType()));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_TRUE(r.Json()["detail"].is_string());
  // Over WEBUI_AUDIO_MAX_UPLOAD_BYTES: 413 from the head alone, not one body byte sent.
  Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", Port()));
  s.setReceiveTimeout(Poco::Timespan(30, 0));
  const std::string head = "POST /api/v1/audio/transcriptions HTTP/1.1\r\nHost: x\r\n" +
                           std::string("Authorization: Bearer ") + User().token +
                           "\r\nContent-Length: " + std::to_string(4 << 20) +
                           "\r\nContent-Type: multipart/form-data; boundary=" + kBoundary +
                           "\r\n\r\n";
  s.sendBytes(head.data(), static_cast<int>(head.size()));
  std::string line;
  char c;
  while (s.receiveBytes(&c, 1) == 1 && c != '\n') line += c;
  EXPECT_EQ(line.rfind("HTTP/1.1 413", 0), 0u) << line;
  EXPECT_EQ(Call("GET", "/health", "", {}).status, 200);
}

TEST_F(AudioOpenAi, PendingUsersAreRefusedAndConfigIsForAdmins) {
  EXPECT_EQ(Speech({{"input", "hi"}}, Pending().auth()).status, 401);
  EXPECT_EQ(Transcribe(Pending().auth(), "a.wav", "x", "audio/wav").status, 401);
  EXPECT_EQ(Speech({{"input", "hi"}}, {}).status, 403);
  EXPECT_EQ(Call("GET", "/api/v1/audio/config", "", User().auth()).status, 401);
}

TEST_F(AudioOpenAi, ConfigRoundTripsAndApiConfigMirrorsIt) {
  auto r = Call("GET", "/api/v1/audio/config", "", Admin().auth());
  ASSERT_EQ(r.status, 200) << r.body;
  json form = r.Json();
  EXPECT_EQ(form["tts"]["ENGINE"], "openai");
  EXPECT_EQ(form["tts"]["SPLIT_ON"], "punctuation");
  EXPECT_EQ(form["stt"]["SUPPORTED_CONTENT_TYPES"], json::array());
  EXPECT_EQ(form["tts"].size(), 10u);
  EXPECT_EQ(form["stt"].size(), 12u);
  const json original = form;

  // What the admin page sends for an empty "Supported MIME types" field: [""].
  form["tts"]["VOICE"] = "nova";
  form["tts"]["SPLIT_ON"] = "paragraphs";
  form["stt"]["SUPPORTED_CONTENT_TYPES"] = json::array({""});
  r = Call("POST", "/api/v1/audio/config/update", form.dump(), Admin().auth());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["stt"]["SUPPORTED_CONTENT_TYPES"], json::array());
  EXPECT_EQ(r.Json()["tts"]["VOICE"], "nova");
  auto cfg = Call("GET", "/api/config", "", User().auth()).Json();
  EXPECT_EQ(cfg["audio"],
            json::parse(R"({"tts":{"engine":"openai","voice":"nova","split_on":"paragraphs"},
                            "stt":{"engine":"openai"}})"));
  // Blanks mean unset: audio/* is still accepted.
  EXPECT_EQ(Transcribe(User().auth(), "a.ogg", "x", "audio/ogg").status, 200);

  // A restricted list is applied at once.
  form["stt"]["SUPPORTED_CONTENT_TYPES"] = json::array({"audio/wav", "audio/x-*"});
  ASSERT_EQ(Call("POST", "/api/v1/audio/config/update", form.dump(), Admin().auth()).status, 200);
  EXPECT_EQ(Transcribe(User().auth(), "a.ogg", "x", "audio/ogg").status, 400);
  EXPECT_EQ(Transcribe(User().auth(), "a.wav", "x", "audio/wav").status, 200);

  // Every key is required, as pydantic.
  json missing = form;
  missing["tts"].erase("MODEL");
  r = Call("POST", "/api/v1/audio/config/update", missing.dump(), Admin().auth());
  EXPECT_EQ(r.status, 422);
  EXPECT_TRUE(r.Json()["detail"].is_array());

  ASSERT_EQ(Call("POST", "/api/v1/audio/config/update", original.dump(), Admin().auth()).status,
            200);
  EXPECT_EQ(Call("GET", "/api/config", "", User().auth()).Json()["audio"]["tts"]["voice"], "alloy");
}

TEST_F(AudioOpenAi, DisabledModuleAnswers404AndComesBack) {
  ASSERT_EQ(Call("POST", "/api/v1/plugins/audio/disable", "", Admin().auth()).status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/audio/config", "", Admin().auth()).status, 404);
  EXPECT_EQ(Speech({{"input", "hi"}}, User().auth()).status, 404);
  // ui_defaults' block stands in: the browser's own speech.
  EXPECT_EQ(Call("GET", "/api/config", "", User().auth()).Json()["audio"]["tts"]["engine"], "");
  ASSERT_EQ(Call("POST", "/api/v1/plugins/audio/enable", "", Admin().auth()).status, 200);
  EXPECT_EQ(Call("GET", "/api/v1/audio/config", "", Admin().auth()).status, 200);
  EXPECT_EQ(Call("GET", "/api/config", "", User().auth()).Json()["audio"]["tts"]["engine"],
            "openai");
}

// ---- the offline engines -----------------------------------------------------------------------

class AudioLocal : public AudioSuite<AudioLocal> {
 public:
  static void Configure(HostProcess::Options& o) {
    Common(o);
    o.env["AUDIO_TTS_ENGINE"] = "transformers";
    o.env["AUDIO_TTS_VOICE"] = "en-us";
    o.env["AUDIO_STT_ENGINE"] = "";
    // With files and rag: an audio upload is transcribed into its file's text.
    o.env["WEBUI_PLUGINS"] = "auth,audio,files,rag,ui_defaults";
    // Users may neither speak nor listen; admins bypass the permissions.
    o.env["USER_PERMISSIONS_CHAT_TTS"] = "false";
    o.env["USER_PERMISSIONS_CHAT_STT"] = "false";
  }
};

TEST_F(AudioLocal, EspeakSpeechIsPlayableMp3) {
  auto r = Speech({{"input", "Hello world, this is the local voice."}}, Admin().auth());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("Content-Type"), "audio/mpeg");
  const double seconds = audio::DecodedSeconds(r.body);
  EXPECT_GT(seconds, 1.0);
  EXPECT_LT(seconds, 10.0);
  // Cached under CACHE_DIR/audio/speech.
  EXPECT_FALSE(fs::is_empty(SpeechCacheDir()));
  r = Speech({{"input", "  "}}, Admin().auth());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Json()["detail"], "[ERROR: 'input' is empty]");
  r = Call("GET", "/api/v1/audio/voices", "", Admin().auth());
  ASSERT_EQ(r.status, 200);
  const json voices = r.Json()["voices"];
  bool has_en_us = false;
  for (const json& v : voices) has_en_us = has_en_us || v["id"] == "en-us";
  EXPECT_TRUE(has_en_us) << r.body;
}

TEST_F(AudioLocal, PocketsphinxTranscribesWebmOpusLabelledWav) {
  const fs::path dir = TempDir("audio-clip");
  const std::string wav = (dir / "hi.wav").string(), webm = (dir / "hi.webm").string();
  ASSERT_EQ(std::system(("espeak-ng -v en-us -s 150 -w " + wav + " 'hello world'").c_str()), 0);
  ASSERT_EQ(std::system(("ffmpeg -loglevel error -y -i " + wav + " -c:a libopus " + webm).c_str()),
            0);
  auto r = Transcribe(Admin().auth(), "recording.wav", ReadFile(webm), "audio/wav",
                      kForm.Field("language", "en"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.Json()["text"].get<std::string>().find("hello world"), std::string::npos) << r.body;
  // Not audio at all, under an allowed type: a clear 400.
  r = Transcribe(Admin().auth(), "x.wav", "this is not audio", "audio/wav");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Json()["detail"].get<std::string>().rfind("[ERROR: ", 0), 0u) << r.body;
  fs::remove_all(dir);
}

// Open WebUI's upload flow: an audio file uploaded to /api/v1/files is transcribed (rag's file
// processor asks the audio module through transcription.v1) and its text becomes the file's
// content, searchable like any document's.
TEST_F(AudioLocal, AnAudioUploadIsTranscribedIntoTheFilesText) {
  const fs::path dir = TempDir("audio-upload");
  const std::string wav = (dir / "hi.wav").string(), webm = (dir / "hi.webm").string();
  ASSERT_EQ(std::system(("espeak-ng -v en-us -s 150 -w " + wav + " 'hello world'").c_str()), 0);
  ASSERT_EQ(std::system(("ffmpeg -loglevel error -y -i " + wav + " -c:a libopus " + webm).c_str()),
            0);
  auto r = Call("POST", "/api/v1/files/",
                kForm.File("recording.webm", ReadFile(webm), "audio/webm") + kForm.End(),
                With(Admin().auth(), "Content-Type", kForm.ContentType()));
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string id = r.Json().value("id", "");
  json file;
  for (int i = 0; i < 600; ++i) {  // processing runs in the background
    file = Call("GET", "/api/v1/files/" + id, "", Admin().auth()).Json();
    if (file["data"].value("status", "") != "pending") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(file["data"].value("status", ""), "completed") << file.dump();
  EXPECT_NE(file["data"].value("content", "").find("hello world"), std::string::npos)
      << file.dump();
  fs::remove_all(dir);
}

TEST_F(AudioLocal, UsersWithoutThePermissionsGet403) {
  auto r = Speech({{"input", "hi"}}, User().auth());
  EXPECT_EQ(r.status, 403) << r.body;
  r = Transcribe(User().auth(), "a.wav", "x", "audio/wav");
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(Speech({{"input", "hi"}}, Admin().auth()).status, 200);
}

}  // namespace
}  // namespace webui::testing
