// The model_provider.v1 contract of both plugins, through the provider_probe test plugin: what
// the chat plugin relies on (same model shape, OpenAI chunks from both, abort, error statuses).
#include <webui_host/abi.h>

#include "providers_fixture.hpp"

namespace webui::testing {
namespace {

class ProviderService : public ProvidersTest {
 protected:
  struct ChatRun {
    std::vector<json> pieces;
    json end;  // {"status", "http_status", "error", "ticks", "ms"}
  };
  static ChatRun Chat(const std::string& provider, const std::string& body,
                      const std::string& extra = "") {
    auto r = PostStreaming(host().port(), "/api/v1/probe/chat?provider=" + provider + extra, body,
                           As("user"));
    ChatRun run;
    for (const auto& l : r.lines) {
      json j = json::parse(l, nullptr, false);
      if (j.contains("piece"))
        run.pieces.push_back(j["piece"]);
      else
        run.end = j;
    }
    return run;
  }
  static std::string Text(const std::vector<json>& pieces) {
    std::string text;
    for (const auto& p : pieces)
      for (const auto& c : p["choices"])
        if (c.contains("delta") && c["delta"].contains("content"))
          text += c["delta"]["content"].get<std::string>();
    return text;
  }
};

TEST_F(ProviderService, BothProvidersListModelsInTheSameShape) {
  for (const char* provider : {"openai", "ollama"}) {
    auto r = host().Get(std::string("/api/v1/probe/models?provider=") + provider, As("user"));
    ASSERT_EQ(r.status, 200) << provider << " " << r.body;
    json list = r.Json();
    ASSERT_TRUE(list.is_array());
    ASSERT_FALSE(list.empty()) << provider;
    for (const auto& m : list) {
      for (const char* key :
           {"id", "name", "object", "created", "owned_by", "connection_type", "urlIdx"})
        EXPECT_TRUE(m.contains(key)) << provider << " lacks " << key << ": " << m.dump();
      EXPECT_EQ(m["object"], "model");
      EXPECT_EQ(m["owned_by"], provider);
      EXPECT_TRUE(m.contains(provider)) << m.dump();  // the raw upstream object
    }
  }
  auto has = [&](const char* provider, const char* model) {
    return host()
        .Get(std::string("/api/v1/probe/has?provider=") + provider + "&model=" + model, As("user"))
        .Json()["has"]
        .get<bool>();
  };
  EXPECT_TRUE(has("openai", "b.b-model"));
  EXPECT_FALSE(has("openai", "b-model"));
  EXPECT_TRUE(has("ollama", "b-model:latest"));
  EXPECT_FALSE(has("ollama", "gpt-test:latest-nope"));
}

TEST_F(ProviderService, StreamedChatGivesOpenAiChunksFromBothProviders) {
  auto openai = Chat("openai", ChatBody("gpt-test", "one two three", true));
  EXPECT_EQ(openai.end["status"], int{WH_OK}) << openai.end.dump();
  EXPECT_EQ(Text(openai.pieces), kText);
  auto ollama = Chat("ollama", ChatBody("llama-test:latest", "one two three", true));
  EXPECT_EQ(ollama.end["status"], int{WH_OK}) << ollama.end.dump();
  EXPECT_EQ(Text(ollama.pieces), kText);
  ASSERT_FALSE(ollama.pieces.empty());
  for (const auto& p : ollama.pieces) EXPECT_EQ(p["object"], "chat.completion.chunk");
  EXPECT_EQ(ollama.pieces.back()["choices"][0]["finish_reason"], "stop");
  EXPECT_TRUE(ollama.pieces.back().contains("usage"));
  // The OpenAI request was converted for Ollama.
  auto sent = a().Requests("/api/chat", "llama-test:latest");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(json::parse(sent[0]["body"].get<std::string>())["stream"], true);
}

TEST_F(ProviderService, WholeCompletionWhenNotStreamed) {
  for (const auto& [provider, model] :
       {std::pair{"openai", "b.b-model"}, std::pair{"ollama", "b-model"}}) {
    auto run = Chat(provider, ChatBody(model, "one two three", false));
    EXPECT_EQ(run.end["status"], int{WH_OK}) << provider << run.end.dump();
    ASSERT_EQ(run.pieces.size(), 1u) << provider;
    EXPECT_EQ(run.pieces[0]["object"], "chat.completion");
    EXPECT_EQ(run.pieces[0]["choices"][0]["message"]["content"], kText);
  }
}

TEST_F(ProviderService, AbortClosesTheUpstreamWithinOneSecond) {
  for (const auto& [provider, model] :
       {std::pair{"openai", "gpt-slow"}, std::pair{"ollama", "llama-slow"}}) {
    a().Reset();
    auto run = Chat(provider, ChatBody(model, "a b c d e f g h", true), "&abort_after=1");
    EXPECT_EQ(run.end["status"], int{WH_ABORTED}) << provider << run.end.dump();
    EXPECT_EQ(run.pieces.size(), 1u);
    const long long aborted_at = WallMs();
    json seen = a().WaitFor([](const json& r) { return r["closed_by_client"] == true; },
                            std::chrono::seconds(3));
    ASSERT_FALSE(seen.is_null()) << provider;
    EXPECT_LE(seen["t_closed"].get<long long>() - aborted_at, 1000);
  }
}

TEST_F(ProviderService, SilenceTicksLetTheConsumerAbortBeforeTheFirstByte) {
  // The probe aborts on a tick once its own client has gone.
  const long long closed_at = PostAndLeave(host().port(), "/api/v1/probe/chat?provider=openai",
                                           ChatBody("gpt-hang-headers", "x", true), As("user"), "",
                                           std::chrono::milliseconds(300));
  json seen = a().WaitFor([](const json& r) { return r["closed_by_client"] == true; },
                          std::chrono::seconds(3));
  ASSERT_FALSE(seen.is_null());
  EXPECT_LE(seen["t_closed"].get<long long>() - closed_at, 1000);
}

TEST_F(ProviderService, ErrorsMapToStatuses) {
  auto missing = Chat("openai", ChatBody("nope", "x", true));
  EXPECT_EQ(missing.end["status"], int{WH_NOT_FOUND});
  EXPECT_EQ(missing.end["http_status"], 404);
  auto upstream_error = Chat("openai", ChatBody("gpt-error-500", "x", true));
  EXPECT_EQ(upstream_error.end["status"], int{WH_ERROR});
  EXPECT_EQ(upstream_error.end["http_status"], 500);
  EXPECT_EQ(upstream_error.end["error"], "Simulated upstream failure (500)");
  auto refused = Chat("openai", ChatBody("refused-model", "x", true));
  EXPECT_EQ(refused.end["status"], int{WH_UNAVAILABLE});
  EXPECT_EQ(refused.end["http_status"], 502);
  auto timeout = Chat("openai", ChatBody("dead-model", "x", true));
  EXPECT_EQ(timeout.end["status"], int{WH_TIMEOUT});
  EXPECT_EQ(timeout.end["http_status"], 504);
  auto reset = Chat("openai", ChatBody("gpt-reset-mid", "one two three four", true));
  EXPECT_EQ(reset.end["status"], int{WH_CLOSED}) << reset.end.dump();
  EXPECT_EQ(reset.end["error"], "upstream connection lost");  // no upstream address
  EXPECT_FALSE(reset.pieces.empty());
  auto ollama_reset = Chat("ollama", ChatBody("llama-reset-mid", "one two three four", true));
  EXPECT_EQ(ollama_reset.end["status"], int{WH_CLOSED}) << ollama_reset.end.dump();
  EXPECT_EQ(ollama_reset.end["error"], "upstream connection lost");
  auto ollama_missing = Chat("ollama", ChatBody("nope", "x", true));
  EXPECT_EQ(ollama_missing.end["status"], int{WH_NOT_FOUND});
  auto ollama_error = Chat("ollama", ChatBody("gpt-error-500", "x", false));
  EXPECT_EQ(ollama_error.end["status"], int{WH_ERROR});
  EXPECT_EQ(ollama_error.end["http_status"], 500);
}

// Each failed completion is counted against its connection in /metrics: an upstream 500 on
// connection 0, a silent upstream (timeout) on 1, a refused port on 3. A request for a model
// nobody serves reaches no upstream and counts nothing.
TEST_F(ProviderService, FailedCompletionsAreCountedPerConnection) {
  const auto series = [](const char* connection, const char* reason) {
    return std::string(R"(webui_upstream_errors_total{plugin="openai",connection=")") + connection +
           R"(",reason=")" + reason + R"("})";
  };
  const auto sample = [](const std::string& s) {
    auto r = host().Get("/metrics");
    EXPECT_EQ(r.status, 200) << r.body;
    return std::max(0.0, MetricSample(r.body, s));
  };
  const std::string http_5xx = series("0", "http_5xx"), timeout = series("1", "timeout"),
                    unreachable = series("3", "unreachable");
  const double before_5xx = sample(http_5xx), before_timeout = sample(timeout),
               before_unreachable = sample(unreachable);
  EXPECT_EQ(Chat("openai", ChatBody("gpt-error-500", "x", true)).end["status"], int{WH_ERROR});
  EXPECT_EQ(Chat("openai", ChatBody("dead-model", "x", true)).end["status"], int{WH_TIMEOUT});
  EXPECT_EQ(Chat("openai", ChatBody("refused-model", "x", true)).end["status"],
            int{WH_UNAVAILABLE});
  EXPECT_EQ(Chat("openai", ChatBody("nope", "x", true)).end["status"], int{WH_NOT_FOUND});
  EXPECT_EQ(Chat("openai", ChatBody("gpt-test", "one two three", true)).end["status"], int{WH_OK});
  EXPECT_EQ(sample(http_5xx), before_5xx + 1);
  EXPECT_EQ(sample(timeout), before_timeout + 1);
  EXPECT_EQ(sample(unreachable), before_unreachable + 1);
  // The same failures through the /openai proxy (relayed to the client) count the same way.
  auto proxied = [](const char* model) {
    return host().Post("/openai/chat/completions", ChatBody(model, "x", false), As("user")).status;
  };
  EXPECT_EQ(proxied("gpt-error-500"), 500);
  EXPECT_EQ(proxied("refused-model"), 502);
  EXPECT_EQ(proxied("gpt-test"), 200);
  EXPECT_EQ(sample(http_5xx), before_5xx + 2);
  EXPECT_EQ(sample(unreachable), before_unreachable + 2);
}

