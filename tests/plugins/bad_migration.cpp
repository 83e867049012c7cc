// "bad_migration": its second migration step is invalid SQL. The host must refuse to start and
// leave no half-applied schema behind (step 1's table must not exist afterwards).
#include <webui_host/sdk.hpp>

class BadMigration : public webui::sdk::Plugin {
 public:
  void Init(webui::sdk::Host& host) override {
    host.Migrate({
        {1, "fine", "CREATE TABLE bad_migration_first (id INTEGER)", ""},
        {2, "broken", "CREATE TABLE bad_migration_second (id INTEGER", ""},
    });
  }
};

WEBUI_HOST_PLUGIN(BadMigration, "bad_migration", "0.0.1", "Fails its migration")
