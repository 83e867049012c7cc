// Deeply nested JSON against the real binary: every route that takes a JSON body refuses it
// with its usual "invalid body" answer and stores nothing, upstream answers nested too deep are
// refused, an Engine.IO polling packet of 75 000 levels is dropped, and the host stays up. (Before
// the bounded parser, copying or dumping such a value recursed once per level and overflowed the
// 512 KB stack of an HTTP thread.)
#include "providers_fixture.hpp"

namespace webui::testing {
namespace {

std::string Nested(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// `depth` levels of objects, the innermost holding a string.
json NestedObject(size_t depth) {
  json v = "bottom";
  for (size_t i = 0; i < depth; ++i) v = json{{"level", v}};
  return v;
}

// Splices raw JSON text into an object body as the value of "deep".
std::string WithDeep(const json& body, const std::string& deep) {
  std::string text = body.dump();
  text.pop_back();
  return text + ",\"deep\":" + deep + "}";
}

class DeepJson : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string why;
    if (BackendUnavailable(&why)) return;
    backend_ = new Backend();
    upstream_ = new UpstreamDouble({"--models", "gpt-test,llama-test,gpt-deep-json"});
    if (!upstream_->Start(&why)) {
      error_ = new std::string(why);
      return;
    }
    HostProcess::Options o;
    o.env = ProviderHostEnv(*backend_);
    o.env["WEBUI_PLUGINS"] = "chat,openai,ollama,test_auth";
    o.env["OPENAI_API_BASE_URLS"] = upstream_->BaseUrl() + "/v1";
    o.env["OLLAMA_BASE_URLS"] = upstream_->BaseUrl();
    host_ = new HostProcess(o);
    if (!host_->Start(&why)) error_ = new std::string(why);
  }
  static void TearDownTestSuite() {
    delete host_;
    delete upstream_;
    delete backend_;
    delete error_;
    host_ = nullptr;
    upstream_ = nullptr;
    backend_ = nullptr;
    error_ = nullptr;
  }
  void SetUp() override {
    WH_REQUIRE_BACKEND();
    ASSERT_EQ(error_, nullptr) << *error_;
    upstream_->Reset();
  }

  static HttpResult Post(const std::string& path, const std::string& body) {
    return host_->Post(path, body, As("admin", "deep-admin"));
  }
  static HttpResult Get(const std::string& path) {
    return host_->Get(path, As("admin", "deep-admin"));
  }
  static void ExpectAlive() {
    ASSERT_TRUE(host_->Running()) << host_->Log();
    EXPECT_EQ(host_->Get("/health").status, 200);
  }
  static void ExpectRefused(const HttpResult& r, const std::string& what) {
    EXPECT_EQ(r.status, 422) << what << ": " << r.body.substr(0, 300);
    EXPECT_TRUE(r.Json().contains("detail")) << what << ": " << r.body.substr(0, 300);
  }

