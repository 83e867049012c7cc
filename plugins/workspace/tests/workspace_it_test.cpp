// The workspace plugin through HTTP on the real binary: a database where Open WebUI already made
// the tool, function, channel and prompt tables (its column order, JSON null and 0/1 booleans as
// Python writes them), group grants through groups.v1, and a fresh database made by the plugin.
#include <memory>
#include <string>

#include "it_support.hpp"
#include "storage/database.hpp"

namespace webui::testing {
namespace {

using nlohmann::json;

std::string SearchPath() {
  return std::string(WEBUI_PLUGIN_BUILD_DIR) + ":" + PluginDir("good") + ":" +
         WORKSPACE_TEST_PLUGIN_DIR;
}

// Open WebUI's own DDL order for these tables, with rows as its Python code stores them.
void SeedOpenWebUiTables(storage::Database& db, bool pg) {
  const std::string f = pg ? "false" : "0", t = pg ? "true" : "1";
  db.Exec(
      "CREATE TABLE tool (id VARCHAR NOT NULL PRIMARY KEY, user_id VARCHAR, name TEXT, content "
      "TEXT, specs JSON, meta JSON, valves JSON, updated_at BIGINT, created_at BIGINT, "
      "access_control JSON)");
  db.Exec(
      "CREATE TABLE function (id VARCHAR NOT NULL PRIMARY KEY, user_id VARCHAR, name TEXT, type "
      "TEXT, content TEXT, meta JSON, valves JSON, is_active BOOLEAN, is_global BOOLEAN, "
      "updated_at BIGINT, created_at BIGINT)");
  db.Exec(
      "CREATE TABLE channel (id TEXT NOT NULL PRIMARY KEY, user_id TEXT, type TEXT, name TEXT, "
      "description TEXT, data JSON, meta JSON, access_control JSON, created_at BIGINT, "
      "updated_at BIGINT)");
  db.Exec(
      "CREATE TABLE prompt (command VARCHAR NOT NULL PRIMARY KEY, user_id VARCHAR, title TEXT, "
      "content TEXT, timestamp BIGINT, access_control JSON)");
  // alice's public tool (JSON null), her private one ({}), one shared with group g-team.
  db.Exec(
      "INSERT INTO tool VALUES ('t-public', 'alice', 'Public', 'class Tools: pass', '[]', "
      "'{\"description\": \"caf\\u00e9\"}', NULL, 1700000003, 1700000000, 'null')");
  db.Exec(
      "INSERT INTO tool VALUES ('t-private', 'alice', 'Private', 'class Tools: pass', '[]', "
      "'{}', NULL, 1700000002, 1700000000, '{}')");
  db.Exec(
      "INSERT INTO tool VALUES ('t-team', 'alice', 'Team', 'class Tools: pass', '[]', '{}', "
      "NULL, 1700000001, 1700000000, "
      "'{\"read\": {\"group_ids\": [\"g-team\"], \"user_ids\": []}, \"write\": {\"group_ids\": "
      "[\"g-team\"], \"user_ids\": []}}')");
  db.Exec(
      "INSERT INTO function VALUES ('f-1', 'admin', 'Filter', 'filter', 'class Filter: pass', "
      "'{}', NULL, " +
      t + ", " + f + ", 1700000000, 1700000000)");
  db.Exec(
      "INSERT INTO channel VALUES ('c-private', 'alice', NULL, 'alice-only', NULL, NULL, NULL, "
      "'{}', 1700000000, 1700000000)");
  db.Exec(
      "INSERT INTO channel VALUES ('c-team', 'alice', NULL, 'team', 'for the team', NULL, NULL, "
      "'{\"read\": {\"group_ids\": [\"g-team\"]}}', 1700000001, 1700000001)");
  db.Exec(
      "INSERT INTO prompt VALUES ('/legacy', 'alice', 'Legacy', 'Hello {{CLIPBOARD}}', "
      "1700000000, 'null')");
}

class Workspace : public SharedHostSuite<Workspace> {
 public:
  // The database already holds Open WebUI's tables and rows when the host starts.
  static void Configure(HostProcess::Options& o) {
    const std::string data_dir = TempDir("workspace");
    storage::DatabaseOptions db;
    db.url =
        backend().postgres() ? backend().database_url() : "sqlite:///" + data_dir + "/webui.db";
    db.pool_size = 1;
    SeedOpenWebUiTables(*storage::Database::Open(db), backend().postgres());
    o.data_dir = data_dir;
    if (!backend().postgres()) o.env["DATABASE_URL"] = db.url;
    o.env["WEBUI_PLUGIN_PATH"] = SearchPath();
    o.env["WEBUI_PLUGINS"] = "workspace,test_auth,test_workspace_groups";
  }

