// Open WebUI's access-control rule (utils/access_control.py has_access), one copy for every
// plugin that stores `access_control` on its rows (chat's models, workspace's tools, prompts ...).
#pragma once

#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace webui::sdk {

// Whether `user_id`, member of `user_group_ids`, may `type` ("read" | "write") an item with
// `access_control`. null means public: readable by all (strict) or open to all (not strict, the
// rule for models); anything not an object grants nothing.
inline bool HasAccess(const std::string& user_id, std::string_view type,
                      const nlohmann::json& access_control,
                      const std::set<std::string>& user_group_ids, bool strict = true) {
  if (access_control.is_null()) return strict ? type == "read" : true;
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

}  // namespace webui::sdk