// An upstream that sends its end marker and keeps the connection open: the answer is complete
// there, not a read timeout (2 s) later with an error.
TEST_F(ProviderService, EndMarkerFinishesTheAnswerWhenTheUpstreamStaysOpen) {
  for (const auto& [provider, model] :
       {std::pair{"openai", "gpt-done-hang"}, std::pair{"ollama", "llama-done-hang"}}) {
    auto run = Chat(provider, ChatBody(model, "one two three", true));
    EXPECT_EQ(run.end["status"], int{WH_OK}) << provider << " " << run.end.dump();
    EXPECT_EQ(Text(run.pieces), kText) << provider;
    EXPECT_LT(run.end["ms"].get<long long>(), 1900) << provider;
  }
}

TEST_F(ProviderService, MalformedChunksAreSkipped) {
  auto run = Chat("openai", ChatBody("gpt-bad-json", "one two three", true));
  EXPECT_EQ(run.end["status"], int{WH_OK}) << run.end.dump();
  EXPECT_EQ(Text(run.pieces), kText);
}

TEST_F(ProviderService, EmbeddingsFromBothProviders) {
  for (const auto& [provider, model] :
       {std::pair{"openai", "text-embedding-test"}, std::pair{"ollama", "b-model"}}) {
    auto r = host().Post(std::string("/api/v1/probe/embeddings?provider=") + provider,
                         json{{"model", model}, {"input", {"a", "b"}}}.dump(), As("user"));
    ASSERT_EQ(r.status, 200) << r.body;
    json j = r.Json();
    EXPECT_EQ(j["status"], int{WH_OK}) << provider << " " << r.body;
    EXPECT_EQ(j["result"]["object"], "list");
    ASSERT_EQ(j["result"]["data"].size(), 2u) << r.body;
    EXPECT_EQ(j["result"]["data"][1]["index"], 1);
    EXPECT_EQ(j["result"]["data"][0]["embedding"].size(), 8u);
  }
}

}  // namespace
}  // namespace webui::testing
