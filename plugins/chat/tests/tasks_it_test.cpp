// The task model through HTTP: /api/v1/tasks/config, the /api/v1/tasks/*/completions endpoints,
// the follow-ups and tags of a background completion, and retrieval with generated queries
// (the recording retrieval.v1 of fake_retrieval.cpp shows which queries arrived).
#include "chat_it_support.hpp"

namespace webui::testing {
namespace {

class ChatTaskModel : public ChatHost {
 protected:
  void SetUp() override {
    ChatHost::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (Get("/api/v1/models/model?id=fake-a1", Admin()).status != 200) Publish("fake-a1", Admin());
    ASSERT_EQ(Call("POST", "/api/v1/test-retrieval/reset").status, 200);
    defaults_ = Get("/api/v1/tasks/config", Admin()).Json();
  }
  void TearDown() override {
    // The host is shared by the suite: every test leaves the settings as it found them.
    if (defaults_.is_object()) Post("/api/v1/tasks/config/update", defaults_, Admin());
    ChatHost::TearDown();
  }

  static HeaderList Admin() { return As("admin", "adm"); }

  void SetTaskConfig(const json& changes) {
    json form = Get("/api/v1/tasks/config", Admin()).Json();
    form.update(changes);
    auto r = Post("/api/v1/tasks/config/update", form, Admin());
    ASSERT_EQ(r.status, 200) << r.body;
  }

  static std::string Content(const HttpResult& r) {
    return r.Json()["choices"][0]["message"]["content"].get<std::string>();
  }

  static json Conversation(const std::string& question) {
    return json::array({{{"role", "user"}, {"content", question}},
                        {{"role", "assistant"}, {"content", "An answer."}}});
  }

  static std::vector<json> ChatEvents(const std::string& to) {
    std::vector<json> out;
    for (const auto& e : Events())
      if (e["to"] == to && e["event"] == "chat-events") out.push_back(e["data"]["data"]);
    return out;
  }

  static json RetrievalCalls() { return Call("GET", "/api/v1/test-retrieval/calls").Json(); }

  json defaults_;
};

TEST_F(ChatTaskModel, ConfigHasEveryFieldWithItsDefaultAndOnlyAdminsUpdateIt) {
  const auto alice = As("user", "alice");
  auto r = Get("/api/v1/tasks/config", alice);
  ASSERT_EQ(r.status, 200) << r.body;
  const json c = r.Json();
  EXPECT_EQ(c.size(), 16u) << c.dump();
  EXPECT_EQ(c["TASK_MODEL"], "");
  EXPECT_EQ(c["TASK_MODEL_EXTERNAL"], "");
  EXPECT_EQ(c["ENABLE_TITLE_GENERATION"], true);
  EXPECT_EQ(c["ENABLE_TAGS_GENERATION"], true);
  EXPECT_EQ(c["ENABLE_FOLLOW_UP_GENERATION"], true);
  EXPECT_EQ(c["ENABLE_SEARCH_QUERY_GENERATION"], true);
  EXPECT_EQ(c["ENABLE_RETRIEVAL_QUERY_GENERATION"], true);
  EXPECT_EQ(c["ENABLE_AUTOCOMPLETE_GENERATION"], false);
  EXPECT_EQ(c["AUTOCOMPLETE_GENERATION_INPUT_MAX_LENGTH"], -1);
  for (const char* k :
       {"TITLE_GENERATION_PROMPT_TEMPLATE", "IMAGE_PROMPT_GENERATION_PROMPT_TEMPLATE",
        "TAGS_GENERATION_PROMPT_TEMPLATE", "FOLLOW_UP_GENERATION_PROMPT_TEMPLATE",
        "QUERY_GENERATION_PROMPT_TEMPLATE", "TOOLS_FUNCTION_CALLING_PROMPT_TEMPLATE",
        "VOICE_MODE_PROMPT_TEMPLATE"})
    EXPECT_EQ(c[k], "") << k;

  json form = c;
  form["TASK_MODEL"] = "fake-b1:latest";
  form["TASK_MODEL_EXTERNAL"] = nullptr;
  form["ENABLE_TAGS_GENERATION"] = false;
  form["AUTOCOMPLETE_GENERATION_INPUT_MAX_LENGTH"] = 200;
  form["QUERY_GENERATION_PROMPT_TEMPLATE"] = "Q {{MESSAGES}} <chat_history>";
  form["VOICE_MODE_PROMPT_TEMPLATE"] = nullptr;
  form["ENABLE_AUTOCOMPLETE_GENERATION"] = true;
  EXPECT_EQ(Post("/api/v1/tasks/config/update", form, alice).status, 401);
  EXPECT_EQ(Get("/api/v1/tasks/config", alice).Json(), c);  // unchanged

  r = Post("/api/v1/tasks/config/update", form, Admin());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json(), form);
  EXPECT_EQ(Get("/api/v1/tasks/config", alice).Json(), form);
  // The chat input reads the autocomplete switch from /api/config; the input cap applies.
  EXPECT_EQ(Get("/api/config", alice).Json()["features"]["enable_autocomplete_generation"], true);
  r = Post("/api/v1/tasks/auto/completions",
           {{"model", "fake-a1"}, {"prompt", std::string(201, 'x')}, {"type", "search query"}},
           alice);
  EXPECT_EQ(r.status, 400) << r.body;
  r = Post("/api/v1/tasks/auto/completions",
           {{"model", "fake-a1"}, {"prompt", "Hel"}, {"type", "search query"}}, alice);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(Content(r).empty());

