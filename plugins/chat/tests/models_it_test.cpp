// GET /api/models and /api/v1/models: the union of every provider, workspace overrides and
// custom models from the `model` table, access control, caching and refresh.
#include <set>

#include "chat_it_support.hpp"

namespace webui::testing {
namespace {

class ChatModels : public ChatHost {
 protected:
  void SetUp() override {
    ChatHost::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // The providers were reset: do not start from the previous test's cached list.
    ASSERT_EQ(Get("/api/models?refresh=true", As("admin", "adm")).status, 200);
  }
  void TearDown() override {
    if (host_ == nullptr || IsSkipped()) return;  // no backend: nothing ran
    // Every test starts from an empty `model` table and default providers.
    Delete("/api/v1/models/delete/all", As("admin", "adm"));
    Post("/api/v1/configs/models", {{"MODEL_ORDER_LIST", json::array()}}, As("admin", "adm"));
  }
  static std::set<std::string> Ids(const HttpResult& r) {
    std::set<std::string> out;
    const json body = r.Json();
    for (const auto& m : body["data"]) out.insert(m["id"].get<std::string>());
    return out;
  }
  static json Find(const HttpResult& r, const std::string& id) {
    const json body = r.Json();
    for (const auto& m : body["data"])
      if (m["id"] == id) return m;
    return json();
  }
};

TEST_F(ChatModels, AdminSeesTheUnionOfAllProviders) {
  auto r = Get("/api/models", As("admin", "adm"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Ids(r), (std::set<std::string>{"fake-a1", "fake-a2", "fake-b1:latest"}));
  const json a2 = Find(r, "fake-a2");
  EXPECT_EQ(a2["object"], "model");
  EXPECT_EQ(a2["owned_by"], "openai");
  EXPECT_EQ(a2["tags"], json::parse(R"([{"name":"fast"}])"));
  EXPECT_EQ(Find(r, "fake-b1:latest")["owned_by"], "ollama");
  EXPECT_EQ(Get("/api/models", {}).status, 403);
  EXPECT_EQ(Get("/api/models", As("pending", "p")).status, 401);
}

TEST_F(ChatModels, UsersSeeOnlyModelsConfiguredForThem) {
  const auto admin = As("admin", "adm");
  EXPECT_TRUE(Get("/api/models", As("user", "alice")).Json()["data"].empty());

  // A public override makes a provider model visible, renamed.
  Publish("fake-a1", admin);
  ASSERT_EQ(Post("/api/v1/models/model/update?id=fake-a1",
                 {{"id", "fake-a1"},
                  {"name", "Friendly A1"},
                  {"meta", {{"tags", {{{"name", "x"}}}}}},
                  {"params", json::object()},
                  {"access_control", nullptr}},
                 admin)
                .status,
            200);
  auto r = Get("/api/models", As("user", "alice"));
  EXPECT_EQ(Ids(r), (std::set<std::string>{"fake-a1"}));
  EXPECT_EQ(Find(r, "fake-a1")["name"], "Friendly A1");
  EXPECT_EQ(Find(r, "fake-a1")["info"]["id"], "fake-a1");
  EXPECT_EQ(Find(r, "fake-a1")["tags"], json::parse(R"([{"name":"x"}])"));

  // A private custom model, then one shared with alice only.
  ASSERT_EQ(Post("/api/v1/models/create",
                 {{"id", "secret"},
                  {"base_model_id", "fake-a2"},
                  {"name", "Secret"},
                  {"meta", json::object()},
                  {"params", json::object()},
                  {"access_control", json::object()}},
                 admin)
                .status,
            200);
  ASSERT_EQ(Post("/api/v1/models/create",
                 {{"id", "for-alice"},
                  {"base_model_id", "fake-a2"},
                  {"name", "For Alice"},
                  {"meta", json::object()},
                  {"params", json::object()},
                  {"access_control", ReadGrant({"alice"}, json::array())}},
                 admin)
                .status,
            200);
  EXPECT_EQ(Ids(Get("/api/models", As("user", "alice"))),
            (std::set<std::string>{"fake-a1", "for-alice"}));
  EXPECT_EQ(Ids(Get("/api/models", As("user", "bob"))), (std::set<std::string>{"fake-a1"}));
  EXPECT_EQ(Ids(Get("/api/models", admin)),
            (std::set<std::string>{"fake-a1", "fake-a2", "fake-b1:latest", "secret", "for-alice"}));

  // What a user cannot see, they cannot use either.
  auto c = Post("/api/chat/completions",
                {{"model", "secret"}, {"stream", false}, {"messages", Script({{"delay_ms", 0}})}},
                As("user", "bob"));
  EXPECT_EQ(c.status, 400) << c.body;
  EXPECT_EQ(c.Json()["detail"], "Model not found");
  EXPECT_TRUE(ProviderCalls().empty());
}

TEST_F(ChatModels, CustomModelRunsOnItsBaseWithItsPromptAndParams) {
  const auto admin = As("admin", "adm");
  auto created =
      Post("/api/v1/models/create",
           {{"id", "terse-helper"},
            {"base_model_id", "fake-a1"},
            {"name", "Terse Helper"},
            {"meta", {{"description", "Short answers"}}},
            {"params", {{"system", "You are terse with {{USER_NAME}}."}, {"temperature", 0.2}}}},
           admin);
  ASSERT_EQ(created.status, 200) << created.body;
  EXPECT_EQ(created.Json()["user_id"], "adm");
  EXPECT_EQ(created.Json()["meta"]["profile_image_url"], "/static/favicon.png");

  auto list = Get("/api/models", admin);
  const json m = Find(list, "terse-helper");
  ASSERT_FALSE(m.is_null()) << list.body;
  EXPECT_EQ(m["preset"], true);
  EXPECT_EQ(m["owned_by"], "openai");
  EXPECT_EQ(m["info"]["base_model_id"], "fake-a1");
  EXPECT_EQ(m["info"]["meta"]["description"], "Short answers");

  auto r = Post("/api/chat/completions",
                {{"model", "terse-helper"},
                 {"stream", false},
                 {"messages", json::array({{{"role", "user"}, {"content", "hi"}}})}},
                admin);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["choices"][0]["message"]["content"], "Hello from test_chat_provider_a");
  const json calls = ProviderCalls();
  ASSERT_EQ(calls.size(), 1u);
  const json& sent = calls[0]["request"];
  EXPECT_EQ(sent["model"], "fake-a1");
  EXPECT_EQ(sent["messages"][0]["role"], "system");
  EXPECT_EQ(sent["messages"][0]["content"], "You are terse with User adm.");
  EXPECT_EQ(sent["messages"][1]["content"], "hi");
  EXPECT_DOUBLE_EQ(sent["temperature"].get<double>(), 0.2);
  EXPECT_TRUE(ProviderCalls(kProviderB).empty());
}

TEST_F(ChatModels, InactiveOverrideHidesTheModel) {
  const auto admin = As("admin", "adm");
  Publish("fake-a2", admin);
  auto t = Post("/api/v1/models/model/toggle?id=fake-a2", json(), admin);
  ASSERT_EQ(t.status, 200) << t.body;
  EXPECT_EQ(t.Json()["is_active"], false);
  EXPECT_EQ(Ids(Get("/api/models", admin)).count("fake-a2"), 0u);
  auto c = Post("/api/chat/completions",
                {{"model", "fake-a2"}, {"messages", Script({{"delay_ms", 0}})}}, admin);
  EXPECT_EQ(c.status, 400);
  ASSERT_EQ(Post("/api/v1/models/model/toggle?id=fake-a2", json(), admin).Json()["is_active"],
            true);
  EXPECT_EQ(Ids(Get("/api/models", admin)).count("fake-a2"), 1u);
}

TEST_F(ChatModels, WorkspaceModelCrudWithOwnershipChecks) {
  const auto admin = As("admin", "adm");
  const json form = {{"id", "mine"},
                     {"base_model_id", "fake-b1:latest"},
                     {"name", "Mine"},
                     {"meta", json::object()},
                     {"params", json::object()},
                     {"access_control", json::object()}};
  ASSERT_EQ(Post("/api/v1/models/create", form, admin).status, 200);
  auto dup = Post("/api/v1/models/create", form, admin);
  EXPECT_EQ(dup.status, 401);
  EXPECT_EQ(dup.Json()["detail"],
            "Uh-oh! This model id is already registered. Please choose another model id string.");
  // Users need the workspace.models permission (off by default, as upstream).
  EXPECT_EQ(Post("/api/v1/models/create",
                 {{"id", "x"}, {"name", "X"}, {"meta", json::object()}, {"params", json::object()}},
                 As("user", "bob"))
                .status,
            401);
  EXPECT_EQ(Post("/api/v1/models/create", {{"id", "bad"}}, admin).status, 422);

  EXPECT_EQ(Get("/api/v1/models/model?id=mine", admin).Json()["name"], "Mine");
  // A private model is invisible to others: 404 for every route, and nothing changes.
  EXPECT_EQ(Get("/api/v1/models/model?id=mine", As("user", "bob")).status, 404);
  EXPECT_EQ(Post("/api/v1/models/model/toggle?id=mine", json(), As("user", "bob")).status, 404);
  EXPECT_EQ(Post("/api/v1/models/model/update?id=mine", form, As("user", "bob")).status, 404);
  EXPECT_EQ(Delete("/api/v1/models/model/delete?id=mine", As("user", "bob")).status, 404);
  EXPECT_EQ(Get("/api/v1/models/model?id=nope", admin).status, 404);

  json renamed = form;
  renamed["name"] = "Renamed";
  auto u = Post("/api/v1/models/model/update?id=mine", renamed, admin);
  ASSERT_EQ(u.status, 200) << u.body;
  EXPECT_EQ(u.Json()["name"], "Renamed");
  auto list = Get("/api/v1/models/", admin);
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.Json().size(), 1u);
  EXPECT_EQ(list.Json()[0]["id"], "mine");
  EXPECT_TRUE(Get("/api/v1/models/", As("user", "bob")).Json().empty());
  EXPECT_EQ(Get("/api/v1/models/list", admin).Json()["total"], 1);

