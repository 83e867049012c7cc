// The images plugin through HTTP on the real binary, with the real auth and files plugins, against
// images_stub.py (loopback stand-ins for an OpenAI-compatible image server, AUTOMATIC1111,
// ComfyUI and Gemini, speaking their wire formats). Each generated image must come back through
// /api/v1/files/<id>/content byte for byte as the stub made it.
#include <string>

#include <chrono>
#include <thread>

#include "it_support.hpp"
#include "script_server.hpp"
#include "upstream_double.hpp"

namespace webui::testing {
namespace {

using nlohmann::json;

const std::string kPngHead("\x89PNG\r\n\x1a\n", 8);
const std::string kOpenAiPng = kPngHead + "openai-stub-image";
const std::string kA1111Png = kPngHead + "a1111-stub-image";
const std::string kComfyPng = kPngHead + "comfyui-stub-image";
const std::string kGeminiPng = kPngHead + "gemini-stub-image";

// Started by the first Configure, stopped when the test process exits.
ScriptServer& TheStub() {
  static ScriptServer stub(IMAGES_STUB_SCRIPT);
  return stub;
}
// A second server that no test may make the host reach (the SSRF tests).
ScriptServer& TheSink() {
  static ScriptServer sink(IMAGES_STUB_SCRIPT);
  return sink;
}

json Requests(const ScriptServer& s, const std::string& path_prefix) {
  json out = json::array();
  const json stats = Http(s.port(), "GET", "/stats").Json();
  for (const json& r : stats["requests"])
    if (r["path"].get<std::string>().rfind(path_prefix, 0) == 0) out.push_back(r);
  return out;
}

HeaderList Bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}};
}

template <typename Suite>
class ImagesSuite : public SharedHostSuite<Suite> {
 public:
  static void Common(HostProcess::Options& o,
                     const char* plugins = "auth,images,files,ui_defaults") {
    PluginHostEnv(o, plugins, "it-secret-for-the-images-plugin-tests");
    o.env["ENABLE_IMAGE_GENERATION"] = "true";
    o.env["IMAGE_GENERATION_ENGINE"] = "openai";
    o.env["IMAGES_OPENAI_API_BASE_URL"] = TheStub().origin() + "/v1";
    o.env["IMAGES_OPENAI_API_KEY"] = "sk-images-stub";
    o.env["AUTOMATIC1111_BASE_URL"] = TheStub().origin();
    o.env["AUTOMATIC1111_API_AUTH"] = "sd-user:sd-pass";
    o.env["AUTOMATIC1111_CFG_SCALE"] = "7.5";
    o.env["AUTOMATIC1111_SAMPLER"] = "Euler a";
    o.env["COMFYUI_BASE_URL"] = TheStub().origin();
    o.env["COMFYUI_API_KEY"] = "comfy-key";
    o.env["COMFYUI_WORKFLOW_NODES"] = R"([{"type":"prompt","key":"text","node_ids":["6"]},)"
                                      R"({"type":"model","key":"ckpt_name","node_ids":["4"]},)"
                                      R"({"type":"width","key":"width","node_ids":["5"]},)"
                                      R"({"type":"height","key":"height","node_ids":["5"]},)"
                                      R"({"type":"steps","key":"steps","node_ids":["3"]},)"
                                      R"({"type":"seed","key":"seed","node_ids":["3"]}])";
    o.env["IMAGES_GEMINI_API_BASE_URL"] = TheStub().origin() + "/gemini";
    o.env["IMAGES_GEMINI_API_KEY"] = "gemini-key";
    o.env["IMAGE_SIZE"] = "640x384";
    o.env["IMAGE_STEPS"] = "12";
  }