  // A form missing a field, or with a wrong type, is refused whole.
  json missing = form;
  missing.erase("ENABLE_TITLE_GENERATION");
  missing["ENABLE_TAGS_GENERATION"] = true;
  r = Post("/api/v1/tasks/config/update", missing, Admin());
  EXPECT_EQ(r.status, 422) << r.body;
  json wrong = form;
  wrong["ENABLE_TAGS_GENERATION"] = true;
  wrong["AUTOCOMPLETE_GENERATION_INPUT_MAX_LENGTH"] = "long";
  EXPECT_EQ(Post("/api/v1/tasks/config/update", wrong, Admin()).status, 422);
  EXPECT_EQ(Get("/api/v1/tasks/config", Admin()).Json(), form);
  // pydantic's lax forms are accepted and stored normalised.
  json lax = form;
  lax["ENABLE_TAGS_GENERATION"] = "true";
  lax["AUTOCOMPLETE_GENERATION_INPUT_MAX_LENGTH"] = "300";
  r = Post("/api/v1/tasks/config/update", lax, Admin());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["ENABLE_TAGS_GENERATION"], true);
  EXPECT_EQ(r.Json()["AUTOCOMPLETE_GENERATION_INPUT_MAX_LENGTH"], 300);
}

TEST_F(ChatTaskModel, CompletionsAnswerTheTaskModelsCompletion) {
  const auto alice = As("user", "alice");
  const json body = {
      {"model", "fake-a1"}, {"messages", Conversation("What is a quark?")}, {"chat_id", "c1"}};
  auto r = Post("/api/v1/tasks/title/completions", body, alice);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Content(r), "{\"title\": \"Fake Title\"}");
  r = Post("/api/v1/tasks/tags/completions", body, alice);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(Content(r))["tags"][0], "Science");
  for (const char* path :
       {"/api/v1/tasks/follow_up/completions", "/api/v1/tasks/follow_ups/completions"}) {
    r = Post(path, body, alice);
    ASSERT_EQ(r.status, 200) << path << r.body;
    EXPECT_EQ(json::parse(Content(r))["follow_ups"].size(), 2u);
  }
  json queries = body;
  queries["type"] = "retrieval";
  r = Post("/api/v1/tasks/queries/completions", queries, alice);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(Content(r).find("\"fake query one\""), std::string::npos);
  r = Post("/api/v1/tasks/emoji/completions", {{"model", "fake-a1"}, {"prompt", "yay"}}, alice);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(Content(r).empty());

  // What the task model was asked: one user message quoting the conversation, not streamed,
  // the title with 0.6.32's token cap.
  const json calls = ProviderCalls();
  ASSERT_EQ(calls.size(), 6u);
  const json& title = calls[0]["request"];
  EXPECT_EQ(title["stream"], false);
  EXPECT_EQ(title["max_completion_tokens"], 1000);
  ASSERT_EQ(title["messages"].size(), 1u);
  const std::string prompt = title["messages"][0]["content"];
  EXPECT_NE(prompt.find("USER: What is a quark?\nASSISTANT: An answer."), std::string::npos)
      << prompt;
  EXPECT_EQ(calls[5]["request"]["max_completion_tokens"], 4);  // the emoji

  // A model the user cannot use is unknown; a title request without one is a 400.
  r = Post("/api/v1/tasks/tags/completions", {{"model", "nope"}, {"messages", json::array()}},
           alice);
  EXPECT_EQ(r.status, 404) << r.body;
  r = Post("/api/v1/tasks/title/completions", {{"model", ""}, {"messages", json::array()}}, alice);
  EXPECT_EQ(r.status, 400) << r.body;
  // No token at all: the host's "Not authenticated".
  EXPECT_EQ(Post("/api/v1/tasks/title/completions", body, {}).status, 403);
}

