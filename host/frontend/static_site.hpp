// Serves a built Open WebUI frontend (FRONTEND_BUILD_DIR) like Open WebUI's SPAStaticFiles:
// files with their MIME type, long caching for /_app/immutable/, index.html for paths without an
// extension (/auth, /c/<id>), and JSON 404s for API paths (/api, /ws, /socket.io and the first
// segment of every registered route, e.g. /openai once a plugin registers /openai/...). Nothing
// outside the build directory can be reached: decoded segments may not be "..", hidden, or contain
// NUL, and the resolved path must stay under the (canonical) root after symlinks.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "http/request_context.hpp"
#include "http/router.hpp"

namespace webui::frontend {

class StaticSite {
 public:
  // `build_dir` empty: no frontend; "/" explains how to configure one.
  explicit StaticSite(std::string build_dir);

  // Registers the router fallback (GET/HEAD of any unknown path).
  void Install(http::Router& router);

  void Handle(http::RequestContext& ctx) const;

  // The file a request path maps to, or nullopt (exposed for tests).
  std::optional<std::filesystem::path> Resolve(std::string_view raw_path) const;
  static std::string_view MimeType(const std::filesystem::path& file);

 private:
  void SendFile(http::RequestContext& ctx, const std::filesystem::path& file, bool immutable) const;
  bool IsApiPath(std::string_view path) const;
  const http::Router* router_ = nullptr;  // set by Install: knows the API prefixes
  std::filesystem::path root_;
  bool enabled_ = false;
};

}  // namespace webui::frontend