 protected:
  using Base = SharedHostSuite<Suite>;
  struct Account : testing::Account {
    HeaderList auth() const { return Bearer(token); }
  };
  static HttpResult Call(const std::string& method, const std::string& path,
                         const std::string& body, const HeaderList& who) {
    return Http(Base::host().port(), method, path, body, who);
  }
  static const Account& Admin() {
    static const Account admin{SignUp(Base::host().port(), "Root")};
    return admin;
  }
  static Account Add(const std::string& name, const std::string& role) {
    return Account{SignUp(Base::host().port(), name, Admin().token, role)};
  }
  static const Account& User() {
    static const Account user = Add("alice", "user");
    return user;
  }
  static const Account& Other() {
    static const Account other = Add("bob", "user");
    return other;
  }
  static const Account& Pending() {
    static const Account pending = Add("pat", "pending");
    return pending;
  }
  static HttpResult Generate(const json& body, const Account& who) {
    return Call("POST", "/api/v1/images/generations", body.dump(), who.auth());
  }
  // The admin form with `patch` merged in, saved; the saved form.
  static json UpdateConfig(const json& patch) {
    json form = Call("GET", "/api/v1/images/config", "", Admin().auth()).Json();
    form.merge_patch(patch);
    auto r = Call("POST", "/api/v1/images/config/update", form.dump(), Admin().auth());
    EXPECT_EQ(r.status, 200) << r.body;
    return r.Json();
  }
  // The bytes behind a generation's [{"url"}] answer, read as `who`.
  static std::string ImageBytes(const HttpResult& generated, const Account& who) {
    EXPECT_EQ(generated.status, 200) << generated.body;
    const json list = generated.Json();
    EXPECT_TRUE(list.is_array() && list.size() == 1) << generated.body;
    if (!list.is_array() || list.empty()) return {};
    const std::string url = list[0].value("url", "");
    EXPECT_EQ(url.rfind("/api/v1/files/", 0), 0u) << url;
    EXPECT_EQ(url.substr(url.size() - 8), "/content") << url;
    auto r = Call("GET", url, "", who.auth());
    EXPECT_EQ(r.status, 200) << r.body;
    return r.body;
  }
};

// ---- engines ----------------------------------------------------------------------------------

class ImagesEngines : public ImagesSuite<ImagesEngines> {
 public:
  static void Configure(HostProcess::Options& o) {
    EXPECT_GT(TheStub().port(), 0);
    Common(o);
  }
};

TEST_F(ImagesEngines, OpenAiBase64ImageBecomesAFileOfTheCallerOnly) {
  UpdateConfig({{"engine", "openai"}, {"enabled", true}});
  auto r = Generate({{"prompt", "a red fox"}}, User());
  EXPECT_EQ(ImageBytes(r, User()), kOpenAiPng);
  // The row is the caller's: another user does not see it.
  const std::string url = r.Json()[0]["url"];
  EXPECT_EQ(Call("GET", url, "", Other().auth()).status, 404);
  const json sent = Requests(TheStub(), "/v1/images/generations").back();
  EXPECT_EQ(sent["auth"], "Bearer sk-images-stub");
  const json body = json::parse(sent["body"].get<std::string>());
  EXPECT_EQ(body["model"], "dall-e-2");
  EXPECT_EQ(body["prompt"], "a red fox");
  EXPECT_EQ(body["n"], 1);
  EXPECT_EQ(body["size"], "640x384");
  EXPECT_EQ(body["response_format"], "b64_json");
  // The file row keeps the parameters, as upstream's meta.data.
  const std::string id = url.substr(14, url.size() - 14 - 8);
  const json file = Call("GET", "/api/v1/files/" + id, "", User().auth()).Json();
  EXPECT_EQ(file["meta"]["content_type"], "image/png") << file.dump();
  EXPECT_EQ(file["meta"]["data"]["prompt"], "a red fox") << file.dump();
  EXPECT_EQ(file["filename"], "generated-image.png");
}

