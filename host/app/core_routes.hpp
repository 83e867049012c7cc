// The host's own endpoints: health, version, the public /api/config document, and the admin
// plugin registry.
#pragma once

#include "plugins/host_services.hpp"
#include "plugins/plugin_manager.hpp"

namespace webui::app {

void AddCoreRoutes(plugins::HostServices& host, plugins::PluginManager& plugins);

// The Open WebUI version whose API this host speaks.
const char* CompatVersion();

}  // namespace webui::app
