// webui-host plugin SDK: outbound HTTP requests (Host::Fetch, Response::Relay).
#pragma once

#include <webui_host/sdk/core.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace webui::sdk {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct FetchRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  uint32_t connect_timeout_ms = 0;
  uint32_t read_timeout_ms = 0;
  uint32_t total_timeout_ms = 0;
  // Only public addresses (WH_FETCH_PUBLIC_ONLY): for URLs that come from users, pages or an
  // engine's answer. A refused destination answers status WH_DENIED with the reason in `error`.
  bool public_only = false;
};

struct FetchResult {
  wh_status status = WH_OK;
  int http_status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // only filled by Fetch() without an on_data callback
  std::string error;
  std::string url;  // FetchFollowing: the URL that gave this answer (after redirects)
  bool ok() const { return status == WH_OK; }
};

// Called once with the upstream's status and headers, before any body piece. Return false to
// abort the exchange (Fetch then reports WH_ABORTED).
using FetchHeadFn = std::function<bool(int status, const Headers& headers)>;
// Called for every piece of body as it arrives. Return false to abort.
using FetchDataFn = std::function<bool(std::string_view chunk)>;

namespace detail {
// Fills a wh_http_request that borrows `req` (and `headers`, which must outlive it).
inline wh_http_request RawRequest(const FetchRequest& req, std::vector<wh_header>& headers) {
  headers.clear();
  for (const auto& h : req.headers) headers.push_back(wh_header{ToWh(h.first), ToWh(h.second)});
  wh_http_request r{};
  r.struct_size = sizeof r;
  r.method = ToWh(req.method);
  r.url = ToWh(req.url);
  r.headers = headers.data();
  r.header_count = headers.size();
  r.body = ToWh(req.body);
  r.connect_timeout_ms = req.connect_timeout_ms;
  r.read_timeout_ms = req.read_timeout_ms;
  r.total_timeout_ms = req.total_timeout_ms;
  r.flags = req.public_only ? WH_FETCH_PUBLIC_ONLY : 0;
  return r;
}

// "http://host:port" of an absolute URL (scheme and host lower-cased), empty if it has none.
inline std::string OriginOf(std::string_view url) {
  const std::size_t colon = url.find("://");
  if (colon == std::string_view::npos) return {};
  const std::size_t end = url.find_first_of("/?#", colon + 3);
  return LowerAscii(url.substr(0, end));
}
}  // namespace detail

// The absolute URL a redirect's `Location` names, relative to the URL that answered (RFC 3986
// §5.2 for the forms servers send: absolute, scheme-relative, absolute path, relative path,
// query only). Empty when `location` or `base` is unusable. The host parses the result again
// (and checks it) before connecting.
inline std::string ResolveLocation(std::string_view base, std::string_view location) {
  const std::size_t scheme_end = base.find("://");
  if (location.empty() || scheme_end == std::string_view::npos) return {};
  const std::size_t first = location.find_first_of(":/?#");
  if (first != std::string_view::npos && location[first] == ':')
    return std::string(location);  // has its own scheme (the host refuses any but http/https)
  if (location.substr(0, 2) == "//")
    return std::string(base.substr(0, scheme_end + 1)) + std::string(location);
  const std::string origin = detail::OriginOf(base);
  const std::size_t path_start = base.find_first_of("/?#", scheme_end + 3);
  std::string_view path = path_start == std::string_view::npos ? std::string_view("/")
                                                                : base.substr(path_start);
  path = path.substr(0, path.find_first_of("?#"));
  if (path.empty()) path = "/";
  std::string joined;
  if (location.front() == '/') {
    joined = std::string(location);
  } else if (location.front() == '?' || location.front() == '#') {
    joined = std::string(path) + std::string(location);
  } else {
    joined = std::string(path.substr(0, path.rfind('/') + 1)) + std::string(location);
  }
  // Remove "." and ".." segments of the path (not of the query).
  const std::size_t query = joined.find_first_of("?#");
  const std::string tail = query == std::string::npos ? std::string() : joined.substr(query);
  const std::string_view p = std::string_view(joined).substr(0, query);
  std::vector<std::string_view> segments;
  std::size_t pos = 1;
  while (pos <= p.size()) {
    std::size_t slash = p.find('/', pos);
    if (slash == std::string_view::npos) slash = p.size();
    const std::string_view seg = p.substr(pos, slash - pos);
    const bool last = slash == p.size();
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
      if (last) segments.emplace_back();
    } else if (seg == ".") {
      if (last) segments.emplace_back();
    } else {
      segments.push_back(seg);
    }
    pos = slash + 1;
  }
  std::string out = std::string(origin);
  for (const auto& seg : segments) out += "/" + std::string(seg);
  if (segments.empty()) out += "/";
  return out + tail;
}

// Host::FetchFollowing: redirects followed one checked hop at a time.
struct FollowOptions {
  int max_redirects = 5;
  // The collected body is cut off (status WH_ABORTED, `error` says why) past this many bytes;
  // 0 = no limit.
  std::size_t max_body_bytes = 0;
};

}  // namespace webui::sdk