TEST_F(ImagesEngines, OpenAiUrlReplyOnTheEnginesOriginIsFetched) {
  UpdateConfig({{"engine", "openai"}});
  const size_t before = Requests(TheStub(), "/files/openai.png").size();
  auto r = Generate({{"prompt", "url"}, {"model", "gpt-image-1"}}, User());
  EXPECT_EQ(ImageBytes(r, User()), kOpenAiPng);
  EXPECT_EQ(Requests(TheStub(), "/files/openai.png").size(), before + 1);
  const json body =
      json::parse(Requests(TheStub(), "/v1/images/generations").back()["body"].get<std::string>());
  EXPECT_EQ(body["model"], "gpt-image-1");
  EXPECT_FALSE(body.contains("response_format"));  // gpt-image-1 refuses it
}

TEST_F(ImagesEngines, RedirectWithinTheEnginesOriginIsFollowed) {
  UpdateConfig({{"engine", "openai"}});
  auto r = Generate({{"prompt", "url:" + TheStub().origin() + "/redirect?to=/files/openai.png"}},
                    User());
  EXPECT_EQ(ImageBytes(r, User()), kOpenAiPng);
  EXPECT_EQ(Requests(TheStub(), "/files/openai.png").back()["auth"], "Bearer sk-images-stub");
}

TEST_F(ImagesEngines, UpstreamErrorIs400WithItsMessage) {
  UpdateConfig({{"engine", "openai"}});
  auto r = Generate({{"prompt", "status:429"}}, User());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Json()["detail"], "[ERROR: stub refuses status:429]");
  // Bad forms: 422 as pydantic; n outside 1..WEBUI_IMAGES_MAX_N is 400.
  EXPECT_EQ(Generate({{"model", "x"}}, User()).status, 422);
  EXPECT_EQ(Generate({{"prompt", 5}}, User()).status, 422);
  EXPECT_EQ(Generate({{"prompt", "x"}, {"n", 0}}, User()).status, 400);
  EXPECT_EQ(Generate({{"prompt", "x"}, {"n", 1000}}, User()).status, 400);
  EXPECT_EQ(Call("POST", "/api/v1/images/generations", "{not json", User().auth()).status, 422);
}

TEST_F(ImagesEngines, Automatic1111SendsBasicAuthAndItsParameters) {
  UpdateConfig({{"engine", "automatic1111"}});
  auto r = Generate({{"prompt", "a lighthouse"}, {"negative_prompt", "fog"}}, User());
  EXPECT_EQ(ImageBytes(r, User()), kA1111Png);
  const json sent = Requests(TheStub(), "/sdapi/v1/txt2img").back();
  // The stub answers 401 to anything else, so a 200 above already says the header was right.
  EXPECT_EQ(sent["auth"], "Basic c2QtdXNlcjpzZC1wYXNz");
  const json body = json::parse(sent["body"].get<std::string>());
  EXPECT_EQ(body["prompt"], "a lighthouse");
  EXPECT_EQ(body["negative_prompt"], "fog");
  EXPECT_EQ(body["width"], 640);
  EXPECT_EQ(body["height"], 384);
  EXPECT_EQ(body["steps"], 12);
  EXPECT_EQ(body["batch_size"], 1);
  EXPECT_EQ(body["cfg_scale"], 7.5);
  EXPECT_EQ(body["sampler_name"], "Euler a");
  EXPECT_FALSE(body.contains("scheduler"));
}

