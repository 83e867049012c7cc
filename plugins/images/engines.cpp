// The four engines of /api/v1/images/generations and /models, over host.Fetch to the base URLs
// the admin configured, and the fetch of image URLs engines answer with.
#include <webui_host/sdk/fetch.hpp>

#include <chrono>
#include <thread>

#include "image_data.hpp"
#include "images_plugin.hpp"

namespace webui::images {

using nlohmann::json;

namespace {

std::string TrimSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

// What an engine's error answer says (OpenAI: error.message; others: error, detail), or its
// status; never the engine's address.
std::string UpstreamError(const char* engine, const sdk::FetchResult& r) {
  if (r.status == WH_ABORTED) return std::string(engine) + " answered more than this server takes";
  if (r.status == WH_DENIED) return std::string(engine) + " answered with a redirect";
  if (!r.ok()) return std::string(engine) + " is unreachable";
  if (auto parsed = sdk::json::Parse(r.body); parsed && parsed->is_object()) {
    if (auto err = parsed->find("error"); err != parsed->end()) {
      if (err->is_object() && err->contains("message") && (*err)["message"].is_string())
        return (*err)["message"].get<std::string>();
      if (err->is_string()) return err->get<std::string>();
    }
    if (auto d = parsed->find("detail"); d != parsed->end() && d->is_string())
      return d->get<std::string>();
  }
  return std::string(engine) + " answered HTTP " + std::to_string(r.http_status);
}

// The JSON object an engine answered with a 2xx, or EngineError.
json JsonAnswer(const char* engine, const sdk::FetchResult& r) {
  if (!r.ok() || r.http_status < 200 || r.http_status >= 300)
    throw EngineError(UpstreamError(engine, r));
  // The body was already bounded by Ask(); the parser's own size limit must not undercut that.
  sdk::json::Limits limits;
  limits.max_bytes = std::max(limits.max_bytes, r.body.size());
  auto parsed = sdk::json::Parse(r.body, limits);
  if (!parsed || !parsed->is_object())
    throw EngineError(std::string(engine) + " answered something that is not a JSON object");
  return std::move(*parsed);
}

Generated FromBase64(const json& value, std::size_t max_bytes, json data) {
  if (!value.is_string()) throw EngineError("the engine's answer holds no image");
  const std::string& text = value.get_ref<const std::string&>();
  if (text.size() / 4 * 3 > max_bytes + 3)
    throw EngineError("the image is larger than " + std::to_string(max_bytes) + " bytes");
  auto decoded = DecodeBase64Image(text);
  if (!decoded) throw EngineError("the engine's image is not valid base64");
  return Generated{std::move(decoded->bytes), std::move(decoded->content_type), std::move(data)};
}

std::string Header(const sdk::Headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers)
    if (sdk::IEquals(k, name)) return v;
  return {};
}

// Width and height for the engines that take them: the form's size, else IMAGE_SIZE, else
// 512x512 (an unparsable size is the caller's error).
std::pair<int, int> Dimensions(const Settings& s, const GenerateForm& form) {
  const std::string& size = !form.size.empty() ? form.size : s.size;
  if (size.empty()) return {512, 512};
  auto wh = ParseSize(size);
  if (!wh) throw EngineError("the image size '" + size + "' is not WIDTHxHEIGHT");
  return *wh;
}

sdk::Headers BasicAuth(const Settings& s) {
  if (s.a1111_api_auth.empty()) return {};
  return {{"Authorization", "Basic " + Base64Encode(s.a1111_api_auth)}};
}

sdk::Headers ComfyAuth(const Settings& s) {
  if (s.comfyui_api_key.empty()) return {};
  return {{"Authorization", "Bearer " + s.comfyui_api_key}};
}

}  // namespace

sdk::FetchResult ImagesPlugin::Ask(const sdk::FetchRequest& rq, std::size_t cap) {
  // FetchFollowing for its bounded body; engines are not expected to redirect (a 3xx is an
  // error), and their base URLs are the admin's, so no public_only.
  sdk::FollowOptions follow;
  follow.max_redirects = 0;
  follow.max_body_bytes = cap == 0 ? kListCap : cap;
  return host_->FetchFollowing(rq, follow);
}

