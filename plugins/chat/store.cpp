#include "store.hpp"

#include <webui_host/sdk/users.hpp>

#include <algorithm>
#include <functional>

namespace webui::chat {

using sdk::Param;
using sdk::Row;

namespace {

constexpr const char* kChatCols =
    "id, user_id, title, chat, created_at, updated_at, share_id, archived, pinned, meta, "
    "folder_id";
constexpr const char* kFolderCols =
    "id, parent_id, user_id, name, items, meta, data, is_expanded, created_at, updated_at";
constexpr const char* kModelCols =
    "id, user_id, base_model_id, name, params, meta, access_control, is_active, created_at, "
    "updated_at";

// The same DDL serves both dialects. Column types follow Open WebUI's SQLAlchemy models so a
// database it created is used as is (IF NOT EXISTS leaves its tables alone).
constexpr const char* kSchemaV1 = R"SQL(
CREATE TABLE IF NOT EXISTS chat (
  id VARCHAR(255) NOT NULL PRIMARY KEY,
  user_id VARCHAR(255),
  title TEXT,
  chat JSON,
  created_at BIGINT,
  updated_at BIGINT,
  share_id TEXT UNIQUE,
  archived BOOLEAN,
  pinned BOOLEAN,
  meta JSON DEFAULT '{}',
  folder_id TEXT
);
CREATE INDEX IF NOT EXISTS wh_chat_user_updated_idx ON chat (user_id, updated_at);
CREATE INDEX IF NOT EXISTS wh_chat_folder_user_idx ON chat (folder_id, user_id);
CREATE TABLE IF NOT EXISTS tag (
  id VARCHAR(255) NOT NULL,
  name VARCHAR(255),
  user_id VARCHAR(255) NOT NULL,
  meta JSON,
  PRIMARY KEY (id, user_id)
);
CREATE TABLE IF NOT EXISTS folder (
  id TEXT NOT NULL,
  parent_id TEXT,
  user_id TEXT NOT NULL,
  name TEXT,
  items JSON,
  meta JSON,
  data JSON,
  is_expanded BOOLEAN,
  created_at BIGINT,
  updated_at BIGINT,
  PRIMARY KEY (id, user_id)
);
CREATE TABLE IF NOT EXISTS model (
  id TEXT NOT NULL PRIMARY KEY,
  user_id TEXT,
  base_model_id TEXT,
  name TEXT,
  params TEXT,
  meta TEXT,
  access_control JSON,
  is_active BOOLEAN,
  updated_at BIGINT,
  created_at BIGINT
)
)SQL";

std::optional<bool> OptBool(const Row& r, size_t i) {
  if (r.IsNull(i)) return std::nullopt;
  return r.Bool(i);
}

ChatRow ReadChat(const Row& r) {
  ChatRow c;
  c.id = r.Text(0);
  c.user_id = r.Text(1);
  c.title = r.Text(2);
  c.chat = ParseJsonOr(r.Text(3), json::object());
  c.created_at = r.Int(4);
  c.updated_at = r.Int(5);
  c.share_id = r.OptText(6);
  c.archived = !r.IsNull(7) && r.Bool(7);
  c.pinned = OptBool(r, 8);
  c.meta = ParseJsonOr(r.Text(9), json::object());
  c.folder_id = r.OptText(10);
  return c;
}

FolderRow ReadFolder(const Row& r) {
  FolderRow f;
  f.id = r.Text(0);
  f.parent_id = r.OptText(1);
  f.user_id = r.Text(2);
  f.name = r.Text(3);
  f.items = r.IsNull(4) ? json() : ParseJsonOr(r.Text(4), json());
  f.meta = r.IsNull(5) ? json() : ParseJsonOr(r.Text(5), json());
  f.data = r.IsNull(6) ? json() : ParseJsonOr(r.Text(6), json());
  f.is_expanded = !r.IsNull(7) && r.Bool(7);
  f.created_at = r.Int(8);
  f.updated_at = r.Int(9);
  return f;
}

WorkspaceModel ReadModel(const Row& r) {
  WorkspaceModel m;
  m.id = r.Text(0);
  m.user_id = r.Text(1);
  m.base_model_id = r.OptText(2);
  m.name = r.Text(3);
  m.params = ParseJsonOr(r.Text(4), json::object());
  m.meta = ParseJsonOr(r.Text(5), json::object());
  m.access_control = r.IsNull(6) ? json() : NormalizeAccessControl(json(r.Text(6)));
  m.is_active = r.IsNull(7) || r.Bool(7);
  m.created_at = r.Int(8);
  m.updated_at = r.Int(9);
  return m;
}

std::optional<std::string> NullableJson(const json& v) {
  if (v.is_null()) return std::nullopt;
  return Dump(v);
}

}  // namespace

