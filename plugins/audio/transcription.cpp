// POST /api/v1/audio/transcriptions and the engines behind it (also used by transcription.v1):
// the local pocketsphinx engine and OpenAI-compatible servers.
#include <webui_host/sdk/fetch.hpp>

#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>

#include "audio_plugin.hpp"
#include "media.hpp"

namespace webui::audio {

using nlohmann::json;
using sdk::Auth;
using sdk::Request;
using sdk::Response;

namespace {

// What Open WebUI re-encodes a file too large for the server to: 16 kHz mono MP3 at 32 kbit/s.
constexpr int64_t kSplitBitRate = 32000;
constexpr int kSplitRate = 16000;

std::string RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1)
    throw std::runtime_error("no randomness");
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

// A uuid4-shaped name for the reply's `filename` (Open WebUI names the kept upload so): the
// client's name is display text only and never reaches a path (docs/security.md T25).
std::string GeneratedName(std::string_view client_name) {
  std::string h = RandomHex(16);
  h[12] = '4';                                                           // version 4
  h[16] = "89ab"[std::string_view("0123456789abcdef").find(h[16]) & 3];  // RFC 4122 variant
  std::string ext;
  const size_t dot = client_name.rfind('.');
  if (dot != std::string_view::npos && client_name.size() - dot - 1 <= 8) {
    for (char c : client_name.substr(dot + 1))
      if (std::isalnum(static_cast<unsigned char>(c)))
        ext += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20) + "." + (ext.empty() ? "bin" : ext);
}

std::string TrimBase(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

std::string FormPartText(const std::string& boundary, const char* name, const std::string& value) {
  return "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" +
         value + "\r\n";
}

}  // namespace

std::string AudioPlugin::Transcribe(const std::string& path, const std::string& language) {
  const SttSettings stt = LoadStt(*host_);
  if (stt.engine == engines::kOpenAi) return TranscribeOpenAi(stt, path, language);
  if (stt.engine == engines::kLocalStt) {
    // pocketsphinx-en-us only knows English; another language hint is not an error (the web UI
    // sends the user's locale), the result is simply English words.
    std::vector<int16_t> pcm;
    try {
      pcm = DecodeToMono16k(path, DecodeLimits{std::chrono::milliseconds(limits_.decode_timeout_ms),
                                               limits_.stt_max_seconds});
    } catch (const MediaError& e) {
      throw BadAudio(e.what());
    }
    return pocketsphinx_->Transcribe(pcm);
  }
  if (stt.engine == engines::kBrowserStt)
    throw BadAudio("the STT engine 'web' transcribes in the browser, not on the server");
  throw BadAudio("STT engine '" + stt.engine + "' is not available on this server");
}

std::string AudioPlugin::TranscribeOpenAi(const SttSettings& stt, const std::string& path,
                                          const std::string& language) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw BadAudio("the upload could not be read");
  const auto limit = static_cast<std::uintmax_t>(limits_.stt_openai_max_bytes);
  if (size <= limit) {
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.size() != size) throw BadAudio("the upload could not be read");
    return TranscribeOpenAiBytes(stt, bytes, SniffExtension(path), language);
  }
  // Too large for the server: as Open WebUI, re-encode to 16 kHz mono 32 kbit/s MP3 and send it
  // in pieces that each fit (decoding bounded like the local engine's), texts joined by spaces.
  std::vector<int16_t> pcm;
  try {
    pcm = DecodeToMono16k(path, DecodeLimits{std::chrono::milliseconds(limits_.decode_timeout_ms),
                                             limits_.stt_max_seconds});
  } catch (const MediaError& e) {
    throw BadAudio(e.what());
  }
  // Seconds per piece at the bit rate, with a tenth to spare for frame overhead.
  const double seconds = static_cast<double>(limit) * 8.0 / kSplitBitRate * 0.9;
  const auto step = std::max<size_t>(static_cast<size_t>(seconds * kSplitRate), kSplitRate / 10);
  std::string text;
  for (size_t at = 0; at < pcm.size(); at += step) {
    const std::vector<int16_t> piece(
        pcm.begin() + static_cast<std::ptrdiff_t>(at),
        pcm.begin() + static_cast<std::ptrdiff_t>(std::min(pcm.size(), at + step)));
    std::string part;
    try {
      part =
          TranscribeOpenAiBytes(stt, EncodeMp3(piece, kSplitRate, kSplitBitRate), "mp3", language);
    } catch (const MediaError& e) {
      throw std::runtime_error(e.what());
    }
    if (!text.empty() && !part.empty()) text += ' ';
    text += part;
  }
  return text;
}