TEST_F(ImagesEngines, Automatic1111ModelsAndModelChoiceReachTheEngine) {
  UpdateConfig({{"engine", "automatic1111"}, {"enabled", true}});
  auto models = Call("GET", "/api/v1/images/models", "", User().auth());
  ASSERT_EQ(models.status, 200) << models.body;
  EXPECT_EQ(models.Json()[1], (json{{"id", "sdxl.safetensors [def]"}, {"name", "sdxl"}}));
  auto r =
      Call("POST", "/api/v1/images/image/config/update",
           json{{"MODEL", "sdxl.safetensors [def]"}, {"IMAGE_SIZE", "768x512"}, {"IMAGE_STEPS", 30}}
               .dump(),
           Admin().auth());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(
      r.Json(),
      (json{{"MODEL", "sdxl.safetensors [def]"}, {"IMAGE_SIZE", "768x512"}, {"IMAGE_STEPS", 30}}));
  // The checkpoint was set on the engine, and GET reads it back from there.
  r = Call("GET", "/api/v1/images/image/config", "", Admin().auth());
  EXPECT_EQ(r.Json()["MODEL"], "sdxl.safetensors [def]") << r.body;
  // Bad sizes and steps are 400 and change nothing.
  for (const json& bad : {json{{"MODEL", "m"}, {"IMAGE_SIZE", "big"}, {"IMAGE_STEPS", 1}},
                          json{{"MODEL", "m"}, {"IMAGE_SIZE", "auto"}, {"IMAGE_STEPS", 1}},
                          json{{"MODEL", "m"}, {"IMAGE_SIZE", "1x1"}, {"IMAGE_STEPS", -1}}}) {
    r = Call("POST", "/api/v1/images/image/config/update", bad.dump(), Admin().auth());
    EXPECT_EQ(r.status, 400) << bad.dump();
    EXPECT_EQ(r.Json()["detail"].get<std::string>().rfind("Invalid format", 0), 0u) << r.body;
  }
  EXPECT_EQ(Call("GET", "/api/v1/images/image/config", "", Admin().auth()).Json()["IMAGE_SIZE"],
            "768x512");
  // Put the size back for the other tests.
  Call("POST", "/api/v1/images/image/config/update",
       json{{"MODEL", ""}, {"IMAGE_SIZE", "640x384"}, {"IMAGE_STEPS", 12}}.dump(), Admin().auth());
}

