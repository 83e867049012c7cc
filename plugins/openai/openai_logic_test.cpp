#include "openai_logic.hpp"

#include "providers/test_env.hpp"

#include <algorithm>

#include <gtest/gtest.h>

namespace webui::openai {
namespace {

using providers::MapEnv;

TEST(OpenAiSettings, BaseUrlsFollowUpstreamFallbacks) {
  EXPECT_EQ(BaseUrlsFromEnv(MapEnv({})), std::vector<std::string>{"https://api.openai.com/v1"});
  EXPECT_EQ(BaseUrlsFromEnv(MapEnv({{"OPENAI_API_BASE_URL", "http://a/v1"}})),
            std::vector<std::string>{"http://a/v1"});
  EXPECT_EQ(BaseUrlsFromEnv(MapEnv({{"OPENAI_API_BASE_URL", "http://a/v1"},
                                    {"OPENAI_API_BASE_URLS", "http://b/v1; ;http://c/v1"}})),
            (std::vector<std::string>{"http://b/v1", "https://api.openai.com/v1", "http://c/v1"}));
}

TEST(OpenAiSettings, KeysKeepTheirPositions) {
  EXPECT_EQ(KeysFromEnv(MapEnv({{"OPENAI_API_KEY", "sk-1"}})), std::vector<std::string>{"sk-1"});
  EXPECT_EQ(KeysFromEnv(MapEnv({{"OPENAI_API_KEYS", ";sk-2"}})),
            (std::vector<std::string>{"", "sk-2"}));
  Connections c;
  c.urls = {"a", "b", "c"};
  c.keys = {"k"};
  c.Normalize();
  EXPECT_EQ(c.keys, (std::vector<std::string>{"k", "", ""}));
  c.urls = {"a"};
  c.Normalize();
  EXPECT_EQ(c.keys, std::vector<std::string>{"k"});
}

TEST(OpenAiSettings, UpdatePadsKeysAndDropsStaleConfigs) {
  json body = {{"ENABLE_OPENAI_API", false},
               {"OPENAI_API_BASE_URLS", {"http://a", "http://b"}},
               {"OPENAI_API_KEYS", {"k1"}},
               {"OPENAI_API_CONFIGS", {{"0", {{"prefix_id", "x"}}}, {"5", {{"enable", false}}}}}};
  Connections c = ConnectionsFromUpdate(body, true);
  EXPECT_FALSE(c.enable);
  EXPECT_EQ(c.keys, (std::vector<std::string>{"k1", ""}));
  EXPECT_EQ(c.configs, json({{"0", {{"prefix_id", "x"}}}}));
  body["OPENAI_API_KEYS"] = {"k1", "k2", "k3"};
  EXPECT_EQ(ConnectionsFromUpdate(body, true).keys, (std::vector<std::string>{"k1", "k2"}));
  EXPECT_THROW(ConnectionsFromUpdate(json{{"OPENAI_API_BASE_URLS", "x"}}, true),
               std::invalid_argument);
  EXPECT_THROW(ConnectionsFromUpdate(json::array(), true), std::invalid_argument);
}

TEST(OpenAiModels, PrefixTagsAndMerge) {
  json upstream = {
      {"object", "list"},
      {"data", {{{"id", "m1"}, {"object", "model"}}, {{"id", "m2"}, {"name", nullptr}}}}};
  auto a = ConnectionModels(upstream, json{{"prefix_id", "up"}, {"tags", {"t"}}});
  ASSERT_TRUE(a);
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ((*a)[0]["id"], "up.m1");
  EXPECT_EQ((*a)[0]["tags"], json({"t"}));
  EXPECT_FALSE((*a)[1].contains("name"));
  auto b = ConnectionModels(SynthesisedModels(json{"only"}, 1), json::object());
  EXPECT_FALSE(ConnectionModels(json{{"error", "x"}}, json::object()));
  json merged = MergeModels({a, std::nullopt, b}, {"http://a", "http://dead", "http://b"});
  ASSERT_EQ(merged.size(), 3u);
  EXPECT_EQ(merged[0]["urlIdx"], 0);
  EXPECT_EQ(merged[0]["name"], "up.m1");
  EXPECT_EQ(merged[0]["owned_by"], "openai");
  EXPECT_EQ(merged[0]["connection_type"], "external");
  EXPECT_EQ(merged[0]["openai"]["id"], "up.m1");
  EXPECT_EQ(merged[2]["id"], "only");
  EXPECT_EQ(merged[2]["urlIdx"], 2);
}

TEST(OpenAiModels, OfficialApiHidesNonChatModels) {
  std::optional<json> list =
      json::array({{{"id", "gpt-4o"}}, {{"id", "text-embedding-3-small"}}, {{"id", "whisper-1"}}});
  EXPECT_EQ(MergeModels({list}, {"https://api.openai.com/v1"}).size(), 1u);
  EXPECT_EQ(MergeModels({list}, {"http://local/v1"}).size(), 3u);
}

TEST(OpenAiPayload, TokenLimitsFollowTheTarget) {
  json p = {{"model", "up.gpt-x"}, {"max_completion_tokens", 5}};
  PrepareChatPayload(p, json{{"prefix_id", "up"}}, "http://local/v1");
  EXPECT_EQ(p["model"], "gpt-x");
  EXPECT_EQ(p["max_tokens"], 5);
  EXPECT_FALSE(p.contains("max_completion_tokens"));

  json o = {{"model", "o3-mini"},
            {"max_tokens", 7},
            {"messages", {{{"role", "system"}, {"content", "s"}}}}};
  PrepareChatPayload(o, json::object(), "https://api.openai.com/v1");
  EXPECT_EQ(o["max_completion_tokens"], 7);
  EXPECT_FALSE(o.contains("max_tokens"));
  EXPECT_EQ(o["messages"][0]["role"], "developer");
}

}  // namespace
}  // namespace webui::openai
