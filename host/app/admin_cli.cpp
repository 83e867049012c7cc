#include "app/admin_cli.hpp"

#include "app/usage_text.hpp"

#include <iostream>
#include <nlohmann/json.hpp>
#include <webui_host/sdk/json.hpp>

namespace webui::app {
namespace {

using nlohmann::json;
constexpr int kOk = 0, kFailed = 1, kUsageError = 2, kNotFound = 4;

int Usage() {
  std::cerr << webui::app::kUsage;
  return kUsageError;
}

int PluginsCommand(const std::vector<std::string>& a, plugins::PluginManager& plugins) {
  if (a.size() == 2 && a[1] == "list") {
    for (const auto& p : plugins.Describe()) {
      std::cout << p.value("name", "") << "\t" << p.value("version", "") << "\t"
                << p.value("state", "");
      if (p.contains("reason") && p["reason"].is_string() &&
          !p["reason"].get<std::string>().empty())
        std::cout << "\t" << p["reason"].get<std::string>();
      std::cout << "\n";
    }
    return kOk;
  }
  if (a.size() == 3 && (a[1] == "enable" || a[1] == "disable")) {
    std::string message;
    const auto r =
        a[1] == "enable" ? plugins.Enable(a[2], &message) : plugins.Disable(a[2], &message);
    switch (r) {
      case plugins::PluginManager::Toggle::kOk:
        std::cout << "plugin " << a[2] << " " << a[1] << "d (running instances apply it when "
                  << "they restart)\n";
        return kOk;
      case plugins::PluginManager::Toggle::kNotFound:
        std::cerr << "no plugin named " << a[2] << "\n";
        return kNotFound;
      default:
        std::cerr << message << "\n";
        return kFailed;
    }
  }
  return Usage();
}

int ConfigCommand(const std::vector<std::string>& a, plugins::HostServices& host) {
  if (a.size() == 3 && a[1] == "get") {
    const auto v = host.persistent.Get(a[2]);
    if (!v) {
      std::cerr << "no setting " << a[2]
                << " (settings are declared by the plugins that own them)\n";
      return kNotFound;
    }
    std::cout << *v << "\n";
    return kOk;
  }
  if (a.size() == 4 && a[1] == "set") {
    const auto owner = host.persistent.OwnerOf(a[2]);
    if (!owner) {
      std::cerr << "no setting " << a[2] << "\n";
      return kNotFound;
    }
    // A JSON value as given (true, 3, ["a"], "text"), or else the text itself as a string.
    const auto parsed = sdk::json::Parse(a[3]);
    const std::string value = parsed ? parsed->dump() : json(a[3]).dump();
    switch (host.persistent.Set(*owner, a[2], value)) {
      case config::PersistentConfig::Result::kOk:
        std::cout << a[2] << " = " << *host.persistent.Get(a[2]) << "\n";
        return kOk;
      case config::PersistentConfig::Result::kInvalid:
        std::cerr << "invalid value for " << a[2] << ": " << a[3] << "\n";
        return kFailed;
      default:
        std::cerr << "cannot set " << a[2] << "\n";
        return kFailed;
    }
  }
  return Usage();
}

int MigrateCommand(const std::vector<std::string>& a, plugins::HostServices& host) {
  if (a.size() == 2 && a[1] == "--status") {
    std::cout << "owner\tversion\tapplied_at\tdescription\n";
    host.db.Exec(
        "SELECT owner, version, applied_at, description FROM webui_host_migration "
        "ORDER BY owner, version",
        {}, [](const storage::Row& r) {
          for (std::size_t i = 0; i < r.size(); ++i) {
            if (i) std::cout << "\t";
            std::visit(
                [](const auto& v) {
                  using T = std::decay_t<decltype(v)>;
                  if constexpr (std::is_same_v<T, std::int64_t> || std::is_same_v<T, double> ||
                                std::is_same_v<T, std::string>) {
                    std::cout << v;
                  }
                },
                r.at(i));
          }
          std::cout << "\n";
          return true;
        });
    return kOk;
  }
  if (a.size() == 1) {
    // Loading the plugins has applied every pending migration.
    std::cout << "migrations applied\n";
    return kOk;
  }
  return Usage();
}

}  // namespace


bool IsAdminCommand(std::string_view first) {
  return first == "plugins" || first == "config" || first == "migrate";
}

bool NeedsPlugins(const std::vector<std::string>& args) {
  return !(args.size() == 2 && args[0] == "migrate" && args[1] == "--status");
}

int RunAdminCommand(const std::vector<std::string>& args, plugins::HostServices& host,
                    plugins::PluginManager& plugins) {
  try {
    if (args[0] == "plugins") return PluginsCommand(args, plugins);
    if (args[0] == "config") return ConfigCommand(args, host);
    if (args[0] == "migrate") return MigrateCommand(args, host);
  } catch (const std::exception& e) {
    std::cerr << "webui-host " << args[0] << ": " << e.what() << "\n";
    return kFailed;
  }
  return Usage();
}

}  // namespace webui::app