TEST_F(ImagesEngines, AFailingModelListIs400AndTurnsTheFeatureOff) {
  UpdateConfig({{"engine", "automatic1111"}, {"enabled", true}});
  Http(TheStub().port(), "POST", "/control", R"({"fail_models": true})");
  auto r = Call("GET", "/api/v1/images/models", "", User().auth());
  Http(TheStub().port(), "POST", "/control", R"({"fail_models": false})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Json()["detail"], "[ERROR: models are gone]");
  EXPECT_EQ(Call("GET", "/api/v1/images/config", "", Admin().auth()).Json()["enabled"], false);
  // And disabled means 403 for everyone who asks for an image.
  EXPECT_EQ(Generate({{"prompt", "x"}}, User()).status, 403);
  EXPECT_EQ(Generate({{"prompt", "x"}}, Admin()).status, 403);
  auto config = Call("GET", "/api/config", "", User().auth()).Json();
  EXPECT_EQ(config["features"]["enable_image_generation"], false);
  UpdateConfig({{"enabled", true}});
  config = Call("GET", "/api/config", "", User().auth()).Json();
  EXPECT_EQ(config["features"]["enable_image_generation"], true);
}

TEST_F(ImagesEngines, ComfyUiGetsTheSubstitutedWorkflowAndIsPolledToTheEnd) {
  UpdateConfig({{"engine", "comfyui"}});
  auto r = Generate({{"prompt", "a blue whale"}, {"model", "b.safetensors"}}, User());
  EXPECT_EQ(ImageBytes(r, User()), kComfyPng);
  const json queued = Requests(TheStub(), "/prompt").back();
  EXPECT_EQ(queued["auth"], "Bearer comfy-key");
  const json body = json::parse(queued["body"].get<std::string>());
  EXPECT_EQ(body["client_id"], User().id);
  const json& wf = body["prompt"];
  EXPECT_EQ(wf["6"]["inputs"]["text"], "a blue whale");
  EXPECT_EQ(wf["4"]["inputs"]["ckpt_name"], "b.safetensors");
  EXPECT_EQ(wf["5"]["inputs"]["width"], 640);
  EXPECT_EQ(wf["5"]["inputs"]["height"], 384);
  EXPECT_EQ(wf["3"]["inputs"]["steps"], 12);
  EXPECT_TRUE(wf["3"]["inputs"]["seed"].is_number_integer());
  EXPECT_EQ(wf["9"]["class_type"], "SaveImage");  // the rest of the default workflow is there
  // Polled until the stub had it (its third answer), then /view with the engine's key.
  const json view = Requests(TheStub(), "/view").back();
  EXPECT_EQ(view["auth"], "Bearer comfy-key");
  EXPECT_GE(Requests(TheStub(), "/history/").size(), 3u);
  // The model list: the model node's class (CheckpointLoaderSimple) from /object_info.
  auto models = Call("GET", "/api/v1/images/models", "", User().auth());
  EXPECT_EQ(models.Json(), json::parse(R"([{"id":"a.safetensors","name":"a.safetensors"},
                                           {"id":"b.safetensors","name":"b.safetensors"}])"));
}

TEST_F(ImagesEngines, GeminiSendsItsKeyHeader) {
  UpdateConfig({{"engine", "gemini"}});
  auto r = Generate({{"prompt", "a castle"}}, User());
  EXPECT_EQ(ImageBytes(r, User()), kGeminiPng);
  const json sent = Requests(TheStub(), "/gemini/models/imagen-3.0-generate-002:predict").back();
  EXPECT_EQ(sent["goog"], "gemini-key");
  EXPECT_TRUE(sent["auth"].is_null());
  const json body = json::parse(sent["body"].get<std::string>());
  EXPECT_EQ(body["instances"]["prompt"], "a castle");
  EXPECT_EQ(body["parameters"]["sampleCount"], 1);
}

TEST_F(ImagesEngines, ConfigIsForAdminsAndSavesWhatTheAdminPageSends) {
  EXPECT_EQ(Call("GET", "/api/v1/images/config", "", User().auth()).status, 401);
  EXPECT_EQ(Call("POST", "/api/v1/images/config/update", "{}", User().auth()).status, 401);
  EXPECT_EQ(Call("GET", "/api/v1/images/image/config", "", User().auth()).status, 401);
  EXPECT_EQ(Call("GET", "/api/v1/images/config/url/verify", "", User().auth()).status, 401);
  EXPECT_EQ(Call("GET", "/api/v1/images/models", "", Pending().auth()).status, 401);
  EXPECT_EQ(Generate({{"prompt", "x"}}, Pending()).status, 401);

  const json original = Call("GET", "/api/v1/images/config", "", Admin().auth()).Json();
  EXPECT_TRUE(original["comfyui"]["COMFYUI_WORKFLOW_NODES"].is_array());
  EXPECT_EQ(original["automatic1111"]["AUTOMATIC1111_CFG_SCALE"], 7.5);
  json form = original;
  form["automatic1111"]["AUTOMATIC1111_CFG_SCALE"] = "4";
  form["automatic1111"]["AUTOMATIC1111_SAMPLER"] = "";
  form["comfyui"]["COMFYUI_BASE_URL"] = TheStub().origin() + "/";
  auto r = Call("POST", "/api/v1/images/config/update", form.dump(), Admin().auth());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["automatic1111"]["AUTOMATIC1111_CFG_SCALE"], 4.0);
  EXPECT_TRUE(r.Json()["automatic1111"]["AUTOMATIC1111_SAMPLER"].is_null());
  EXPECT_EQ(r.Json()["comfyui"]["COMFYUI_BASE_URL"], TheStub().origin());
  // 422 leaves everything as it was.
  json bad = original;
  bad["enabled"] = false;
  bad["comfyui"]["COMFYUI_WORKFLOW_NODES"] = "not a list";
  r = Call("POST", "/api/v1/images/config/update", bad.dump(), Admin().auth());
  EXPECT_EQ(r.status, 422);
  bad = original;
  bad.erase("gemini");
  EXPECT_EQ(Call("POST", "/api/v1/images/config/update", bad.dump(), Admin().auth()).status, 422);
  EXPECT_EQ(Call("GET", "/api/v1/images/config", "", Admin().auth()).Json()["enabled"], true);
  ASSERT_EQ(Call("POST", "/api/v1/images/config/update", original.dump(), Admin().auth()).status,
            200);
}

