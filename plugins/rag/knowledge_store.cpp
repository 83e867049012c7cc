#include "knowledge_store.hpp"

#include <webui_host/sdk/access.hpp>
#include <webui_host/sdk/files.hpp>
#include <webui_host/sdk/json.hpp>
#include <webui_host/sdk/users.hpp>

#include <chrono>
#include <random>

namespace webui::rag {

using nlohmann::json;

namespace {
constexpr const char* kColumns =
    "id, user_id, name, description, data, meta, access_control, created_at, updated_at";

json ParseColumn(const sdk::Row& r, std::size_t i, json fallback) {
  if (r.IsNull(i)) return fallback;
  auto parsed = sdk::json::Parse(r.Text(i));
  return parsed ? std::move(*parsed) : fallback;
}

Knowledge FromRow(const sdk::Row& r) {
  Knowledge k;
  k.id = r.Text(0);
  k.user_id = r.Text(1);
  k.name = r.Text(2);
  k.description = r.IsNull(3) ? "" : r.Text(3);
  k.data = ParseColumn(r, 4, json::object());
  if (!k.data.is_object()) k.data = json::object();
  k.meta = ParseColumn(r, 5, nullptr);
  k.access_control = ParseColumn(r, 6, nullptr);
  k.created_at = r.Int(7);
  k.updated_at = r.Int(8);
  return k;
}

std::optional<std::string> AccessText(const json& v) {
  if (v.is_null()) return std::nullopt;
  return sdk::json::Dump(v);
}
}  // namespace

std::vector<std::string> Knowledge::FileIds() const {
  std::vector<std::string> out;
  if (auto it = data.find("file_ids"); it != data.end() && it->is_array())
    for (const auto& f : *it)
      if (f.is_string()) out.push_back(f.get<std::string>());
  return out;
}

void Knowledge::SetFileIds(const std::vector<std::string>& ids) {
  if (!data.is_object()) data = json::object();
  data["file_ids"] = ids;
}

json Knowledge::ToJson() const {
  json d = data.is_object() ? data : json::object();
  if (!d.contains("file_ids")) d["file_ids"] = json::array();
  return {{"id", id},
          {"user_id", user_id},
          {"name", name},
          {"description", description},
          {"data", d},
          {"meta", meta},
          {"access_control", access_control},
          {"created_at", created_at},
          {"updated_at", updated_at}};
}

std::optional<Knowledge> KnowledgeRepo::Get(const std::string& id) {
  auto r = host_.QueryOne("SELECT " + std::string(kColumns) + " FROM knowledge WHERE id = ?", {id});
  if (!r) return std::nullopt;
  return FromRow(*r);
}

std::vector<Knowledge> KnowledgeRepo::List() {
  std::vector<Knowledge> out;
  host_.Exec("SELECT " + std::string(kColumns) + " FROM knowledge ORDER BY updated_at DESC, id",
             std::initializer_list<sdk::Param>{}, [&](const sdk::Row& r) {
               out.push_back(FromRow(r));
               return true;
             });
  return out;
}

void KnowledgeRepo::Insert(const Knowledge& k) {
  host_.Exec(
      "INSERT INTO knowledge (" + std::string(kColumns) + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {k.id, k.user_id, k.name, k.description, sdk::json::Dump(k.data), AccessText(k.meta),
       AccessText(k.access_control), k.created_at, k.updated_at});
}

void KnowledgeRepo::Save(Knowledge& k) {
  k.updated_at = NowSeconds();
  host_.Exec(
      "UPDATE knowledge SET name = ?, description = ?, data = ?, meta = ?, access_control = ?, "
      "updated_at = ? WHERE id = ?",
      {k.name, k.description, sdk::json::Dump(k.data), AccessText(k.meta),
       AccessText(k.access_control), k.updated_at, k.id});
}

bool KnowledgeRepo::Delete(const std::string& id) {
  return host_.Exec("DELETE FROM knowledge WHERE id = ?", {id}) > 0;
}

void KnowledgeRepo::DeleteAll() { host_.Exec("DELETE FROM knowledge"); }

Viewer::Viewer(sdk::Host& host, const sdk::Caller& caller)
    : host_(host), id_(caller.id), role_(caller.role) {
  // Open WebUI's BYPASS_ADMIN_ACCESS_CONTROL (env only, default true); the workspace plugin
  // declares it when loaded.
  if (auto v = host.ConfigJson("workspace.bypass_admin_access_control")) {
    bypass_ = *v != "false";
  } else if (auto env = host.Env("BYPASS_ADMIN_ACCESS_CONTROL")) {
    bypass_ = !(sdk::IEquals(*env, "false") || *env == "0");
  }
}

bool Viewer::Can(const Knowledge& k, const char* type) {
  if (k.user_id == id_ || (admin() && bypass_)) return true;
  if (!groups_) {
    groups_.emplace();
    for (const auto& g : sdk::Groups(host_).GroupsOf(id_))
      if (g.is_string()) groups_->insert(g.get<std::string>());
  }
  return sdk::HasAccess(id_, type, k.access_control, *groups_);
}

bool Viewer::HasPermission(const char* section, const char* name, bool fallback) const {
  if (admin()) return true;
  json perms = sdk::Setting<json>(host_, "user.permissions", json::object());
  if (!perms.is_object() || !perms.contains(section) || !perms[section].is_object())
    return fallback;
  const json& s = perms[section];
  if (!s.contains(name) || !s[name].is_boolean()) return fallback;
  return s[name].get<bool>();
}

bool CanUseCollection(sdk::Host& host, VectorStore& store, KnowledgeRepo& repo, Viewer& viewer,
                      const std::string& collection, const char* type) {
  if (collection.rfind("file-", 0) == 0) {
    auto ok = sdk::Files(host).CheckAccess(viewer.id(), viewer.role(), collection.substr(5), type);
    return ok.value_or(false);
  }
  if (auto k = repo.Get(collection)) return viewer.Can(*k, type);
  auto owner = store.Owner(collection);
  return owner && (*owner == viewer.id() || viewer.admin());
}

}  // namespace webui::rag