  Publish("fake-a1", admin);
  auto base = Get("/api/v1/models/base", admin);
  ASSERT_EQ(base.Json().size(), 1u);
  EXPECT_EQ(base.Json()[0]["id"], "fake-a1");
  EXPECT_EQ(Get("/api/v1/models/base", As("user", "bob")).status, 401);

  EXPECT_EQ(Delete("/api/v1/models/model/delete?id=mine", admin).body, "true");
  EXPECT_EQ(Get("/api/v1/models/model?id=mine", admin).status, 404);
  EXPECT_EQ(Delete("/api/v1/models/delete/all", As("user", "bob")).status, 401);
  EXPECT_EQ(Delete("/api/v1/models/delete/all", admin).body, "true");
  EXPECT_TRUE(Get("/api/v1/models/base", admin).Json().empty());
}

// Each instance caches the model table; with a shared Redis a write through one instance is
// seen by the very next list on another (no waiting for a cache age).
TEST_F(ChatModels, AModelWrittenThroughOneInstanceIsListedByTheNextRequestOnAnother) {
  if (!backend().postgres()) GTEST_SKIP() << "needs the pg backend (shared database and Redis)";
  HostProcess::Options o;
  o.env = backend().Env();
  Configure(o);
  HostProcess other(o);
  std::string why;
  ASSERT_TRUE(other.Start(&why)) << why;
  const auto admin = As("admin", "adm");
  auto other_ids = [&] {
    auto r = Http(other.port(), "GET", "/api/models", "", admin);
    EXPECT_EQ(r.status, 200) << r.body;
    return Ids(r);
  };
  ASSERT_EQ(other_ids().count("shared-helper"), 0u);  // both instances now hold the table
  ASSERT_EQ(Get("/api/models", admin).status, 200);
  const json form = {{"id", "shared-helper"},
                     {"base_model_id", "fake-a1"},
                     {"name", "Shared Helper"},
                     {"meta", json::object()},
                     {"params", json::object()}};
  ASSERT_EQ(Post("/api/v1/models/create", form, admin).status, 200);
  EXPECT_EQ(other_ids().count("shared-helper"), 1u);
  ASSERT_EQ(Post("/api/v1/models/model/toggle?id=shared-helper", json(), admin).status, 200);
  EXPECT_EQ(other_ids().count("shared-helper"), 0u);  // inactive: hidden
  ASSERT_EQ(Post("/api/v1/models/model/toggle?id=shared-helper", json(), admin).status, 200);
  EXPECT_EQ(other_ids().count("shared-helper"), 1u);
  ASSERT_EQ(Delete("/api/v1/models/model/delete?id=shared-helper", admin).status, 200);
  EXPECT_EQ(other_ids().count("shared-helper"), 0u);
}

TEST_F(ChatModels, RefreshSeesNewModelsAndASlowProviderNeverBlocks) {
  const auto admin = As("admin", "adm");
  ASSERT_EQ(Ids(Get("/api/models", admin)).count("fake-b1:latest"), 1u);
  ASSERT_EQ(Post(std::string("/api/v1/test-provider/") + kProviderB + "/models",
                 json::parse(R"([{"id":"fake-b2:latest","name":"b2","owned_by":"ollama"}])"), {})
                .status,
            200);
  auto r = Get("/api/models?refresh=true", admin);
  EXPECT_EQ(Ids(r).count("fake-b2:latest"), 1u) << r.body;
  EXPECT_EQ(Ids(r).count("fake-b1:latest"), 0u);

  // Provider B now takes 3 s to list; the cache is stale after 1 s. The answer must come from
  // the cache at once while the refresh runs in the background.
  Post(std::string("/api/v1/test-provider/") + kProviderB + "/list-delay?ms=3000", json(), {});
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  for (int i = 0; i < 3; ++i) {
    const auto t0 = Clock::now();
    auto cached = Get("/api/models", admin);
    EXPECT_LT(Clock::now() - t0, std::chrono::milliseconds(1000));
    EXPECT_EQ(Ids(cached).count("fake-b2:latest"), 1u);
    EXPECT_EQ(Ids(cached).count("fake-a1"), 1u);
  }
  EXPECT_EQ(Get("/api/models/base", As("user", "bob")).status, 401);
}

TEST_F(ChatModels, ModelOrderListAndDefaultModelsConfig) {
  const auto admin = As("admin", "adm");
  auto set = Post(
      "/api/v1/configs/models",
      {{"DEFAULT_MODELS", "fake-a2"}, {"MODEL_ORDER_LIST", {"fake-b1:latest", "fake-a2"}}}, admin);
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(Get("/api/v1/configs/models", admin).Json()["DEFAULT_MODELS"], "fake-a2");
  auto data = Get("/api/models", admin).Json()["data"];
  ASSERT_GE(data.size(), 3u);
  EXPECT_EQ(data[0]["id"], "fake-b1:latest");
  EXPECT_EQ(data[1]["id"], "fake-a2");
  EXPECT_EQ(Get("/api/config", admin).Json()["default_models"], "fake-a2");
  EXPECT_FALSE(Get("/api/config", {}).Json().contains("default_models"));
  EXPECT_EQ(Post("/api/v1/configs/models", {{"DEFAULT_MODELS", ""}}, As("user", "bob")).status,
            401);
  Post("/api/v1/configs/models", {{"DEFAULT_MODELS", ""}}, admin);
}

}  // namespace
}  // namespace webui::testing