std::string AudioPlugin::TranscribeOpenAiBytes(const SttSettings& stt, const std::string& bytes,
                                               const std::string& extension,
                                               const std::string& language) {
  auto attempt = [&](const std::string& lang) {
    const std::string boundary = "----webui-audio-" + RandomHex(12);
    std::string body = "--" + boundary +
                       "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" +
                       GeneratedName("audio." + extension) +
                       "\"\r\nContent-Type: application/octet-stream\r\n\r\n" + bytes + "\r\n";
    body += FormPartText(boundary, "model", stt.model);
    if (!lang.empty()) body += FormPartText(boundary, "language", lang);
    body += "--" + boundary + "--\r\n";
    sdk::FetchRequest rq;
    rq.method = "POST";
    rq.url = TrimBase(stt.base_url) + "/audio/transcriptions";
    rq.headers = {{"Content-Type", "multipart/form-data; boundary=" + boundary}};
    if (!stt.api_key.empty()) rq.headers.emplace_back("Authorization", "Bearer " + stt.api_key);
    rq.body = std::move(body);
    rq.connect_timeout_ms = 10'000;
    rq.read_timeout_ms = 300'000;
    rq.total_timeout_ms = 600'000;
    return host_->Fetch(rq);
  };
  auto r = attempt(language);
  // Open WebUI retries once without the language when the server refused it.
  if (!language.empty() && (!r.ok() || r.http_status != 200)) r = attempt("");
  if (!r.ok()) {
    host_->Warn("audio: transcription server unreachable: " + r.error);
    throw std::runtime_error("Open WebUI: Server Connection Error");
  }
  auto parsed = sdk::json::Parse(r.body);
  if (r.http_status != 200) {
    std::string detail = "External: HTTP " + std::to_string(r.http_status);
    if (parsed && parsed->is_object() && (*parsed)["error"].is_object() &&
        (*parsed)["error"]["message"].is_string())
      detail = "External: " + (*parsed)["error"]["message"].get<std::string>();
    throw std::runtime_error(detail);
  }
  if (!parsed || !parsed->is_object() || !(*parsed)["text"].is_string())
    throw std::runtime_error("External: the transcription server answered without text");
  return (*parsed)["text"].get<std::string>();
}

void AudioPlugin::AddTranscriptionRoutes() {
  host_->Route(
      "POST", "/api/v1/audio/transcriptions", Auth::kVerified,
      sdk::RouteOptions{.max_body_bytes = limits_.max_upload_bytes, .body = sdk::Body::kMultipart},
      [this](Request& req, Response& res) {
        if (!Permitted(req.RequireCaller(), "stt")) throw sdk::Forbidden();
        auto file = req.FormFile("file");
        if (!file) throw sdk::Unprocessable("missing", "file", "Field required");
        const SttSettings stt = LoadStt(*host_);
        if (!ContentTypeAllowed(file->content_type, stt.supported_content_types))
          throw sdk::BadRequest(kFileNotSupported);
        std::string language;
        if (auto l = req.FormField("language")) language = std::string(l->value);
        const std::string path(file->file_path);
        const std::string name = GeneratedName(file->filename);
        std::string text;
        try {
          text = Transcribe(path, language);
        } catch (const std::exception& e) {
          throw sdk::BadRequest(sdk::messages::Default(e.what()));
        }
        sdk::Reply(res, {{"text", text}, {"filename", name}});
      });
}

}  // namespace webui::audio
