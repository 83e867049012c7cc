#include "access.hpp"
#include <webui_host/sdk/access.hpp>

#include <webui_host/sdk/json.hpp>

namespace webui::workspace {

json ParseJsonOr(std::string_view text, json fallback) {
  if (text.empty()) return fallback;
  json v = sdk::json::Parse(text).value_or(json(json::value_t::discarded));
  if (v.is_discarded() || v.is_null()) return fallback;
  return v;
}

json AccessControlOf(std::string_view text, bool is_sql_null) {
  if (is_sql_null) return nullptr;
  json v = ParseJsonOr(text, json());
  return v.is_object() ? v : json();
}

bool HasAccess(const std::string& user_id, std::string_view type, const json& access_control,
               const std::set<std::string>& user_group_ids) {
  return sdk::HasAccess(user_id, type, access_control, user_group_ids, true);
}

}  // namespace webui::workspace
