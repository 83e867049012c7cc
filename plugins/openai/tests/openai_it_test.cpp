// plugins/openai against the test upstreams: model listing, streaming passthrough, disconnects,
// resets, timeouts, error passthrough, connection routing and admin-only settings.
#include "providers_fixture.hpp"

namespace webui::testing {
namespace {

class OpenAiProxy : public ProvidersTest {};

json ModelsById(const json& list) {
  json out = json::object();
  for (const auto& m : list) out[m["id"].get<std::string>()] = m;
  return out;
}

TEST_F(OpenAiProxy, ListsTheModelsOfEveryConnectionWithPrefixesAndIndexes) {
  auto r = host().Get("/openai/models", As("user"));
  ASSERT_EQ(r.status, 200) << r.body;
  json by_id = ModelsById(r.Json()["data"]);
  ASSERT_TRUE(by_id.contains("gpt-test")) << r.body;
  EXPECT_EQ(by_id["gpt-test"]["urlIdx"], 0);
  EXPECT_EQ(by_id["gpt-test"]["owned_by"], "openai");
  EXPECT_EQ(by_id["gpt-test"]["name"], "gpt-test");
  EXPECT_EQ(by_id["gpt-test"]["connection_type"], "external");
  EXPECT_EQ(by_id["gpt-test"]["openai"]["owned_by"], "test-upstream");
  EXPECT_EQ(by_id["dead-model"]["urlIdx"], 1);
  EXPECT_EQ(by_id["b.b-model"]["urlIdx"], 2);
  EXPECT_EQ(by_id["refused-model"]["urlIdx"], 3);
  EXPECT_EQ(by_id["wrongkey-model"]["urlIdx"], 4);
  EXPECT_FALSE(by_id.contains("b-model"));
  // The upstream got the connection's key.
  auto lists = a().Requests("/v1/models");
  ASSERT_FALSE(lists.empty());
  EXPECT_EQ(lists.back()["headers"]["authorization"], "Bearer key-a");
}

TEST_F(OpenAiProxy, OnlyVerifiedUsersSeeModels) {
  EXPECT_TRUE(Denied(host().Get("/openai/models")));
  EXPECT_TRUE(Denied(host().Get("/openai/models", As("pending"))));
  EXPECT_EQ(host().Get("/openai/models", As("admin")).status, 200);
}

TEST_F(OpenAiProxy, NonStreamingCompletionReturnsTheWholeAnswer) {
  auto r = host().Post("/openai/chat/completions", ChatBody("gpt-test", "one two three", false),
                       As("user"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["choices"][0]["message"]["content"], kText);
  auto reqs = a().Requests("/v1/chat/completions", "gpt-test");
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0]["headers"]["authorization"], "Bearer key-a");
}

TEST_F(OpenAiProxy, StreamingPassesEventsThroughAsTheyArrive) {
  auto r = PostStreaming(host().port(), "/openai/chat/completions",
                         ChatBody("gpt-slow", "one two three", true), As("user"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/event-stream");
  EXPECT_EQ(r.cache_control, "no-cache");
  EXPECT_EQ(r.accel_buffering, "no");
  EXPECT_EQ(SseText(r.lines), kText);
  ASSERT_FALSE(r.lines.empty());
  EXPECT_EQ(r.lines.back(), "data: [DONE]");
  // 250 ms between tokens upstream: the first token must not wait for the last one.
  ASSERT_GE(r.arrivals.size(), 4u);
  EXPECT_GE(r.arrivals.back() - r.arrivals.front(), std::chrono::milliseconds(800));
}

// [DONE] ends the client's stream even when the upstream keeps the connection open (before, the
// client waited for the read timeout and then got an error event).
TEST_F(OpenAiProxy, DoneEndsTheStreamWhenTheUpstreamStaysOpen) {
  auto r = PostStreaming(host().port(), "/openai/chat/completions",
                         ChatBody("gpt-done-hang", "one two three", true), As("user"));
  ExpectEndedByItsMarker(r, SseText(r.lines), !r.lines.empty() && r.lines.back() == "data: [DONE]",
                         a(), "/v1/chat/completions");
}

TEST_F(OpenAiProxy, TheConnectionComesFromTheModelAndItsPrefixIsStripped) {
  json body = json::parse(ChatBody("b.b-model", "one two three", false));
  body["urlIdx"] = 0;  // a caller cannot pick the connection
  body["url_idx"] = 0;
  auto r = host().Post("/openai/chat/completions", body.dump(), As("user"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["choices"][0]["message"]["content"], kText);
  EXPECT_EQ(b().Requests("/v1/chat/completions", "b-model").size(), 1u);
  EXPECT_TRUE(a().Requests("/v1/chat/completions").empty());
}

TEST_F(OpenAiProxy, UnknownModelIs404) {
  auto r =
      host().Post("/openai/chat/completions", ChatBody("no-such-model", "x", false), As("user"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.Json()["detail"], "Model not found");
}

TEST_F(OpenAiProxy, ClientLeavingMidStreamClosesTheUpstreamWithinOneSecond) {
  ExpectLeavingMidStreamClosesTheUpstream(host().port(), a(), "/openai/chat/completions",
                                          ChatBody("gpt-slow", "a b c d e f g h i j k l", true),
                                          As("user"), "model", "gpt-slow");
}

TEST_F(OpenAiProxy, ClientLeavingBeforeTheFirstByteClosesTheUpstream) {
  const long long closed_at = PostAndLeave(host().port(), "/openai/chat/completions",
                                           ChatBody("gpt-hang-headers", "x", true), As("user"), "",
                                           std::chrono::milliseconds(300));
  json seen = a().WaitFor(
      [](const json& r) {
        return r["model"] == "gpt-hang-headers" && r["closed_by_client"] == true;
      },
      std::chrono::seconds(3));
  ASSERT_FALSE(seen.is_null()) << a().Log().dump();
  EXPECT_LE(seen["t_closed"].get<long long>() - closed_at, 1000);
}

TEST_F(OpenAiProxy, UpstreamResetMidStreamEndsWithAnExplicitError) {
  auto r = PostStreaming(host().port(), "/openai/chat/completions",
                         ChatBody("gpt-reset-mid", "one two three four five", true), As("user"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(SseText(r.lines), "Hello! You said:");  // what came before the reset
  ASSERT_GE(r.lines.size(), 2u);
  EXPECT_EQ(r.lines.back(), "data: [DONE]");
  json err = json::parse(r.lines[r.lines.size() - 2].substr(6), nullptr, false);
  ASSERT_TRUE(err.is_object()) << r.lines[r.lines.size() - 2];
  EXPECT_EQ(err["error"]["code"], "upstream_disconnected");
  // Never the transport error, which names the upstream's address (the log keeps it).
  EXPECT_EQ(err["error"]["message"], "Open WebUI: upstream connection lost");
}

TEST_F(OpenAiProxy, ReadTimeoutIsHonouredWith504) {
  const auto t0 = Clock::now();
  auto r =
      host().Post("/openai/chat/completions", ChatBody("gpt-hang-headers", "x", false), As("user"));
  const auto took = Clock::now() - t0;
  EXPECT_EQ(r.status, 504) << r.body;
  EXPECT_EQ(r.Json()["detail"], "Open WebUI: Server Connection Error");
  EXPECT_GE(took, std::chrono::milliseconds(1500));
  EXPECT_LT(took, std::chrono::seconds(8));
  EXPECT_FALSE(a().WaitFor(
                      [](const json& q) {
                        return q["model"] == "gpt-hang-headers" && q["closed_by_client"] == true;
                      },
                      std::chrono::seconds(2))
                   .is_null());
}

TEST_F(OpenAiProxy, SilenceMidStreamEndsWithATimeoutError) {
  auto r = PostStreaming(host().port(), "/openai/chat/completions",
                         ChatBody("gpt-hang-mid", "one two three", true), As("user"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(SseText(r.lines), "Hello! You");
  ASSERT_GE(r.lines.size(), 2u);
  EXPECT_EQ(r.lines.back(), "data: [DONE]");
  EXPECT_NE(r.lines[r.lines.size() - 2].find("upstream_timeout"), std::string::npos);
}

TEST_F(OpenAiProxy, DeadUpstreamIs504AndRefusedUpstreamIs502) {
  auto dead =
      host().Post("/openai/chat/completions", ChatBody("dead-model", "x", false), As("user"));
  EXPECT_EQ(dead.status, 504) << dead.body;
  EXPECT_GE(world().hole.accepted(), 1);
  auto refused =
      host().Post("/openai/chat/completions", ChatBody("refused-model", "x", true), As("user"));
  EXPECT_EQ(refused.status, 502) << refused.body;
  EXPECT_EQ(refused.Json()["detail"], "Open WebUI: Server Connection Error");
  EXPECT_EQ(host().Get("/health").status, 200);
}

TEST_F(OpenAiProxy, WrongUpstreamKeyErrorIsPassedThrough) {
  auto r =
      host().Post("/openai/chat/completions", ChatBody("wrongkey-model", "x", false), As("user"));
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(r.Json()["error"]["code"], "invalid_api_key");
  EXPECT_NE(r.Json()["error"]["message"].get<std::string>().find("Incorrect API key"),
            std::string::npos);
  auto sent = a().Requests("/v1/chat/completions", "wrongkey-model");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0]["headers"]["authorization"], "Bearer wrong-key");
}

TEST_F(OpenAiProxy, UpstreamErrorStatusAndBodyArePassedThrough) {
  for (bool stream : {false, true}) {
    auto r =
        host().Post("/openai/chat/completions", ChatBody("gpt-error-500", "x", stream), As("user"));
    EXPECT_EQ(r.status, 500) << r.body;
    EXPECT_EQ(r.Json()["error"]["message"], "Simulated upstream failure (500)");
  }
}

TEST_F(OpenAiProxy, ModelsOfOneConnectionByIndexAreValidated) {
  auto ok = host().Get("/openai/models/0", As("user"));
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.Json()["data"][0]["id"], "gpt-test");
  EXPECT_EQ(host().Get("/openai/models/abc", As("user")).status, 422);
  EXPECT_EQ(host().Get("/openai/models/-1", As("user")).status, 422);
  EXPECT_EQ(host().Get("/openai/models/99", As("user")).status, 404);
}

// Bodies are validated as FastAPI does: {"detail": [{"loc", "msg", "type"}]} with status 422.
TEST_F(OpenAiProxy, InvalidBodiesAre422InFastApisShape) {
  auto missing = host().Post("/openai/verify", R"({"url":"http://x"})", As("admin"));
  ASSERT_EQ(missing.status, 422) << missing.body;
  EXPECT_EQ(missing.Json(), json::parse(R"({"detail":[{"loc":["body","key"],
            "msg":"Field required","type":"missing"}]})"));
  auto wrong_type = host().Post("/openai/verify", R"({"url":1,"key":""})", As("admin"));
  ASSERT_EQ(wrong_type.status, 422) << wrong_type.body;
  EXPECT_EQ(wrong_type.Json()["detail"][0]["type"], "string_type");
  EXPECT_EQ(wrong_type.Json()["detail"][0]["loc"], json::parse(R"(["body","url"])"));
  auto not_object = host().Post("/openai/chat/completions", "[1]", As("user"));
  ASSERT_EQ(not_object.status, 422) << not_object.body;
  EXPECT_EQ(not_object.Json()["detail"][0]["type"], "model_attributes_type");
  auto not_json = host().Post("/openai/chat/completions", "{", As("user"));
  ASSERT_EQ(not_json.status, 422) << not_json.body;
  EXPECT_EQ(not_json.Json()["detail"][0]["type"], "json_invalid");
}

TEST_F(OpenAiProxy, PassthroughGoesToTheConnectionOfTheModel) {
  auto r = host().Post("/openai/embeddings", R"({"model":"b.b-model","input":"hi"})", As("user"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["data"][0]["embedding"].size(), 8u);
  EXPECT_EQ(b().Requests("/v1/embeddings", "b-model").size(), 1u);
  // Without a model it goes to the first connection, as upstream.
  auto first = host().Get("/openai/models-raw-check", As("user"));
  EXPECT_EQ(first.status, 404);
  EXPECT_EQ(a().Requests("/v1/models-raw-check").size(), 1u);
  const int dots = host().Post("/openai/x/../../etc", "{}", As("user")).status;
  EXPECT_TRUE(dots == 400 || dots == 404) << dots;
  EXPECT_TRUE(a().Requests("/etc").empty() && a().Requests("/v1/etc").empty());
  EXPECT_TRUE(Denied(host().Get("/openai/anything")));
}

TEST_F(OpenAiProxy, SettingsAreAdminOnly) {
  EXPECT_TRUE(Denied(host().Get("/openai/config", As("user"))));
  auto r = host().Get("/openai/config", As("admin"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["OPENAI_API_KEYS"].size(), 5u);
  EXPECT_EQ(r.Json()["OPENAI_API_KEYS"][0], "key-a");
  EXPECT_EQ(r.Json()["ENABLE_OPENAI_API"], true);
  EXPECT_TRUE(Denied(host().Post("/openai/config/update", "{}", As("user"))));
  EXPECT_TRUE(Denied(host().Post("/openai/verify", R"({"url":"http://x","key":""})", As("user"))));
  auto v = host().Post("/openai/verify",
                       json{{"url", a().BaseUrl() + "/v1"}, {"key", "key-a"}}.dump(), As("admin"));
  EXPECT_EQ(v.status, 200) << v.body;
  auto bad = host().Post("/openai/verify",
                         json{{"url", a().BaseUrl() + "/v1"}, {"key", "nope"}}.dump(), As("admin"));
  EXPECT_EQ(bad.status, 401) << bad.body;
}

// Settings changed by an admin take effect at once and survive a restart.
TEST(OpenAiSettings, UpdateByAdminPadsKeysTakesEffectAndPersists) {
  WH_REQUIRE_BACKEND();
  OwnProviderHost own({"--api-key", "key-a", "--models", "gpt-test"}, {"--models", "b-model"});
  std::string why;
  ASSERT_TRUE(own.StartUpstreams(&why)) << why;
  UpstreamDouble &a = own.a, &b = own.b;
  HostProcess::Options& o = own.options;
  o.env["OPENAI_API_BASE_URLS"] = a.BaseUrl() + "/v1";
  o.env["OPENAI_API_KEYS"] = "key-a";
  o.env["ENABLE_OLLAMA_API"] = "false";
  o.data_dir = TempDir("openai-settings");
  {
    HostProcess host(o);
    ASSERT_TRUE(host.Start(&why)) << why;
    json update = {{"ENABLE_OPENAI_API", true},
                   {"OPENAI_API_BASE_URLS", {b.BaseUrl() + "/v1", a.BaseUrl() + "/v1"}},
                   {"OPENAI_API_KEYS", {""}},
                   {"OPENAI_API_CONFIGS", {{"0", {{"prefix_id", "bb"}}}, {"7", {{"x", 1}}}}}};
    EXPECT_TRUE(Denied(host.Post("/openai/config/update", update.dump(), As("user"))));
    EXPECT_EQ(host.Get("/openai/config", As("admin")).Json()["OPENAI_API_BASE_URLS"].size(), 1u);
    auto r = host.Post("/openai/config/update", update.dump(), As("admin"));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["OPENAI_API_KEYS"], json({"", ""}));
    EXPECT_EQ(r.Json()["OPENAI_API_CONFIGS"], json({{"0", {{"prefix_id", "bb"}}}}));
    // The second connection now has no key: A refuses its model list, B's models are prefixed.
    auto models = host.Get("/openai/models", As("user"));
    ASSERT_EQ(models.status, 200);
    json by_id = ModelsById(models.Json()["data"]);
    EXPECT_TRUE(by_id.contains("bb.b-model")) << models.body;
    EXPECT_FALSE(by_id.contains("gpt-test")) << models.body;
    host.Stop();
  }
  HostProcess again(o);  // same data dir, same environment
  ASSERT_TRUE(again.Start(&why)) << why;
  auto cfg = again.Get("/openai/config", As("admin"));
  EXPECT_EQ(cfg.Json()["OPENAI_API_BASE_URLS"], json({b.BaseUrl() + "/v1", a.BaseUrl() + "/v1"}))
      << cfg.body;
}

// A connection that accepts and never answers costs the model-list timeout, not the list.
TEST(OpenAiListing, ADeadConnectionDoesNotBlockTheModelList) {
  WH_REQUIRE_BACKEND();
  Backend backend;
  UpstreamDouble a({"--models", "gpt-test"});
  BlackHole hole;
  std::string why;
  ASSERT_TRUE(a.Start(&why)) << why;
  HostProcess::Options o;
  o.env = ProviderHostEnv(backend);
  o.env["OPENAI_API_BASE_URLS"] = hole.BaseUrl() + "/v1;" + a.BaseUrl() + "/v1";
  o.env["OLLAMA_BASE_URLS"] = hole.BaseUrl() + ";" + a.BaseUrl();
  HostProcess host(o);
  ASSERT_TRUE(host.Start(&why)) << why;
  for (const char* path : {"/openai/models", "/ollama/api/tags"}) {
    const auto t0 = Clock::now();
    auto r = host.Get(path, As("user"));
    const auto took = Clock::now() - t0;
    ASSERT_EQ(r.status, 200) << path << " " << r.body;
    EXPECT_NE(r.body.find("gpt-test"), std::string::npos) << r.body;
    EXPECT_LT(took, std::chrono::milliseconds(5000)) << path;  // model-list timeout is 2 s
  }
  EXPECT_GE(hole.accepted(), 2);
  // Meanwhile the host stays responsive.
  EXPECT_EQ(host.Get("/health").status, 200);
}

}  // namespace
}  // namespace webui::testing