json ChatRow::ToJson() const {
  return json{{"id", id},
              {"user_id", user_id},
              {"title", title},
              {"chat", chat},
              {"updated_at", updated_at},
              {"created_at", created_at},
              {"share_id", share_id ? json(*share_id) : json(nullptr)},
              {"archived", archived},
              {"pinned", pinned ? json(*pinned) : json(false)},
              {"meta", meta.is_object() ? meta : json::object()},
              {"folder_id", folder_id ? json(*folder_id) : json(nullptr)}};
}

json ChatRow::TitleId() const {
  return json{{"id", id}, {"title", title}, {"updated_at", updated_at}, {"created_at", created_at}};
}

json TagRow::ToJson() const {
  return json{{"id", id}, {"name", name}, {"user_id", user_id}, {"meta", meta}};
}

json FolderRow::ToJson() const {
  return json{{"id", id},
              {"parent_id", parent_id ? json(*parent_id) : json(nullptr)},
              {"user_id", user_id},
              {"name", name},
              {"items", items.is_object() ? items : json(nullptr)},
              {"meta", meta.is_object() ? meta : json(nullptr)},
              {"data", data.is_object() ? data : json(nullptr)},
              {"is_expanded", is_expanded},
              {"created_at", created_at},
              {"updated_at", updated_at}};
}

json FolderRow::NameId() const {
  json m = nullptr;
  if (meta.is_object()) m = json{{"icon", meta.contains("icon") ? meta["icon"] : json(nullptr)}};
  return json{{"id", id},
              {"name", name},
              {"meta", m},
              {"parent_id", parent_id ? json(*parent_id) : json(nullptr)},
              {"is_expanded", is_expanded},
              {"created_at", created_at},
              {"updated_at", updated_at}};
}

std::vector<sdk::Migration> Store::Migrations() {
  return {{1, "chat, tag, folder and model tables (Open WebUI schema)", kSchemaV1, ""}};
}

// ---- chats ------------------------------------------------------------------------------------

std::vector<ChatRow> Store::SelectChats(const std::string& where, const std::vector<Param>& params,
                                        const std::string& tail) {
  std::vector<ChatRow> out;
  host_.Exec(std::string("SELECT ") + kChatCols + " FROM chat WHERE " + where + " " + tail, params,
             [&](const Row& r) {
               out.push_back(ReadChat(r));
               return true;
             });
  return out;
}

std::optional<ChatRow> Store::GetChat(const std::string& id) {
  auto rows = SelectChats("id = ?", {id});
  if (rows.empty()) return std::nullopt;
  return rows.front();
}

std::optional<ChatRow> Store::GetChatOwned(const std::string& id, const std::string& user_id) {
  auto rows = SelectChats("id = ? AND user_id = ?", {id, user_id});
  if (rows.empty()) return std::nullopt;
  return rows.front();
}

std::optional<ChatRow> Store::GetSharedChat(const std::string& share_id) {
  auto original = SelectChats("share_id = ?", {share_id});
  if (original.empty()) return std::nullopt;
  return GetChat(share_id);
}