TEST_F(ImagesEngines, VerifyAsksTheEngineAndABadUrlTurnsTheFeatureOff) {
  UpdateConfig({{"engine", "comfyui"}, {"enabled", true}});
  auto r = Call("GET", "/api/v1/images/config/url/verify", "", Admin().auth());
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "true");
  UpdateConfig({{"engine", "automatic1111"}});
  EXPECT_EQ(Call("GET", "/api/v1/images/config/url/verify", "", Admin().auth()).status, 200);
  UpdateConfig({{"automatic1111", {{"AUTOMATIC1111_API_AUTH", "wrong:pw"}}}});
  r = Call("GET", "/api/v1/images/config/url/verify", "", Admin().auth());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Json()["detail"],
            "Oops! The URL you provided is invalid. Please double-check and try again.");
  EXPECT_EQ(Call("GET", "/api/v1/images/config", "", Admin().auth()).Json()["enabled"], false);
  UpdateConfig(
      {{"enabled", true}, {"automatic1111", {{"AUTOMATIC1111_API_AUTH", "sd-user:sd-pass"}}}});
}

// An engine that answers with a URL elsewhere does not make this server fetch a private address
// (docs/security.md T26–T28): the sink, on another loopback port, must see no request at all.
TEST_F(ImagesEngines, UrlReplyToAnotherNonPublicOriginIsRefusedAndNothingReachesIt) {
  ASSERT_GT(TheSink().port(), 0);
  UpdateConfig({{"engine", "openai"}});
  for (const std::string& target :
       {TheSink().origin() + "/files/openai.png",
        // A redirect from the engine's own origin is checked like any other URL.
        TheStub().origin() + "/redirect?to=" + TheSink().origin() + "/files/openai.png",
        std::string("http://localhost:") + std::to_string(TheSink().port()) + "/x.png",
        std::string("http://[::ffff:127.0.0.1]:") + std::to_string(TheSink().port()) + "/x.png"}) {
    auto r = Generate({{"prompt", "url:" + target}}, User());
    EXPECT_EQ(r.status, 400) << target << " " << r.body;
    EXPECT_EQ(r.Json().is_object() ? r.Json()["detail"] : json(),
              "[ERROR: the image URL the engine answered with is not allowed]")
        << target;
  }
  EXPECT_EQ(Requests(TheSink(), "/").size(), 0u);
}

// ---- an allowed non-public image host ---------------------------------------------------------

// The admin lets the sink through (WEBUI_FETCH_ALLOWED_HOSTS): the image is fetched, and the
// engine's key does not go with it.
class ImagesAllowedHost : public ImagesSuite<ImagesAllowedHost> {
 public:
  static void Configure(HostProcess::Options& o) {
    Common(o);
    o.env["WEBUI_FETCH_ALLOWED_HOSTS"] = "127.0.0.1:" + std::to_string(TheSink().port());
    o.env["WEBUI_IMAGES_MAX_BYTES"] = "1024";
  }
};

TEST_F(ImagesAllowedHost, ImagesOverTheSizeLimitAreRefusedDecodedOrFetched) {
  auto r = Generate({{"prompt", "big"}}, User());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Json().value("detail", ""), "[ERROR: the image is larger than 1024 bytes]");
  r = Generate({{"prompt", "url:" + TheSink().origin() + "/files/big.png"}}, User());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Json().value("detail", ""), "[ERROR: the image is too large]");
}

