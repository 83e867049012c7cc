// A database made by Python Open WebUI (tables already there, JSON written by Python with
// escaped non-ASCII, booleans as 0/1, access_control stored as JSON null) keeps working.
#include "chat_it_support.hpp"
#include "storage/database.hpp"

namespace webui::testing {
namespace {

TEST(ChatLegacyDatabase, RowsWrittenByOpenWebUiAreServed) {
  WH_REQUIRE_BACKEND();
  Backend backend;
  const std::string data_dir = TempDir("chat-legacy");
  storage::DatabaseOptions o;
  o.url = backend.postgres() ? backend.database_url() : "sqlite:///" + data_dir + "/webui.db";
  o.pool_size = 1;
  {
    auto db = storage::Database::Open(o);
    const bool pg = backend.postgres();
    const std::string f = pg ? "false" : "0", t = pg ? "true" : "1";
    db->Exec(
        "CREATE TABLE chat (id VARCHAR(255) NOT NULL PRIMARY KEY, user_id VARCHAR(255), "
        "title TEXT, chat JSON, created_at BIGINT, updated_at BIGINT, share_id TEXT UNIQUE, "
        "archived BOOLEAN, pinned BOOLEAN, meta JSON DEFAULT '{}' NOT NULL, folder_id TEXT)");
    db->Exec(
        "CREATE TABLE tag (id VARCHAR(255) NOT NULL, name VARCHAR(255), user_id VARCHAR(255) NOT "
        "NULL, meta JSON, PRIMARY KEY (id, user_id))");
    db->Exec(
        "CREATE TABLE model (id TEXT NOT NULL PRIMARY KEY, user_id TEXT, base_model_id TEXT, "
        "name TEXT, params TEXT, meta TEXT, access_control JSON, is_active BOOLEAN NOT NULL, "
        "updated_at BIGINT, created_at BIGINT)");
    db->Exec(
        "INSERT INTO chat VALUES ('legacy-1', 'alice', 'Caf\xc3\xa9 chat', "
        "'{\"title\": \"Caf\\u00e9 chat\", \"history\": {\"messages\": {\"m1\": {\"id\": \"m1\", "
        "\"role\": \"user\", \"content\": \"Bonjour caf\\u00e9\"}}, \"currentId\": \"m1\"}}', "
        "1700000000, 1700000001, NULL, " +
        f + ", NULL, '{\"tags\": [\"legacy\"]}', NULL)");
    db->Exec("INSERT INTO tag VALUES ('legacy', 'legacy', 'alice', NULL)");
    db->Exec(
        "INSERT INTO model VALUES ('fake-a1', 'admin', NULL, 'Legacy A1', '{}', "
        "'{\"profile_image_url\": \"/static/favicon.png\", \"description\": null}', 'null', " +
        t + ", 1700000000, 1700000000)");
  }

  HostProcess::Options opts;
  opts.env = backend.Env();
  opts.data_dir = data_dir;
  if (!backend.postgres()) opts.env["DATABASE_URL"] = o.url;
  opts.env["WEBUI_PLUGIN_PATH"] =
      std::string(WEBUI_PLUGIN_BUILD_DIR) + ":" + PluginDir("good") + ":" + CHAT_TEST_PLUGIN_DIR;
  opts.env["WEBUI_PLUGINS"] = std::string("chat,test_auth,") + kProviderA;
  HostProcess host(opts);
  std::string why;
  ASSERT_TRUE(host.Start(&why)) << why;
  const auto alice = As("user", "alice");

  auto list = host.Get("/api/v1/chats/?page=1", alice).Json();
  ASSERT_EQ(list.size(), 1u) << list.dump();
  EXPECT_EQ(list[0]["title"], "Caf\xc3\xa9 chat");
  EXPECT_EQ(list[0]["updated_at"], 1700000001);
  auto chat = host.Get("/api/v1/chats/legacy-1", alice).Json();
  EXPECT_EQ(chat["chat"]["history"]["messages"]["m1"]["content"], "Bonjour caf\xc3\xa9");
  EXPECT_EQ(chat["archived"], false);
  EXPECT_EQ(chat["pinned"], false);
  EXPECT_EQ(chat["meta"]["tags"], json({"legacy"}));
  EXPECT_EQ(host.Get("/api/v1/chats/legacy-1/tags", alice).Json()[0]["name"], "legacy");
  EXPECT_EQ(host.Get("/api/v1/chats/search?text=bonjour", alice).Json().size(), 1u);
  EXPECT_EQ(host.Get("/api/v1/chats/legacy-1", As("user", "bob")).status, 404);

  // access_control stored as JSON null means public: a user sees the configured model.
  auto models = host.Get("/api/models", alice).Json()["data"];
  ASSERT_EQ(models.size(), 1u) << models.dump();
  EXPECT_EQ(models[0]["id"], "fake-a1");
  EXPECT_EQ(models[0]["name"], "Legacy A1");

  // Writing goes to the same rows.
  auto updated = Http(host.port(), "POST", "/api/v1/chats/legacy-1",
                      json{{"chat", {{"title", "Renamed"}}}}.dump(), alice);
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(updated.Json()["chat"]["history"]["currentId"], "m1");
  EXPECT_EQ(host.Get("/api/v1/chats/?page=1", alice).Json()[0]["title"], "Renamed");
}

}  // namespace
}  // namespace webui::testing