ChatRow Store::InsertChat(const std::string& user_id, const json& chat,
                          const std::optional<std::string>& folder_id, const json& meta,
                          bool pinned, bool archived) {
  ChatRow c;
  c.id = NewUuid();
  c.user_id = user_id;
  c.chat = chat.is_object() ? chat : json::object();
  c.title = ChatTitle(c.chat);
  c.created_at = c.updated_at = NowSeconds();
  c.archived = archived;
  c.pinned = pinned;
  c.meta = meta.is_object() ? meta : json::object();
  c.folder_id = folder_id;
  const std::string doc = Dump(c.chat), meta_text = Dump(c.meta);
  host_.Exec(
      "INSERT INTO chat (id, user_id, title, chat, created_at, updated_at, share_id, archived, "
      "pinned, meta, folder_id) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)",
      {c.id, c.user_id, c.title, doc, c.created_at, c.updated_at, archived ? 1 : 0, pinned ? 1 : 0,
       meta_text, folder_id});
  return c;
}

std::optional<ChatRow> Store::UpdateChatDocument(const std::string& id, const json& chat) {
  const std::string doc = Dump(chat), title = ChatTitle(chat);
  const int64_t now = NowSeconds();
  if (host_.Exec("UPDATE chat SET chat = ?, title = ?, updated_at = ? WHERE id = ?",
                 {doc, title, now, id}) == 0)
    return std::nullopt;
  return GetChat(id);
}

bool Store::UpsertChatMessage(const std::string& chat_id, const std::string& message_id,
                              const json& fields) {
  // Locked read-modify-write: the browser saves the same row while a completion runs.
  auto tx = host_.Begin();
  auto row = tx.QueryOne(host_.IsPostgres() ? "SELECT chat FROM chat WHERE id = ? FOR UPDATE"
                                            : "SELECT chat FROM chat WHERE id = ?",
                         {chat_id});
  if (!row) return false;
  json chat = UpsertMessage(ParseJsonOr(row->Text(0), json::object()), message_id, fields);
  const std::string doc = Dump(chat), title = ChatTitle(chat);
  const int64_t now = NowSeconds();
  tx.Exec("UPDATE chat SET chat = ?, title = ?, updated_at = ? WHERE id = ?",
          {doc, title, now, chat_id});
  tx.Commit();
  return true;
}

bool Store::SetChatTitle(const std::string& chat_id, const std::string& title) {
  auto tx = host_.Begin();
  auto row = tx.QueryOne(host_.IsPostgres() ? "SELECT chat FROM chat WHERE id = ? FOR UPDATE"
                                            : "SELECT chat FROM chat WHERE id = ?",
                         {chat_id});
  if (!row) return false;
  json chat = ParseJsonOr(row->Text(0), json::object());
  chat["title"] = title;
  const std::string doc = Dump(chat);
  const int64_t now = NowSeconds();
  tx.Exec("UPDATE chat SET chat = ?, title = ?, updated_at = ? WHERE id = ?",
          {doc, title, now, chat_id});
  tx.Commit();
  return true;
}

std::vector<ChatRow> Store::ListChats(const std::string& user_id, const ChatFilter& filter,
                                      std::optional<int64_t> limit, int64_t offset,
                                      const std::string& order) {
  std::string where = "user_id = ?";
  std::vector<Param> params{user_id};
  if (filter.archived)
    where +=
        *filter.archived ? " AND archived = TRUE" : " AND (archived IS NULL OR archived = FALSE)";
  if (filter.exclude_pinned) where += " AND (pinned IS NULL OR pinned = FALSE)";
  if (filter.only_pinned) where += " AND pinned = TRUE";
  if (filter.only_root) where += " AND folder_id IS NULL";
  if (filter.folder_id) {
    where += " AND folder_id = ?";
    params.emplace_back(*filter.folder_id);
  }
  std::string tail = "ORDER BY " + order + ", id";
  if (limit) {
    tail += " LIMIT ? OFFSET ?";
    params.emplace_back(static_cast<long long>(*limit));
    params.emplace_back(static_cast<long long>(offset));
  }
  return SelectChats(where, params, tail);
}

