#include "chat_plugin.hpp"

#include <webui_host/services/retrieval.h>
#include <webui_host/sdk/json.hpp>
#include <webui_host/sdk/users.hpp>

#include <chrono>

#include "task_model.hpp"

namespace webui::chat {

using sdk::Auth;
using sdk::Request;
using sdk::Response;

ChatPlugin::ChatPlugin() = default;
ChatPlugin::~ChatPlugin() = default;

void ChatPlugin::Init(sdk::Host& host) {
  host_ = &host;
  store_ = std::make_unique<Store>(host);
  host.Migrate(Store::Migrations());
  DeclareSettings();
  catalog_ = std::make_unique<ModelCatalog>(host, [this] {
    return std::chrono::milliseconds(
        static_cast<int64_t>(Setting("models.cache_ttl", 1).get<double>() * 1000));
  });
  // Tasks are listed and stopped across instances through the shared key-value store.
  task_board_ = std::make_unique<KvTaskBoard>(host);
  tasks_ = std::make_unique<TaskRegistry>(task_board_.get());
  task_model_ = std::make_unique<TaskModel>(
      host, [this](const std::string& id, const User& user) { return Resolve(id, user); });

  AddBootRoutes();
  AddChatRoutes();
  AddFolderRoutes();
  AddModelRoutes();
  AddCompletionRoutes();
  AddTaskRoutes();
  sdk::OfferApiConfigJson(host, [this](Request& req) { return ConfigContribution(req); });
  host.Subscribe(WH_CHANNEL_AUTH_CHANGED,
                 [this](std::string_view, std::string_view user_id) { OnAuthChanged(user_id); });
  host.Subscribe(WH_CHANNEL_KNOWLEDGE_DELETED,
                 [this](std::string_view, std::string_view id) { OnKnowledgeDeleted(id); });
  catalog_->Start();
}

// Open WebUI deletes a user's chats with the user. Accounts belong to the auth plugin, which
// announces every change to one (sign-out, role, deletion) on this channel: a user that
// users.v1 no longer knows was deleted, whoever deleted them (an admin, scim, the CLI).
void ChatPlugin::OnAuthChanged(std::string_view user_id) {
  if (user_id.empty() || host_->Services(WH_SERVICE_USERS_V1).empty()) return;
  try {
    if (sdk::Users(*host_).Get(user_id)) return;  // still there: a sign-out, a role change...
    store_->DeleteAllChats(std::string(user_id));
    host_->Info("deleted the chats of removed user " + std::string(user_id));
  } catch (const std::exception& e) {
    // No users.v1 (a deployment without auth) or an outage: keep everything.
    host_->Warn(std::string("could not check a changed user: ") + e.what());
  }
}

// A deleted knowledge base leaves the models that listed it (Open WebUI's delete_knowledge_by_id
// rewrites every such model's meta.knowledge).
void ChatPlugin::OnKnowledgeDeleted(std::string_view id) {
  if (id.empty()) return;
  try {
    for (WorkspaceModel m : store_->ListModels()) {
      if (!m.meta.is_object() || !m.meta.contains("knowledge") || !m.meta["knowledge"].is_array())
        continue;
      json kept = json::array();
      for (const auto& k : m.meta["knowledge"])
        if (!k.is_object() || k.value("id", json()) != json(id)) kept.push_back(k);
      if (kept.size() == m.meta["knowledge"].size()) continue;
      m.meta["knowledge"] = std::move(kept);
      store_->UpdateModel(m);
    }
  } catch (const std::exception& e) {
    // Retrieval skips a knowledge base that is gone: a dangling entry costs nothing.
    host_->Warn(std::string("could not drop a deleted knowledge base from models: ") + e.what());
  }
}

void ChatPlugin::Shutdown() {
  // Background completions first: they call providers and the database.
  if (tasks_) tasks_->Shutdown();
  if (catalog_) catalog_->Stop();
}

// ---- settings ---------------------------------------------------------------------------------

void ChatPlugin::Declare(const char* key, const char* env, const char* default_json,
                         bool persistent) {
  try {
    host_->DeclareConfig(key, env, default_json, persistent);
  } catch (const sdk::Error& e) {
    // Another plugin owns this key (first owner wins): read its value instead.
    if (e.status() != WH_CONFLICT) throw;
    host_->Info(std::string("setting ") + key + " is owned by another plugin; using its value");
  }
}

void ChatPlugin::DeclareSettings() {
  // Persistent settings keep Open WebUI's PersistentConfig paths; env-only ones (no path
  // upstream) live under "models." / "chat." and are not persisted.
  Declare("ui.default_models", "DEFAULT_MODELS", "\"\"", true);
  Declare("ui.model_order_list", "MODEL_ORDER_LIST", "[]", true);
  Declare("ui.banners", "WEBUI_BANNERS", "[]", true);
  Declare("task.model.default", "TASK_MODEL", "\"\"", true);
  Declare("task.model.external", "TASK_MODEL_EXTERNAL", "\"\"", true);
  // The task model's settings (GET/POST /api/v1/tasks/config), with 0.6.32's paths and defaults.
  Declare("task.title.enable", "ENABLE_TITLE_GENERATION", "true", true);
  Declare("task.title.prompt_template", "TITLE_GENERATION_PROMPT_TEMPLATE", "\"\"", true);
  Declare("task.image.prompt_template", "IMAGE_PROMPT_GENERATION_PROMPT_TEMPLATE", "\"\"", true);
  Declare("task.autocomplete.enable", "ENABLE_AUTOCOMPLETE_GENERATION", "false", true);
  Declare("task.autocomplete.input_max_length", "AUTOCOMPLETE_GENERATION_INPUT_MAX_LENGTH", "-1",
          true);
  Declare("task.autocomplete.prompt_template", "AUTOCOMPLETE_GENERATION_PROMPT_TEMPLATE", "\"\"",
          true);
  Declare("task.tags.enable", "ENABLE_TAGS_GENERATION", "true", true);
  Declare("task.tags.prompt_template", "TAGS_GENERATION_PROMPT_TEMPLATE", "\"\"", true);
  Declare("task.follow_up.enable", "ENABLE_FOLLOW_UP_GENERATION", "true", true);
  Declare("task.follow_up.prompt_template", "FOLLOW_UP_GENERATION_PROMPT_TEMPLATE", "\"\"", true);
  Declare("task.query.search.enable", "ENABLE_SEARCH_QUERY_GENERATION", "true", true);
  Declare("task.query.retrieval.enable", "ENABLE_RETRIEVAL_QUERY_GENERATION", "true", true);
  Declare("task.query.prompt_template", "QUERY_GENERATION_PROMPT_TEMPLATE", "\"\"", true);
  Declare("task.tools.prompt_template", "TOOLS_FUNCTION_CALLING_PROMPT_TEMPLATE", "\"\"", true);
  Declare("task.voice.prompt_template", "VOICE_MODE_PROMPT_TEMPLATE", "\"\"", true);
  Declare("models.bypass_access_control", "BYPASS_MODEL_ACCESS_CONTROL", "false", false);
  Declare("models.bypass_admin_access_control", "BYPASS_ADMIN_ACCESS_CONTROL", "true", false);
  Declare("models.cache_ttl", "MODELS_CACHE_TTL", "1.0", false);
  Declare("chat.enable_admin_chat_access", "ENABLE_ADMIN_CHAT_ACCESS", "true", false);
}

json ChatPlugin::Setting(const std::string& key, json fallback) const {
  return sdk::Setting<json>(*host_, key, std::move(fallback));
}

bool ChatPlugin::SettingBool(const std::string& key, bool fallback) const {
  return sdk::Setting<bool>(*host_, key, fallback);
}

bool ChatPlugin::HasPermission(const User& user, const std::string& dotted, bool fallback) const {
  if (user.IsAdmin()) return true;
  json perms = Setting("user.permissions", json::object());
  const json* node = &perms;
  size_t start = 0;
  while (start <= dotted.size()) {
    const size_t dot = dotted.find('.', start);
    const std::string part = dotted.substr(start, dot == std::string::npos ? dot : dot - start);
    if (!node->is_object() || !node->contains(part)) return fallback;
    node = &(*node)[part];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return node->is_boolean() ? node->get<bool>() : fallback;
}

User ChatPlugin::CurrentUser(const Request& req) {
  auto c = req.RequireCaller();
  return User{std::string(c.id), std::string(c.role), std::string(c.name), std::string(c.email)};
}

std::optional<int64_t> ChatPlugin::IntQuery(const Request& req, const char* name) {
  auto v = req.Query(name);
  if (!v || v->empty()) return std::nullopt;
  try {
    size_t used = 0;
    const std::string s(*v);
    int64_t n = std::stoll(s, &used);
    if (used == s.size()) return n;
  } catch (...) {
  }
  throw sdk::Unprocessable(std::string(name) + " must be an integer");
}

// ---- boot endpoints ---------------------------------------------------------------------------

namespace {}  // namespace

void ChatPlugin::AddBootRoutes() {
  sdk::Host& host = *host_;

  host.Route("GET", "/api/v1/configs/banners", Auth::kVerified, [this](Request&, Response& res) {
    sdk::Reply(res, Setting("ui.banners", json::array()));
  });
  host.Route("POST", "/api/v1/configs/banners", Auth::kAdmin, [this](Request& req, Response& res) {
    json body = sdk::JsonBody(req);
    if (!body.contains("banners") || !body["banners"].is_array())
      throw sdk::Unprocessable("banners must be a list");
    host_->SetConfig("ui.banners", Dump(body["banners"]));
    sdk::Reply(res, body["banners"]);
  });
  auto models_config = [this] {
    return json{{"DEFAULT_MODELS", Setting("ui.default_models", "")},
                {"MODEL_ORDER_LIST", Setting("ui.model_order_list", json::array())}};
  };
  host.Route("GET", "/api/v1/configs/models", Auth::kAdmin,
             [models_config](Request&, Response& res) { sdk::Reply(res, models_config()); });
  host.Route("POST", "/api/v1/configs/models", Auth::kAdmin,
             [this, models_config](Request& req, Response& res) {
               json body = sdk::JsonBody(req);
               if (body.contains("DEFAULT_MODELS")) {
                 json v = body["DEFAULT_MODELS"];
                 host_->SetConfig("ui.default_models", Dump(v.is_null() ? json("") : v));
               }
               if (body.contains("MODEL_ORDER_LIST")) {
                 json v = body["MODEL_ORDER_LIST"];
                 host_->SetConfig("ui.model_order_list", Dump(v.is_array() ? v : json::array()));
               }
               sdk::Reply(res, models_config());
             });
}

json ChatPlugin::ConfigContribution(const Request& req) const {
  json out = json::object();
  // /api/config shows default_models to signed-in users only, as upstream.
  if (const auto caller = req.GetCaller();
      caller && (caller->role == "user" || caller->IsAdmin())) {
    json dm = Setting("ui.default_models", "");
    out["default_models"] = dm.is_null() ? json("") : dm;
    // The chat input asks /api/v1/tasks/auto/completions only when this is on.
    out["features"] = {
        {"enable_autocomplete_generation", SettingBool("task.autocomplete.enable", false)}};
  }
  return out;
}

}  // namespace webui::chat

WEBUI_HOST_PLUGIN(webui::chat::ChatPlugin, "chat", "0.1.0",
                  "Models, chat completions (SSE and background tasks), chats, tags and folders")
