// Open WebUI's access rules (utils/access_control.py has_access) for workspace items.
#pragma once

#include <nlohmann/json.hpp>

#include <set>
#include <string>
#include <string_view>

namespace webui::workspace {

using json = nlohmann::json;

// JSON text from the database into a value; unparsable or empty text becomes `fallback`.
json ParseJsonOr(std::string_view text, json fallback);
// access_control column text: JSON null and SQL NULL both mean "public read".
json AccessControlOf(std::string_view text, bool is_sql_null);
// null = public for reading only, {} = owner only,
// else {"read"|"write": {"user_ids": [...], "group_ids": [...]}}.
bool HasAccess(const std::string& user_id, std::string_view type, const json& access_control,
               const std::set<std::string>& user_group_ids);

}  // namespace webui::workspace
