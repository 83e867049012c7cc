// plugins/ollama against the test upstreams: merged tags, NDJSON streaming, disconnects, resets,
// caller-supplied connection indexes (T20), admin-only operations.
#include "providers_fixture.hpp"

namespace webui::testing {
namespace {

class OllamaProxy : public ProvidersTest {};

std::string OllamaChat(const std::string& model, const std::string& text, bool stream) {
  return json{
      {"model", model}, {"stream", stream}, {"messages", {{{"role", "user"}, {"content", text}}}}}
      .dump();
}

std::string NdjsonText(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& l : lines) {
    json j = json::parse(l, nullptr, false);
    if (j.is_object() && j.contains("message")) text += j["message"].value("content", "");
  }
  return text;
}

TEST_F(OllamaProxy, TagsMergeTheConnectionsThatServeEachModel) {
  auto r = host().Get("/ollama/api/tags", As("user"));
  ASSERT_EQ(r.status, 200) << r.body;
  const json body = r.Json();
  json by_model = json::object();
  for (const auto& m : body["models"]) by_model[m["model"].get<std::string>()] = m;
  ASSERT_TRUE(by_model.contains("shared-model:latest")) << r.body;
  EXPECT_EQ(by_model["shared-model:latest"]["urls"], json({0, 1}));  // not 2: it is disabled
  EXPECT_EQ(by_model["b-model:latest"]["urls"], json::array({1}));
  EXPECT_EQ(by_model["llama-test:latest"]["urls"], json::array({0}));
  EXPECT_EQ(by_model["llama-test:latest"]["connection_type"], "local");
  auto tags = a().Requests("/api/tags");
  ASSERT_FALSE(tags.empty());
  EXPECT_EQ(tags.back()["headers"]["authorization"], "Bearer key-a");
  EXPECT_TRUE(Denied(host().Get("/ollama/api/tags")));
}

TEST_F(OllamaProxy, ChatStreamsNdjsonLineByLine) {
  auto r = PostStreaming(host().port(), "/ollama/api/chat",
                         OllamaChat("llama-slow", "one two three", true), As("user"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/x-ndjson");
  EXPECT_EQ(NdjsonText(r.lines), kText);
  ASSERT_FALSE(r.lines.empty());
  EXPECT_EQ(json::parse(r.lines.back())["done"], true);
  ASSERT_GE(r.arrivals.size(), 4u);
  EXPECT_GE(r.arrivals.back() - r.arrivals.front(), std::chrono::milliseconds(800));
  // The ":latest" tag was added for the upstream, as Open WebUI does.
  EXPECT_EQ(a().Requests("/api/chat", "llama-slow:latest").size(), 1u);
}

TEST_F(OllamaProxy, NonStreamingChatAndGenerate) {
  auto r =
      host().Post("/ollama/api/chat", OllamaChat("b-model", "one two three", false), As("user"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["message"]["content"], kText);
  EXPECT_EQ(b().Requests("/api/chat").size(), 1u);
  auto g =
      host().Post("/ollama/api/generate",
                  R"({"model":"llama-test","prompt":"one two three","stream":false})", As("user"));
  ASSERT_EQ(g.status, 200) << g.body;
  EXPECT_EQ(g.Json()["response"], kText);
}

TEST_F(OllamaProxy, ClientLeavingMidStreamClosesTheUpstreamWithinOneSecond) {
  ExpectLeavingMidStreamClosesTheUpstream(host().port(), a(), "/ollama/api/chat",
                                          OllamaChat("llama-slow", "a b c d e f g h i j", true),
                                          As("user"), "path", "/api/chat");
}

TEST_F(OllamaProxy, UpstreamResetMidStreamEndsWithAnErrorLine) {
  auto r = PostStreaming(host().port(), "/ollama/api/chat",
                         OllamaChat("llama-reset-mid", "one two three four", true), As("user"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(NdjsonText(r.lines), "Hello! You said:");
  ASSERT_FALSE(r.lines.empty());
  json last = json::parse(r.lines.back(), nullptr, false);
  ASSERT_TRUE(last.is_object()) << r.lines.back();
  EXPECT_NE(last["error"].get<std::string>().find("connection lost"), std::string::npos);
}

// The "done": true line ends the client's stream even when the upstream keeps the connection
// open (before, the client waited for the read timeout and then got an error line).
TEST_F(OllamaProxy, DoneLineEndsTheStreamWhenTheUpstreamStaysOpen) {
  auto r = PostStreaming(host().port(), "/ollama/api/chat",
                         OllamaChat("llama-done-hang", "one two three", true), As("user"));
  const json last = r.lines.empty() ? json() : json::parse(r.lines.back(), nullptr, false);
  ExpectEndedByItsMarker(r, NdjsonText(r.lines), last.is_object() && last.value("done", false), a(),
                         "/api/chat");
}

// Transport errors name the upstream's address; clients get Open WebUI's texts instead (the log
// keeps the detail).
TEST_F(OllamaProxy, ErrorsNeverNameTheUpstreamAddress) {
  auto streamed =
      PostStreaming(host().port(), "/ollama/api/chat",
                    OllamaChat("llama-reset-mid", "one two three four", true), As("user"));
  ASSERT_FALSE(streamed.lines.empty());
  EXPECT_EQ(streamed.lines.back(), R"({"error":"Ollama: upstream connection lost"})");
  auto timed_out =
      host().Post("/ollama/api/chat", OllamaChat("llama-hang-headers", "x", false), As("user"));
  EXPECT_EQ(timed_out.status, 504) << timed_out.body;
  EXPECT_EQ(timed_out.Json()["detail"], "Open WebUI: Server Connection Error") << timed_out.body;
  EXPECT_NE(host().Log().find("127.0.0.1:" + std::to_string(a().port())), std::string::npos);
}

TEST_F(OllamaProxy, ReadTimeoutBeforeTheAnswerIs504) {
  auto r = host().Post("/ollama/api/chat", OllamaChat("llama-hang-headers", "x", true), As("user"));
  EXPECT_EQ(r.status, 504) << r.body;
}

// Bodies are validated as FastAPI does: {"detail": [{"loc", "msg", "type"}]} with status 422.
TEST_F(OllamaProxy, InvalidBodiesAre422InFastApisShape) {
  auto no_model = host().Post("/ollama/api/show", "{}", As("user"));
  ASSERT_EQ(no_model.status, 422) << no_model.body;
  EXPECT_EQ(no_model.Json(), json::parse(R"({"detail":[{"loc":["body","model"],
            "msg":"Field required","type":"missing"}]})"));
  auto no_url = host().Post("/ollama/verify", R"({"key":"k"})", As("admin"));
  ASSERT_EQ(no_url.status, 422) << no_url.body;
  EXPECT_EQ(no_url.Json()["detail"][0]["loc"], json::parse(R"(["body","url"])"));
  auto not_object = host().Post("/ollama/api/chat", R"("text")", As("user"));
  ASSERT_EQ(not_object.status, 422) << not_object.body;
  EXPECT_EQ(not_object.Json()["detail"][0]["type"], "model_attributes_type");
}

// T20: an index from the caller never reaches a backend it must not reach.
TEST_F(OllamaProxy, CallerSuppliedConnectionIndexesAreValidated) {
  struct Case {
    std::string path, body;
  };
  const std::vector<Case> cases = {
      {"/ollama/api/chat/", OllamaChat("llama-test", "x", false)},
      {"/ollama/api/generate/", R"({"model":"llama-test","prompt":"x","stream":false})"},
      {"/ollama/api/embed/", R"({"model":"llama-test","input":"x"})"},
      {"/ollama/api/embeddings/", R"({"model":"llama-test","prompt":"x"})"},
      {"/ollama/v1/chat/completions/", OllamaChat("llama-test", "x", false)},
  };
  const std::vector<std::pair<std::string, int>> indexes = {
      {"abc", 422},
      {"-1", 422},
      {"99", 404},
      {"2", 403} /* disabled */,
      {"1", 403} /* B does not serve llama-test */};
  for (const auto& c : cases) {
    for (const auto& [idx, status] : indexes) {
      auto r = host().Post(c.path + idx, c.body, As("user"));
      EXPECT_EQ(r.status, status) << c.path << idx << " " << r.body;
    }
    auto ok = host().Post(c.path + "0", c.body, As("user"));
    EXPECT_EQ(ok.status, 200) << c.path << "0 " << ok.body;
  }
  // An unknown model with an index is refused too, before any request.
  EXPECT_EQ(host().Post("/ollama/api/chat/1", OllamaChat("nope", "x", false), As("user")).status,
            403);
  for (const auto& r : b().Log()) EXPECT_EQ(r["path"], "/api/tags") << "B got " << r.dump();
}

TEST_F(OllamaProxy, UnknownModelIs400) {
  auto r = host().Post("/ollama/api/chat", OllamaChat("nope", "x", false), As("user"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Json()["detail"], "Model 'nope:latest' was not found");
}

TEST_F(OllamaProxy, EmbeddingsShowAndVersion) {
  auto e = host().Post("/ollama/api/embed", R"({"model":"b-model","input":["a","b"]})", As("user"));
  ASSERT_EQ(e.status, 200) << e.body;
  EXPECT_EQ(e.Json()["embeddings"].size(), 2u);
  auto old =
      host().Post("/ollama/api/embeddings", R"({"model":"b-model","prompt":"a"})", As("user"));
  ASSERT_EQ(old.status, 200) << old.body;
  EXPECT_EQ(old.Json()["embedding"].size(), 8u);
  auto show = host().Post("/ollama/api/show", R"({"name":"llama-test:latest"})", As("user"));
  ASSERT_EQ(show.status, 200) << show.body;
  EXPECT_EQ(show.Json()["details"]["family"], "llama");
  EXPECT_EQ(host().Post("/ollama/api/show", R"({"model":"nope"})", As("user")).status, 400);
  // The lowest version of the reachable connections; one connection by index.
  EXPECT_EQ(host().Get("/ollama/api/version", As("user")).Json()["version"], "0.5.1");
  EXPECT_EQ(host().Get("/ollama/api/version/0", As("user")).Json()["version"], "0.6.5");
  EXPECT_EQ(host().Get("/ollama/api/version/7", As("user")).status, 404);
  EXPECT_EQ(host().Get("/ollama/api/tags/1", As("user")).Json()["models"].size(), 2u);
}

TEST_F(OllamaProxy, OpenAiCompatibleEndpoints) {
  auto models = host().Get("/ollama/v1/models", As("user"));
  ASSERT_EQ(models.status, 200);
  EXPECT_EQ(models.Json()["object"], "list");
  EXPECT_NE(models.body.find("\"b-model:latest\""), std::string::npos);
  auto r = PostStreaming(host().port(), "/ollama/v1/chat/completions",
                         OllamaChat("b-model", "one two three", true), As("user"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/event-stream");
  EXPECT_EQ(SseText(r.lines), kText);
  EXPECT_EQ(b().Requests("/v1/chat/completions", "b-model:latest").size(), 1u);
}

TEST_F(OllamaProxy, ModelManagementIsAdminOnly) {
  EXPECT_TRUE(Denied(host().Post("/ollama/api/pull", R"({"model":"new-model"})", As("user"))));
  EXPECT_TRUE(Denied(host().Get("/ollama/api/ps", As("user"))));
  EXPECT_TRUE(Denied(host().Get("/ollama/config", As("user"))));
  auto pull =
      PostStreaming(host().port(), "/ollama/api/pull/1", R"({"model":"new-model"})", As("admin"));
  ASSERT_EQ(pull.status, 200);
  ASSERT_FALSE(pull.lines.empty());
  EXPECT_EQ(json::parse(pull.lines.back())["status"], "success");
  EXPECT_EQ(b().Requests("/api/pull").size(), 1u);
  EXPECT_EQ(json::parse(b().Requests("/api/pull")[0]["body"].get<std::string>())["insecure"], true);
  // The pulled model is listed; deleting it goes to the connection that has it.
  auto tags = host().Get("/ollama/api/tags", As("admin"));
  EXPECT_NE(tags.body.find("new-model:latest"), std::string::npos) << tags.body;
  auto del = Http(host().port(), "DELETE", "/ollama/api/delete", R"({"name":"new-model:latest"})",
                  As("admin"));
  EXPECT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(b().Requests("/api/delete").size(), 1u);
  auto ps = host().Get("/ollama/api/ps", As("admin"));
  EXPECT_EQ(ps.status, 200);
  EXPECT_FALSE(ps.Json()["models"].empty());
  auto cfg = host().Get("/ollama/config", As("admin"));
  ASSERT_EQ(cfg.status, 200);
  EXPECT_EQ(cfg.Json()["OLLAMA_BASE_URLS"].size(), 3u);
  EXPECT_EQ(cfg.Json()["OLLAMA_API_CONFIGS"]["2"]["enable"], false);
}

TEST(OllamaSettings, UpdateByAdminTakesEffect) {
  WH_REQUIRE_BACKEND();
  OwnProviderHost own({"--models", "llama-test"}, {"--models", "b-model"});
  std::string why;
  ASSERT_TRUE(own.StartUpstreams(&why)) << why;
  UpstreamDouble &a = own.a, &b = own.b;
  HostProcess::Options& o = own.options;
  o.env["OLLAMA_BASE_URLS"] = a.BaseUrl();
  o.env["ENABLE_OPENAI_API"] = "false";
  HostProcess host(o);
  ASSERT_TRUE(host.Start(&why)) << why;
  EXPECT_NE(host.Get("/ollama/api/tags", As("user")).body.find("llama-test"), std::string::npos);
  json update = {{"ENABLE_OLLAMA_API", true},
                 {"OLLAMA_BASE_URLS", {b.BaseUrl()}},
                 {"OLLAMA_API_CONFIGS", {{"0", {{"prefix_id", "bb"}}}, {"3", json::object()}}}};
  EXPECT_TRUE(Denied(host.Post("/ollama/config/update", update.dump(), As("user"))));
  auto r = host.Post("/ollama/config/update", update.dump(), As("admin"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["OLLAMA_API_CONFIGS"], json({{"0", {{"prefix_id", "bb"}}}}));
  auto tags = host.Get("/ollama/api/tags", As("user"));
  EXPECT_NE(tags.body.find("bb.b-model:latest"), std::string::npos) << tags.body;
  EXPECT_EQ(tags.body.find("llama-test"), std::string::npos) << tags.body;
  // Chat through the prefixed name reaches B without the prefix.
  auto chat = host.Post("/ollama/api/chat", OllamaChat("bb.b-model", "hi", false), As("user"));
  EXPECT_EQ(chat.status, 200) << chat.body;
  EXPECT_EQ(b.Requests("/api/chat", "b-model:latest").size(), 1u);
  auto off = host.Post("/ollama/config/update",
                       json{{"ENABLE_OLLAMA_API", false},
                            {"OLLAMA_BASE_URLS", {b.BaseUrl()}},
                            {"OLLAMA_API_CONFIGS", json::object()}}
                           .dump(),
                       As("admin"));
  ASSERT_EQ(off.status, 200);
  EXPECT_EQ(host.Get("/ollama/api/tags", As("user")).Json()["models"].size(), 0u);
  EXPECT_EQ(host.Get("/ollama/api/version", As("user")).Json()["version"], false);
}

}  // namespace
}  // namespace webui::testing
