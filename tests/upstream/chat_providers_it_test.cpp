// plugins/chat over the real openai and ollama plugins and the test upstream, through HTTP on
// the real binary:
//  - deeply nested JSON: every route that takes a JSON body refuses it with its usual "invalid
//    body" answer and stores nothing, upstream answers nested too deep are refused, an Engine.IO
//    polling packet of 75 000 levels is dropped, and the host stays up (before the bounded
//    parser, copying or dumping such a value recursed once per level and overflowed the 512 KB
//    stack of an HTTP thread);
//  - background answers cut by the upstream keep what was streamed and are marked as errors;
//  - tasks are listed and stopped from any instance (PostgreSQL + Redis).
#include <functional>
#include <map>

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

constexpr const char* kModels =
    "gpt-test,llama-test,gpt-deep-json,gpt-reset-mid,gpt-hang-mid,llama-reset-mid";

// Env for a host running chat over openai and ollama, both wired to `upstream`.
std::map<std::string, std::string> ChatHostEnv(const Backend& backend,
                                               const UpstreamDouble& upstream) {
  auto env = ProviderHostEnv(backend);
  env["WEBUI_PLUGINS"] = "chat,openai,ollama,test_auth";
  env["OPENAI_API_BASE_URLS"] = upstream.BaseUrl() + "/v1";
  env["OLLAMA_BASE_URLS"] = upstream.BaseUrl();
  return env;
}

// A chat whose assistant message "a1" waits for its answer, as the web UI creates it.
std::string ChatWithPendingReply(HostProcess& host, const HeaderList& who,
                                 const std::string& question) {
  const json chat = {{"title", "New Chat"},
                     {"history",
                      {{"messages",
                        {{"u1",
                          {{"id", "u1"},
                           {"role", "user"},
                           {"content", question},
                           {"parentId", nullptr},
                           {"childrenIds", {"a1"}}}},
                         {"a1",
                          {{"id", "a1"},
                           {"role", "assistant"},
                           {"content", ""},
                           {"parentId", "u1"},
                           {"childrenIds", json::array()}}}}},
                       {"currentId", "a1"}}}};
  auto r = host.Post("/api/v1/chats/new", json{{"chat", chat}}.dump(), who);
  EXPECT_EQ(r.status, 200) << r.body;
  return r.Json().value("id", "");
}

json TaskIds(HostProcess& host, const HeaderList& who, const std::string& chat_id) {
  return host.Get("/api/tasks/chat/" + chat_id, who).Json()["task_ids"];
}

bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto until = Clock::now() + timeout;
  while (Clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

class ChatOverProviders : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string why;
    if (BackendUnavailable(&why)) return;
    backend_ = new Backend();
    upstream_ = new UpstreamDouble({"--models", kModels});
    if (!upstream_->Start(&why)) {
      error_ = new std::string(why);
      return;
    }
    HostProcess::Options o;
    o.env = ChatHostEnv(*backend_, *upstream_);
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

TEST_F(ChatOverProviders, EveryBodyRouteRefusesDeepNestingAndStoresNothing) {
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

TEST_F(ChatOverProviders, ReasonableNestingStillWorks) {
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

TEST_F(ChatOverProviders, UpstreamAnswerNestedTooDeepIsRefusedNotFollowed) {
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

TEST_F(ChatOverProviders, EngineIoPollingPacketOf75000LevelsIsDroppedAnonymously) {
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

// A background answer the upstream cuts (reset, or silence past the read timeout) keeps the
// text streamed so far and carries Open WebUI's error mark, message.error.content.
TEST_F(ChatOverProviders, BackgroundAnswerCutByTheUpstreamKeepsItsTextAndIsMarked) {
  const auto who = As("admin", "bg-admin");
  struct Case {
    const char* model;
    const char* kept;
  } cases[] = {{"gpt-reset-mid", "Hello! You said:"},
               {"llama-reset-mid", "Hello! You said:"},
               {"gpt-hang-mid", "Hello! You"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.model);
    const std::string chat_id = ChatWithPendingReply(*host_, who, "one two three four");
    ASSERT_FALSE(StartBackground(*host_, who, chat_id, c.model, "one two three four").empty());
    ASSERT_TRUE(
        WaitUntil([&] { return TaskIds(*host_, who, chat_id).empty(); }, std::chrono::seconds(20)));
    const json a1 =
        host_->Get("/api/v1/chats/" + chat_id, who).Json()["chat"]["history"]["messages"]["a1"];
    EXPECT_EQ(a1["content"], c.kept) << a1.dump();
    ASSERT_TRUE(a1.contains("error") && a1["error"].is_object()) << a1.dump();
    ASSERT_TRUE(a1["error"]["content"].is_string()) << a1.dump();
    EXPECT_FALSE(a1["error"]["content"].get<std::string>().empty());
    EXPECT_EQ(a1["error"]["content"].get<std::string>().find("127.0.0.1"), std::string::npos);
    EXPECT_EQ(a1["done"], true);
  }
}

// Tasks are listed and stopped from any instance: a stop sent to instance B cancels the task
// instance A runs, which drops its upstream request.
TEST(ChatTasksAcrossInstances, ListAndStopFromAnotherInstance) {
  WH_REQUIRE_BACKEND();
  Backend backend;
  if (!backend.postgres() || backend.redis_url().empty())
    GTEST_SKIP() << "needs PostgreSQL and Redis shared by two instances";
  UpstreamDouble upstream({"--models", kModels});
  std::string why;
  ASSERT_TRUE(upstream.Start(&why)) << why;
  HostProcess::Options o;
  o.env = ChatHostEnv(backend, upstream);
  o.env["AIOHTTP_CLIENT_TIMEOUT"] = "60";  // the hang lasts until somebody stops it
  HostProcess a(o), b(o);
  ASSERT_TRUE(a.Start(&why)) << why;
  ASSERT_TRUE(b.Start(&why)) << why;
  const auto alice = As("user", "alice");
  const auto admin = As("admin", "root");
  // The model must be visible to a plain user: a public override row.
  auto pub = a.Post("/api/v1/models/create",
                    json{{"id", "gpt-hang-mid"},
                         {"name", "gpt-hang-mid"},
                         {"meta", json::object()},
                         {"params", json::object()},
                         {"access_control", nullptr}}
                        .dump(),
                    admin);
  ASSERT_EQ(pub.status, 200) << pub.body;

  const std::string chat_id = ChatWithPendingReply(a, alice, "one two three four");
  const std::string task_id = StartBackground(a, alice, chat_id, "gpt-hang-mid", "one two three");
  ASSERT_FALSE(task_id.empty());
  ASSERT_FALSE(upstream
                   .WaitFor([](const json& q) { return q["path"] == "/v1/chat/completions"; },
                            std::chrono::seconds(10))
                   .is_null());

  // Instance B sees it, for its owner and for an administrator, and nobody else.
  EXPECT_EQ(TaskIds(b, alice, chat_id), json::array({task_id}));
  EXPECT_EQ(b.Get("/api/tasks", alice).Json()["tasks"], json::array({task_id}));
  EXPECT_EQ(b.Get("/api/tasks", admin).Json()["tasks"], json::array({task_id}));
  EXPECT_TRUE(b.Get("/api/tasks", As("user", "bob")).Json()["tasks"].empty());
  EXPECT_EQ(b.Post("/api/tasks/stop/" + task_id, "", As("user", "bob")).status, 404);

  auto stop = b.Post("/api/tasks/stop/" + task_id, "", alice);
  ASSERT_EQ(stop.status, 200) << stop.body;
  EXPECT_EQ(stop.Json()["status"], true);
  // A cancels it and drops the upstream request, long before the 60 s read timeout.
  auto dropped = upstream.WaitFor(
      [](const json& q) {
        return q["path"] == "/v1/chat/completions" && q["closed_by_client"] == true;
      },
      std::chrono::seconds(10));
  EXPECT_FALSE(dropped.is_null()) << upstream.Log().dump();
  EXPECT_TRUE(
      WaitUntil([&] { return TaskIds(a, alice, chat_id).empty(); }, std::chrono::seconds(10)));
  EXPECT_TRUE(TaskIds(b, alice, chat_id).empty());
  EXPECT_EQ(b.Post("/api/tasks/stop/" + task_id, "", alice).status, 404);
  const json a1 =
      a.Get("/api/v1/chats/" + chat_id, alice).Json()["chat"]["history"]["messages"]["a1"];
  // Whatever had arrived before the stop is kept (the stop may beat the first token).
  ASSERT_TRUE(a1["content"].is_string()) << a1.dump();
  EXPECT_EQ(std::string("Hello! You").rfind(a1["content"].get<std::string>(), 0), 0u) << a1.dump();
  EXPECT_EQ(a1["done"], true);
}

}  // namespace
}  // namespace webui::testing