  static inline Backend* backend_ = nullptr;
  static inline UpstreamDouble* upstream_ = nullptr;
  static inline HostProcess* host_ = nullptr;
  static inline std::string* error_ = nullptr;
};

TEST_F(DeepJson, EveryBodyRouteRefusesDeepNestingAndStoresNothing) {
  auto created = Post("/api/v1/chats/new", json{{"chat", {{"title", "kept"}}}}.dump());
  ASSERT_EQ(created.status, 200) << created.body;
  const std::string chat_id = created.Json()["id"];
  const json chat_message = {{"model", "gpt-test"},
                             {"stream", false},
                             {"messages", {{{"role", "user"}, {"content", "hi"}}}}};
  const json ollama_message = {{"model", "llama-test"},
                               {"stream", false},
                               {"messages", {{{"role", "user"}, {"content", "hi"}}}}};

  for (size_t depth : {size_t{10000}, size_t{3000}}) {
    SCOPED_TRACE("depth " + std::to_string(depth));
    const std::string deep = Nested(depth);

    ExpectRefused(Post("/api/chat/completions", WithDeep(chat_message, deep)),
                  "/api/chat/completions");
    ExpectRefused(Post("/api/v1/chats/" + chat_id,
                       "{\"chat\":{\"title\":\"changed\",\"messages\":" + deep + "}}"),
                  "/api/v1/chats/{id}");
    ExpectRefused(Post("/api/v1/models/create", WithDeep({{"id", "deep-model"},
                                                          {"name", "deep-model"},
                                                          {"meta", json::object()},
                                                          {"params", json::object()}},
                                                         deep)),
                  "/api/v1/models/create");
    ExpectRefused(Post("/api/v1/folders/", WithDeep({{"name", "deep-folder"}}, deep)),
                  "/api/v1/folders/");
    ExpectRefused(Post("/ollama/api/chat", WithDeep(ollama_message, deep)), "/ollama/api/chat");
    ExpectRefused(Post("/openai/chat/completions", WithDeep(chat_message, deep)),
                  "/openai/chat/completions");
    ExpectAlive();
  }

  // Nothing reached the model or the database.
  EXPECT_TRUE(upstream_->Requests("/v1/chat/completions").empty());
  EXPECT_TRUE(upstream_->Requests("/api/chat").empty());
  auto chat = Get("/api/v1/chats/" + chat_id);
  ASSERT_EQ(chat.status, 200);
  EXPECT_EQ(chat.Json()["chat"]["title"], "kept");
  EXPECT_FALSE(chat.Json()["chat"].contains("messages")) << chat.body.substr(0, 300);
  auto models = Get("/api/v1/models/");
  ASSERT_EQ(models.status, 200) << models.body;
  EXPECT_EQ(models.body.find("deep-model"), std::string::npos);
  EXPECT_EQ(Get("/api/v1/folders/").body.find("deep-folder"), std::string::npos);
}

TEST_F(DeepJson, ReasonableNestingStillWorks) {
  const json nested = NestedObject(19);  // depth 20 once inside the body object
  json chat_message = {{"model", "gpt-test"},
                       {"stream", false},
                       {"messages", {{{"role", "user"}, {"content", "one two"}}}},
                       {"custom_nested", nested}};
  auto completion = Post("/api/chat/completions", chat_message.dump());
  ASSERT_EQ(completion.status, 200) << completion.body;
  EXPECT_EQ(completion.Json()["choices"][0]["message"]["content"], "Hello! You said: one two");
  auto proxied = Post("/openai/chat/completions", chat_message.dump());
  ASSERT_EQ(proxied.status, 200) << proxied.body;
  json ollama_message = chat_message;
  ollama_message["model"] = "llama-test";
  auto ollama = Post("/ollama/api/chat", ollama_message.dump());
  ASSERT_EQ(ollama.status, 200) << ollama.body;
  EXPECT_EQ(ollama.Json()["message"]["content"], "Hello! You said: one two");

  auto created = Post("/api/v1/chats/new", json{{"chat", {{"title", "t"}}}}.dump());
  ASSERT_EQ(created.status, 200) << created.body;
  const std::string chat_id = created.Json()["id"];
  auto updated = Post("/api/v1/chats/" + chat_id, json{{"chat", {{"extra", nested}}}}.dump());
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(Get("/api/v1/chats/" + chat_id).Json()["chat"]["extra"], nested);

  auto model = Post("/api/v1/models/create", json{{"id", "nested-model"},
                                                  {"name", "nested-model"},
                                                  {"meta", nested},
                                                  {"params", json::object()}}
                                                 .dump());
  ASSERT_EQ(model.status, 200) << model.body;
  auto folder = Post("/api/v1/folders/", json{{"name", "nested-folder"}, {"meta", nested}}.dump());
  ASSERT_EQ(folder.status, 200) << folder.body;
}

TEST_F(DeepJson, UpstreamAnswerNestedTooDeepIsRefusedNotFollowed) {
  const json body = {{"model", "gpt-deep-json"},
                     {"stream", false},
                     {"messages", {{{"role", "user"}, {"content", "hi"}}}}};
  auto via_chat = Post("/api/chat/completions", body.dump());
  EXPECT_EQ(via_chat.status, 502) << via_chat.body.substr(0, 300);
  EXPECT_TRUE(via_chat.Json().contains("detail"));
  ExpectAlive();
  // The proxy passes the bytes on without building them.
  auto proxied = Post("/openai/chat/completions", body.dump());
  EXPECT_EQ(proxied.status, 200);
  ExpectAlive();
}

TEST_F(DeepJson, EngineIoPollingPacketOf75000LevelsIsDroppedAnonymously) {
  auto open = host_->Get("/ws/socket.io/?EIO=4&transport=polling");
  ASSERT_EQ(open.status, 200) << open.body;
  ASSERT_FALSE(open.body.empty());
  const std::string sid = json::parse(open.body.substr(1))["sid"];
  const std::string uri = "/ws/socket.io/?EIO=4&transport=polling&sid=" + sid;
  const std::string packet = "42" + Nested(75000);
  ASSERT_GE(packet.size(), 150000u);
  host_->Post(uri, packet, {{"Content-Type", "text/plain;charset=UTF-8"}});
  ExpectAlive();
  // Same as the payload of a connect packet.
  auto again = host_->Get("/ws/socket.io/?EIO=4&transport=polling");
  ASSERT_EQ(again.status, 200);
  const std::string sid2 = json::parse(again.body.substr(1))["sid"];
  host_->Post("/ws/socket.io/?EIO=4&transport=polling&sid=" + sid2,
              "40{\"token\":" + Nested(75000) + "}", {{"Content-Type", "text/plain"}});
  ExpectAlive();
}

}  // namespace
}  // namespace webui::testing