TEST_F(ChatTaskModel, DisabledFeaturesAnswerAsUpstreamAndFailuresAreErrors) {
  const auto alice = As("user", "alice");
  SetTaskConfig({{"ENABLE_TITLE_GENERATION", false},
                 {"ENABLE_TAGS_GENERATION", false},
                 {"ENABLE_FOLLOW_UP_GENERATION", false},
                 {"ENABLE_RETRIEVAL_QUERY_GENERATION", false},
                 {"ENABLE_SEARCH_QUERY_GENERATION", false}});
  const json body = {{"model", "fake-a1"}, {"messages", Conversation("hi")}};
  auto r = Post("/api/v1/tasks/title/completions", body, alice);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Json(), json({{"detail", "Title generation is disabled"}}));
  r = Post("/api/v1/tasks/tags/completions", body, alice);
  EXPECT_EQ(r.Json(), json({{"detail", "Tags generation is disabled"}}));
  r = Post("/api/v1/tasks/follow_ups/completions", body, alice);
  EXPECT_EQ(r.Json(), json({{"detail", "Follow-up generation is disabled"}}));
  json q = body;
  q["type"] = "retrieval";
  r = Post("/api/v1/tasks/queries/completions", q, alice);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Json()["detail"], "Query generation is disabled");
  q["type"] = "web_search";
  r = Post("/api/v1/tasks/queries/completions", q, alice);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Json()["detail"], "Search query generation is disabled");
  // Autocompletion is off by default.
  r = Post("/api/v1/tasks/auto/completions", {{"model", "fake-a1"}, {"prompt", "Hel"}}, alice);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Json()["detail"], "Autocompletion generation is disabled");
  EXPECT_TRUE(ProviderCalls().empty());

  // A failing task model: 0.6.32's status and detail per endpoint.
  SetTaskConfig({{"ENABLE_TITLE_GENERATION", true}, {"ENABLE_TAGS_GENERATION", true}});
  const json failing = {{"model", "fake-a1"}, {"messages", Conversation("FAIL_TASK")}};
  r = Post("/api/v1/tasks/title/completions", failing, alice);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Json()["detail"], "An internal error has occurred.");
  r = Post("/api/v1/tasks/tags/completions", failing, alice);
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.Json()["detail"], "An internal error has occurred.");
}

