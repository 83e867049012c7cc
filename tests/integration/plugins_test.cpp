// Plugin loading, refusal reasons, dependency order, admin toggles, services.
#include <algorithm>
#include <regex>

#include "it_support.hpp"
#include "storage/database.hpp"

namespace webui::testing {
namespace {

using nlohmann::json;

json Find(const json& list, const std::string& name, const std::string& file_part = "") {
  for (const auto& p : list)
    if (p["name"] == name &&
        (file_part.empty() || p["file"].get<std::string>().find(file_part) != std::string::npos))
      return p;
  return nullptr;
}

int CountLines(const std::string& log, const std::string& needle) {
  int n = 0;
  for (size_t pos = log.find(needle); pos != std::string::npos; pos = log.find(needle, pos + 1))
    ++n;
  return n;
}

TEST(Plugins, EachBadPluginIsRefusedWithOneLineWhileTheRestServe) {
  WH_REQUIRE_BACKEND();
  Backend backend;
  HostProcess::Options o;
  o.env = backend.Env();
  o.env["WEBUI_PLUGIN_PATH"] = PluginDir("bad") + ":" + PluginDir("good");
  HostProcess host(o);
  std::string why;
  ASSERT_TRUE(host.Start(&why)) << why;

  auto list = host.Get("/api/v1/plugins/", As("admin")).Json();
  ASSERT_TRUE(list.is_array()) << list.dump();
  struct Case {
    const char* name;
    const char* file;
    const char* reason;
  };
  const Case cases[] = {
      {"abi_major", "abi_major.so", "ABI major mismatch"},
      {"abi_minor", "abi_minor.so", "newer than the host"},
      {"signature", "signature.so", "build signature mismatch"},
      {"no_entry", "no_entry.so", "missing entry symbol webui_host_plugin_entry"},
      {"unresolved", "unresolved.so",
       "undefined symbol: webui_host_test_symbol_that_does_not_exist"},
      {"init_fail", "init_fail.so", "init failed: deliberate init failure"},
      {"missing_dep", "missing_dep.so", "missing dependency 'nonexistent'"},
      {"cycle_a", "cycle_a.so", "dependency cycle"},
      {"cycle_b", "cycle_b.so", "dependency cycle"},
      {"needs_refused", "needs_refused.so", "dependency 'init_fail' was refused"},
      {"basic", "zz_duplicate.so", "duplicate plugin name 'basic'"},
      {"garbage", "garbage.so", "cannot load"},
  };
  const std::string log = host.Log();
  for (const auto& c : cases) {
    auto p = Find(list, c.name, c.file);
    ASSERT_FALSE(p.is_null()) << c.name << " missing from " << list.dump();
    EXPECT_EQ(p["state"], "refused") << c.name;
    EXPECT_NE(p["reason"].get<std::string>().find(c.reason), std::string::npos)
        << c.name << ": " << p["reason"];
    // exactly one log line names the file and the reason
    EXPECT_EQ(CountLines(log, std::string("plugin refused: ") + p["file"].get<std::string>() + ":"),
              1)
        << c.name;
  }
  // The route registered by init_fail before it failed was taken back.
  EXPECT_EQ(host.Get("/api/v1/initfail/route").status, 404);
  // The good copies load and serve.
  EXPECT_EQ(Find(list, "basic", "/bad/basic.so")["state"], "loaded");
  EXPECT_EQ(Find(list, "consumer")["state"], "loaded");
  EXPECT_EQ(host.Get("/api/v1/test/echo").status, 200);
  EXPECT_EQ(host.Stop(), 0);
}

TEST(Plugins, StrictModeMakesAnyRefusalFatal) {
  WH_REQUIRE_BACKEND();
  Backend backend;
  HostProcess::Options o;
  o.env = backend.Env();
  o.env["WEBUI_PLUGIN_PATH"] = PluginDir("bad");
  o.env["WEBUI_PLUGINS_STRICT"] = "true";
  HostProcess host(o);
  EXPECT_EQ(host.RunToExit(), 1);
  EXPECT_NE(host.Log().find("WEBUI_PLUGINS_STRICT"), std::string::npos);
}

TEST(Plugins, FailedMigrationStopsTheStartAndLeavesNoHalfSchema) {
  WH_REQUIRE_BACKEND();
  Backend backend;
  HostProcess::Options o;
  o.env = backend.Env();
  o.env["WEBUI_PLUGIN_PATH"] = PluginDir("fatal") + ":" + PluginDir("good");
  HostProcess host(o);
  EXPECT_EQ(host.RunToExit(), 1);
  const std::string log = host.Log();
  EXPECT_NE(log.find("bad_migration"), std::string::npos) << log;
  EXPECT_NE(log.find("v2"), std::string::npos) << log;

  // Start again without the broken plugin: bad_migration's step 1 must not exist.
  HostProcess::Options o2 = o;
  o2.env["WEBUI_PLUGIN_PATH"] = PluginDir("good");
  o2.data_dir = host.data_dir();
  HostProcess again(o2);
  std::string why;
  ASSERT_TRUE(again.Start(&why)) << why;
  EXPECT_EQ(again.Get("/health/db").status, 200);
  again.Stop();
  storage::DatabaseOptions dbo;
  dbo.url = backend.database_url();
  dbo.sqlite_path = host.data_dir() + "/webui.db";
  auto db = storage::Database::Open(dbo);
  std::int64_t applied = -1;
  db->Exec("SELECT COUNT(*) FROM webui_host_migration WHERE owner = ?",
           std::vector<storage::Value>{std::string("bad_migration")}, [&](const storage::Row& r) {
             applied = std::get<std::int64_t>(r.at(0));
             return false;
           });
  EXPECT_EQ(applied, 0);
  EXPECT_THROW(db->Exec("SELECT * FROM bad_migration_first"), storage::StorageError);
}

TEST(Plugins, DependenciesInitInOrderAndShareServices) {
  WH_REQUIRE_BACKEND();
  Backend backend;
  HostProcess::Options o;
  o.env = backend.Env();
  HostProcess host(o);
  std::string why;
  ASSERT_TRUE(host.Start(&why)) << why;
  auto greet = host.Get("/api/v1/consumer/greet?name=Ada").Json();
  ASSERT_EQ(greet.size(), 1u) << greet.dump();
  EXPECT_EQ(greet[0]["provider"], "basic");
  EXPECT_EQ(greet[0]["text"], "Greetings, Ada");
  const std::string log = host.Log();
  EXPECT_LT(log.find("plugin loaded: basic"), log.find("plugin loaded: consumer"));
  // aa_user initialises before basic and never declared it, but used its service.
  auto used = host.Get("/api/v1/aa_user/greet?name=Bo").Json();
  ASSERT_EQ(used.size(), 1u) << used.dump();
  EXPECT_LT(log.find("plugin loaded: aa_user"), log.find("plugin loaded: basic"));
  EXPECT_EQ(host.Stop(), 0);
  // Shutdown stops consumers before the providers they used: reverse dependency order, and
  // service use counts like a dependency.
  const std::string after = host.Log();
  EXPECT_LT(after.find("plugin stopped: consumer"), after.find("plugin stopped: basic"));
  EXPECT_LT(after.find("plugin stopped: aa_user"), after.find("plugin stopped: basic"));
}

TEST(Plugins, AdminTogglesTakeEffectAtOnceAndPersist) {
  WH_REQUIRE_BACKEND();
  Backend backend;
  HostProcess::Options o;
  o.env = backend.Env();
  HostProcess host(o);
  std::string why;
  ASSERT_TRUE(host.Start(&why)) << why;

  auto p = host.Get("/api/v1/plugins/basic", As("admin")).Json();
  EXPECT_EQ(p["state"], "loaded");
  EXPECT_EQ(p["version"], "1.2.3");
  EXPECT_EQ(p["abi"], "1.1");  // built against ABI 1.1 (relayed streams)
  bool has_route = false;
  for (const auto& r : p["routes"])
    has_route = has_route || (r["path"] == "/api/v1/test/items/{id}" && r["auth"] == "verified");
  EXPECT_TRUE(has_route) << p.dump();

  // Non-admins cannot list or toggle.
  EXPECT_EQ(host.Get("/api/v1/plugins/", As("user")).status, 401);
  EXPECT_EQ(host.Post("/api/v1/plugins/consumer/disable", "", As("user")).status, 401);
  EXPECT_EQ(host.Post("/api/v1/plugins/nope/disable", "", As("admin")).status, 404);
  // basic has an enabled dependent; test_auth authenticates everyone: both refuse.
  EXPECT_EQ(host.Post("/api/v1/plugins/basic/disable", "", As("admin")).status, 409);
  EXPECT_EQ(host.Post("/api/v1/plugins/test_auth/disable", "", As("admin")).status, 409);

  ASSERT_EQ(host.Post("/api/v1/plugins/consumer/disable", "", As("admin")).status, 200);
  EXPECT_EQ(host.Get("/api/v1/consumer/greet").status, 404);
  EXPECT_EQ(host.Get("/api/v1/plugins/consumer", As("admin")).Json()["state"], "disabled");
  ASSERT_EQ(host.Post("/api/v1/plugins/basic/disable", "", As("admin")).status, 200);
  EXPECT_EQ(host.Get("/api/v1/test/echo").status, 404);
  // Its api_config contribution disappears with it.
  EXPECT_FALSE(host.Get("/api/config").Json()["features"].contains("test_basic"));
  // consumer cannot come back before its dependency
  EXPECT_EQ(host.Post("/api/v1/plugins/consumer/enable", "", As("admin")).status, 409);
  ASSERT_EQ(host.Post("/api/v1/plugins/basic/enable", "", As("admin")).status, 200);
  EXPECT_EQ(host.Get("/api/v1/test/echo").status, 200);
  EXPECT_EQ(host.Stop(), 0);

  // consumer stays disabled across a restart, and is not even initialised...
  HostProcess::Options o2 = o;
  o2.data_dir = host.data_dir();
  HostProcess again(o2);
  ASSERT_TRUE(again.Start(&why)) << why;
  EXPECT_EQ(again.Get("/api/v1/consumer/greet").status, 404);
  auto c = again.Get("/api/v1/plugins/consumer", As("admin")).Json();
  EXPECT_EQ(c["state"], "disabled");
  EXPECT_TRUE(c["routes"].empty());
  // ...until an admin enables it, which loads it live.
  ASSERT_EQ(again.Post("/api/v1/plugins/consumer/enable", "", As("admin")).status, 200);
  EXPECT_EQ(again.Get("/api/v1/consumer/greet?name=x").status, 200);
  EXPECT_EQ(again.Stop(), 0);
}

TEST(Plugins, AllowListFiltersWhatLoads) {
  WH_REQUIRE_BACKEND();
  Backend backend;
  HostProcess::Options o;
  o.env = backend.Env();
  o.env["WEBUI_PLUGINS"] = "basic,test_auth";
  HostProcess host(o);
  std::string why;
  ASSERT_TRUE(host.Start(&why)) << why;
  auto c = host.Get("/api/v1/plugins/consumer", As("admin")).Json();
  EXPECT_EQ(c["state"], "disabled");
  EXPECT_NE(c["reason"].get<std::string>().find("WEBUI_PLUGINS"), std::string::npos);
  EXPECT_EQ(host.Post("/api/v1/plugins/consumer/enable", "", As("admin")).status, 409);
  EXPECT_EQ(host.Stop(), 0);
}

}  // namespace
}  // namespace webui::testing
