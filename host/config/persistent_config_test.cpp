#include "config/persistent_config.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <thread>

namespace webui::config {
namespace {

const storage::Migration kConfigTable{
    1, "config table",
    "CREATE TABLE IF NOT EXISTS config (id INTEGER NOT NULL PRIMARY KEY, data JSON NOT NULL, "
    "version INTEGER NOT NULL, created_at DATETIME DEFAULT (CURRENT_TIMESTAMP) NOT NULL, "
    "updated_at DATETIME DEFAULT (CURRENT_TIMESTAMP))",
    ""};

class PersistentConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("wh-config-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    storage::DatabaseOptions o;
    o.sqlite_path = (dir_ / "webui.db").string();
    db_ = storage::Database::Open(o);
    const storage::Migration steps[] = {kConfigTable};
    db_->Migrate("host", steps);
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  std::unique_ptr<storage::Database> db_;
};

TEST_F(PersistentConfigTest, DefaultThenEnvThenStoredValue) {
  auto env = Settings::FromMap({{"ENABLE_SIGNUP", "false"}});
  PersistentConfig cfg(*db_, env, true);
  cfg.Load();
  ASSERT_EQ(cfg.Declare("auth", "ui.default_user_role", "DEFAULT_USER_ROLE", "\"pending\"", true),
            PersistentConfig::Result::kOk);
  ASSERT_EQ(cfg.Declare("auth", "ui.enable_signup", "ENABLE_SIGNUP", "true", true),
            PersistentConfig::Result::kOk);
  EXPECT_EQ(*cfg.Get("ui.default_user_role"), "\"pending\"");
  EXPECT_EQ(*cfg.Get("ui.enable_signup"), "false");  // env over default

  // An admin change is stored in Open WebUI's tree shape and wins over env after a restart.
  ASSERT_EQ(cfg.Set("auth", "ui.enable_signup", "true"), PersistentConfig::Result::kOk);
  std::string stored;
  db_->Exec("SELECT data FROM config", {}, [&](const storage::Row& r) {
    stored = std::get<std::string>(r.at(0));
    return false;
  });
  auto tree = nlohmann::json::parse(stored);
  EXPECT_EQ(tree["ui"]["enable_signup"], true);
  EXPECT_EQ(tree["version"], 0);

  PersistentConfig restarted(*db_, env, true);
  restarted.Load();
  restarted.Declare("auth", "ui.enable_signup", "ENABLE_SIGNUP", "true", true);
  EXPECT_EQ(*restarted.Get("ui.enable_signup"), "true");

  // ENABLE_PERSISTENT_CONFIG=false: the environment wins again.
  PersistentConfig ephemeral(*db_, env, false);
  ephemeral.Load();
  ephemeral.Declare("auth", "ui.enable_signup", "ENABLE_SIGNUP", "true", true);
  EXPECT_EQ(*ephemeral.Get("ui.enable_signup"), "false");
}

TEST_F(PersistentConfigTest, OwnershipAndValidation) {
  auto env = Settings::FromMap({{"BAD_BOOL", "perhaps"}});
  PersistentConfig cfg(*db_, env, true);
  cfg.Load();
  EXPECT_EQ(cfg.Declare("openai", "openai.enable", "ENABLE_OPENAI_API", "true", true),
            PersistentConfig::Result::kOk);
  EXPECT_EQ(cfg.Declare("openai", "openai.enable", "ENABLE_OPENAI_API", "true", true),
            PersistentConfig::Result::kOk);
  EXPECT_EQ(cfg.Declare("chat", "openai.enable", "", "true", true),
            PersistentConfig::Result::kConflict);
  EXPECT_EQ(cfg.Set("chat", "openai.enable", "false"), PersistentConfig::Result::kDenied);
  EXPECT_EQ(cfg.Set("openai", "openai.enable", "{not json"), PersistentConfig::Result::kInvalid);
  EXPECT_EQ(cfg.Set("openai", "nope", "1"), PersistentConfig::Result::kNotFound);
  EXPECT_EQ(*cfg.Get("openai.enable"), "true");
  EXPECT_THROW(cfg.Declare("x", "x.flag", "BAD_BOOL", "false", false), ConfigError);
}

TEST_F(PersistentConfigTest, EnvConversionFollowsTheDefaultsType) {
  EXPECT_EQ(EnvToJson("N", "42", 1), 42);
  EXPECT_EQ(EnvToJson("S", "hello", "x"), "hello");
  EXPECT_EQ(EnvToJson("L", "http://a;http://b", nlohmann::json::array()),
            nlohmann::json::array({"http://a", "http://b"}));
  EXPECT_EQ(EnvToJson("J", "{\"a\":1}", nlohmann::json::object())["a"], 1);
  EXPECT_THROW(EnvToJson("N", "4x", 1), ConfigError);
  EXPECT_THROW(EnvToJson("O", "[1]", nlohmann::json::object()), ConfigError);
}

// A reload announced by an earlier change must not undo a later local change: the snapshot it
// read may predate that change's commit (seen as an admin toggle flipping back for one request).
TEST_F(PersistentConfigTest, AReloadNeverUndoesALocalChangeItOverlapped) {
  PersistentConfig cfg(*db_, Settings::FromMap({}), true);
  cfg.Load();
  ASSERT_EQ(cfg.Declare("auth", "auth.api_key.enable", "", "false", true),
            PersistentConfig::Result::kOk);
  std::atomic<bool> stop{false};
  std::thread reloader([&] {
    while (!stop) cfg.Reload();
  });
  int stale = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::string value = i % 2 ? "true" : "false";
    ASSERT_EQ(cfg.Set("auth", "auth.api_key.enable", value), PersistentConfig::Result::kOk);
    if (*cfg.Get("auth.api_key.enable") != value) ++stale;
  }
  stop = true;
  reloader.join();
  EXPECT_EQ(stale, 0);
}

}  // namespace
}  // namespace webui::config
