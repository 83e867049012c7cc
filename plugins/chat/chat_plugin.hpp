// The "chat" plugin: models (/api/models, /api/v1/models), chat completions (SSE, JSON and
// background tasks with Socket.IO events), chats, tags, folders and the list endpoints the web UI
// calls on boot. Route groups live in routes_*.cpp; this class holds what they share.
#pragma once

#include <webui_host/sdk.hpp>
#include <webui_host/sdk/json.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "chat_logic.hpp"

#include "model_catalog.hpp"
#include "store.hpp"
#include "task_board.hpp"
#include "tasks.hpp"

namespace webui::chat {

class TaskModel;

struct User {
  std::string id;
  std::string role;
  std::string name;
  std::string email;
  bool IsAdmin() const { return role == "admin"; }
};

// A model request resolved to what runs it.
struct ResolvedModel {
  json model;                          // the /api/models item
  std::optional<WorkspaceModel> info;  // its row in `model`, if any
  std::string upstream_id;             // the provider's model id (base model of a custom one)
  std::optional<sdk::ModelProvider> provider;
};

class ChatPlugin : public sdk::Plugin {
 public:
  ChatPlugin();
  ~ChatPlugin() override;
  void Init(sdk::Host& host) override;
  void Shutdown() override;

 private:
  // -- settings (chat_plugin.cpp) --
  void DeclareSettings();
  void Declare(const char* key, const char* env, const char* default_json, bool persistent);
  json Setting(const std::string& key, json fallback) const;
  bool SettingBool(const std::string& key, bool fallback) const;
  // USER_PERMISSIONS (declared by the users feature) with Open WebUI's defaults when absent.
  bool HasPermission(const User& user, const std::string& dotted, bool fallback) const;
  static User CurrentUser(const sdk::Request& req);
  static std::optional<int64_t> IntQuery(const sdk::Request& req, const char* name);

  // -- route groups --
  void AddBootRoutes();        // chat_plugin.cpp
  void AddChatRoutes();        // routes_chats.cpp
  void AddFolderRoutes();      // routes_folders.cpp
  void AddModelRoutes();       // routes_models.cpp
  void AddCompletionRoutes();  // routes_completion.cpp
  void AddTaskRoutes();        // routes_tasks.cpp: /api/v1/tasks/*
  void OnAuthChanged(std::string_view user_id);

  // -- chats (routes_chats.cpp) --
  ChatRow OwnedChat(const std::string& id, const User& user);  // 404 otherwise
  json TagsOfChat(const ChatRow& chat, const User& user);
  void DropTagIfUnused(const std::string& user_id, const std::string& tag_id);
  std::optional<std::string> CheckedFolder(const json& folder_id, const User& user);

  // -- models (routes_models.cpp) --
  std::vector<json> AllModels(bool refresh);
  std::vector<json> VisibleModels(const User& user, bool refresh);
  bool CanRead(const User& user, const WorkspaceModel& m);
  bool CanWrite(const User& user, const WorkspaceModel& m);
  ResolvedModel Resolve(const json& model_id, const User& user);

  // -- completions (routes_completion.cpp) --
  void HandleCompletion(sdk::Request& req, sdk::Response& res);
  void StreamDirect(const ResolvedModel& rm, const json& payload, const json& sources,
                    sdk::Response& res);
  // Context from the completion's files and the model's knowledge through retrieval.v1
  // (completion_retrieval.cpp): injected into payload.messages; returns the citable sources.
  // The queries come from the task model (ENABLE_RETRIEVAL_QUERY_GENERATION), announced
  // through `emit` as a "queries_generated" status; else the last user message. `web_items`:
  // the items of this completion's web search, searched after the body's files.
  json RetrieveContext(const User& user, const json& body, const ResolvedModel& rm, json& payload,
                       const json& web_items, const std::function<void(const json&)>& emit);
  // With features.web_search: the web searched through web_search.v1
  // (completion_web_search.cpp), status events through `emit`; returns the "web_search" items
  // for retrieval ([] when off, not permitted, or failed).
  json SearchWeb(const User& user, const json& body, const ResolvedModel& rm, const json& payload,
                 const std::function<void(const json&)>& emit);
  // What a web search searches for: the task model's queries (ENABLE_SEARCH_QUERY_GENERATION),
  // else the last user message.
  std::vector<std::string> WebSearchQueries(const User& user, const ResolvedModel& rm,
                                            const json& payload);
  // With features.image_generation: an image of the last user message through
  // image_generation.v1 (completion_images.cpp), status/files events through `emit`, the
  // outcome told to the model in a system context line. Returns the image files ([] if none).
  json GenerateImage(const User& user, const json& body, json& payload,
                     const std::function<void(const json&)>& emit);
  struct BackgroundJob {
    User user;
    std::string chat_id;
    std::string message_id;
    std::string session_id;
    std::string model_id;  // as the browser named it
    ResolvedModel model;
    json payload;           // the upstream request
    json messages;          // the conversation as sent (title generation)
    json background_tasks;  // {"title_generation": bool, ...}
    json sources;           // retrieved for this completion (sent first, kept on the message)
    bool local = false;     // "local:" temporary chat: nothing is stored
  };
  struct BackgroundProgress;
  // Whether a completion has work before the model (0.6.32's process_chat_payload): an image,
  // a web search, files or the model's knowledge to retrieve from.
  static bool HasWorkBeforeModel(const json& body, const ResolvedModel& rm);
  // That work: the image (events through Emit when `emit`), then retrieval into `payload`.
  // Returns the citable sources.
  json PrepareCompletion(const BackgroundJob& job, const json& body, const ResolvedModel& rm,
                         json& payload, bool emit);
  // A background completion on a task runner thread (a provider without chat_completion_async).
  void RunBackground(Task& task, const BackgroundJob& job);
  // A background completion read on the host's relay; `task` is tracked by tasks_.
  void StreamBackground(std::shared_ptr<Task> task, BackgroundJob job);
  // Saves and announces the result, then the title (blocking: never on a relay thread).
  void FinishBackground(BackgroundProgress& progress, const sdk::ServiceResult& call);
  void Emit(const BackgroundJob& job, const json& event);
  void EmitSources(const BackgroundJob& job);
  void OnKnowledgeDeleted(std::string_view id);
  // After a background answer (routes_tasks.cpp), as 0.6.32's background_tasks_handler:
  // follow-ups, title, tags; each optional, none ever fails the completion.
  void RunBackgroundTasks(const BackgroundJob& job, const std::string& answer);
  void GenerateFollowUps(const BackgroundJob& job, const json& conversation);
  void GenerateTitle(const BackgroundJob& job, const json& conversation);
  void GenerateTags(const BackgroundJob& job, const json& conversation);
  // Replaces a chat's tags with `names` as 0.6.32's update_chat_tags_by_id.
  json ReplaceChatTags(const std::string& chat_id, const User& user,
                       const std::vector<std::string>& names);
  json TaskConfig() const;

  // This plugin's part of GET /api/config.
  json ConfigContribution(const sdk::Request& req) const;

  sdk::Host* host_ = nullptr;
  std::unique_ptr<Store> store_;
  std::unique_ptr<ModelCatalog> catalog_;
  std::unique_ptr<KvTaskBoard> task_board_;  // outlives tasks_ (declared first)
  std::unique_ptr<TaskRegistry> tasks_;
  std::unique_ptr<TaskModel> task_model_;
};

}  // namespace webui::chat
