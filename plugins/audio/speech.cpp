// POST /api/v1/audio/speech (text to speech, cached) and the lists the admin page and the voice
// picker read (GET /models, GET /voices).
#include <webui_host/sdk/fetch.hpp>

#include "audio_plugin.hpp"
#include "media.hpp"

namespace webui::audio {

using nlohmann::json;
using sdk::Auth;
using sdk::Request;
using sdk::Response;

namespace {

constexpr const char* kServerConnectionError = "Open WebUI: Server Connection Error";

std::string TrimSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

// "External: <error.message>" as Open WebUI words an upstream's JSON error; the status alone
// when the body says nothing useful (never the upstream's address).
std::string ExternalDetail(int status, const std::string& body) {
  if (auto parsed = sdk::json::Parse(body); parsed && parsed->is_object()) {
    auto err = parsed->find("error");
    if (err != parsed->end()) {
      if (err->is_object() && err->contains("message") && (*err)["message"].is_string())
        return "External: " + (*err)["message"].get<std::string>();
      if (err->is_string()) return "External: " + err->get<std::string>();
    }
    if (auto d = parsed->find("detail"); d != parsed->end() && d->is_string())
      return "External: " + d->get<std::string>();
  }
  return "External: HTTP " + std::to_string(status);
}

// GET {base}/audio/<what> of an OpenAI-compatible server: its `key` array, or [] on any failure
// (Open WebUI logs and answers an empty list).
json ListFromServer(sdk::Host& host, const TtsSettings& tts, const char* what, const char* key) {
  sdk::FetchRequest rq;
  rq.url = TrimSlash(tts.base_url) + "/audio/" + what;
  if (!tts.api_key.empty()) rq.headers = {{"Authorization", "Bearer " + tts.api_key}};
  rq.connect_timeout_ms = 5'000;
  rq.total_timeout_ms = 10'000;
  auto r = host.Fetch(rq);
  if (!r.ok() || r.http_status != 200) return json::array();
  auto parsed = sdk::json::Parse(r.body);
  if (!parsed || !parsed->is_object() || !(*parsed)[key].is_array()) return json::array();
  return (*parsed)[key];
}

bool IsOpenAiProper(const std::string& base_url) {
  return base_url.find("api.openai.com") != std::string::npos;
}

}  // namespace

void AudioPlugin::AddSpeechRoutes() {
  host_->Route(
      "POST", "/api/v1/audio/speech", Auth::kVerified, [this](Request& req, Response& res) {
        if (!Permitted(req.RequireCaller(), "tts")) throw sdk::Forbidden();
        const std::string body(req.Body());
        auto payload = sdk::json::Parse(body);
        if (!payload || !payload->is_object()) throw sdk::BadRequest("Invalid JSON payload");
        const TtsSettings tts = LoadTts(*host_);
        // Open WebUI 0.6.32: with the browser's own speech (engine "") the server has nothing to
        // say.
        if (tts.engine.empty()) {
          res.Json("null");
          return;
        }
        const bool openai = tts.engine == engines::kOpenAi;
        const bool local = tts.engine == engines::kLocalTts;
        if (!openai && !local)
          throw sdk::BadRequest(sdk::messages::Default("TTS engine '" + tts.engine +
                                                       "' is not available on this server"));
        const std::string key =
            SpeechCache::Key(body, tts.engine, tts.model, openai ? TrimSlash(tts.base_url) : "");
        std::optional<std::string> audio = cache_->Get(key);
        if (!audio) {
          audio =
              openai ? SpeechFromOpenAi(tts, std::move(*payload)) : SpeechFromEspeak(tts, *payload);
          cache_->Put(key, *audio);
        }
        res.Status(200).Header("Content-Type", "audio/mpeg");
        res.Send(*audio);
      });
}

std::string AudioPlugin::SpeechFromOpenAi(const TtsSettings& tts, json payload) {
  payload["model"] = tts.model;
  sdk::FetchRequest rq;
  rq.method = "POST";
  rq.url = TrimSlash(tts.base_url) + "/audio/speech";
  rq.headers = {{"Content-Type", "application/json"}};
  if (!tts.api_key.empty()) rq.headers.emplace_back("Authorization", "Bearer " + tts.api_key);
  rq.body = sdk::json::Dump(payload);
  rq.connect_timeout_ms = 10'000;
  rq.read_timeout_ms = 120'000;
  rq.total_timeout_ms = 300'000;
  auto r = host_->Fetch(rq);
  if (!r.ok()) {
    host_->Warn("audio: speech server unreachable: " + r.error);
    throw sdk::HttpError(500, kServerConnectionError);
  }
  if (r.http_status != 200) {
    // Open WebUI answers with the upstream's status, except that a 401 from the speech server
    // would sign the user out of the web UI: that one becomes 502.
    const int status = r.http_status == 401 ? 502 : r.http_status;
    throw sdk::HttpError(status >= 400 && status <= 599 ? status : 502,
                         ExternalDetail(r.http_status, r.body));
  }
  return std::move(r.body);
}

std::string AudioPlugin::SpeechFromEspeak(const TtsSettings& tts, const json& payload) {
  auto input = payload.find("input");
  if (input == payload.end() || !input->is_string())
    throw sdk::BadRequest(sdk::messages::Default("'input' must be a string"));
  const std::string text = input->get<std::string>();
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    throw sdk::BadRequest(sdk::messages::Default("'input' is empty"));
  if (text.size() > limits_.tts_max_chars)
    throw sdk::BadRequest(sdk::messages::Default(
        "the text is longer than " + std::to_string(limits_.tts_max_chars) + " characters"));
  std::string voice = tts.voice;
  if (auto v = payload.find("voice"); v != payload.end() && v->is_string() && !v->empty())
    voice = v->get<std::string>();
  try {
    auto [samples, rate] = espeak_.Synthesize(text, voice);
    return EncodeMp3(samples, rate);
  } catch (const std::exception& e) {
    host_->Warn(std::string("audio: local speech failed: ") + e.what());
    throw sdk::HttpError(500, sdk::messages::Default(e.what()));
  }
}

void AudioPlugin::AddListRoutes() {
  host_->Route("GET", "/api/v1/audio/models", Auth::kVerified, [this](Request&, Response& res) {
    const TtsSettings tts = LoadTts(*host_);
    json models = json::array();
    if (tts.engine == engines::kOpenAi) {
      if (IsOpenAiProper(tts.base_url))
        models = json::array({{{"id", "tts-1"}}, {{"id", "tts-1-hd"}}});
      else
        models = ListFromServer(*host_, tts, "models", "models");
    }
    sdk::Reply(res, {{"models", std::move(models)}});
  });
  host_->Route("GET", "/api/v1/audio/voices", Auth::kVerified, [this](Request&, Response& res) {
    const TtsSettings tts = LoadTts(*host_);
    json voices = json::array();
    if (tts.engine == engines::kOpenAi) {
      if (IsOpenAiProper(tts.base_url)) {
        for (const char* v : {"alloy", "echo", "fable", "onyx", "nova", "shimmer"})
          voices.push_back({{"id", v}, {"name", v}});
      } else {
        voices = ListFromServer(*host_, tts, "voices", "voices");
      }
    } else if (tts.engine == engines::kLocalTts) {
      for (auto& [id, name] : espeak_.Voices()) voices.push_back({{"id", id}, {"name", name}});
    }
    sdk::Reply(res, {{"voices", std::move(voices)}});
  });
}

}  // namespace webui::audio
