#include "http/router.hpp"

#include <algorithm>
#include <mutex>

namespace webui::http {

const char* AuthLevelName(AuthLevel level) {
  switch (level) {
    case AuthLevel::kPublic:
      return "public";
    case AuthLevel::kOptional:
      return "optional";
    case AuthLevel::kAny:
      return "any";
    case AuthLevel::kVerified:
      return "verified";
    case AuthLevel::kAdmin:
      return "admin";
    case AuthLevel::kPlugin:
      return "plugin";
  }
  return "unknown";
}

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

bool Router::SplitPath(std::string_view path, std::vector<std::string>* out) {
  out->clear();
  if (path.empty() || path[0] != '/') return false;
  size_t start = 1;
  while (true) {
    size_t end = path.find('/', start);
    std::string_view raw = path.substr(start, end == std::string_view::npos ? end : end - start);
    std::string seg;
    seg.reserve(raw.size());
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '%') {
        if (i + 2 >= raw.size()) return false;
        int hi = HexValue(raw[i + 1]), lo = HexValue(raw[i + 2]);
        if (hi < 0 || lo < 0) return false;
        seg.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
      } else {
        seg.push_back(raw[i]);
      }
    }
    out->push_back(std::move(seg));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return true;
}

Router::AddResult Router::Add(Route route) {
  std::vector<std::string> segs;
  if (!SplitPath(route.pattern, &segs) || route.method.empty() || !route.handler)
    return AddResult::kInvalid;
  std::unique_lock lock(mu_);
  Node* node = &root_;
  for (size_t i = 0; i < segs.size(); ++i) {
    const std::string& s = segs[i];
    if (s.size() > 2 && s.front() == '{' && s.back() == '}') {
      std::string name = s.substr(1, s.size() - 2);
      if (name.size() > 3 && name.compare(name.size() - 3, 3, "...") == 0) {
        if (i + 1 != segs.size()) return AddResult::kInvalid;  // catch-all must be last
        name.resize(name.size() - 3);
        if (!node->rest_name.empty() && node->rest_name != name) return AddResult::kInvalid;
        if (node->rest_routes.count(route.method)) return AddResult::kConflict;
        node->rest_name = name;
        auto shared = std::make_shared<const Route>(std::move(route));
        node->rest_routes.emplace(shared->method, shared);
        all_.push_back(shared);
        if (auto p = FirstStaticSegment(shared->pattern); !p.empty()) ++prefixes_[p];
        return AddResult::kOk;
      }
      if (!node->param) {
        node->param = std::make_unique<Node>();
        node->param_name = name;
      } else if (node->param_name != name) {
        return AddResult::kInvalid;  // "/x/{id}" and "/x/{name}" would be ambiguous
      }
      node = node->param.get();
    } else {
      auto& child = node->children[s];
      if (!child) child = std::make_unique<Node>();
      node = child.get();
    }
  }
  if (node->routes.count(route.method)) return AddResult::kConflict;
  auto shared = std::make_shared<const Route>(std::move(route));
  node->routes.emplace(shared->method, shared);
  all_.push_back(shared);
  if (auto p = FirstStaticSegment(shared->pattern); !p.empty()) ++prefixes_[p];
  return AddResult::kOk;
}

std::string Router::FirstStaticSegment(std::string_view pattern) {
  std::vector<std::string> segs;
  if (!SplitPath(pattern, &segs) || segs.empty() || segs[0].empty() || segs[0].front() == '{')
    return {};
  return segs[0];
}

bool Router::HasPrefix(std::string_view segment) const {
  std::shared_lock lock(mu_);
  return prefixes_.find(segment) != prefixes_.end();
}

void Router::RemoveFrom(Node& node, std::string_view owner) {
  auto drop = [&](auto& routes) {
    for (auto it = routes.begin(); it != routes.end();)
      it = it->second->owner == owner ? routes.erase(it) : std::next(it);
  };
  drop(node.routes);
  drop(node.rest_routes);
  if (node.rest_routes.empty()) node.rest_name.clear();
  for (auto& [_, child] : node.children) RemoveFrom(*child, owner);
  if (node.param) RemoveFrom(*node.param, owner);
}

void Router::RemoveOwner(std::string_view owner) {
  std::unique_lock lock(mu_);
  RemoveFrom(root_, owner);
  for (const auto& r : all_) {
    if (r->owner != owner) continue;
    auto it = prefixes_.find(FirstStaticSegment(r->pattern));
    if (it != prefixes_.end() && --it->second == 0) prefixes_.erase(it);
  }
  all_.erase(
      std::remove_if(all_.begin(), all_.end(), [&](const auto& r) { return r->owner == owner; }),
      all_.end());
}

std::vector<std::shared_ptr<const Route>> Router::RoutesOf(std::string_view owner) const {
  std::shared_lock lock(mu_);
  std::vector<std::shared_ptr<const Route>> out;
  for (const auto& r : all_)
    if (r->owner == owner) out.push_back(r);
  return out;
}

bool Router::MatchNode(const Node& node, const std::vector<std::string>& segs, size_t i,
                       std::string_view method, RouteMatch* out, PathParams* params) const {
  if (i == segs.size()) {
    if (node.routes.empty()) return false;
    out->path_matched = true;
    auto it = node.routes.find(method);
    if (it == node.routes.end()) return false;
    out->route = it->second;
    out->params = *params;
    return true;
  }
  if (auto it = node.children.find(segs[i]); it != node.children.end()) {
    if (MatchNode(*it->second, segs, i + 1, method, out, params)) return true;
  }
  if (node.param && !segs[i].empty()) {
    params->emplace_back(node.param_name, segs[i]);
    if (MatchNode(*node.param, segs, i + 1, method, out, params)) return true;
    params->pop_back();
  }
  if (!node.rest_routes.empty() && !(i + 1 == segs.size() && segs[i].empty())) {
    out->path_matched = true;
    auto it = node.rest_routes.find(method);
    if (it != node.rest_routes.end()) {
      std::string rest;
      for (size_t j = i; j < segs.size(); ++j) rest += (j == i ? "" : "/") + segs[j];
      out->route = it->second;
      out->params = *params;
      out->params.emplace_back(node.rest_name, std::move(rest));
      return true;
    }
  }
  return false;
}

void Router::SetFallback(Route route) {
  std::unique_lock lock(mu_);
  fallback_ = std::make_shared<const Route>(std::move(route));
}

std::shared_ptr<const Route> Router::fallback() const {
  std::shared_lock lock(mu_);
  return fallback_;
}

RouteMatch Router::Match(std::string_view method, std::string_view path) const {
  RouteMatch out;
  // Reused by the thread's next request: no vector allocation per match.
  thread_local std::vector<std::string> segs;
  if (!SplitPath(path, &segs)) return out;
  std::shared_lock lock(mu_);
  PathParams params;
  if (MatchNode(root_, segs, 0, method, &out, &params)) return out;
  // FastAPI redirects between "/x" and "/x/"; answering directly saves clients a round trip.
  if (!out.path_matched) {
    if (segs.size() > 1 && segs.back().empty()) {
      segs.pop_back();
    } else {
      segs.emplace_back();
    }
    params.clear();
    MatchNode(root_, segs, 0, method, &out, &params);
  }
  return out;
}

}  // namespace webui::http