 protected:
  static HttpResult Call(const std::string& method, const std::string& path, const json& body,
                         const HeaderList& who) {
    return Http(host().port(), method, path, body.is_null() ? std::string() : body.dump(), who);
  }
  static HttpResult Get(const std::string& path, const HeaderList& who) {
    return Call("GET", path, json(), who);
  }
  static json Ids(const json& list, const char* key = "id") {
    json out = json::array();
    for (const auto& item : list) out.push_back(item[key]);
    return out;
  }
};

TEST_F(Workspace, ToolsFollowOwnerAdminAndGroupAccess) {
  EXPECT_EQ(Ids(Get("/api/v1/tools/", As("user", "alice")).Json()),
            json({"t-public", "t-private", "t-team"}));
  EXPECT_EQ(Ids(Get("/api/v1/tools/", As("admin", "root")).Json()),
            json({"t-public", "t-private", "t-team"}));
  EXPECT_EQ(Ids(Get("/api/v1/tools/", As("user", "gina")).Json()), json({"t-public", "t-team"}));
  EXPECT_EQ(Ids(Get("/api/v1/tools/", As("user", "bob")).Json()), json({"t-public"}));
  EXPECT_EQ(Get("/api/v1/tools/", {}).status, 403);

  auto tool = Get("/api/v1/tools/id/t-public", As("user", "bob"));
  ASSERT_EQ(tool.status, 200) << tool.body;
  EXPECT_EQ(tool.Json()["content"], "class Tools: pass");
  EXPECT_EQ(tool.Json()["meta"]["description"], "caf\xc3\xa9");
  EXPECT_TRUE(tool.Json()["access_control"].is_null());
  // Someone else's private tool is indistinguishable from a missing one.
  auto hidden = Get("/api/v1/tools/id/t-private", As("user", "bob"));
  EXPECT_EQ(hidden.status, 404);
  EXPECT_EQ(hidden.Json()["detail"],
            Get("/api/v1/tools/id/nope", As("user", "bob")).Json()["detail"]);
  EXPECT_EQ(Get("/api/v1/tools/id/t-team", As("user", "gina")).status, 200);
  // Readable is not writable: bob may not delete the public tool.
  EXPECT_EQ(Call("DELETE", "/api/v1/tools/id/t-public/delete", json(), As("user", "bob")).status,
            401);
}

TEST_F(Workspace, ToolAndFunctionCodeCannotBeCreated) {
  const json tool = {
      {"id", "new"}, {"name", "New"}, {"content", "class Tools: pass"}, {"meta", json::object()}};
  auto r = Call("POST", "/api/v1/tools/create", tool, As("admin", "root"));
  EXPECT_EQ(r.status, 501);
  EXPECT_NE(r.Json()["detail"].get<std::string>().find("Python"), std::string::npos);
  EXPECT_EQ(Call("POST", "/api/v1/functions/create", tool, As("admin", "root")).status, 501);
  EXPECT_EQ(Call("POST", "/api/v1/functions/create", tool, As("user", "bob")).status, 401);
  EXPECT_EQ(Get("/api/v1/tools/id/new", As("admin", "root")).status, 404);
}

TEST_F(Workspace, FunctionsListForUsersDetailAndDeleteForAdmins) {
  auto list = Get("/api/v1/functions/", As("user", "bob")).Json();
  ASSERT_EQ(list.size(), 1u) << list.dump();
  EXPECT_EQ(list[0]["type"], "filter");
  EXPECT_EQ(list[0]["is_active"], true);
  EXPECT_EQ(list[0]["is_global"], false);
  EXPECT_FALSE(list[0].contains("content"));
  EXPECT_EQ(Get("/api/v1/functions/id/f-1", As("user", "bob")).status, 401);
  EXPECT_EQ(Get("/api/v1/functions/id/f-1", As("admin", "root")).Json()["content"],
            "class Filter: pass");
  EXPECT_EQ(Get("/api/v1/functions/id/none", As("admin", "root")).status, 404);
}

TEST_F(Workspace, ChannelsFollowAccessControl) {
  EXPECT_EQ(Ids(Get("/api/v1/channels/", As("user", "alice")).Json()),
            json({"c-private", "c-team"}));
  EXPECT_EQ(Ids(Get("/api/v1/channels/", As("user", "gina")).Json()), json({"c-team"}));
  EXPECT_EQ(Get("/api/v1/channels/", As("user", "bob")).Json(), json::array());
  EXPECT_EQ(Get("/api/v1/channels/c-team", As("user", "gina")).Json()["description"],
            "for the team");
  EXPECT_EQ(Get("/api/v1/channels/c-private", As("user", "gina")).status, 404);
  EXPECT_EQ(Get("/api/v1/channels/c-private", As("admin", "root")).status, 200);
}

TEST_F(Workspace, GroupServiceOutageIsAServerErrorNotADenial) {
  // t-public needs no group lookup; t-private does, and the provider is down.
  auto r = Get("/api/v1/tools/", As("user", "outage"));
  EXPECT_GE(r.status, 500) << r.body;
  EXPECT_TRUE(r.Json().contains("detail")) << r.body;
  EXPECT_EQ(Get("/api/v1/tools/", As("user", "bob")).status, 200);
}

TEST_F(Workspace, PromptsCrudWithCommandUniquenessAndAccess) {
  const auto alice = As("user", "alice"), bob = As("user", "bob"), gina = As("user", "gina");
  // The pre-existing Open WebUI row is served.
  auto legacy = Get("/api/v1/prompts/command/legacy", bob);
  ASSERT_EQ(legacy.status, 200) << legacy.body;
  EXPECT_EQ(legacy.Json()["content"], "Hello {{CLIPBOARD}}");

  const json form = {{"command", "/team"},
                     {"title", "Team"},
                     {"content", "Summarise"},
                     {"access_control",
                      {{"read", {{"group_ids", {"g-team"}}, {"user_ids", json::array()}}},
                       {"write", {{"group_ids", json::array()}, {"user_ids", json::array()}}}}}};
  auto created = Call("POST", "/api/v1/prompts/create", form, alice);
  ASSERT_EQ(created.status, 200) << created.body;
  EXPECT_EQ(created.Json()["user_id"], "alice");
  EXPECT_EQ(created.Json()["command"], "/team");
  EXPECT_GT(created.Json()["timestamp"].get<int64_t>(), 1700000000);

  auto taken = Call("POST", "/api/v1/prompts/create", form, bob);
  EXPECT_EQ(taken.status, 400);
  EXPECT_EQ(taken.Json()["detail"],
            "Uh-oh! This command is already registered. Please choose another command string.");
  EXPECT_EQ(Call("POST", "/api/v1/prompts/create", json{{"command", "/x"}}, alice).status, 422);

  // Readers: owner, group member, admin. Writers: owner and admin.
  EXPECT_EQ(Ids(Get("/api/v1/prompts/", gina).Json(), "command"), json({"/team", "/legacy"}));
  EXPECT_EQ(Ids(Get("/api/v1/prompts/", bob).Json(), "command"), json({"/legacy"}));
  EXPECT_EQ(Ids(Get("/api/v1/prompts/list", gina).Json(), "command"), json::array());
  EXPECT_EQ(Ids(Get("/api/v1/prompts/list", alice).Json(), "command"), json({"/team", "/legacy"}));
  EXPECT_EQ(Get("/api/v1/prompts/command/team", gina).status, 200);
  EXPECT_EQ(Get("/api/v1/prompts/command/team", bob).status, 404);
  EXPECT_EQ(Get("/api/v1/prompts/command/team", As("admin", "root")).status, 200);
  EXPECT_EQ(Get("/api/v1/prompts/command/nothing", bob).status, 404);

  json update = form;
  update["content"] = "Summarise briefly";
  EXPECT_EQ(Call("POST", "/api/v1/prompts/command/team/update", update, gina).status, 401);
  EXPECT_EQ(Call("POST", "/api/v1/prompts/command/team/update", update, bob).status, 404);
  auto updated = Call("POST", "/api/v1/prompts/command/team/update", update, alice);
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(updated.Json()["content"], "Summarise briefly");
  EXPECT_EQ(Get("/api/v1/prompts/command/team", gina).Json()["content"], "Summarise briefly");

  EXPECT_EQ(Call("DELETE", "/api/v1/prompts/command/team/delete", json(), gina).status, 401);
  auto deleted = Call("DELETE", "/api/v1/prompts/command/team/delete", json(), alice);
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_EQ(deleted.Json(), true);
  EXPECT_EQ(Get("/api/v1/prompts/command/team", alice).status, 404);
  // The command is free again.
  EXPECT_EQ(Call("POST", "/api/v1/prompts/create", form, bob).status, 200);
  Call("DELETE", "/api/v1/prompts/command/team/delete", json(), bob);
}

TEST_F(Workspace, DeletingAToolRemovesOnlyIt) {
  ASSERT_EQ(Call("DELETE", "/api/v1/tools/id/t-private/delete", json(), As("user", "bob")).status,
            404);
  auto r = Call("DELETE", "/api/v1/tools/id/t-team/delete", json(), As("user", "gina"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Get("/api/v1/tools/id/t-team", As("admin", "root")).status, 404);
  EXPECT_EQ(Get("/api/v1/tools/id/t-private", As("user", "alice")).status, 200);
}

// A fresh database: the plugin makes the tables; members without workspace.prompts may not
// create prompts (Open WebUI's default).
TEST(WorkspaceFresh, MakesItsTablesAndEnforcesThePromptPermission) {
  WH_REQUIRE_BACKEND();
  Backend backend;
  HostProcess::Options opts;
  opts.env = backend.Env();
  opts.env["WEBUI_PLUGIN_PATH"] = SearchPath();
  opts.env["WEBUI_PLUGINS"] = "workspace,test_auth";
  HostProcess host(opts);
  std::string why;
  ASSERT_TRUE(host.Start(&why)) << why;
  for (const char* path :
       {"/api/v1/tools/", "/api/v1/functions/", "/api/v1/channels/", "/api/v1/prompts/"}) {
    auto r = host.Get(path, As("user", "u"));
    EXPECT_EQ(r.status, 200) << path << " " << r.body;
    EXPECT_EQ(r.Json(), json::array()) << path;
  }
  const std::string form = R"({"command":"/hi","title":"Hi","content":"Hello"})";
  auto denied = host.Post("/api/v1/prompts/create", form, As("user", "u"));
  EXPECT_EQ(denied.status, 401);
  EXPECT_EQ(denied.Json()["detail"], "401 Unauthorized");
  ASSERT_EQ(host.Post("/api/v1/prompts/create", form, As("admin", "a")).status, 200);
  // No groups.v1 provider: group grants give nothing, the owner's rows still show.
  EXPECT_EQ(host.Get("/api/v1/prompts/list", As("user", "u")).Json(), json::array());
  EXPECT_EQ(host.Get("/api/v1/prompts/", As("user", "u")).Json().size(), 1u);
}

}  // namespace
}  // namespace webui::testing
