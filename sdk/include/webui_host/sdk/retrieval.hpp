// Typed client of the retrieval.v1 service (sdk/include/webui_host/services/retrieval.h). A
// failure throws sdk::Error carrying the status and the provider's reason.
#pragma once

#include <webui_host/services/retrieval.h>
#include <webui_host/sdk.hpp>
#include <webui_host/sdk/users.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace webui::sdk {

// retrieval.v1: sources for a chat completion (rag plugin).
class Retrieval {
 public:
  struct Answer {
    nlohmann::json sources = nlohmann::json::array();  // 0.6.32's sources list
    std::string rag_template;                          // RAG_TEMPLATE as configured
  };

  explicit Retrieval(const Host& host) : host_(host) {}

  // Whether a provider is offered (the rag module installed and enabled).
  bool Available() const {
    for (auto& s : host_.Services(WH_SERVICE_RETRIEVAL_V1))
      if (s.vtable != nullptr && s.vtable_size >= kNeeds) return true;
    return false;
  }
  // The sources of `files` (the completion's items) for `queries`, read as the caller.
  Answer Retrieve(std::string_view user_id, std::string_view role, const nlohmann::json& files,
                  const std::vector<std::string>& queries) const {
    const auto s = detail::FindService(host_, WH_SERVICE_RETRIEVAL_V1, kNeeds);
    const auto* vt = static_cast<const wh_retrieval_v1*>(s.vtable);
    const std::string request = nlohmann::json{{"files", files}, {"queries", queries}}.dump(
        -1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::string out;
    const wh_status st =
        vt->retrieve(s.user, ToWh(user_id), ToWh(role), ToWh(request), &detail::AppendSink, &out);
    if (st != WH_OK)
      throw Error(st, "retrieval failed: " + (out.empty() ? "status " + std::to_string(st) : out));
    Answer a;
    const auto parsed = nlohmann::json::parse(out, nullptr, false);
    if (!parsed.is_object()) throw Error(WH_ERROR, "retrieval failed: not a JSON object");
    if (auto it = parsed.find("sources"); it != parsed.end() && it->is_array()) a.sources = *it;
    if (auto it = parsed.find("template"); it != parsed.end() && it->is_string())
      a.rag_template = it->get<std::string>();
    return a;
  }

 private:
  static constexpr size_t kNeeds = offsetof(wh_retrieval_v1, retrieve) + sizeof(void*);
  const Host& host_;
};

}  // namespace webui::sdk
