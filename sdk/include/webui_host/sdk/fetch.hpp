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
};

struct FetchResult {
  wh_status status = WH_OK;
  int http_status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // only filled by Fetch() without an on_data callback
  std::string error;
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
  return r;
}
}  // namespace detail

}  // namespace webui::sdk
