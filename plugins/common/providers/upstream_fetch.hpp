// Outbound helpers shared by the openai and ollama plugins: a fetch whose body callback sees the
// status and headers first (the SDK's Fetch() only reports them at the end), plus header lookups
// and the HTTP status used for transport failures.
#pragma once

#include <webui_host/sdk.hpp>

#include <cctype>
#include <exception>
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
  std::function<bool(int status, const Headers& headers)> on_head;
  std::function<bool(std::string_view chunk)> on_data;  // empty chunk = silence tick
};

struct FetchOutcome {
  wh_status status = WH_OK;
  std::string error;
};

inline FetchOutcome StreamFetch(webui::sdk::Host& host, const webui::sdk::FetchRequest& req,
                                FetchCallbacks& cb) {
  struct Ctx {
    FetchCallbacks* cb;
    std::exception_ptr error;
  } ctx{&cb, nullptr};
  std::vector<wh_header> hs;
  for (const auto& h : req.headers)
    hs.push_back(wh_header{webui::sdk::ToWh(h.first), webui::sdk::ToWh(h.second)});
  wh_http_request r{};
  r.struct_size = sizeof r;
  r.method = webui::sdk::ToWh(req.method);
  r.url = webui::sdk::ToWh(req.url);
  r.headers = hs.data();
  r.header_count = hs.size();
  r.body = webui::sdk::ToWh(req.body);
  r.connect_timeout_ms = req.connect_timeout_ms;
  r.read_timeout_ms = req.read_timeout_ms;
  r.total_timeout_ms = req.total_timeout_ms;
  auto on_head = [](void* user, int status, const wh_header* headers, size_t n) noexcept -> int {
    auto* c = static_cast<Ctx*>(user);
    try {
      Headers copy;
      for (size_t i = 0; i < n; ++i)
        copy.emplace_back(std::string(webui::sdk::FromWh(headers[i].name)),
                          std::string(webui::sdk::FromWh(headers[i].value)));
      return !c->cb->on_head || c->cb->on_head(status, copy) ? 0 : 1;
    } catch (...) {
      c->error = std::current_exception();
      return 1;
    }
  };
  auto on_data = [](void* user, wh_str chunk) noexcept -> int {
    auto* c = static_cast<Ctx*>(user);
    try {
      return !c->cb->on_data || c->cb->on_data(webui::sdk::FromWh(chunk)) ? 0 : 1;
    } catch (...) {
      c->error = std::current_exception();
      return 1;
    }
  };
  FetchOutcome out;
  out.status = host.api()->http_fetch(host.self(), &r, on_head, on_data, &ctx,
                                      webui::sdk::detail::AppendSink, &out.error);
  if (ctx.error) std::rethrow_exception(ctx.error);
  return out;
}

}  // namespace webui::providers