std::vector<ChatRow> Store::ListAllChats() {
  return SelectChats("user_id NOT LIKE 'shared-%'", {}, "ORDER BY updated_at DESC");
}

void Store::SetChatFlags(const std::string& id, std::optional<bool> archived,
                         std::optional<bool> pinned, bool clear_folder) {
  const int64_t now = NowSeconds();
  if (archived)
    host_.Exec("UPDATE chat SET archived = ?, updated_at = ? WHERE id = ?",
               {*archived ? 1 : 0, now, id});
  if (pinned)
    host_.Exec("UPDATE chat SET pinned = ?, updated_at = ? WHERE id = ?",
               {*pinned ? 1 : 0, now, id});
  if (clear_folder) host_.Exec("UPDATE chat SET folder_id = NULL WHERE id = ?", {id});
}

void Store::SetChatFolder(const std::string& id, const std::optional<std::string>& folder_id) {
  const int64_t now = NowSeconds();
  host_.Exec("UPDATE chat SET folder_id = ?, pinned = FALSE, updated_at = ? WHERE id = ?",
             {folder_id, now, id});
}

void Store::SetChatMeta(const std::string& id, const json& meta) {
  const std::string text = Dump(meta);
  const int64_t now = NowSeconds();
  host_.Exec("UPDATE chat SET meta = ?, updated_at = ? WHERE id = ?", {text, now, id});
}

void Store::SetChatShareId(const std::string& id, const std::optional<std::string>& share_id) {
  host_.Exec("UPDATE chat SET share_id = ? WHERE id = ?", {share_id, id});
}

void Store::SetAllArchived(const std::string& user_id, bool archived) {
  host_.Exec("UPDATE chat SET archived = ? WHERE user_id = ?", {archived ? 1 : 0, user_id});
}

void Store::DeleteChat(const std::string& id) {
  const std::string shared_owner = "shared-" + id;
  auto tx = host_.Begin();
  tx.Exec("DELETE FROM chat WHERE user_id = ?", {shared_owner});
  tx.Exec("DELETE FROM chat WHERE id = ?", {id});
  tx.Commit();
}

void Store::DeleteAllChats(const std::string& user_id) {
  auto tx = host_.Begin();
  tx.Exec("DELETE FROM chat WHERE user_id IN (SELECT 'shared-' || id FROM chat WHERE user_id = ?)",
          {user_id});
  tx.Exec("DELETE FROM chat WHERE user_id = ?", {user_id});
  tx.Commit();
}

void Store::DeleteChatsInFolders(const std::string& user_id,
                                 const std::vector<std::string>& folder_ids) {
  for (const auto& fid : folder_ids) {
    for (const auto& c : ListChats(user_id, ChatFilter{std::nullopt, false, false, false, fid}))
      DeleteChat(c.id);
  }
}

void Store::DetachChatsFromFolders(const std::string& user_id,
                                   const std::vector<std::string>& folder_ids) {
  for (const auto& fid : folder_ids)
    host_.Exec("UPDATE chat SET folder_id = NULL WHERE user_id = ? AND folder_id = ?",
               {user_id, fid});
}

ChatRow Store::UpsertSharedSnapshot(const ChatRow& original) {
  const std::string owner = "shared-" + original.id;
  const std::string doc = Dump(original.chat), meta = Dump(original.meta);
  const int64_t now = NowSeconds();
  if (original.share_id && GetChat(*original.share_id)) {
    host_.Exec(
        "UPDATE chat SET title = ?, chat = ?, meta = ?, pinned = ?, folder_id = ?, updated_at = ? "
        "WHERE id = ?",
        {original.title, doc, meta, original.pinned.value_or(false) ? 1 : 0, original.folder_id,
         now, *original.share_id});
    return *GetChat(*original.share_id);
  }
  const std::string share_id = NewUuid();
  auto tx = host_.Begin();
  tx.Exec(
      "INSERT INTO chat (id, user_id, title, chat, created_at, updated_at, share_id, archived, "
      "pinned, meta, folder_id) VALUES (?, ?, ?, ?, ?, ?, NULL, FALSE, ?, ?, ?)",
      {share_id, owner, original.title, doc, original.created_at, now,
       original.pinned.value_or(false) ? 1 : 0, meta, original.folder_id});
  tx.Exec("UPDATE chat SET share_id = ? WHERE id = ?", {share_id, original.id});
  tx.Commit();
  return *GetChat(share_id);
}