TEST_F(ChatTaskModel, TaskModelSettingPicksTheModelAndAnUnknownOneFallsBack) {
  const auto admin = Admin();
  const json body = {{"model", "fake-a1"}, {"messages", Conversation("hi")}};
  SetTaskConfig({{"TASK_MODEL_EXTERNAL", "fake-a2"}, {"TASK_MODEL", "fake-b1:latest"}});
  ASSERT_EQ(Post("/api/v1/tasks/title/completions", body, admin).status, 200);
  json calls = ProviderCalls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0]["request"]["model"], "fake-a2");  // an external chat model: the external one
  // A local (Ollama) chat model uses TASK_MODEL, asked with Ollama's max_tokens.
  ASSERT_EQ(Post("/api/v1/tasks/title/completions",
                 {{"model", "fake-b1:latest"}, {"messages", Conversation("hi")}}, admin)
                .status,
            200);
  calls = ProviderCalls(kProviderB);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0]["request"]["model"], "fake-b1:latest");
  EXPECT_EQ(calls[0]["request"]["max_tokens"], 1000);

  // A task model this user may not read (fake-a2 is not published) is not used for them.
  ASSERT_EQ(Post("/api/v1/tasks/title/completions", body, As("user", "alice")).status, 200);
  calls = ProviderCalls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1]["request"]["model"], "fake-a1");

  SetTaskConfig({{"TASK_MODEL_EXTERNAL", "no-such-model"}});
  ASSERT_EQ(Post("/api/v1/tasks/title/completions", body, admin).status, 200);
  calls = ProviderCalls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[2]["request"]["model"], "fake-a1");
}

TEST_F(ChatTaskModel, BackgroundFollowUpsAndTagsAreEmittedAndSaved) {
  const auto alice = As("user", "alice");
  json chat = {{"title", "New Chat"},
               {"models", {"fake-a1"}},
               {"history",
                {{"messages",
                  {{"u1", {{"id", "u1"}, {"role", "user"}, {"content", "quarks?"}}},
                   {"a1", {{"id", "a1"}, {"role", "assistant"}, {"content", ""}}}}},
                 {"currentId", "a1"}}}};
  const std::string chat_id = NewChat(alice, chat)["id"];
  // An old tag of the chat is replaced (and dropped, as nothing else uses it).
  ASSERT_EQ(Post("/api/v1/chats/" + chat_id + "/tags", {{"name", "Old One"}}, alice).status, 200);
  auto r = Post(
      "/api/chat/completions",
      {{"model", "fake-a1"},
       {"stream", true},
       {"messages", Script({{"pieces", {"Quarks", " are small."}}})},
       {"session_id", "sid-t"},
       {"chat_id", chat_id},
       {"id", "a1"},
       {"background_tasks",
        {{"title_generation", false}, {"tags_generation", true}, {"follow_up_generation", true}}}},
      alice);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(WaitFor([&] {
    for (const auto& e : ChatEvents("sid-t"))
      if (e["type"] == "chat:tags") return true;
    return false;
  })) << Events().dump();

  json follow_ups, tags;
  bool done_seen = false, follow_after_done = false;
  for (const auto& e : ChatEvents("sid-t")) {
    if (e["type"] == "chat:completion" && e["data"].contains("done")) done_seen = true;
    if (e["type"] == "chat:message:follow_ups") {
      follow_ups = e["data"]["follow_ups"];
      follow_after_done = done_seen;
    }
    if (e["type"] == "chat:tags") tags = e["data"];
  }
  EXPECT_TRUE(follow_after_done);
  EXPECT_EQ(follow_ups, json({"Fake follow-up one?", "Fake follow-up two?"}));
  EXPECT_EQ(tags, json({"Science", "Fake Tag"}));  // "none" is never a tag

  const json saved = Get("/api/v1/chats/" + chat_id, alice).Json();
  EXPECT_EQ(saved["chat"]["history"]["messages"]["a1"]["followUps"], follow_ups);
  EXPECT_EQ(saved["chat"]["history"]["messages"]["a1"]["content"], "Quarks are small.");
  EXPECT_EQ(saved["meta"]["tags"], json({"science", "fake_tag"}));
  json names = json::array();
  for (const auto& t : Get("/api/v1/chats/all/tags", alice).Json()) names.push_back(t["name"]);
  EXPECT_EQ(names.size(), 2u) << names.dump();
  EXPECT_EQ(std::count(names.begin(), names.end(), json("Old One")), 0) << names.dump();
  // The tag prompt quoted the conversation with the answer.
  bool quoted = false;
  for (const auto& c : ProviderCalls()) {
    const std::string p = c["request"]["messages"][0]["content"].is_string()
                              ? c["request"]["messages"][0]["content"].get<std::string>()
                              : std::string();
    if (p.find("\"tags\"") != std::string::npos)
      quoted = p.find("ASSISTANT: Quarks are small.") != std::string::npos;
  }
  EXPECT_TRUE(quoted);
}

