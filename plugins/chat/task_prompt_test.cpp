// The task model's pure parts: reading a model's JSON answer (bare, inside prose, inside a code
// fence, or garbage) as 0.6.32's callers do, and filling task templates like utils/task.py.
#include "task_prompt.hpp"

#include <gtest/gtest.h>

namespace webui::chat {
namespace {

using Strings = std::vector<std::string>;

TEST(TaskPrompt, QueriesFromBareJsonProseAndCodeFences) {
  EXPECT_EQ(ParseQueries(R"({"queries": ["a b", "c"]})"), (Strings{"a b", "c"}));
  EXPECT_EQ(ParseQueries("Sure! Here you go: {\"queries\": [\"x\"]} Hope it helps."),
            (Strings{"x"}));
  EXPECT_EQ(ParseQueries("```json\n{\n  \"queries\": [\"fenced one\", \"two\"]\n}\n```"),
            (Strings{"fenced one", "two"}));
  // Non-strings, blanks and items past the limit are dropped.
  EXPECT_EQ(ParseQueries(R"({"queries": [1, " ", "ok", null, {"q": 1}]})"), (Strings{"ok"}));
  EXPECT_EQ(ParseQueries(R"({"queries": ["1","2","3","4","5","6","7","8","9","10"]})").size(), 8u);
  // An object without queries, or with an empty list: nothing (the caller falls back).
  EXPECT_TRUE(ParseQueries(R"({"queries": []})").empty());
  EXPECT_TRUE(ParseQueries(R"({"other": ["x"]})").empty());
}

TEST(TaskPrompt, GarbageAnswerIsItselfTheQueryAndBlankIsNothing) {
  // 0.6.32: no JSON object in the answer means the answer is the one query.
  EXPECT_EQ(ParseQueries("weather in Paris today"), (Strings{"weather in Paris today"}));
  EXPECT_EQ(ParseQueries("{ not json at all"), (Strings{"{ not json at all"}));
  EXPECT_EQ(ParseQueries("} backwards {"), (Strings{"} backwards {"}));
  EXPECT_TRUE(ParseQueries("").empty());
  EXPECT_TRUE(ParseQueries(" \n\t").empty());
  // A huge answer is cut, not carried whole into retrieval.
  EXPECT_LE(ParseQueries(std::string(100000, 'q'))[0].size(), kMaxWholeAnswerQueryBytes);
}

TEST(TaskPrompt, TagsAndFollowUpsNeedTheirKeyAndAnArray) {
  EXPECT_EQ(ParseStringList("Tags: {\"tags\": [\"Science\", \"Physics\"]}.", "tags"),
            (Strings{"Science", "Physics"}));
  EXPECT_EQ(ParseStringList("```\n{\"follow_ups\": [\"Why?\", \"How?\"]}\n```", "follow_ups"),
            (Strings{"Why?", "How?"}));
  EXPECT_TRUE(ParseStringList(R"({"tags": "Science"})", "tags").empty());
  EXPECT_TRUE(ParseStringList("no json here", "tags").empty());
  EXPECT_TRUE(ParseStringList(R"({"tags": ["a",)", "tags").empty());
  EXPECT_FALSE(JsonObjectIn("plain words").has_value());
  EXPECT_FALSE(JsonObjectIn("[1, 2]").has_value());
  ASSERT_TRUE(JsonObjectIn("x {\"a\": {\"b\": 1}} y").has_value());
  EXPECT_EQ((*JsonObjectIn("x {\"a\": {\"b\": 1}} y"))["a"]["b"], 1);
}

TEST(TaskPrompt, MessagesVariablesPickTheirSlices) {
  const json messages = json::array({{{"role", "user"}, {"content", "one"}},
                                     {{"role", "assistant"}, {"content", "two"}},
                                     {{"role", "user"}, {"content", "three"}}});
  PromptContext ctx;
  ctx.user_name = "Ann";
  EXPECT_EQ(FillTaskTemplate("{{MESSAGES}}", messages, "", ctx),
            "USER: one\nASSISTANT: two\nUSER: three");
  EXPECT_EQ(FillTaskTemplate("{{MESSAGES:END:2}}", messages, "", ctx),
            "ASSISTANT: two\nUSER: three");
  EXPECT_EQ(FillTaskTemplate("{{MESSAGES:START:1}}", messages, "", ctx), "USER: one");
  EXPECT_EQ(FillTaskTemplate("{{MESSAGES:END:9}}", messages, "", ctx),
            "USER: one\nASSISTANT: two\nUSER: three");
  EXPECT_EQ(FillTaskTemplate("{{MESSAGES:MIDDLETRUNCATE:2}}", messages, "", ctx),
            "USER: one\nUSER: three");
  // A list content counts its text parts.
  const json parts = json::array(
      {{{"role", "user"},
        {"content", json::array({{{"type", "text"}, {"text", "look"}},
                                 {{"type", "image_url"}, {"image_url", {{"url", "x"}}}}})}}});
  EXPECT_EQ(FillTaskTemplate("{{MESSAGES}}", parts, "", ctx), "USER: look");
  EXPECT_EQ(FillTaskTemplate("by {{USER_NAME}}", json::array(), "", ctx), "by Ann");
}

TEST(TaskPrompt, PromptVariablesCutByCodePointsAndTextIsNotReexpanded) {
  PromptContext ctx;
  EXPECT_EQ(FillTaskTemplate("[{{prompt}}]", json(), "héllo", ctx), "[héllo]");
  EXPECT_EQ(FillTaskTemplate("[{{PROMPT:START:2}}]", json(), "héllo", ctx), "[hé]");
  EXPECT_EQ(FillTaskTemplate("[{{prompt:end:3}}]", json(), "héllo", ctx), "[llo]");
  EXPECT_EQ(FillTaskTemplate("[{{prompt:middletruncate:4}}]", json(), "abcdefgh", ctx),
            "[ab...gh]");
  EXPECT_EQ(FillTaskTemplate("<{{TYPE}}>", json(), "", ctx, "search query"), "<search query>");
  // The user's text carries a marker: it stays as typed.
  const json messages = json::array({{{"role", "user"}, {"content", "say {{prompt}}"}}});
  EXPECT_EQ(FillTaskTemplate("{{MESSAGES}}|{{prompt}}", messages, "q {{MESSAGES}}", ctx),
            "USER: say {{prompt}}|q {{MESSAGES}}");
}

}  // namespace
}  // namespace webui::chat