int64_t Store::CountChatsWithTag(const std::string& user_id, const std::string& tag_id) {
  int64_t n = 0;
  host_.Exec("SELECT meta FROM chat WHERE user_id = ? AND (archived IS NULL OR archived = FALSE)",
             {user_id}, [&](const Row& r) {
               if (MetaHasTags(ParseJsonOr(r.Text(0), json::object()), {tag_id})) ++n;
               return true;
             });
  return n;
}

// ---- tags -------------------------------------------------------------------------------------

namespace {
TagRow ReadTag(const Row& r) {
  return TagRow{r.Text(0), r.Text(1), r.Text(2),
                r.IsNull(3) ? json() : ParseJsonOr(r.Text(3), json())};
}
}  // namespace

std::vector<TagRow> Store::ListTags(const std::string& user_id) {
  std::vector<TagRow> out;
  host_.Exec("SELECT id, name, user_id, meta FROM tag WHERE user_id = ? ORDER BY name", {user_id},
             [&](const Row& r) {
               out.push_back(ReadTag(r));
               return true;
             });
  return out;
}

std::vector<TagRow> Store::TagsByIds(const std::string& user_id,
                                     const std::vector<std::string>& ids) {
  std::vector<TagRow> out;
  for (const auto& t : ListTags(user_id))
    if (std::find(ids.begin(), ids.end(), t.id) != ids.end()) out.push_back(t);
  return out;
}

TagRow Store::EnsureTag(const std::string& user_id, const std::string& name) {
  const std::string id = TagId(name);
  auto row = host_.QueryOne("SELECT id, name, user_id, meta FROM tag WHERE id = ? AND user_id = ?",
                            {id, user_id});
  if (row) return ReadTag(*row);
  try {
    host_.Exec("INSERT INTO tag (id, name, user_id, meta) VALUES (?, ?, ?, NULL)",
               {id, name, user_id});
  } catch (const sdk::Error& e) {
    if (e.status() == WH_UNAVAILABLE) throw;  // an outage is a 503, not "absent"
    // Inserted concurrently by another request: the row is there either way.
  }
  return TagRow{id, name, user_id, json()};
}

void Store::DeleteTag(const std::string& user_id, const std::string& tag_id) {
  host_.Exec("DELETE FROM tag WHERE id = ? AND user_id = ?", {tag_id, user_id});
}

// ---- folders ----------------------------------------------------------------------------------

std::optional<FolderRow> Store::GetFolderOwned(const std::string& id, const std::string& user_id) {
  auto row = host_.QueryOne(
      std::string("SELECT ") + kFolderCols + " FROM folder WHERE id = ? AND user_id = ?",
      {id, user_id});
  if (!row) return std::nullopt;
  return ReadFolder(*row);
}

std::vector<FolderRow> Store::ListFolders(const std::string& user_id) {
  std::vector<FolderRow> out;
  host_.Exec(std::string("SELECT ") + kFolderCols +
                 " FROM folder WHERE user_id = ? ORDER BY created_at, id",
             {user_id}, [&](const Row& r) {
               out.push_back(ReadFolder(r));
               return true;
             });
  return out;
}

bool Store::SiblingNamed(const std::optional<std::string>& parent_id, const std::string& user_id,
                         const std::string& name, const std::string& except_id) {
  const std::string wanted = LowerAscii(name);
  for (const auto& f : ListFolders(user_id)) {
    if (f.parent_id == parent_id && f.id != except_id && LowerAscii(f.name) == wanted) return true;
  }
  return false;
}