std::size_t ImagesPlugin::AnswerCap(std::int64_t n) const {
  // n images in base64 (4/3 of their bytes) plus room for the JSON around them.
  return static_cast<std::size_t>(n) * (limits_.max_image_bytes / 3 * 4 + 4096) + (1u << 20);
}

sdk::FetchRequest ImagesPlugin::EngineRequest(std::string method, std::string url,
                                              sdk::Headers headers, std::string body) const {
  sdk::FetchRequest rq;
  rq.method = std::move(method);
  rq.url = std::move(url);
  rq.headers = std::move(headers);
  if (!body.empty()) {
    rq.headers.emplace_back("Content-Type", "application/json");
    rq.body = std::move(body);
  }
  rq.connect_timeout_ms = 10'000;
  rq.read_timeout_ms = static_cast<std::uint32_t>(limits_.engine_timeout_ms);
  rq.total_timeout_ms = static_cast<std::uint32_t>(limits_.engine_timeout_ms);
  return rq;
}

Generated ImagesPlugin::FetchImage(const std::string& url, const std::string& engine_base,
                                   const sdk::Headers& engine_headers) {
  constexpr int kMaxRedirects = 5;
  const std::string engine_origin = Origin(engine_base);
  std::string next = url;
  sdk::FetchResult r;
  for (int hop = 0;; ++hop) {
    const std::string origin = Origin(next);
    if (origin.empty()) throw EngineError("the engine answered an image URL that is not http(s)");
    sdk::FollowOptions follow;
    follow.max_body_bytes = limits_.max_image_bytes;
    if (origin != engine_origin) {
      // Anywhere else: through the host's guard, each further redirect checked again, and
      // without the engine's credentials.
      sdk::FetchRequest rq = EngineRequest("GET", next, {});
      rq.public_only = true;
      follow.max_redirects = kMaxRedirects - hop;
      r = host_->FetchFollowing(rq, follow);
      break;
    }
    // On the engine's own origin: as the engine is. A redirect is taken one hop at a time so
    // that leaving the origin drops into the guarded branch above.
    follow.max_redirects = 0;
    r = host_->FetchFollowing(EngineRequest("GET", next, engine_headers), follow);
    const std::string location = Header(r.headers, "location");
    const bool redirect = r.http_status == 301 || r.http_status == 302 || r.http_status == 303 ||
                          r.http_status == 307 || r.http_status == 308;
    if (!redirect || location.empty()) break;
    if (hop >= kMaxRedirects) throw EngineError("the image URL redirects too often");
    next = sdk::ResolveLocation(next, location);
  }
  if (r.status == WH_DENIED) {
    // The reason names the address; it goes to the log, the client gets a plain sentence.
    host_->Warn("images: refused to fetch an engine's image URL: " + r.error);
    throw EngineError("the image URL the engine answered with is not allowed");
  }
  if (!r.ok() && r.status == WH_ABORTED) throw EngineError("the image is too large");
  if (!r.ok() || r.http_status != 200) throw EngineError(UpstreamError("the image server", r));
  std::string type = Header(r.headers, "content-type");
  type = type.substr(0, type.find(';'));
  // As upstream: only an answer that says it is an image is one.
  if (type.rfind("image/", 0) != 0) {
    const std::string sniffed = SniffImageType(r.body);
    if (sniffed.empty()) throw EngineError("the image URL did not answer with an image");
    type = sniffed;
  }
  return Generated{r.body, type, json::object()};
}