TEST_F(ChatTaskModel, FailingBackgroundTasksNeverFailTheAnswer) {
  const auto alice = As("user", "alice");
  json chat = {{"title", "Keep"},
               {"history",
                {{"messages",
                  {{"u1", {{"id", "u1"}, {"role", "user"}, {"content", "x"}}},
                   {"a1", {{"id", "a1"}, {"role", "assistant"}, {"content", ""}}}}},
                 {"currentId", "a1"}}}};
  const std::string chat_id = NewChat(alice, chat)["id"];
  // The script's text is quoted in the task prompts: FAIL_TASK makes every task fail.
  auto r = Post(
      "/api/chat/completions",
      {{"model", "fake-a1"},
       {"stream", true},
       {"messages", Script({{"pieces", {"fine"}}, {"note", "FAIL_TASK"}})},
       {"session_id", "sid-f"},
       {"chat_id", chat_id},
       {"id", "a1"},
       {"background_tasks",
        {{"title_generation", true}, {"tags_generation", true}, {"follow_up_generation", true}}}},
      alice);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(WaitFor([&] { return ProviderCalls().size() >= 4u; }));
  ASSERT_TRUE(
      WaitFor([&] { return Get("/api/tasks/chat/" + chat_id, alice).Json()["task_ids"].empty(); }));
  const json saved = Get("/api/v1/chats/" + chat_id, alice).Json();
  EXPECT_EQ(saved["chat"]["history"]["messages"]["a1"]["content"], "fine");
  EXPECT_FALSE(saved["chat"]["history"]["messages"]["a1"].contains("error"));
  EXPECT_FALSE(saved["chat"]["history"]["messages"]["a1"].contains("followUps"));
  EXPECT_TRUE(saved["meta"].value("tags", json::array()).empty());
  for (const auto& e : ChatEvents("sid-f")) {
    EXPECT_NE(e["type"], "chat:tags");
    EXPECT_NE(e["type"], "chat:message:follow_ups");
  }
}

