#include "chat_logic.hpp"

#include <gtest/gtest.h>

#include <regex>

namespace webui::chat {
namespace {

TEST(ChatLogic, UuidsAreVersion4AndDistinct) {
  const std::regex shape("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  const std::string a = NewUuid(), b = NewUuid();
  EXPECT_TRUE(std::regex_match(a, shape)) << a;
  EXPECT_NE(a, b);
}

TEST(ChatLogic, HasAccessFollowsOpenWebUiRules) {
  const std::set<std::string> groups{"g1"};
  EXPECT_TRUE(HasAccess("u", "read", json(), groups));    // null = public read
  EXPECT_FALSE(HasAccess("u", "write", json(), groups));  // ... but not write
  EXPECT_TRUE(HasAccess("u", "write", json(), groups, /*strict=*/false));
  EXPECT_FALSE(HasAccess("u", "read", json::object(), groups));  // {} = private
  const json ac = {{"read", {{"user_ids", {"u"}}, {"group_ids", json::array()}}},
                   {"write", {{"group_ids", {"g1"}}}}};
  EXPECT_TRUE(HasAccess("u", "read", ac, {}));
  EXPECT_FALSE(HasAccess("v", "read", ac, {}));
  EXPECT_TRUE(HasAccess("v", "write", ac, groups));
  EXPECT_FALSE(HasAccess("v", "write", ac, {"g2"}));
}

TEST(ChatLogic, TagIdsAndSearchParsing) {
  EXPECT_EQ(TagId("My Work Stuff"), "my_work_stuff");
  auto q = ParseSearch("  Hello tag:Work  WORLD tag:none ");
  EXPECT_EQ(q.text, "hello world");
  EXPECT_EQ(q.tag_ids, (std::vector<std::string>{"work", "none"}));
  const json tagged = {{"tags", {"work"}}};
  EXPECT_TRUE(MetaHasTags(tagged, {"work"}));
  EXPECT_FALSE(MetaHasTags(tagged, {"work", "none"}));
  EXPECT_TRUE(MetaHasTags(json::object(), {"none"}));
}

TEST(ChatLogic, SearchLooksAtTitleAndMessageContent) {
  const json chat = {
      {"history",
       {{"messages",
         {{"m1", {{"role", "user"}, {"content", "What is the Capital of France?"}}},
          {"m2",
           {{"role", "assistant"},
            {"content", json::array({{{"type", "text"}, {"text", "Paris."}}})}}}}}}}};
  EXPECT_TRUE(ChatMatchesText("Geography", chat, "capital"));
  EXPECT_TRUE(ChatMatchesText("Geography", chat, "paris"));
  EXPECT_TRUE(ChatMatchesText("Geography", chat, "geo"));
  EXPECT_FALSE(ChatMatchesText("Geography", chat, "berlin"));
  EXPECT_TRUE(ChatMatchesText("x", chat, ""));
}

TEST(ChatLogic, MergeAndUpsertKeepOtherFields) {
  const json existing = {{"title", "Old"}, {"models", {"m"}}, {"history", {{"currentId", "a"}}}};
  const json merged = MergeChat(existing, {{"title", "New"}});
  EXPECT_EQ(merged["models"], json({"m"}));
  EXPECT_EQ(ChatTitle(merged), "New");
  EXPECT_EQ(ChatTitle(json::object()), "New Chat");

  json chat = {
      {"history",
       {{"messages", {{"a1", {{"role", "assistant"}, {"content", ""}, {"parentId", "u1"}}}}},
        {"currentId", "u1"}}}};
  chat = UpsertMessage(chat, "a1", {{"content", "Hi"}, {"done", true}});
  EXPECT_EQ(chat["history"]["messages"]["a1"]["content"], "Hi");
  EXPECT_EQ(chat["history"]["messages"]["a1"]["parentId"], "u1");
  EXPECT_EQ(chat["history"]["currentId"], "a1");
  chat = UpsertMessage(json::object(), "x", {{"content", "new"}});
  EXPECT_EQ(chat["history"]["messages"]["x"]["content"], "new");
}

WorkspaceModel Row(std::string id, std::optional<std::string> base, std::string name,
                   bool active = true) {
  WorkspaceModel m;
  m.id = std::move(id);
  m.user_id = "admin";
  m.base_model_id = std::move(base);
  m.name = std::move(name);
  m.is_active = active;
  m.created_at = 100;
  return m;
}

TEST(ChatLogic, MergeModelsAppliesOverridesAndAppendsCustomModels) {
  std::vector<json> base = {
      {{"id", "gpt-x"}, {"name", "gpt-x"}, {"owned_by", "openai"}},
      {{"id", "llama3:latest"}, {"name", "llama3:latest"}, {"owned_by", "ollama"}},
      {{"id", "hidden"}, {"name", "hidden"}, {"owned_by", "openai"}},
  };
  std::vector<WorkspaceModel> rows = {
      Row("gpt-x", std::nullopt, "GPT X Renamed"),
      Row("llama3", std::nullopt, "Llama"),  // Ollama ids match without their tag
      Row("hidden", std::nullopt, "Hidden", /*active=*/false),
      Row("helper", std::string("llama3:latest"), "Helper"),
      Row("orphan", std::string("missing"), "Orphan"),
      Row("off", std::string("gpt-x"), "Off", /*active=*/false),
  };
  rows[3].meta = {{"tags", json::array({{{"name", "work"}}})}};
  auto merged = MergeModels(base, rows);
  std::map<std::string, json> by_id;
  for (const auto& m : merged) by_id[m["id"]] = m;
  ASSERT_EQ(merged.size(), 4u);
  EXPECT_EQ(by_id["gpt-x"]["name"], "GPT X Renamed");
  EXPECT_EQ(by_id["gpt-x"]["info"]["id"], "gpt-x");
  EXPECT_EQ(by_id["llama3:latest"]["name"], "Llama");
  EXPECT_EQ(by_id.count("hidden"), 0u);
  EXPECT_EQ(by_id.count("off"), 0u);
  EXPECT_EQ(by_id["helper"]["owned_by"], "ollama");
  EXPECT_EQ(by_id["helper"]["preset"], true);
  EXPECT_EQ(by_id["helper"]["info"]["base_model_id"], "llama3:latest");
  EXPECT_EQ(by_id["helper"]["info"]["meta"]["profile_image_url"], "/static/favicon.png");
  EXPECT_EQ(by_id["orphan"]["owned_by"], "openai");
  // Without any provider model there is nothing to customise.
  EXPECT_TRUE(MergeModels({}, rows).empty());

  json helper = by_id["helper"];
  helper["tags"] = json::array({{{"name", "work"}}, {{"name", "fast"}}});
  ApplyModelTags(helper);
  EXPECT_EQ(helper["tags"], json::parse(R"([{"name":"work"},{"name":"fast"}])"));
}

TEST(ChatLogic, OrderListPutsListedModelsFirst) {
  std::vector<json> models = {
      {{"id", "c"}, {"name", "C"}}, {{"id", "a"}, {"name", "A"}}, {{"id", "b"}, {"name", "B"}}};
  SortByOrderList(models, json::array({"b"}));
  EXPECT_EQ(models[0]["id"], "b");
  EXPECT_EQ(models[1]["id"], "a");
  EXPECT_EQ(models[2]["id"], "c");
}

TEST(ChatLogic, UpstreamBodyDropsWebUiKeysAndLiftsParams) {
  const json body = {{"model", "m"},
                     {"stream", true},
                     {"messages", json::array()},
                     {"session_id", "s"},
                     {"chat_id", "c"},
                     {"id", "i"},
                     {"model_item", json::object()},
                     {"background_tasks", json::object()},
                     {"features", json::object()},
                     {"params",
                      {{"temperature", 0.5},
                       {"system", "x"},
                       {"seed", nullptr},
                       {"custom_params", {{"top_k", "40"}}}}}};
  const json out = BuildUpstreamBody(body);
  for (const char* k : {"session_id", "chat_id", "id", "model_item", "background_tasks", "features",
                        "params", "system", "seed"})
    EXPECT_FALSE(out.contains(k)) << k;
  EXPECT_EQ(out["temperature"], 0.5);
  EXPECT_EQ(out["top_k"], 40);
  EXPECT_EQ(out["stream"], true);
}

TEST(ChatLogic, ModelParamsApplySystemPromptAndSampling) {
  PromptContext ctx;
  ctx.user_name = "Ada";
  ctx.variables = {{"{{USER_LANGUAGE}}", "fr"}};
  ctx.now = 1700000000;
  json body = {{"messages", json::array({{{"role", "user"}, {"content", "hi"}}})},
               {"temperature", 0.9}};
  const json params = {{"system", "Be terse with {{USER_NAME}} in {{USER_LANGUAGE}}."},
                       {"temperature", "0.1"},
                       {"max_tokens", 12.0},
                       {"stream_response", false}};
  json out = ApplyModelParams(body, params, ctx);
  EXPECT_EQ(out["messages"][0]["role"], "system");
  EXPECT_EQ(out["messages"][0]["content"], "Be terse with Ada in fr.");
  EXPECT_EQ(out["messages"][1]["content"], "hi");
  EXPECT_DOUBLE_EQ(out["temperature"].get<double>(), 0.1);
  EXPECT_EQ(out["max_tokens"], 12);
  EXPECT_EQ(out["stream"], false);

  // An existing system message gets the model's prompt in front of it.
  json with_system = {
      {"messages", json::array({{{"role", "system"}, {"content", "chat prompt"}}})}};
  out = ApplyModelParams(with_system, {{"system", "model prompt"}}, ctx);
  EXPECT_EQ(out["messages"].size(), 1u);
  EXPECT_EQ(out["messages"][0]["content"], "model prompt\nchat prompt");
  EXPECT_EQ(RenderPrompt("{{CURRENT_DATE}}", ctx).size(), 10u);
}

TEST(ChatLogic, ChunkAndTitleParsing) {
  EXPECT_EQ(ChunkDeltaContent(json::parse(R"({"choices":[{"delta":{"content":"ab"}}]})")), "ab");
  EXPECT_EQ(ChunkDeltaContent(json::parse(R"({"choices":[{"delta":{"role":"assistant"}}]})")), "");
  EXPECT_EQ(ChunkDeltaContent(json::parse(R"({"choices":[]})")), "");
  EXPECT_EQ(CompletionContent(json::parse(R"({"choices":[{"message":{"content":"x"}}]})")), "x");
  EXPECT_EQ(ParseGeneratedTitle("Sure! {\"title\": \"🇫🇷 Paris Facts\"} done"), "🇫🇷 Paris Facts");
  EXPECT_EQ(ParseGeneratedTitle("no json"), "");
}

TEST(ChatLogic, AccessControlNormalisation) {
  EXPECT_TRUE(NormalizeAccessControl(json("null")).is_null());
  EXPECT_TRUE(NormalizeAccessControl(json()).is_null());
  EXPECT_EQ(NormalizeAccessControl(json("{}")), json::object());
  EXPECT_EQ(sdk::messages::Default("x"), "[ERROR: x]");
}

}  // namespace
}  // namespace webui::chat