std::vector<Generated> ImagesPlugin::OpenAi(const Settings& s, const GenerateForm& form) {
  const std::string model = !form.model.empty() ? form.model
                            : !s.model.empty()  ? s.model
                                                : std::string("dall-e-2");
  json data = {{"model", model},
               {"prompt", form.prompt},
               {"n", form.n},
               {"size", !form.size.empty() ? form.size : s.size}};
  // gpt-image-1 always answers base64 and refuses the parameter.
  if (model.find("gpt-image-1") == std::string::npos) data["response_format"] = "b64_json";
  std::string url = TrimSlash(s.openai_base_url) + "/images/generations";
  if (!s.openai_api_version.empty()) url += "?api-version=" + QueryEscape(s.openai_api_version);
  sdk::Headers auth;
  if (!s.openai_api_key.empty()) auth.emplace_back("Authorization", "Bearer " + s.openai_api_key);
  const json res = JsonAnswer(
      "the image server", Ask(EngineRequest("POST", url, auth, data.dump()), AnswerCap(form.n)));
  auto list = res.find("data");
  if (list == res.end() || !list->is_array()) throw EngineError("the answer has no data list");
  std::vector<Generated> out;
  for (const json& item : *list) {
    if (!item.is_object()) continue;
    if (auto u = item.find("url"); u != item.end() && u->is_string() && !u->empty()) {
      Generated g = FetchImage(u->get<std::string>(), s.openai_base_url, auth);
      g.data = data;
      out.push_back(std::move(g));
    } else {
      out.push_back(
          FromBase64(item.value("b64_json", json(nullptr)), limits_.max_image_bytes, data));
    }
  }
  return out;
}

std::vector<Generated> ImagesPlugin::Gemini(const Settings& s, const GenerateForm& form) {
  const std::string model = !form.model.empty() ? form.model
                            : !s.model.empty()  ? s.model
                                                : std::string("imagen-3.0-generate-002");
  const json data = {
      {"instances", {{"prompt", form.prompt}}},
      {"parameters", {{"sampleCount", form.n}, {"outputOptions", {{"mimeType", "image/png"}}}}}};
  const std::string url = TrimSlash(s.gemini_base_url) + "/models/" + model + ":predict";
  const json res = JsonAnswer(
      "Gemini", Ask(EngineRequest("POST", url, {{"x-goog-api-key", s.gemini_api_key}}, data.dump()),
                    AnswerCap(form.n)));
  auto list = res.find("predictions");
  if (list == res.end() || !list->is_array()) throw EngineError("the answer has no predictions");
  std::vector<Generated> out;
  for (const json& item : *list)
    if (item.is_object())
      out.push_back(FromBase64(item.value("bytesBase64Encoded", json(nullptr)),
                               limits_.max_image_bytes, data));
  return out;
}

std::vector<Generated> ImagesPlugin::Automatic1111(const Settings& s, const GenerateForm& form) {
  const auto [width, height] = Dimensions(s, form);
  json data = {
      {"prompt", form.prompt}, {"batch_size", form.n}, {"width", width}, {"height", height}};
  if (s.steps) data["steps"] = *s.steps;
  if (form.negative_prompt) data["negative_prompt"] = *form.negative_prompt;
  if (!s.a1111_cfg_scale.is_null()) data["cfg_scale"] = s.a1111_cfg_scale;
  if (!s.a1111_sampler.is_null()) data["sampler_name"] = s.a1111_sampler;
  if (!s.a1111_scheduler.is_null()) data["scheduler"] = s.a1111_scheduler;
  const json res = JsonAnswer(
      "AUTOMATIC1111", Ask(EngineRequest("POST", TrimSlash(s.a1111_base_url) + "/sdapi/v1/txt2img",
                                         BasicAuth(s), data.dump()),
                           AnswerCap(form.n)));
  auto list = res.find("images");
  if (list == res.end() || !list->is_array()) throw EngineError("the answer has no images");
  json meta = data;
  meta["info"] = res.value("info", json(nullptr));
  std::vector<Generated> out;
  for (const json& item : *list) out.push_back(FromBase64(item, limits_.max_image_bytes, meta));
  return out;
}

