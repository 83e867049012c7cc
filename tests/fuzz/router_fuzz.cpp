// Router (host/http/router.*) with a route table shaped like the real one (static segments,
// {param}, {rest...}, several methods per path) and the web frontend's fallback
// (host/frontend/static_site.*), matched against a fuzzed "METHOD /raw/path" (percent-encoded
// as on the wire; no space means GET).
//
// Invariants: a match satisfies its pattern segment by segment on the decoded path (allowing
// the "/x" <-> "/x/" retry); a route without parameters never matches a path with a ".." (or
// any other) segment it does not spell; {param} values are non-empty decoded segments; the
// static-site fallback only ever resolves regular files inside its root, never a hidden file,
// a "." or ".." segment, or a symlink that leaves the root.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "frontend/static_site.hpp"
#include "fuzz_support.hpp"
#include "http/router.hpp"

namespace {

namespace fs = std::filesystem;
using webui::http::Route;
using webui::http::Router;

// Shapes copied from host/app/core_routes.cpp and the plugins.
constexpr const char* kRoutes[][2] = {
    {"GET", "/health"},
    {"GET", "/api/version"},
    {"GET", "/api/config"},
    {"GET", "/api/models"},
    {"GET", "/api/v1/auths/"},
    {"POST", "/api/v1/auths/signin"},
    {"GET", "/api/v1/chats/"},
    {"GET", "/api/v1/chats/list"},
    {"GET", "/api/v1/chats/all/tags"},
    {"GET", "/api/v1/chats/{id}"},
    {"POST", "/api/v1/chats/{id}"},
    {"DELETE", "/api/v1/chats/{id}"},
    {"GET", "/api/v1/chats/{id}/tags"},
    {"POST", "/api/v1/chats/{id}/clone/shared"},
    {"GET", "/api/v1/chats/folder/{folder_id}/list"},
    {"GET", "/api/v1/chats/share/{share_id}"},
    {"POST", "/api/v1/folders/{id}/update/parent"},
    {"POST", "/api/v1/users/{user_id}/update"},
    {"GET", "/api/v1/users/{user_id}/groups"},
    {"POST", "/api/tasks/stop/{task_id}"},
    {"GET", "/api/v1/plugins/{name}"},
    {"POST", "/api/v1/plugins/{name}/enable"},
    {"GET", "/openai/models/{url_idx}"},
    {"GET", "/openai/{path...}"},
    {"POST", "/openai/{path...}"},
    {"DELETE", "/openai/{path...}"},
    {"GET", "/ollama/api/tags"},
    {"GET", "/ollama/api/tags/{url_idx}"},
    {"POST", "/ollama/api/chat"},
    {"GET", "/socket.io/"},
    {"POST", "/socket.io/"},
    {"GET", "/ws/socket.io/"},
};

struct World {
  Router router;
  fs::path site_root;
  std::unique_ptr<webui::frontend::StaticSite> site;
};

// A frontend build dir with a hidden file inside and a secret (plus a symlink to it) outside.
fs::path MakeSite() {
  char tmpl[] = "/tmp/webui-router-fuzz.XXXXXX";
  const char* dir = ::mkdtemp(tmpl);
  FUZZ_CHECK(dir != nullptr);
  static fs::path base;  // removed at exit (libFuzzer exits normally after -max_total_time)
  base = dir;
  std::atexit([] {
    std::error_code ec;
    fs::remove_all(base, ec);
  });
  const fs::path root = base / "build";
  fs::create_directories(root / "_app" / "immutable");
  fs::create_directories(root / "static");
  for (const char* file : {"index.html", "_app/immutable/app.js", "static/favicon.png", ".env"})
    std::ofstream(root / file) << "x";
  std::ofstream(base / "secret.txt") << "secret";
  fs::create_symlink(base / "secret.txt", root / "link.txt");
  return fs::canonical(root);
}

World& TheWorld() {
  static World* world = [] {
    auto* w = new World;
    for (const auto& [method, pattern] : kRoutes) {
      Route r;
      r.method = method;
      r.pattern = pattern;
      r.owner = "fuzz";
      r.handler = [](webui::http::RequestContext&) {};
      FUZZ_CHECK(w->router.Add(std::move(r)) == Router::AddResult::kOk);
    }
    w->site_root = MakeSite();
    w->site = std::make_unique<webui::frontend::StaticSite>(w->site_root.string());
    w->site->Install(w->router);
    return w;
  }();
  return *world;
}

// Does `pattern` accept the decoded segments `segs` with exactly these `params`?
bool Satisfies(const std::string& pattern, const std::vector<std::string>& segs,
               const webui::http::PathParams& params) {
  std::vector<std::string> pat;
  FUZZ_CHECK(Router::SplitPath(pattern, &pat));
  std::size_t next_param = 0;
  for (std::size_t i = 0; i < pat.size(); ++i) {
    const std::string& p = pat[i];
    const bool is_param = p.size() > 2 && p.front() == '{' && p.back() == '}';
    if (is_param && p.size() > 5 && p.compare(p.size() - 4, 4, "...}") == 0) {
      if (i + 1 != pat.size() || i >= segs.size() || next_param >= params.size()) return false;
      std::string rest;
      for (std::size_t j = i; j < segs.size(); ++j) rest += (j == i ? "" : "/") + segs[j];
      const auto& [name, value] = params[next_param++];
      return name == p.substr(1, p.size() - 5) && value == rest && next_param == params.size();
    }
    if (i >= segs.size()) return false;
    if (is_param) {
      if (next_param >= params.size()) return false;
      const auto& [name, value] = params[next_param++];
      if (name != p.substr(1, p.size() - 2) || value != segs[i] || value.empty()) return false;
    } else if (p != segs[i]) {
      return false;
    }
  }
  return pat.size() == segs.size() && next_param == params.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  World& world = TheWorld();
  std::string_view input = webui::fuzz::AsText(data, size);
  std::string_view method = "GET";
  if (const std::size_t space = input.find(' '); space != std::string_view::npos) {
    method = input.substr(0, space);
    input.remove_prefix(space + 1);
  }
  const auto match = world.router.Match(method, input);

  std::vector<std::string> segs;
  const bool well_formed = Router::SplitPath(input, &segs);
  if (match.route) {
    FUZZ_CHECK(well_formed);
    FUZZ_CHECK(match.route->method == method);
    // Match retries "/x" as "/x/" and the other way round.
    std::vector<std::string> other = segs;
    if (other.size() > 1 && other.back().empty()) {
      other.pop_back();
    } else {
      other.emplace_back();
    }
    FUZZ_CHECK(Satisfies(match.route->pattern, segs, match.params) ||
               Satisfies(match.route->pattern, other, match.params));
    if (match.route->pattern.find('{') == std::string::npos) {
      for (const auto& s : segs) FUZZ_CHECK(s != ".." && s != ".");
    }
  }
  if (!match.route && !match.path_matched) {
    // The fallback (web frontend) answers: it must stay inside its root.
    if (const auto file = world.site->Resolve(input)) {
      FUZZ_CHECK(well_formed);
      FUZZ_CHECK(fs::is_regular_file(*file));
      const fs::path relative = file->lexically_relative(world.site_root);
      FUZZ_CHECK(!relative.empty());
      for (const auto& part : relative) {
        const std::string name = part.string();
        FUZZ_CHECK(!name.empty() && name.front() != '.');
      }
      FUZZ_CHECK(file->filename() != "secret.txt");
      for (const auto& s : segs) FUZZ_CHECK(s != ".." && s != "." && s.find('/') == s.npos);
    }
  }
  return 0;
}