TEST_F(ChatTaskModel, RetrievalUsesGeneratedQueriesAndAnnouncesThem) {
  const auto alice = As("user", "alice");
  json chat = {{"title", "R"},
               {"history",
                {{"messages",
                  {{"u1", {{"id", "u1"}, {"role", "user"}, {"content", "tell me"}}},
                   {"a1", {{"id", "a1"}, {"role", "assistant"}, {"content", ""}}}}},
                 {"currentId", "a1"}}}};
  const std::string chat_id = NewChat(alice, chat)["id"];
  const json files = json::array({{{"type", "file"}, {"id", "f1"}, {"name", "a.txt"}}});
  auto r = Post("/api/chat/completions",
                {{"model", "fake-a1"},
                 {"stream", true},
                 {"messages", json::array({{{"role", "user"}, {"content", "What is in it?"}}})},
                 {"files", files},
                 {"session_id", "sid-r"},
                 {"chat_id", chat_id},
                 {"id", "a1"}},
                alice);
  ASSERT_EQ(r.status, 200) << r.body;
  // Retrieval runs in the task, after its id is answered.
  ASSERT_TRUE(WaitFor([&] { return !RetrievalCalls().empty(); }));
  const json calls = RetrievalCalls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0]["user_id"], "alice");
  EXPECT_EQ(calls[0]["request"]["queries"], json({"fake query one", "fake query two"}));
  EXPECT_EQ(calls[0]["request"]["files"], files);
  bool announced = false;
  for (const auto& e : ChatEvents("sid-r"))
    if (e["type"] == "status" && e["data"]["action"] == "queries_generated") {
      announced = true;
      EXPECT_EQ(e["data"]["queries"], json({"fake query one", "fake query two"}));
      EXPECT_EQ(e["data"]["done"], false);
    }
  EXPECT_TRUE(announced) << Events().dump();
  ASSERT_TRUE(
      WaitFor([&] { return Get("/api/tasks/chat/" + chat_id, alice).Json()["task_ids"].empty(); }));
  // The answer's model saw the context of both queries, and the question as the template's query.
  const json answer_call = ProviderCalls().back()["request"];
  const std::string system = answer_call["messages"][0]["content"];
  EXPECT_NE(system.find("doc for fake query one"), std::string::npos) << system;
  EXPECT_NE(system.find("doc for fake query two"), std::string::npos) << system;
  EXPECT_NE(system.find("QUERY What is in it?"), std::string::npos) << system;
}

TEST_F(ChatTaskModel, RetrievalFallsBackToTheQuestion) {
  const auto alice = As("user", "alice");
  const json files = json::array({{{"type", "file"}, {"id", "f1"}}});
  auto ask = [&](const std::string& question) {
    auto r = Post("/api/chat/completions",
                  {{"model", "fake-a1"},
                   {"stream", false},
                   {"messages", json::array({{{"role", "user"}, {"content", question}}})},
                   {"files", files}},
                  alice);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.Json();
  };
  // The task model fails: the question is the query.
  json answer = ask("FAIL_TASK please");
  json calls = RetrievalCalls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0]["request"]["queries"], json({"FAIL_TASK please"}));
  ASSERT_EQ(answer["sources"].size(), 1u) << answer.dump();
  EXPECT_EQ(answer["sources"][0]["document"][0], "doc for FAIL_TASK please");
  // Prose without JSON is itself the query, as 0.6.32 reads it.
  ask("GARBAGE_TASK here");
  calls = RetrievalCalls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1]["request"]["queries"], json({"I would rather not answer in JSON."}));
  // Generation turned off: no task call at all, the question is the query.
  SetTaskConfig({{"ENABLE_RETRIEVAL_QUERY_GENERATION", false}});
  const size_t before = ProviderCalls().size();
  ask("plain question");
  calls = RetrievalCalls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[2]["request"]["queries"], json({"plain question"}));
  EXPECT_EQ(ProviderCalls().size(), before + 1);  // only the answer
  // Files that all go in whole need no queries either.
  SetTaskConfig({{"ENABLE_RETRIEVAL_QUERY_GENERATION", true}});
  const size_t before_full = ProviderCalls().size();
  auto r = Post("/api/chat/completions",
                {{"model", "fake-a1"},
                 {"stream", false},
                 {"messages", json::array({{{"role", "user"}, {"content", "whole"}}})},
                 {"files", json::array({{{"type", "file"}, {"id", "f1"}, {"context", "full"}}})}},
                alice);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(RetrievalCalls()[3]["request"]["queries"], json({"whole"}));
  EXPECT_EQ(ProviderCalls().size(), before_full + 1);
}

}  // namespace
}  // namespace webui::testing