std::vector<Generated> ImagesPlugin::ComfyUi(const Settings& s, const GenerateForm& form,
                                             const std::string& client_id) {
  const std::string base = TrimSlash(s.comfyui_base_url);
  const auto [width, height] = Dimensions(s, form);
  ComfyUiParams p;
  p.model = !form.model.empty() ? form.model : s.model;
  p.prompt = form.prompt;
  p.negative_prompt = form.negative_prompt;
  p.width = width;
  p.height = height;
  p.n = form.n;
  p.steps = s.steps;
  auto workflow = sdk::json::Parse(s.comfyui_workflow);
  if (!workflow || !workflow->is_object())
    throw EngineError("COMFYUI_WORKFLOW is not a JSON object");
  try {
    ApplyComfyUiNodes(*workflow, s.comfyui_nodes, p);
  } catch (const std::runtime_error& e) {
    throw EngineError(e.what());
  }
  const sdk::Headers auth = ComfyAuth(s);
  const json queued = JsonAnswer(
      "ComfyUI", Ask(EngineRequest("POST", base + "/prompt", auth,
                                   json{{"prompt", *workflow}, {"client_id", client_id}}.dump())));
  const std::string prompt_id = queued.value("prompt_id", std::string());
  if (prompt_id.empty()) throw EngineError("ComfyUI answered no prompt_id");

  // Polling /history/<id> until the job is there (ComfyUI adds it when it has finished), with a
  // bounded deadline; the interval grows from 250 ms to 2 s so a long job costs few requests.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(limits_.comfyui_timeout_ms);
  auto pause = std::chrono::milliseconds(250);
  json entry;
  for (;;) {
    sdk::FetchRequest rq = EngineRequest("GET", base + "/history/" + QueryEscape(prompt_id), auth);
    rq.total_timeout_ms = 30'000;
    const json history = JsonAnswer("ComfyUI", Ask(rq));
    if (auto it = history.find(prompt_id); it != history.end() && it->is_object()) {
      const json& status = it->value("status", json::object());
      if (status.is_object() && status.value("status_str", std::string()) == "error")
        throw EngineError("ComfyUI could not run the workflow");
      if (!status.is_object() || status.value("completed", true)) {
        entry = *it;
        break;
      }
    }
    if (std::chrono::steady_clock::now() + pause > deadline)
      throw EngineError("ComfyUI did not finish within " +
                        std::to_string(limits_.comfyui_timeout_ms / 1000) + " s");
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(2'000));
  }
  json data = {{"prompt", p.prompt}, {"width", p.width}, {"height", p.height}, {"n", p.n}};
  if (p.steps) data["steps"] = *p.steps;
  if (p.negative_prompt) data["negative_prompt"] = *p.negative_prompt;
  std::vector<Generated> out;
  const json outputs = entry.value("outputs", json::object());
  for (const auto& [node_id, node] : outputs.items()) {
    if (!node.is_object() || !node.contains("images") || !node["images"].is_array()) continue;
    for (const json& image : node["images"]) {
      if (!image.is_object()) continue;
      const std::string url =
          base + "/view?filename=" + QueryEscape(image.value("filename", std::string())) +
          "&subfolder=" + QueryEscape(image.value("subfolder", std::string())) +
          "&type=" + QueryEscape(image.value("type", std::string()));
      Generated g = FetchImage(url, base, auth);
      g.data = data;
      out.push_back(std::move(g));
      if (out.size() >= static_cast<std::size_t>(limits_.max_n)) return out;
    }
  }
  return out;
}

json ImagesPlugin::Models(const Settings& s) {
  if (s.engine == engines::kOpenAi)
    return json::array({{{"id", "dall-e-2"}, {"name", "DALL·E 2"}},
                        {{"id", "dall-e-3"}, {"name", "DALL·E 3"}},
                        {{"id", "gpt-image-1"}, {"name", "GPT-IMAGE 1"}}});
  if (s.engine == engines::kGemini)
    return json::array({{{"id", "imagen-3.0-generate-002"}, {"name", "imagen-3.0 generate-002"}}});
  if (s.engine == engines::kComfyUi) {
    const json info = JsonAnswer(
        "ComfyUI",
        Ask(EngineRequest("GET", TrimSlash(s.comfyui_base_url) + "/object_info", ComfyAuth(s))));
    // The class of the node mapped to "model", and the first of its inputs whose name ends in
    // "_name" (ckpt_name, unet_name, ...); else the checkpoint loader's list.
    json choices;
    auto workflow = sdk::json::Parse(s.comfyui_workflow);
    for (const json& node : s.comfyui_nodes) {
      if (node.value("type", std::string()) != "model") continue;
      const json ids = node.value("node_ids", json(nullptr));
      std::string id = ids.is_array() && !ids.empty() && ids[0].is_string()
                           ? ids[0].get<std::string>()
                           : (ids.is_string() ? ids.get<std::string>() : std::string());
      id = id.substr(0, id.find(','));
      if (id.empty() || !workflow || !workflow->contains(id)) break;
      const std::string cls = (*workflow)[id].value("class_type", std::string());
      const json required = info.value(cls, json::object())
                                .value("input", json::object())
                                .value("required", json::object());
      for (const auto& [name, spec] : required.items()) {
        if (name.size() > 5 && name.compare(name.size() - 5, 5, "_name") == 0 && spec.is_array() &&
            !spec.empty()) {
          choices = spec[0];
          break;
        }
      }
      break;
    }
    if (!choices.is_array()) {
      const json ckpt = info.value("CheckpointLoaderSimple", json::object())
                            .value("input", json::object())
                            .value("required", json::object())
                            .value("ckpt_name", json::array());
      choices = ckpt.is_array() && !ckpt.empty() ? ckpt[0] : json::array();
    }
    json out = json::array();
    if (choices.is_array())
      for (const json& c : choices)
        if (c.is_string()) out.push_back({{"id", c}, {"name", c}});
    return out;
  }
  if (s.IsAutomatic1111()) {
    const json list = [&] {
      const auto r = Ask(
          EngineRequest("GET", TrimSlash(s.a1111_base_url) + "/sdapi/v1/sd-models", BasicAuth(s)));
      if (!r.ok() || r.http_status != 200) throw EngineError(UpstreamError("AUTOMATIC1111", r));
      auto parsed = sdk::json::Parse(r.body);
      if (!parsed || !parsed->is_array())
        throw EngineError("AUTOMATIC1111 answered something that is not a list");
      return std::move(*parsed);
    }();
    json out = json::array();
    for (const json& m : list)
      if (m.is_object())
        out.push_back({{"id", m.value("title", std::string())},
                       {"name", m.value("model_name", std::string())}});
    return out;
  }
  return json::array();
}

std::string ImagesPlugin::CurrentModel(const Settings& s) {
  if (s.engine == engines::kOpenAi) return s.model.empty() ? "dall-e-2" : s.model;
  if (s.engine == engines::kGemini) return s.model.empty() ? "imagen-3.0-generate-002" : s.model;
  if (s.engine == engines::kComfyUi) return s.model;
  if (s.IsAutomatic1111()) {
    const json options = JsonAnswer(
        "AUTOMATIC1111",
        Ask(EngineRequest("GET", TrimSlash(s.a1111_base_url) + "/sdapi/v1/options", BasicAuth(s))));
    return options.value("sd_model_checkpoint", std::string());
  }
  return s.model;
}

void ImagesPlugin::ChangeModel(const std::string& model) {
  SetModel(*host_, model);
  const Settings s = Load(*host_);
  if (!s.IsAutomatic1111()) return;
  try {
    const std::string options_url = TrimSlash(s.a1111_base_url) + "/sdapi/v1/options";
    json options =
        JsonAnswer("AUTOMATIC1111", Ask(EngineRequest("GET", options_url, BasicAuth(s))));
    if (options.value("sd_model_checkpoint", std::string()) == model) return;
    // Only the one option (upstream posts back everything it read).
    const auto r = Ask(EngineRequest("POST", options_url, BasicAuth(s),
                                     json{{"sd_model_checkpoint", model}}.dump()));
    if (!r.ok() || r.http_status >= 300) throw EngineError(UpstreamError("AUTOMATIC1111", r));
  } catch (const EngineError& e) {
    host_->Warn(std::string("images: could not set the AUTOMATIC1111 checkpoint: ") + e.what());
  }
}

}  // namespace webui::images
