#include "access.hpp"

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
  if (access_control.is_null()) return type == "read";
  if (!access_control.is_object()) return false;
  auto it = access_control.find(std::string(type));
  if (it == access_control.end() || !it->is_object()) return false;
  if (auto users = it->find("user_ids"); users != it->end() && users->is_array()) {
    for (const auto& u : *users)
      if (u.is_string() && u.get<std::string>() == user_id) return true;
  }
  if (auto groups = it->find("group_ids"); groups != it->end() && groups->is_array()) {
    for (const auto& g : *groups)
      if (g.is_string() && user_group_ids.count(g.get<std::string>()) > 0) return true;
  }
  return false;
}

}  // namespace webui::workspace
