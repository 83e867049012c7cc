#include "frontend/static_site.hpp"

#include <sys/stat.h>

#include <fstream>
#include <vector>

#include <spdlog/spdlog.h>

namespace webui::frontend {
namespace fs = std::filesystem;

namespace {

// The host's own API namespaces, API even before any route under them is registered.
constexpr std::string_view kHostApiSegments[] = {"api", "ws", "socket.io"};

constexpr std::int64_t kMaxBufferedFile = 32 * 1024 * 1024;

constexpr const char* kNoFrontendPage = R"(<!doctype html>
<html><head><meta charset="utf-8"><title>webui-host</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>webui-host is running</h1>
<p>The API answers under <code>/api</code>. No web frontend is configured.</p>
<p>To serve the Open WebUI web interface, build it (<code>npm ci &amp;&amp; npm run build</code> in an
Open WebUI checkout) and start webui-host with <code>FRONTEND_BUILD_DIR=/path/to/open-webui/build</code>.</p>
</body></html>
)";

}  // namespace

StaticSite::StaticSite(std::string build_dir) {
  if (build_dir.empty()) return;
  std::error_code ec;
  root_ = fs::canonical(build_dir, ec);
  if (ec || !fs::is_directory(root_)) {
    spdlog::warn("FRONTEND_BUILD_DIR {} is not a directory; serving no frontend", build_dir);
    return;
  }
  enabled_ = true;
  if (!fs::exists(root_ / "index.html"))
    spdlog::warn("FRONTEND_BUILD_DIR {} has no index.html", root_.string());
  spdlog::info("serving the web frontend from {}", root_.string());
}

// Paths that belong to an API: an unknown one is a JSON 404, never the SPA page. Prefixes come
// from the route table, so a plugin's new prefix (e.g. "/openai/") needs no change here.
bool StaticSite::IsApiPath(std::string_view path) const {
  if (path.size() < 2 || path[0] != '/') return false;
  std::vector<std::string> segs;
  if (!http::Router::SplitPath(path, &segs) || segs.empty()) return false;
  const std::string& first = segs[0];
  for (std::string_view s : kHostApiSegments)
    if (first == s) return true;
  return router_ != nullptr && router_->HasPrefix(first);
}

void StaticSite::Install(http::Router& router) {
  router_ = &router;
  http::Route r;
  r.method = "*";
  r.pattern = "/";
  r.auth = http::AuthLevel::kPublic;
  r.owner = "host";
  r.handler = [this](http::RequestContext& ctx) { Handle(ctx); };
  router.SetFallback(std::move(r));
}

std::string_view StaticSite::MimeType(const fs::path& file) {
  static const std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".wasm", "application/wasm"},
      {".ttf", "font/ttf"},
      {".otf", "font/otf"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".svg", "image/svg+xml"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
      {".xml", "application/xml"},
      {".pdf", "application/pdf"},
      {".mp3", "audio/mpeg"},
      {".wav", "audio/wav"},
  };
  std::string ext = file.extension().string();
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& [e, t] : kTypes)
    if (ext == e) return t;
  return "application/octet-stream";
}

std::optional<fs::path> StaticSite::Resolve(std::string_view raw_path) const {
  if (!enabled_) return std::nullopt;
  std::vector<std::string> segs;
  if (!http::Router::SplitPath(raw_path, &segs)) return std::nullopt;
  fs::path rel;
  for (const auto& s : segs) {
    if (s.empty()) continue;
    // Decoded "..", ".", hidden files and anything that would re-split the path are refused.
    if (s == "." || s == ".." || s.front() == '.' || s.find('/') != std::string::npos ||
        s.find('\\') != std::string::npos || s.find('\0') != std::string::npos)
      return std::nullopt;
    rel /= s;
  }
  std::error_code ec;
  fs::path full = fs::weakly_canonical(root_ / rel, ec);
  if (ec) return std::nullopt;
  // After symlinks, still under the root?
  auto [root_end, _] = std::mismatch(root_.begin(), root_.end(), full.begin(), full.end());
  if (root_end != root_.end()) return std::nullopt;
  if (!fs::is_regular_file(full, ec)) return std::nullopt;
  return full;
}

void StaticSite::SendFile(http::RequestContext& ctx, const fs::path& file, bool immutable) const {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return (void)ctx.SendError(404, "Not Found");
  const std::string etag =
      "\"" + std::to_string(st.st_mtime) + "-" + std::to_string(st.st_size) + "\"";
  ctx.SetHeader("ETag", etag);
  ctx.SetHeader("Cache-Control", immutable ? "public, max-age=31536000, immutable" : "no-cache");
  ctx.SetHeader("Content-Type", MimeType(file));
  if (ctx.Header("If-None-Match") == std::optional<std::string_view>(etag)) {
    ctx.SetStatus(304);
    ctx.Send("");
    return;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return (void)ctx.SendError(404, "Not Found");
  if (st.st_size <= kMaxBufferedFile) {
    std::string body(static_cast<size_t>(st.st_size), '\0');
    in.read(body.data(), st.st_size);
    ctx.SetStatus(200);
    ctx.Send(std::move(body));
    return;
  }
  // Large files go out in pieces instead of being held in memory.
  ctx.SetStatus(200);
  if (!ctx.BeginStream(MimeType(file))) return;
  std::vector<char> buf(256 * 1024);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() <= 0 ||
        !ctx.Write(std::string_view(buf.data(), static_cast<size_t>(in.gcount()))))
      break;
  }
}

void StaticSite::Handle(http::RequestContext& ctx) const {
  const std::string& path = ctx.path();
  if (ctx.method() != "GET" && ctx.method() != "HEAD") return (void)ctx.SendError(404, "Not Found");
  if (IsApiPath(path)) return (void)ctx.SendError(404, "Not Found");
  if (!enabled_) {
    if (path == "/" || path == "/index.html") {
      ctx.SetHeader("Content-Type", "text/html; charset=utf-8");
      ctx.Send(kNoFrontendPage);
      return;
    }
    return (void)ctx.SendError(404, "Not Found");
  }
  if (auto file = Resolve(path)) {
    SendFile(ctx, *file, path.rfind("/_app/immutable/", 0) == 0);
    return;
  }
  // SPA fallback: a path without an extension is a client-side route.
  const std::string last = path.substr(path.rfind('/') + 1);
  if (last.find('.') == std::string::npos) {
    if (auto index = Resolve("/index.html")) {
      SendFile(ctx, *index, false);
      return;
    }
  }
  ctx.SendError(404, "Not Found");
}

}  // namespace webui::frontend
