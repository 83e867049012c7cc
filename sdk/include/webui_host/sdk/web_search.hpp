// Typed client of the web_search.v1 service (sdk/include/webui_host/services/web_search.h). A
// failure throws sdk::Error carrying the status and the provider's reason.
#pragma once

#include <webui_host/services/web_search.h>
#include <webui_host/sdk.hpp>
#include <webui_host/sdk/users.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace webui::sdk {

// web_search.v1: the web searched, the pages loaded and stored for the user (rag plugin).
class WebSearch {
 public:
  struct Answer {
    std::vector<std::string> collection_names;       // the caller's collection of the pages
    nlohmann::json urls = nlohmann::json::array();   // the loaded pages ("filenames")
    nlohmann::json items = nlohmann::json::array();  // [{"link", "title", "snippet"}]
    nlohmann::json docs;  // BYPASS_WEB_SEARCH_EMBEDDING_AND_RETRIEVAL: the pages; else null
  };

  explicit WebSearch(const Host& host) : host_(host) {}

  // Whether a provider is offered (the rag module installed and enabled).
  bool Available() const {
    for (auto& s : host_.Services(WH_SERVICE_WEB_SEARCH_V1))
      if (s.vtable != nullptr && s.vtable_size >= kNeeds) return true;
    return false;
  }
  // Whether web search is on and the user may use it (false when no provider is offered).
  bool Permitted(std::string_view user_id, std::string_view role) const {
    if (!Available()) return false;
    const auto s = detail::FindService(host_, WH_SERVICE_WEB_SEARCH_V1, kNeeds);
    const auto* vt = static_cast<const wh_web_search_v1*>(s.vtable);
    int allowed = 0;
    detail::StatusCall("web_search.permitted",
                       vt->permitted(s.user, ToWh(user_id), ToWh(role), &allowed));
    return allowed != 0;
  }
  // Searches `queries` for the caller.
  Answer Search(std::string_view user_id, std::string_view role,
                const std::vector<std::string>& queries) const {
    const auto s = detail::FindService(host_, WH_SERVICE_WEB_SEARCH_V1, kNeeds);
    const auto* vt = static_cast<const wh_web_search_v1*>(s.vtable);
    const std::string request = nlohmann::json{{"queries", queries}}.dump(
        -1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::string out;
    const wh_status st =
        vt->search(s.user, ToWh(user_id), ToWh(role), ToWh(request), &detail::AppendSink, &out);
    if (st != WH_OK)
      throw Error(st, out.empty() ? "web search failed (status " + std::to_string(st) + ")" : out);
    const auto parsed = nlohmann::json::parse(out, nullptr, false);
    if (!parsed.is_object()) throw Error(WH_ERROR, "web search failed: not a JSON object");
    Answer a;
    if (auto it = parsed.find("collection_names"); it != parsed.end() && it->is_array())
      for (const auto& n : *it)
        if (n.is_string()) a.collection_names.push_back(n.get<std::string>());
    if (auto it = parsed.find("filenames"); it != parsed.end() && it->is_array()) a.urls = *it;
    if (auto it = parsed.find("items"); it != parsed.end() && it->is_array()) a.items = *it;
    if (auto it = parsed.find("docs"); it != parsed.end() && it->is_array()) a.docs = *it;
    return a;
  }

 private:
  static constexpr size_t kNeeds = offsetof(wh_web_search_v1, search) + sizeof(void*);
  const Host& host_;
};

}  // namespace webui::sdk
