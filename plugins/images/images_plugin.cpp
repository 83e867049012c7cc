#include "images_plugin.hpp"

#include <webui_host/services/files.h>
#include <webui_host/services/image_generation.h>
#include <webui_host/sdk/files.hpp>
#include <webui_host/sdk/users.hpp>

#include "image_data.hpp"

namespace webui::images {

using nlohmann::json;
using sdk::Auth;
using sdk::Request;
using sdk::Response;

namespace {

// ERROR_MESSAGES.INVALID_URL.
constexpr const char* kDisabled = "Image generation is disabled.";
constexpr const char* kInvalidUrl =
    "Oops! The URL you provided is invalid. Please double-check and try again.";

bool GrantsImages(const json& permissions) {
  if (!permissions.is_object()) return false;
  auto features = permissions.find("features");
  if (features == permissions.end() || !features->is_object()) return false;
  auto it = features->find("image_generation");
  return it != features->end() && it->is_boolean() && it->get<bool>();
}

// POST /generations' body, checked as pydantic would (422).
GenerateForm ParseForm(const json& body, std::int64_t max_n) {
  GenerateForm f;
  f.prompt = sdk::RequiredString(body, "prompt");
  auto optional_string = [&](const char* name) -> std::optional<std::string> {
    auto it = body.find(name);
    if (it == body.end() || it->is_null()) return std::nullopt;
    if (!it->is_string())
      throw sdk::Unprocessable("string_type", name, "Input should be a valid string");
    return it->get<std::string>();
  };
  f.model = optional_string("model").value_or("");
  f.size = optional_string("size").value_or("");
  f.negative_prompt = optional_string("negative_prompt");
  if (auto n = body.find("n"); n != body.end() && !n->is_null()) {
    if (!n->is_number_integer())
      throw sdk::Unprocessable("int_type", "n", "Input should be a valid integer");
    f.n = n->get<std::int64_t>();
  }
  // Not checked upstream (the engine refuses); here a bound, so one request cannot ask an
  // engine for thousands of images and the server for as many files.
  if (f.n < 1 || f.n > max_n)
    throw sdk::BadRequest(
        sdk::messages::Default("n must be between 1 and " + std::to_string(max_n)));
  if (f.prompt.empty()) throw sdk::BadRequest(sdk::messages::Default("the prompt is empty"));
  return f;
}

// image_generation.v1 --------------------------------------------------------------------------
void WriteText(wh_str_sink sink, void* sink_user, std::string_view text) {
  if (sink) sink(sink_user, sdk::ToWh(text));
}

wh_status PermittedService(void* self, wh_str user_id, wh_str role, int* allowed) {
  try {
    *allowed = static_cast<ImagesPlugin*>(self)->Allowed(
                   sdk::Caller{sdk::FromWh(user_id), sdk::FromWh(role), {}, {}})
                   ? 1
                   : 0;
    return WH_OK;
  } catch (const sdk::Error& e) {
    return e.status();
  } catch (...) {
    return WH_ERROR;
  }
}

wh_status GenerateService(void* self, wh_str user_id, wh_str role, wh_str request_json,
                          wh_str_sink sink, void* sink_user) {
  auto* plugin = static_cast<ImagesPlugin*>(self);
  const sdk::Caller caller{sdk::FromWh(user_id), sdk::FromWh(role), {}, {}};
  try {
    if (!plugin->Allowed(caller)) {
      WriteText(sink, sink_user, "image generation is off or not permitted for this user");
      return WH_DENIED;
    }
    auto body = sdk::json::Parse(sdk::FromWh(request_json));
    if (!body || !body->is_object()) {
      WriteText(sink, sink_user, "the request is not a JSON object");
      return WH_INVALID;
    }
    const json out = plugin->Generate(caller, ParseForm(*body, plugin->limits().max_n));
    WriteText(sink, sink_user, out.dump());
    return WH_OK;
  } catch (const sdk::HttpError& e) {
    WriteText(sink, sink_user, e.detail());
    return e.status() == 503 ? WH_UNAVAILABLE : e.status() == 403 ? WH_DENIED : WH_INVALID;
  } catch (const sdk::Error& e) {
    WriteText(sink, sink_user, "image generation failed");
    return e.status();
  } catch (...) {
    return WH_ERROR;
  }
}

const wh_image_generation_v1 kImageGenerationVtable = {
    sizeof(wh_image_generation_v1), &PermittedService, &GenerateService, {}};

}  // namespace

void ImagesPlugin::Init(sdk::Host& host) {
  host_ = &host;
  DeclareSettings(host);
  limits_ = LoadLimits(host);
  AddConfigRoutes();

  host.Route("GET", "/api/v1/images/models", Auth::kVerified, [this](Request&, Response& res) {
    const Settings s = Load(*host_);
    try {
      sdk::Reply(res, Models(s));
    } catch (const EngineError& e) {
      // As upstream: a failing list turns the feature off, so the chat stops offering it.
      SetEnabled(*host_, false);
      throw sdk::BadRequest(sdk::messages::Default(e.what()));
    }
  });

  host.Route("POST", "/api/v1/images/generations", Auth::kVerified,
             [this](Request& req, Response& res) {
               const sdk::Caller caller = req.RequireCaller();
               // 0.6.32 checks neither; this server does (the UI hides what these refuse).
               if (!Load(*host_).enabled) throw sdk::Forbidden(kDisabled);
               if (!Permitted(caller)) throw sdk::Forbidden();
               const GenerateForm form = ParseForm(sdk::JsonBody(req), limits_.max_n);
               sdk::Reply(res, Generate(caller, form));
             });

  // What the chat page reads to show the image toggle (signed-in callers only, as Open WebUI;
  // ui_defaults answers false while this module is not loaded).
  sdk::OfferApiConfigJson(host, [this](Request& req) {
    const auto caller = req.GetCaller();
    if (!caller || (caller->role != "user" && !caller->IsAdmin())) return json::object();
    return json{{"features", {{"enable_image_generation", Load(*host_).enabled}}}};
  });

  host.OfferService(WH_SERVICE_IMAGE_GENERATION_V1, &kImageGenerationVtable, this);
}

bool ImagesPlugin::Allowed(const sdk::Caller& caller) const {
  return Load(*host_).enabled && Permitted(caller);
}

void ImagesPlugin::AddConfigRoutes() {
  host_->Route("GET", "/api/v1/images/config", Auth::kAdmin,
               [this](Request&, Response& res) { sdk::Reply(res, ConfigForm(Load(*host_))); });
  host_->Route("POST", "/api/v1/images/config/update", Auth::kAdmin,
               [this](Request& req, Response& res) {
                 SaveConfigForm(*host_, sdk::JsonBody(req));
                 sdk::Reply(res, ConfigForm(Load(*host_)));
               });
  host_->Route("GET", "/api/v1/images/image/config", Auth::kAdmin, [this](Request&, Response& res) {
    const Settings s = Load(*host_);
    std::string model;
    try {
      model = CurrentModel(s);
    } catch (const EngineError& e) {
      throw sdk::BadRequest(sdk::messages::Default(e.what()));
    }
    sdk::Reply(res, {{"MODEL", model},
                     {"IMAGE_SIZE", s.size},
                     {"IMAGE_STEPS", s.steps ? json(*s.steps) : json(nullptr)}});
  });
  host_->Route("POST", "/api/v1/images/image/config/update", Auth::kAdmin,
               [this](Request& req, Response& res) {
                 ChangeModel(SaveImageForm(*host_, sdk::JsonBody(req)));
                 const Settings s = Load(*host_);
                 sdk::Reply(res, {{"MODEL", s.model},
                                  {"IMAGE_SIZE", s.size},
                                  {"IMAGE_STEPS", s.steps ? json(*s.steps) : json(nullptr)}});
               });
  host_->Route("GET", "/api/v1/images/config/url/verify", Auth::kAdmin,
               [this](Request&, Response& res) {
                 const Settings s = Load(*host_);
                 sdk::FetchRequest rq;
                 if (s.engine == engines::kAutomatic1111) {
                   sdk::Headers h;
                   if (!s.a1111_api_auth.empty())
                     h.emplace_back("Authorization", "Basic " + Base64Encode(s.a1111_api_auth));
                   rq = EngineRequest("GET", s.a1111_base_url + "/sdapi/v1/options", h);
                 } else if (s.engine == engines::kComfyUi) {
                   sdk::Headers h;
                   if (!s.comfyui_api_key.empty())
                     h.emplace_back("Authorization", "Bearer " + s.comfyui_api_key);
                   rq = EngineRequest("GET", s.comfyui_base_url + "/object_info", h);
                 } else {
                   sdk::Reply(res, true);
                   return;
                 }
                 rq.total_timeout_ms = 15'000;
                 const auto r = Ask(rq);
                 if (!r.ok() || r.http_status < 200 || r.http_status >= 300) {
                   // As upstream: a base URL that does not answer turns the feature off.
                   SetEnabled(*host_, false);
                   throw sdk::BadRequest(kInvalidUrl);
                 }
                 sdk::Reply(res, true);
               });
}

bool ImagesPlugin::Permitted(const sdk::Caller& caller) const {
  if (caller.IsAdmin()) return true;
  const json defaults = sdk::Setting<json>(*host_, "user.permissions", json::object());
  // USER_PERMISSIONS_FEATURES_IMAGE_GENERATION defaults to true: a missing entry allows.
  const auto features = defaults.find("features");
  if (features == defaults.end() || !features->is_object() ||
      !features->contains("image_generation") || GrantsImages(defaults))
    return true;
  try {
    sdk::Groups groups(*host_);
    for (const json& id : groups.GroupsOf(caller.id)) {
      if (!id.is_string()) continue;
      auto group = groups.Get(id.get<std::string>());
      if (group && GrantsImages(group->value("permissions", json::object()))) return true;
    }
  } catch (const sdk::Error& e) {
    if (e.status() != WH_NOT_FOUND) throw;  // an outage is a 503, never a silent yes or no
  }
  return false;
}

json ImagesPlugin::Generate(const sdk::Caller& caller, const GenerateForm& form) {
  // Checked first: without a place to keep them, generating images only costs the engine.
  if (host_->Services(WH_SERVICE_FILES_V1).empty())
    throw sdk::HttpError(
        503, sdk::messages::Default("the files module is not loaded: generated images cannot be "
                                    "stored"));
  const Settings s = Load(*host_);
  std::vector<Generated> images;
  try {
    if (s.engine == engines::kOpenAi) {
      images = OpenAi(s, form);
    } else if (s.engine == engines::kGemini) {
      images = Gemini(s, form);
    } else if (s.engine == engines::kComfyUi) {
      images = ComfyUi(s, form, std::string(caller.id));
    } else if (s.IsAutomatic1111()) {
      if (!form.model.empty()) ChangeModel(form.model);
      images = Automatic1111(s, form);
    } else {
      throw EngineError("the image generation engine '" + s.engine + "' is not available");
    }
  } catch (const EngineError& e) {
    host_->Warn(std::string("images: generation failed: ") + e.what());
    throw sdk::BadRequest(sdk::messages::Default(e.what()));
  }
  if (images.empty()) throw sdk::BadRequest(sdk::messages::Default("the engine sent no image"));
  sdk::Files files(*host_);
  json out = json::array();
  for (Generated& g : images) {
    json info = {{"filename", "generated-image" + ExtensionFor(g.content_type)},
                 {"content_type", g.content_type},
                 {"data", g.data},
                 {"process", false}};
    const json row = files.Store(caller.id, info, g.bytes);
    out.push_back({{"url", "/api/v1/files/" + row.value("id", std::string()) + "/content"}});
  }
  return out;
}

}  // namespace webui::images

WEBUI_HOST_PLUGIN(webui::images::ImagesPlugin, "images", "1.0.0",
                  "Image generation: /api/v1/images with OpenAI, Gemini, AUTOMATIC1111, ComfyUI")
