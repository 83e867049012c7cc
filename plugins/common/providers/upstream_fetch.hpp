// Outbound helpers shared by the openai and ollama plugins: a streamed fetch (the SDK's Fetch
// with on_head), header lookups and the HTTP status used for transport failures.
#pragma once

#include <webui_host/sdk.hpp>

#include <cctype>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace webui::providers {

using Headers = std::vector<std::pair<std::string, std::string>>;

inline bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

inline std::string HeaderValue(const Headers& hs, std::string_view name) {
  for (const auto& [k, v] : hs)
    if (IEquals(k, name)) return v;
  return "";
}

// 502 when the upstream is unreachable or dropped, 504 when it timed out.
inline int HttpStatusFor(wh_status st) {
  switch (st) {
    case WH_TIMEOUT:
      return 504;
    case WH_UNAVAILABLE:
    case WH_CLOSED:
      return 502;
    default:
      return 500;
  }
}

struct FetchCallbacks {
  sdk::FetchHeadFn on_head;
  sdk::FetchDataFn on_data;  // empty chunk = silence tick
};

struct FetchOutcome {
  wh_status status = WH_OK;
  std::string error;
};

// The SDK's Fetch with the head first; callbacks that throw abort the exchange and rethrow here.
inline FetchOutcome StreamFetch(webui::sdk::Host& host, const webui::sdk::FetchRequest& req,
                                FetchCallbacks& cb) {
  webui::sdk::FetchResult r = host.Fetch(req, cb.on_head, cb.on_data);
  return FetchOutcome{r.status, std::move(r.error)};
}

}  // namespace webui::providers
