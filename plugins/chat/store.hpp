// Storage of the chat plugin in Open WebUI's own tables (chat, tag, folder, model), so a database
// made by Python Open WebUI keeps working. Same SQL text on SQLite and PostgreSQL except where
// noted; JSON columns are read as text and filtered in C++ (no dialect-specific JSON operators).
#pragma once

#include <webui_host/sdk.hpp>

#include <chrono>
#include <cstdint>

#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "chat_logic.hpp"

namespace webui::chat {

struct ChatRow {
  std::string id;
  std::string user_id;
  std::string title;
  json chat = json::object();
  int64_t created_at = 0;
  int64_t updated_at = 0;
  std::optional<std::string> share_id;
  bool archived = false;
  std::optional<bool> pinned;
  json meta = json::object();
  std::optional<std::string> folder_id;

  json ToJson() const;   // ChatResponse
  json TitleId() const;  // ChatTitleIdResponse
};

struct TagRow {
  std::string id;
  std::string name;
  std::string user_id;
  json meta;
  json ToJson() const;
};

struct FolderRow {
  std::string id;
  std::optional<std::string> parent_id;
  std::string user_id;
  std::string name;
  json items;
  json meta;
  json data;
  bool is_expanded = false;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  json ToJson() const;  // FolderModel
  json NameId() const;  // FolderNameIdResponse
};

// Which chats of a user a list returns.
struct ChatFilter {
  std::optional<bool> archived = false;  // nullopt = both
  bool exclude_pinned = false;           // pinned chats live in their own list
  bool only_pinned = false;
  bool only_root = false;                // folder_id IS NULL
  std::optional<std::string> folder_id;  // only this folder
};

class Store {
 public:
  explicit Store(sdk::Host& host) : host_(host) {}
  static std::vector<sdk::Migration> Migrations();

  // -- chats --
  std::optional<ChatRow> GetChat(const std::string& id);
  std::optional<ChatRow> GetChatOwned(const std::string& id, const std::string& user_id);
  // The shared snapshot whose id is `share_id`, only while its original is still shared.
  std::optional<ChatRow> GetSharedChat(const std::string& share_id);
  ChatRow InsertChat(const std::string& user_id, const json& chat,
                     const std::optional<std::string>& folder_id, const json& meta = json::object(),
                     bool pinned = false, bool archived = false);
  // Replaces the chat document (title follows it); nullopt when the chat is gone.
  std::optional<ChatRow> UpdateChatDocument(const std::string& id, const json& chat);
  // history.messages[message_id] = {**old, **fields} in one transaction; false when missing.
  bool UpsertChatMessage(const std::string& chat_id, const std::string& message_id,
                         const json& fields);
  bool SetChatTitle(const std::string& chat_id, const std::string& title);
  std::vector<ChatRow> ListChats(const std::string& user_id, const ChatFilter& filter,
                                 std::optional<int64_t> limit = std::nullopt, int64_t offset = 0,
                                 const std::string& order = "updated_at DESC");
  std::vector<ChatRow> ListAllChats();  // every user's (admin export)
  void SetChatFlags(const std::string& id, std::optional<bool> archived, std::optional<bool> pinned,
                    bool clear_folder);
  void SetChatFolder(const std::string& id, const std::optional<std::string>& folder_id);
  void SetChatMeta(const std::string& id, const json& meta);
  void SetChatShareId(const std::string& id, const std::optional<std::string>& share_id);
  void SetAllArchived(const std::string& user_id, bool archived);
  // Deletes the chat and its shared snapshot.
  void DeleteChat(const std::string& id);
  void DeleteAllChats(const std::string& user_id);
  void DeleteChatsInFolders(const std::string& user_id, const std::vector<std::string>& folder_ids);
  void DetachChatsFromFolders(const std::string& user_id,
                              const std::vector<std::string>& folder_ids);
  // Shared snapshot row (id = share id, user_id "shared-<chat id>"), created or refreshed.
  ChatRow UpsertSharedSnapshot(const ChatRow& original);
  int64_t CountChatsWithTag(const std::string& user_id, const std::string& tag_id);

  // -- tags --
  std::vector<TagRow> ListTags(const std::string& user_id);
  std::vector<TagRow> TagsByIds(const std::string& user_id, const std::vector<std::string>& ids);
  TagRow EnsureTag(const std::string& user_id, const std::string& name);
  void DeleteTag(const std::string& user_id, const std::string& tag_id);

  // -- folders --
  std::optional<FolderRow> GetFolderOwned(const std::string& id, const std::string& user_id);
  std::vector<FolderRow> ListFolders(const std::string& user_id);
  bool SiblingNamed(const std::optional<std::string>& parent_id, const std::string& user_id,
                    const std::string& name, const std::string& except_id = {});
  FolderRow InsertFolder(const std::string& user_id, const std::string& name,
                         const std::optional<std::string>& parent_id, const json& data,
                         const json& meta);
  void UpdateFolder(const FolderRow& folder);  // name, parent_id, data, meta, is_expanded
  // `id` and every folder below it.
  std::vector<std::string> FolderSubtree(const std::string& id, const std::string& user_id);
  void DeleteFolders(const std::string& user_id, const std::vector<std::string>& ids);

  // -- models --
  std::optional<WorkspaceModel> GetModel(const std::string& id);
  // Every model row, oldest first. Cached: /api/models reads the table on every call and it
  // changes only through the writes below. A write drops this instance's copy and, when the KV
  // store is shared (Redis), changes a stamp that every instance compares before using its own.
  std::shared_ptr<const std::vector<WorkspaceModel>> ModelRows();
  std::vector<WorkspaceModel> ListModels() { return *ModelRows(); }
  void InsertModel(const WorkspaceModel& m);
  void UpdateModel(const WorkspaceModel& m);  // everything but id, user_id, created_at
  void DeleteModel(const std::string& id);
  void DeleteAllModels();

  // -- tables owned by other features (read only, when they exist) --
  // Whether another plugin created `table`. A table once seen is remembered: tables are created
  // by migrations and never dropped, and this sits on per-request paths (/api/models).
  bool TableExists(const std::string& table);
  std::set<std::string> GroupIdsOf(const std::string& user_id);
  // {id: UserResponse} of those users that exist in the `user` table.
  json UsersByIds(const std::set<std::string>& ids);
  // The owner of a row of `table` (file, knowledge), nullopt when absent.
  std::optional<std::string> OwnerOf(const std::string& table, const std::string& id);

  sdk::Host& host() { return host_; }

 private:
  std::vector<ChatRow> SelectChats(const std::string& where, const std::vector<sdk::Param>& params,
                                   const std::string& tail = "");
  void ModelsChanged();  // after every write to the model table

  sdk::Host& host_;
  std::mutex models_mu_;
  std::shared_ptr<const std::vector<WorkspaceModel>> models_;  // null: not loaded
  std::string models_stamp_;  // the shared stamp models_ was loaded under
  std::chrono::steady_clock::time_point models_loaded_at_;
  uint64_t models_generation_ = 0;  // bumped by every local write
  std::mutex tables_mu_;
  std::set<std::string> tables_seen_;
};

}  // namespace webui::chat