TEST_F(ImagesAllowedHost, ImageUrlOnAnotherOriginIsFetchedWithoutTheEnginesKey) {
  ASSERT_GT(TheSink().port(), 0);
  const size_t before = Requests(TheSink(), "/files/openai.png").size();
  auto r = Generate({{"prompt", "url:" + TheSink().origin() + "/files/openai.png"}}, User());
  EXPECT_EQ(ImageBytes(r, User()), kOpenAiPng);
  const json seen = Requests(TheSink(), "/files/openai.png");
  ASSERT_EQ(seen.size(), before + 1);
  EXPECT_TRUE(seen.back()["auth"].is_null()) << seen.back().dump();
  // The engine itself did get its key.
  EXPECT_EQ(Requests(TheStub(), "/v1/images/generations").back()["auth"], "Bearer sk-images-stub");
}

// ---- permissions ------------------------------------------------------------------------------

class ImagesRestricted : public ImagesSuite<ImagesRestricted> {
 public:
  static void Configure(HostProcess::Options& o) {
    Common(o);
    o.env["USER_PERMISSIONS_FEATURES_IMAGE_GENERATION"] = "false";
  }
};

TEST_F(ImagesRestricted, UsersWithoutTheFeatureGet403AndAdminsPass) {
  const size_t before = Requests(TheStub(), "/v1/images/generations").size();
  auto r = Generate({{"prompt", "x"}}, User());
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(Requests(TheStub(), "/v1/images/generations").size(), before);
  EXPECT_EQ(ImageBytes(Generate({{"prompt", "x"}}, Admin()), Admin()), kOpenAiPng);
}

// ---- without the files module -----------------------------------------------------------------

class ImagesWithoutFiles : public ImagesSuite<ImagesWithoutFiles> {
 public:
  static void Configure(HostProcess::Options& o) { Common(o, "auth,images,ui_defaults"); }
};

TEST_F(ImagesWithoutFiles, GenerationsIs503AndTheEngineIsNotAsked) {
  const size_t before = Requests(TheStub(), "/v1/images/generations").size();
  auto r = Generate({{"prompt", "x"}}, User());
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.Json()["detail"].get<std::string>().find("files module"), std::string::npos);
  EXPECT_EQ(Requests(TheStub(), "/v1/images/generations").size(), before);
  // The settings still work.
  EXPECT_EQ(Call("GET", "/api/v1/images/config", "", Admin().auth()).status, 200);
}

// ---- the chat's image toggle ------------------------------------------------------------------
// chat + openai over the test upstream, images over the stub, and the chat tests' recording
// socket emitter: a completion with features.image_generation draws the question first.

UpstreamDouble& TheModel() {
  static UpstreamDouble* model = [] {
    auto* up = new UpstreamDouble({"--models", "gpt-test"});
    std::string why;
    if (!up->Start(&why)) ADD_FAILURE() << why;
    return up;
  }();
  return *model;
}

class ChatImages : public ImagesSuite<ChatImages> {
 public:
  static void Configure(HostProcess::Options& o) {
    Common(o, "auth,images,files,chat,openai,test_chat_emitter");
    o.env["WEBUI_PLUGIN_PATH"] = std::string(WEBUI_PLUGIN_BUILD_DIR) + ":" + CHAT_TEST_PLUGIN_DIR;
    OpenAiUpstreamEnv(o, TheModel().BaseUrl() + "/v1");
  }

