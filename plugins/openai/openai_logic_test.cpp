#include "openai_logic.hpp"

#include <algorithm>
#include <map>

#include <gtest/gtest.h>

namespace webui::openai {
namespace {

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(OpenAiSettings, BaseUrlsFollowUpstreamFallbacks) {
  EXPECT_EQ(BaseUrlsFromEnv(Env({})), std::vector<std::string>{"https://api.openai.com/v1"});
  EXPECT_EQ(BaseUrlsFromEnv(Env({{"OPENAI_API_BASE_URL", "http://a/v1"}})),
            std::vector<std::string>{"http://a/v1"});
  EXPECT_EQ(BaseUrlsFromEnv(Env({{"OPENAI_API_BASE_URL", "http://a/v1"},
                                 {"OPENAI_API_BASE_URLS", "http://b/v1; ;http://c/v1"}})),
            (std::vector<std::string>{"http://b/v1", "https://api.openai.com/v1", "http://c/v1"}));
}

TEST(OpenAiSettings, KeysKeepTheirPositions) {
  EXPECT_EQ(KeysFromEnv(Env({{"OPENAI_API_KEY", "sk-1"}})), std::vector<std::string>{"sk-1"});
  EXPECT_EQ(KeysFromEnv(Env({{"OPENAI_API_KEYS", ";sk-2"}})),
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

TEST(OpenAiSettings, ConfigLookupByIndexThenLegacyUrl) {
  Connections c;
  c.urls = {"http://a", "http://b/"};
  c.configs = {{"http://b/", {{"enable", false}}}, {"0", {{"prefix_id", "p"}}}};
  EXPECT_EQ(c.ConfigOf(0)["prefix_id"], "p");
  EXPECT_TRUE(c.Enabled(0));
  EXPECT_FALSE(c.Enabled(1));
  EXPECT_EQ(c.Url(1), "http://b");
}

TEST(OpenAiSettings, TimeoutsParseLikeUpstream) {
  EXPECT_EQ(TimeoutSeconds(std::nullopt, 10, 10), 10);
  EXPECT_EQ(TimeoutSeconds(std::string(""), 10, 10), std::nullopt);
  EXPECT_EQ(TimeoutSeconds(std::string(" 3 "), 10, 10), 3);
  EXPECT_EQ(TimeoutSeconds(std::string("soon"), std::nullopt, 300), 300);
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

TEST(OpenAiPayload, PrefixIsStrippedOnlyAtTheFront) {
  json cfg = {{"prefix_id", "up"}};
  EXPECT_EQ(StripPrefix("up.gpt", cfg), "gpt");
  EXPECT_EQ(StripPrefix("gpt.up.x", cfg), "gpt.up.x");
  EXPECT_EQ(StripPrefix("gpt", json::object()), "gpt");
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

TEST(OpenAiErrors, UpstreamErrorText) {
  EXPECT_EQ(UpstreamErrorText(R"({"error":{"message":"bad key"}})", "x"), "bad key");
  EXPECT_EQ(UpstreamErrorText(R"({"error":"boom"})", "x"), "boom");
  EXPECT_EQ(UpstreamErrorText("", "fallback"), "fallback");
  EXPECT_EQ(UpstreamErrorText("plain text", "x"), "plain text");
}

TEST(OpenAiSse, SplitsAcrossArbitraryChunks) {
  const std::string stream =
      "data: {\"a\":1}\n\n: comment\nevent: x\ndata:{\"b\":2}\r\n\r\ndata: [DONE]\n\n";
  for (size_t step = 1; step <= stream.size(); ++step) {
    SseSplitter s;
    std::vector<std::string> got;
    for (size_t i = 0; i < stream.size(); i += step)
      ASSERT_TRUE(s.Feed(std::string_view(stream).substr(i, step), [&](std::string_view d) {
        got.emplace_back(d);
        return true;
      }));
    EXPECT_EQ(got, (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}", "[DONE]"})) << step;
    EXPECT_TRUE(s.AtBoundary());
  }
  SseSplitter s;
  int calls = 0;
  EXPECT_FALSE(s.Feed("data: 1\ndata: 2\n", [&](std::string_view) { return ++calls < 1; }));
  EXPECT_EQ(calls, 1);
}

TEST(StreamEndWatcher, SeesDoneInSseWhateverTheChunking) {
  const std::string stream =
      "data: {\"t\":\"[DONE]\"}\n\n: data: [DONE]\ndata: {\"x\":1}\r\n\r\ndata: [DONE]\r\n\n";
  const size_t end_at = stream.find("data: [DONE]\r") + 14;  // bytes through its "\n"
  for (size_t step = 1; step <= stream.size(); ++step) {
    StreamEndWatcher w(StreamEndWatcher::Format::kSse);
    for (size_t i = 0; i < stream.size(); i += step) {
      const bool ended = w.Feed(std::string_view(stream).substr(i, step));
      EXPECT_EQ(ended, std::min(i + step, stream.size()) >= end_at) << step << " at " << i;
    }
  }
  StreamEndWatcher w(StreamEndWatcher::Format::kSse);
  EXPECT_FALSE(w.Feed("data: [DONE]"));  // not a line yet
  EXPECT_TRUE(w.Feed("\n"));
  EXPECT_TRUE(w.Feed("data: more"));  // stays ended
}

TEST(StreamEndWatcher, SeesDoneTrueInNdjsonAndIgnoresOverlongLines) {
  StreamEndWatcher w(StreamEndWatcher::Format::kNdjson);
  EXPECT_FALSE(w.Feed("{\"message\":{\"content\":\"\\\"done\\\": true\"},\"done\":false}\n"));
  EXPECT_FALSE(w.Feed("{\"done\":\"true\"}\n[1]\nnot json \"done\"\n"));
  EXPECT_FALSE(w.Feed("{\"model\":\"m\",\"done\":tr"));
  EXPECT_TRUE(w.Feed("ue,\"done_reason\":\"stop\"}\n"));

  StreamEndWatcher big(StreamEndWatcher::Format::kNdjson);
  const std::string overlong =
      "{\"done\":true,\"pad\":\"" + std::string(StreamEndWatcher::kMaxLine, 'x') + "\"}\n";
  EXPECT_FALSE(big.Feed(overlong));
  EXPECT_TRUE(big.Feed("{\"done\":true}\n"));  // the next line is read again
}

TEST(OpenAiHeaders, UserNameIsQuotedLikePython) {
  EXPECT_EQ(UrlQuote("Jane Doe"), "Jane Doe");
  EXPECT_EQ(UrlQuote("Zoë\r\n"), "Zo%C3%AB%0D%0A");
}

TEST(OpenAiSse, ALineThatNeverEndsIsCutAtTheLimit) {
  SseSplitter sse;
  int events = 0;
  auto on_data = [&](std::string_view) { return ++events, true; };
  EXPECT_TRUE(sse.Feed("data: {\"a\":1}\n\ndata: ", on_data));
  const std::string piece(1 << 20, 'x');
  bool ok = true;
  for (size_t fed = 0; ok && fed <= SseSplitter::kMaxPending + piece.size(); fed += piece.size())
    ok = sse.Feed(piece, on_data);
  EXPECT_FALSE(ok);
  EXPECT_TRUE(sse.overflowed());
  EXPECT_TRUE(sse.AtBoundary());  // the buffer was released
  EXPECT_FALSE(sse.Feed("\n\n", on_data));
  EXPECT_EQ(events, 1);
}

}  // namespace
}  // namespace webui::openai
