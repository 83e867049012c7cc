// Knowledge bases: Open WebUI 0.6.32's `knowledge` table (membership in data.file_ids), and who
// may read or change what, for knowledge bases and for collections (docs/security.md T12-T16:
// access is decided on the resource a collection belongs to, never on its name's prefix).
#pragma once

#include <webui_host/sdk.hpp>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/vector_store.hpp"
#include "util.hpp"

namespace webui::rag {

struct Knowledge {
  std::string id, user_id, name, description;
  nlohmann::json data = {{"file_ids", nlohmann::json::array()}};
  nlohmann::json meta;            // null or an object
  nlohmann::json access_control;  // null: every user may read; {}: private
  int64_t created_at = 0, updated_at = 0;

  std::vector<std::string> FileIds() const;
  void SetFileIds(const std::vector<std::string>& ids);
  // KnowledgeResponse.
  nlohmann::json ToJson() const;
};

class KnowledgeRepo {
 public:
  explicit KnowledgeRepo(sdk::Host& host) : host_(host) {}
  std::optional<Knowledge> Get(const std::string& id);
  std::vector<Knowledge> List();  // newest change first
  void Insert(const Knowledge& k);
  void Save(Knowledge& k);  // stamps updated_at
  bool Delete(const std::string& id);
  void DeleteAll();

 private:
  sdk::Host& host_;
};

// One request's caller, with its groups fetched once, when first needed.
class Viewer {
 public:
  Viewer(sdk::Host& host, const sdk::Caller& caller);
  const std::string& id() const { return id_; }
  const std::string& role() const { return role_; }
  bool admin() const { return role_ == "admin"; }
  // Owner, admin (with BYPASS_ADMIN_ACCESS_CONTROL) or a grant of `type` ("read" | "write").
  bool Can(const Knowledge& k, const char* type);
  // USER_PERMISSIONS[section][name]; admins always pass.
  bool HasPermission(const char* section, const char* name, bool fallback) const;

 private:
  sdk::Host& host_;
  std::string id_, role_;
  bool bypass_ = true;
  std::optional<std::set<std::string>> groups_;
};

// Who may search or write a collection: `file-<id>` follows the file's access (files.v1), a
// knowledge base's id the knowledge base's, any other name its maker (/process/text) or an admin.
// Unknown names are nobody's: false.
bool CanUseCollection(sdk::Host& host, VectorStore& store, KnowledgeRepo& repo, Viewer& viewer,
                      const std::string& collection, const char* type);

}  // namespace webui::rag