 protected:
  // A background completion (the web UI's path) of `question` with the toggle on; the saved
  // assistant message once done, and the session's chat-events in order.
  static std::pair<json, json> AskInChat(const std::string& question, bool toggle) {
    auto c = Call("POST", "/api/v1/chats/new", json{{"chat", PendingReplyChat(question)}}.dump(),
                  User().auth());
    EXPECT_EQ(c.status, 200) << c.body;
    const std::string chat_id = c.Json().value("id", "");
    EXPECT_EQ(Call("POST", "/api/v1/test-emitter/reset", "{}", {}).status, 200);
    json body = {{"model", "gpt-test"},
                 {"stream", true},
                 {"messages", json::array({{{"role", "user"}, {"content", question}}})},
                 {"features", {{"image_generation", toggle}}},
                 {"chat_id", chat_id},
                 {"id", "a1"},
                 {"session_id", "sid-img"}};
    auto r = Call("POST", "/api/chat/completions", body.dump(), User().auth());
    EXPECT_EQ(r.status, 200) << r.body;
    json saved;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < until) {
      saved = Call("GET", "/api/v1/chats/" + chat_id, "", User().auth())
                  .Json()["chat"]["history"]["messages"]["a1"];
      if (saved.value("done", false)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_TRUE(saved.value("done", false)) << saved.dump();
    json events = json::array();
    for (const auto& e : Call("GET", "/api/v1/test-emitter/events", "", {}).Json())
      if (e["to"] == "sid-img" && e["event"] == "chat-events") events.push_back(e["data"]["data"]);
    return {saved, events};
  }
  static std::string ModelSystemPrompt() {
    const auto seen = TheModel().Requests("/v1/chat/completions");
    if (seen.empty()) return {};
    const json m = json::parse(seen.back()["body"].get<std::string>())["messages"];
    return m[0]["role"] == "system" ? m[0]["content"].get<std::string>() : std::string();
  }
};

TEST_F(ChatImages, TheToggleDrawsTheQuestionShowsTheImageAndTellsTheModel) {
  const size_t before = Requests(TheStub(), "/v1/images/generations").size();
  auto [saved, events] = AskInChat("a lighthouse at dawn", true);
  const json drawn = Requests(TheStub(), "/v1/images/generations");
  ASSERT_EQ(drawn.size(), before + 1);
  EXPECT_EQ(json::parse(drawn.back()["body"].get<std::string>())["prompt"], "a lighthouse at dawn");
  // status (working) -> status (done) -> files, before the answer's content.
  std::vector<std::string> order;
  json files;
  for (const auto& e : events) {
    const std::string type = e.value("type", "");
    if (type == "status" && e["data"].value("action", "") == "image_generation")
      order.push_back(e["data"]["description"].get<std::string>());
    if (type == "files") {
      order.push_back("files");
      files = e["data"]["files"];
    }
  }
  EXPECT_EQ(order, (std::vector<std::string>{"Generating an image", "Generated an image", "files"}))
      << events.dump();
  ASSERT_EQ(files.size(), 1u) << events.dump();
  EXPECT_EQ(files[0]["type"], "image");
  // The image is the user's file, with the stub's bytes, and stays on the saved message.
  auto bytes = Call("GET", files[0]["url"].get<std::string>(), "", User().auth());
  EXPECT_EQ(bytes.status, 200);
  EXPECT_EQ(bytes.body, kOpenAiPng);
  EXPECT_EQ(saved["files"], files) << saved.dump();
  EXPECT_NE(ModelSystemPrompt().find("User is shown the generated image"), std::string::npos)
      << ModelSystemPrompt();
}

TEST_F(ChatImages, AFailedImageIsReportedAndTheModelToldWhy) {
  auto [saved, events] = AskInChat("status:429", true);
  bool error_status = false;
  for (const auto& e : events) {
    EXPECT_NE(e.value("type", ""), "files") << events.dump();
    if (e.value("type", "") == "status" &&
        e["data"].value("description", "") == "An error occurred while generating an image")
      error_status = true;
  }
  EXPECT_TRUE(error_status) << events.dump();
  EXPECT_NE(ModelSystemPrompt().find("Unable to generate an image"), std::string::npos);
  EXPECT_NE(saved.value("content", "").find("Hello! You said"), std::string::npos);
}

TEST_F(ChatImages, WithoutTheToggleNothingIsDrawn) {
  const size_t before = Requests(TheStub(), "/v1/images/generations").size();
  auto [saved, events] = AskInChat("just talk", false);
  EXPECT_EQ(Requests(TheStub(), "/v1/images/generations").size(), before);
  EXPECT_EQ(ModelSystemPrompt(), "");
  EXPECT_FALSE(saved.contains("files")) << saved.dump();
}

}  // namespace
}  // namespace webui::testing