FolderRow Store::InsertFolder(const std::string& user_id, const std::string& name,
                              const std::optional<std::string>& parent_id, const json& data,
                              const json& meta) {
  FolderRow f;
  f.id = NewUuid();
  f.user_id = user_id;
  f.name = name;
  f.parent_id = parent_id;
  f.data = data.is_object() ? data : json();
  f.meta = meta.is_object() ? meta : json();
  f.created_at = f.updated_at = NowSeconds();
  const auto data_text = NullableJson(f.data), meta_text = NullableJson(f.meta);
  host_.Exec(
      "INSERT INTO folder (id, parent_id, user_id, name, items, meta, data, is_expanded, "
      "created_at, updated_at) VALUES (?, ?, ?, ?, NULL, ?, ?, FALSE, ?, ?)",
      {f.id, parent_id, user_id, name, meta_text, data_text, f.created_at, f.updated_at});
  return f;
}

void Store::UpdateFolder(const FolderRow& f) {
  const auto data_text = NullableJson(f.data), meta_text = NullableJson(f.meta);
  const int64_t now = NowSeconds();
  host_.Exec(
      "UPDATE folder SET name = ?, parent_id = ?, data = ?, meta = ?, is_expanded = ?, "
      "updated_at = ? WHERE id = ? AND user_id = ?",
      {f.name, f.parent_id, data_text, meta_text, f.is_expanded ? 1 : 0, now, f.id, f.user_id});
}

std::vector<std::string> Store::FolderSubtree(const std::string& id, const std::string& user_id) {
  const auto all = ListFolders(user_id);
  std::vector<std::string> out{id};
  for (size_t i = 0; i < out.size(); ++i) {
    for (const auto& f : all)
      if (f.parent_id == out[i] && std::find(out.begin(), out.end(), f.id) == out.end())
        out.push_back(f.id);
  }
  return out;
}

void Store::DeleteFolders(const std::string& user_id, const std::vector<std::string>& ids) {
  for (const auto& id : ids)
    host_.Exec("DELETE FROM folder WHERE id = ? AND user_id = ?", {id, user_id});
}

// ---- models -----------------------------------------------------------------------------------

std::optional<WorkspaceModel> Store::GetModel(const std::string& id) {
  auto row = host_.QueryOne(std::string("SELECT ") + kModelCols + " FROM model WHERE id = ?", {id});
  if (!row) return std::nullopt;
  return ReadModel(*row);
}

namespace {
// Changed by every instance's model writes when the KV store is shared.
constexpr std::string_view kModelsStampKey = "chat:models:stamp";
// A backstop: a stamp write lost to a Redis outage delays other instances by this much at most.
constexpr std::chrono::seconds kModelsMaxAge{30};
}  // namespace

std::shared_ptr<const std::vector<WorkspaceModel>> Store::ModelRows() {
  // Read before the table, so a write elsewhere that lands after our read changes it again.
  const std::string stamp =
      host_.KvShared() ? host_.KvGet(kModelsStampKey).value_or(std::string()) : std::string();
  uint64_t generation;
  {
    std::lock_guard lock(models_mu_);
    if (models_ && models_stamp_ == stamp &&
        std::chrono::steady_clock::now() - models_loaded_at_ < kModelsMaxAge)
      return models_;
    generation = models_generation_;
  }
  const auto loaded_at = std::chrono::steady_clock::now();
  auto rows = std::make_shared<std::vector<WorkspaceModel>>();
  host_.Exec(std::string("SELECT ") + kModelCols + " FROM model ORDER BY created_at, id", {},
             [&](const Row& r) {
               rows->push_back(ReadModel(r));
               return true;
             });
  std::lock_guard lock(models_mu_);
  // A local write during the read may not be in `rows`: keep them for this caller only.
  if (generation == models_generation_) {
    models_ = rows;
    models_stamp_ = stamp;
    models_loaded_at_ = loaded_at;
  }
  return rows;
}

