// `webui-host frontend install|status`: puts a built Open WebUI web frontend where the host
// serves it by default (DATA_DIR/frontend). Every Open WebUI Python wheel carries one
// (open_webui/frontend/), so an admin needs no Node.js toolchain: any of these is accepted
//   - a wheel (open_webui-<version>-py3-none-any.whl, a zip archive),
//   - an installed open_webui package directory (site-packages/open_webui),
//   - a directory holding a built frontend (index.html and _app/).
// What is installed must hold index.html and _app/. A wheel is read with bounds (entry count,
// expanded size, no paths leaving the target, no links), so a hostile archive cannot fill the
// disk or write outside DATA_DIR. The new tree is complete before it replaces the old one.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace webui::frontend {

// Where `frontend install` puts the frontend, and where the host looks when FRONTEND_BUILD_DIR is
// not set.
std::filesystem::path InstalledFrontendDir(const std::string& data_dir);

struct InstalledFrontend {
  std::string version;  // Open WebUI's version, when the source said ("" otherwise)
  std::string source;   // what it was installed from
  std::string installed_at;
};

// The record left by `install` in `dir`, or nullopt when nothing was installed there.
std::optional<InstalledFrontend> ReadInstalled(const std::filesystem::path& dir);

struct InstallLimits {
  std::uint64_t max_bytes = 2ull << 30;  // expanded size of what is extracted
  std::size_t max_entries = 100000;
};

// Installs from `source` into `target`. Throws std::runtime_error with a one-line reason.
InstalledFrontend Install(const std::filesystem::path& source, const std::filesystem::path& target,
                          const InstallLimits& limits = {});

// The CLI: `args` are what follows "frontend" ("install <path>" | "status"). Returns the exit code
// (0 done, 1 failed, 2 usage).
int FrontendCommand(int argc, char** argv, const std::string& data_dir,
                    const std::string& build_dir_setting);

}  // namespace webui::frontend
