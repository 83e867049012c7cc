// webui-host's process: reads the configuration, opens storage and Redis, loads plugins, serves
// HTTP until SIGTERM/SIGINT, then drains and stops in order.
#pragma once

namespace webui::app {

// main() in one call; returns the process exit code.
int Run(int argc, char** argv);

}  // namespace webui::app
