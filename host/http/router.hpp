// Maps (method, path) to a route. Paths are segment patterns: "/api/v1/chats/{id}" binds `id`,
// a final "{rest...}" binds the remaining segments. Static segments win over parameters, which
// win over a catch-all. Thread-safe: plugins may add routes while requests are being served.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace webui::http {

class RequestContext;

enum class AuthLevel {
  kPublic = 0,
  kOptional = 1,
  kAny = 2,
  kVerified = 3,
  kAdmin = 4,
  kPlugin = 5
};
const char* AuthLevelName(AuthLevel level);

struct Route {
  std::string method;
  std::string pattern;
  AuthLevel auth = AuthLevel::kPublic;
  std::string owner;              // "host" or the plugin's name
  std::function<bool()> enabled;  // empty = always enabled
  std::function<void(RequestContext&)> handler;
  // Largest body this route takes (0: the host's limit; never more than it), refused before a
  // byte of it is buffered. on_body_too_large, when set, answers instead of the generic 413.
  std::int64_t max_body_bytes = 0;
  std::function<void(RequestContext&)> on_body_too_large;
  bool IsEnabled() const { return !enabled || enabled(); }
};

using PathParams = std::vector<std::pair<std::string, std::string>>;

struct RouteMatch {
  std::shared_ptr<const Route> route;  // null when nothing matched
  PathParams params;
  bool path_matched = false;  // some route has this path, but not this method -> 405
};

class Router {
 public:
  enum class AddResult { kOk, kConflict, kInvalid };

  AddResult Add(Route route);
  // Removes every route of `owner` (used when a plugin's init fails).
  void RemoveOwner(std::string_view owner);
  // `path` is the raw request path (no query string, still percent-encoded).
  RouteMatch Match(std::string_view method, std::string_view path) const;
  std::vector<std::shared_ptr<const Route>> RoutesOf(std::string_view owner) const;
  // Whether some registered route starts with the static segment `segment` (decoded, e.g.
  // "openai" for "/openai/..."): paths under it belong to an API, so the frontend fallback
  // answers them with a JSON 404 instead of the SPA page.
  bool HasPrefix(std::string_view segment) const;

  // Answers requests whose path no route knows (not those that only miss the method: those stay
  // 405). Used to serve the web frontend. Any method reaches it.
  void SetFallback(Route route);
  std::shared_ptr<const Route> fallback() const;

  // Splits "/a/b%20c/" into {"a", "b c", ""}; false on malformed percent-encoding.
  static bool SplitPath(std::string_view path, std::vector<std::string>* out);

 private:
  struct Node {
    std::map<std::string, std::unique_ptr<Node>, std::less<>> children;
    std::unique_ptr<Node> param;  // "{name}"
    std::string param_name;
    std::string rest_name;  // "{name...}" at this position
    std::map<std::string, std::shared_ptr<const Route>, std::less<>> rest_routes;
    std::map<std::string, std::shared_ptr<const Route>, std::less<>> routes;
  };
  bool MatchNode(const Node& node, const std::vector<std::string>& segs, size_t i,
                 std::string_view method, RouteMatch* out, PathParams* params) const;
  static void RemoveFrom(Node& node, std::string_view owner);
  // The first segment of a pattern when it is static ("" otherwise).
  static std::string FirstStaticSegment(std::string_view pattern);

  mutable std::shared_mutex mu_;
  Node root_;
  std::vector<std::shared_ptr<const Route>> all_;
  std::shared_ptr<const Route> fallback_;
  // Static first segments of the routes in all_, with how many routes start with each.
  std::map<std::string, int, std::less<>> prefixes_;
};

}  // namespace webui::http