void Store::ModelsChanged() {
  {
    std::lock_guard lock(models_mu_);
    ++models_generation_;
    models_.reset();
  }
  if (host_.KvShared()) host_.KvSet(kModelsStampKey, NewUuid());
}

void Store::InsertModel(const WorkspaceModel& m) {
  const std::string params = Dump(m.params), meta = Dump(NormalizeModelMeta(m.meta));
  const auto access = NullableJson(m.access_control);
  host_.Exec(
      "INSERT INTO model (id, user_id, base_model_id, name, params, meta, access_control, "
      "is_active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {m.id, m.user_id, m.base_model_id, m.name, params, meta, access, m.is_active ? 1 : 0,
       m.created_at, m.updated_at});
  ModelsChanged();
}

void Store::UpdateModel(const WorkspaceModel& m) {
  const std::string params = Dump(m.params), meta = Dump(NormalizeModelMeta(m.meta));
  const auto access = NullableJson(m.access_control);
  host_.Exec(
      "UPDATE model SET base_model_id = ?, name = ?, params = ?, meta = ?, access_control = ?, "
      "is_active = ?, updated_at = ? WHERE id = ?",
      {m.base_model_id, m.name, params, meta, access, m.is_active ? 1 : 0, m.updated_at, m.id});
  ModelsChanged();
}

void Store::DeleteModel(const std::string& id) {
  host_.Exec("DELETE FROM model WHERE id = ?", {id});
  ModelsChanged();
}

void Store::DeleteAllModels() {
  host_.Exec("DELETE FROM model");
  ModelsChanged();
}

// ---- other features' tables -------------------------------------------------------------------

bool Store::TableExists(const std::string& table) {
  {
    std::lock_guard lock(tables_mu_);
    if (tables_seen_.count(table)) return true;
  }
  const bool exists =
      host_.IsPostgres()
          ? host_
                .QueryOne(
                    "SELECT 1 FROM information_schema.tables WHERE table_schema = "
                    "current_schema() AND CAST(table_name AS TEXT) = CAST(? AS TEXT)",
                    {table})
                .has_value()
          : host_.QueryOne("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", {table})
                .has_value();
  if (exists) {
    std::lock_guard lock(tables_mu_);
    tables_seen_.insert(table);
  }
  return exists;
}

// Groups and users belong to the auth plugin: asked through groups.v1 / users.v1, never SQL on
// its tables. Without a provider (a deployment without auth) there are no group grants and no
// owners to show; an outage is a 503, not "absent".
std::set<std::string> Store::GroupIdsOf(const std::string& user_id) {
  std::set<std::string> out;
  try {
    for (const auto& id : sdk::Groups(host_).GroupsOf(user_id))
      if (id.is_string()) out.insert(id.get<std::string>());
  } catch (const sdk::Error& e) {
    if (e.status() != WH_NOT_FOUND) throw;
  }
  return out;
}

json Store::UsersByIds(const std::set<std::string>& ids) {
  json out = json::object();
  if (ids.empty()) return out;
  try {
    const sdk::Users users(host_);
    for (const auto& id : ids) {
      auto u = users.Get(id);
      if (!u || !u->is_object()) continue;
      json brief = json::object();
      for (const char* key : {"id", "name", "email", "role", "profile_image_url"})
        brief[key] = u->value(key, json());
      out[id] = std::move(brief);
    }
  } catch (const sdk::Error& e) {
    if (e.status() != WH_NOT_FOUND) throw;
  }
  return out;
}

std::optional<std::string> Store::OwnerOf(const std::string& table, const std::string& id) {
  try {
    if (!TableExists(table)) return std::nullopt;
    auto r = host_.QueryOne("SELECT user_id FROM " + table + " WHERE id = ?", {id});
    if (r) return r->Text(0);
  } catch (const sdk::Error& e) {
    if (e.status() == WH_UNAVAILABLE) throw;  // an outage is a 503, not "absent"
  }
  return std::nullopt;
}

}  // namespace webui::chat
