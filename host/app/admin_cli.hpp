// The admin subcommands (`webui-host plugins|config|migrate|user ...`): run by an administrator
// on the server, against the configured database, with the plugins loaded but no HTTP server.
// Output goes to stdout, errors to stderr; exit codes: 0 done, 1 failed, 2 usage, 4 not found.
#pragma once

#include <string>
#include <vector>

#include "plugins/host_services.hpp"
#include "plugins/plugin_manager.hpp"

namespace webui::app {

// True when argv[1] names an admin subcommand.
bool IsAdminCommand(std::string_view first);

// Commands that need only the database (no plugin is loaded): `migrate --status`.
bool NeedsPlugins(const std::vector<std::string>& args);

int RunAdminCommand(const std::vector<std::string>& args, plugins::HostServices& host,
                    plugins::PluginManager& plugins);

}  // namespace webui::app
