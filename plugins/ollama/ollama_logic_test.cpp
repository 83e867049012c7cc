#include "ollama_logic.hpp"

#include <map>
#include <utility>

#include <gtest/gtest.h>

#include "providers/test_env.hpp"

namespace webui::ollama {
namespace {

TEST(OllamaSettings, BaseUrlsFromEnvironment) {
  const std::pair<std::map<std::string, std::string>, std::vector<std::string>> cases[] = {
      {{}, {"http://localhost:11434"}},
      {{{"OLLAMA_API_BASE_URL", "http://o:1/api"}}, {"http://o:1"}},
      {{{"OLLAMA_BASE_URL", "http://a/"}}, {"http://a"}},
      {{{"OLLAMA_BASE_URLS", "http://a; http://b"}}, {"http://a", "http://b"}},
  };
  for (const auto& [vars, urls] : cases) EXPECT_EQ(BaseUrlsFromEnv(providers::MapEnv(vars)), urls);
}

TEST(OllamaSettings, UpdateDropsConfigsOfMissingConnections) {
  json body = {{"ENABLE_OLLAMA_API", true},
               {"OLLAMA_BASE_URLS", {"http://a"}},
               {"OLLAMA_API_CONFIGS", {{"0", {{"key", "k"}}}, {"1", {{"enable", false}}}}}};
  Connections c = ConnectionsFromUpdate(body, false);
  EXPECT_TRUE(c.enable);
  EXPECT_EQ(c.configs, json({{"0", {{"key", "k"}}}}));
  EXPECT_EQ(c.Key(0), "k");
  EXPECT_THROW(ConnectionsFromUpdate(json{{"OLLAMA_BASE_URLS", {1}}}, true), std::invalid_argument);
}

TEST(OllamaModels, FilterPrefixAndMergeByModel) {
  json tags = {
      {"models",
       {{{"name", "a:latest"}, {"model", "a:latest"}}, {{"name", "b:7b"}, {"model", "b:7b"}}}}};
  auto first = ConnectionModels(tags, json{{"model_ids", {"a:latest"}}});
  ASSERT_TRUE(first);
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ((*first)[0]["connection_type"], "local");
  auto second = ConnectionModels(tags, json::object());
  auto prefixed = ConnectionModels(tags, json{{"prefix_id", "p"}, {"tags", {"x"}}});
  EXPECT_EQ((*prefixed)[0]["model"], "p.a:latest");
  EXPECT_EQ((*prefixed)[0]["tags"], json({"x"}));

  json merged = MergeModels({first, std::nullopt, second});
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(merged[0]["model"], "a:latest");
  EXPECT_EQ(merged[0]["urls"], json({0, 2}));
  EXPECT_EQ(merged[1]["urls"], json::array({2}));

  json items = ProviderModels(merged, 42);
  EXPECT_EQ(items[0]["id"], "a:latest");
  EXPECT_EQ(items[0]["owned_by"], "ollama");
  EXPECT_EQ(items[0]["object"], "model");
  EXPECT_EQ(items[0]["created"], 42);
  EXPECT_EQ(items[0]["urlIdx"], 0);
  EXPECT_EQ(items[0]["ollama"]["urls"], json({0, 2}));
}

TEST(OllamaNames, TagAndPrefix) {
  EXPECT_EQ(WithTag("llama3"), "llama3:latest");
  EXPECT_EQ(WithTag("llama3:8b"), "llama3:8b");
  EXPECT_EQ(StripPrefix("p.llama3:latest", json{{"prefix_id", "p"}}), "llama3:latest");
  EXPECT_EQ(StripPrefix("llama3:latest", json{{"prefix_id", "p"}}), "llama3:latest");
}

TEST(OllamaConvert, OpenAiRequestToOllamaChat) {
  json req = {
      {"model", "m"},
      {"stream", true},
      {"temperature", 0.5},
      {"max_tokens", 12},
      {"stop", "END"},
      {"response_format",
       {{"type", "json_schema"}, {"json_schema", {{"schema", {{"type", "object"}}}}}}},
      {"messages",
       {{{"role", "system"}, {"content", "be brief"}},
        {{"role", "user"},
         {"content",
          {{{"type", "text"}, {"text", "what is this? "}},
           {{"type", "image_url"}, {"image_url", {{"url", "data:image/png;base64,QUJD"}}}}}}},
        {{"role", "assistant"},
         {"content", nullptr},
         {"tool_calls",
          {{{"id", "c1"}, {"function", {{"name", "f"}, {"arguments", "{\"x\":1}"}}}}}}},
        {{"role", "tool"}, {"content", "42"}, {"tool_call_id", "c1"}}}}};
  json o = OpenAiToOllamaChat(req);
  EXPECT_EQ(o["stream"], true);
  EXPECT_EQ(o["options"]["temperature"], 0.5);
  EXPECT_EQ(o["options"]["num_predict"], 12);
  EXPECT_EQ(o["options"]["stop"], json({"END"}));
  EXPECT_EQ(o["format"], json({{"type", "object"}}));
  ASSERT_EQ(o["messages"].size(), 4u);
  EXPECT_EQ(o["messages"][0], json({{"role", "system"}, {"content", "be brief"}}));
  EXPECT_EQ(o["messages"][1]["content"], "what is this?");
  EXPECT_EQ(o["messages"][1]["images"], json({"QUJD"}));
  EXPECT_EQ(o["messages"][2]["tool_calls"][0]["function"]["arguments"], json({{"x", 1}}));
  EXPECT_EQ(o["messages"][3]["tool_call_id"], "c1");
  EXPECT_FALSE(OpenAiToOllamaChat(json{{"model", "m"}})["stream"]);
}

TEST(OllamaConvert, StreamLinesBecomeChunks) {
  ChatConverter conv("id-1", 100);
  auto c1 = conv.Chunk(json{
      {"model", "m"}, {"message", {{"role", "assistant"}, {"content", "Hi"}}}, {"done", false}});
  ASSERT_TRUE(c1);
  EXPECT_EQ((*c1)["object"], "chat.completion.chunk");
  EXPECT_EQ((*c1)["id"], "id-1");
  EXPECT_EQ((*c1)["choices"][0]["delta"]["content"], "Hi");
  EXPECT_TRUE((*c1)["choices"][0]["finish_reason"].is_null());
  EXPECT_FALSE(conv.Chunk(json{{"message", {{"content", ""}}}, {"done", false}}));
  auto last = conv.Chunk(json{{"model", "m"},
                              {"message", {{"content", ""}}},
                              {"done", true},
                              {"done_reason", "stop"},
                              {"prompt_eval_count", 3},
                              {"eval_count", 4},
                              {"eval_duration", 2000000000}});
  ASSERT_TRUE(last);
  EXPECT_EQ((*last)["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ((*last)["usage"]["total_tokens"], 7);
  EXPECT_EQ((*last)["usage"]["response_token/s"], 2.0);

  ChatConverter tools("id-2", 1);
  auto t = tools.Chunk(json{
      {"message", {{"tool_calls", {{{"function", {{"name", "f"}, {"arguments", {{"a", 1}}}}}}}}}},
      {"done", false}});
  ASSERT_TRUE(t);
  EXPECT_EQ((*t)["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"], "{\"a\":1}");
  auto end = tools.Chunk(json{{"done", true}});
  EXPECT_EQ((*end)["choices"][0]["finish_reason"], "tool_calls");
}

TEST(OllamaConvert, WholeAnswerBecomesCompletion) {
  ChatConverter conv("id-3", 5);
  json c = conv.Completion(json{{"model", "m"},
                                {"message", {{"role", "assistant"}, {"content", "Hello"}}},
                                {"done", true},
                                {"done_reason", "stop"}});
  EXPECT_EQ(c["object"], "chat.completion");
  EXPECT_EQ(c["choices"][0]["message"], json({{"role", "assistant"}, {"content", "Hello"}}));
  EXPECT_EQ(c["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(c["usage"]["total_tokens"], 0);
}

}  // namespace
}  // namespace webui::ollama
