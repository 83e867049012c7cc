// /api/v1/tasks/* (Open WebUI 0.6.32 routers/tasks.py) and the background tasks of a chat
// completion (utils/middleware.py background_tasks_handler: follow-ups, title, tags). Every task
// runs on the task model (task_model.hpp); the endpoints answer the model's whole completion,
// which the web UI parses itself.
#include <webui_host/sdk/json.hpp>

#include <algorithm>

#include "chat_plugin.hpp"
#include "completion_context.hpp"
#include "task_model.hpp"

namespace webui::chat {

using sdk::Auth;
using sdk::HttpError;
using sdk::Request;
using sdk::Response;

namespace {

enum class Kind { kString, kOptionalString, kBool, kInt };

struct ConfigField {
  const char* name;  // TaskConfigForm's field
  const char* key;   // our setting (0.6.32's PersistentConfig path)
  Kind kind;
};

// TaskConfigForm of 0.6.32, in its order.
constexpr ConfigField kTaskConfig[] = {
    {"TASK_MODEL", "task.model.default", Kind::kOptionalString},
    {"TASK_MODEL_EXTERNAL", "task.model.external", Kind::kOptionalString},
    {"ENABLE_TITLE_GENERATION", "task.title.enable", Kind::kBool},
    {"TITLE_GENERATION_PROMPT_TEMPLATE", "task.title.prompt_template", Kind::kString},
    {"IMAGE_PROMPT_GENERATION_PROMPT_TEMPLATE", "task.image.prompt_template", Kind::kString},
    {"ENABLE_AUTOCOMPLETE_GENERATION", "task.autocomplete.enable", Kind::kBool},
    {"AUTOCOMPLETE_GENERATION_INPUT_MAX_LENGTH", "task.autocomplete.input_max_length", Kind::kInt},
    {"TAGS_GENERATION_PROMPT_TEMPLATE", "task.tags.prompt_template", Kind::kString},
    {"FOLLOW_UP_GENERATION_PROMPT_TEMPLATE", "task.follow_up.prompt_template", Kind::kString},
    {"ENABLE_FOLLOW_UP_GENERATION", "task.follow_up.enable", Kind::kBool},
    {"ENABLE_TAGS_GENERATION", "task.tags.enable", Kind::kBool},
    {"ENABLE_SEARCH_QUERY_GENERATION", "task.query.search.enable", Kind::kBool},
    {"ENABLE_RETRIEVAL_QUERY_GENERATION", "task.query.retrieval.enable", Kind::kBool},
    {"QUERY_GENERATION_PROMPT_TEMPLATE", "task.query.prompt_template", Kind::kString},
    {"TOOLS_FUNCTION_CALLING_PROMPT_TEMPLATE", "task.tools.prompt_template", Kind::kString},
    {"VOICE_MODE_PROMPT_TEMPLATE", "task.voice.prompt_template", Kind::kOptionalString},
};

// A field's value checked the way pydantic's lax mode checks TaskConfigForm: 422 with its
// error type, "true"/1 for a bool and "200"/200.0 for an int accepted and normalised.
json CheckedField(const json& body, const ConfigField& f) {
  auto it = body.find(f.name);
  if (it == body.end()) throw sdk::Unprocessable("missing", f.name, "Field required");
  const json& v = *it;
  switch (f.kind) {
    case Kind::kOptionalString:
      if (v.is_null()) return v;
      [[fallthrough]];
    case Kind::kString:
      if (!v.is_string())
        throw sdk::Unprocessable("string_type", f.name, "Input should be a valid string");
      return v;
    case Kind::kBool: {
      if (v.is_boolean()) return v;
      if (v.is_number_integer() && (v.get<int64_t>() == 0 || v.get<int64_t>() == 1))
        return v.get<int64_t>() == 1;
      const std::string s = v.is_string() ? LowerAscii(v.get<std::string>()) : std::string();
      if (s == "true" || s == "1" || s == "yes" || s == "on") return true;
      if (s == "false" || s == "0" || s == "no" || s == "off") return false;
      throw sdk::Unprocessable("bool_parsing", f.name, "Input should be a valid boolean");
    }
    case Kind::kInt: {
      if (v.is_number_integer()) return v;
      if (v.is_number_float()) {
        const double d = v.get<double>();
        if (d == static_cast<double>(static_cast<int64_t>(d)) && d > -1e15 && d < 1e15)
          return static_cast<int64_t>(d);
      }
      if (v.is_string()) {
        const std::string s = v.get<std::string>();
        std::size_t used = 0;
        try {
          const long long n = std::stoll(s, &used);
          if (used == s.size() && !s.empty()) return static_cast<int64_t>(n);
        } catch (...) {
        }
      }
      throw sdk::Unprocessable("int_parsing", f.name, "Input should be a valid integer");
    }
  }
  return v;
}

// ERROR_MESSAGES.MODEL_NOT_FOUND() as routers/tasks.py calls it (without a name).
constexpr const char* kTaskModelNotFound = "Model '' was not found";
constexpr const char* kInternalError = "An internal error has occurred.";

// ERROR_MESSAGES.FEATURE_DISABLED(name).
std::string FeatureDisabled(const std::string& name) { return name + " is disabled"; }

std::string TaskField(const json& body, const char* key) {
  auto it = body.find(key);
  return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
}

json MessagesOf(const json& body) {
  auto it = body.find("messages");
  return it != body.end() && it->is_array() ? *it : json::array();
}

// 0.6.32 caps a title at the task model's max_tokens (1000 unless its params say otherwise);
// Ollama names the field max_tokens, OpenAI max_completion_tokens.
json TokenLimit(const ResolvedModel& model, const json& fallback) {
  json limit = fallback;
  if (model.info && model.info->params.is_object() && model.info->params.contains("max_tokens") &&
      model.info->params["max_tokens"].is_number())
    limit = model.info->params["max_tokens"];
  const bool ollama = model.model.value("owned_by", "") == "ollama";
  return {{ollama ? "max_tokens" : "max_completion_tokens", limit}};
}

}  // namespace

json ChatPlugin::TaskConfig() const {
  json out = json::object();
  for (const auto& f : kTaskConfig) {
    json v = Setting(f.key, nullptr);
    if (f.kind == Kind::kString && v.is_null()) v = "";
    out[f.name] = v;
  }
  return out;
}

void ChatPlugin::AddTaskRoutes() {
  sdk::Host& h = *host_;

  h.Route("GET", "/api/v1/tasks/config", Auth::kVerified,
          [this](Request&, Response& res) { sdk::Reply(res, TaskConfig()); });
  h.Route("POST", "/api/v1/tasks/config/update", Auth::kAdmin, [this](Request& req, Response& res) {
    const json body = sdk::JsonBody(req);
    if (!body.is_object()) throw sdk::Unprocessable("Input should be a valid dictionary");
    // Every field is checked before any is saved: a bad form changes nothing.
    std::vector<std::pair<const char*, json>> values;
    for (const auto& f : kTaskConfig) values.emplace_back(f.key, CheckedField(body, f));
    for (const auto& [key, value] : values) host_->SetConfig(key, Dump(value));
    sdk::Reply(res, TaskConfig());
  });

  // The chat's model of a task request; 0.6.32 answers 404 for one it does not serve.
  auto chat_model = [this](const json& body, const User& user) -> ResolvedModel {
    const auto it = body.find("model");
    if (it == body.end() || !it->is_string()) throw sdk::NotFound(kTaskModelNotFound);
    try {
      return Resolve(*it, user);
    } catch (const HttpError&) {
      throw sdk::NotFound(kTaskModelNotFound);
    }
  };
  // Runs `prompt` on the task model and answers its completion, or `fail_status` with
  // `fail_detail` ("" = the failure itself, as the endpoints that answer str(e)).
  auto answer = [this](Response& res, const ResolvedModel& task, const std::string& prompt,
                       const json& extra, int fail_status, const char* fail_detail) {
    const TaskModel::Answer a = task_model_->Run(task, prompt, extra);
    if (!a.ok) {
      host_->Warn("task completion failed: " + a.error);
      // The endpoints that answer the failure itself get the upstream's own error text only
      // when it answered one; a transport failure stays generic (docs/security.md T57).
      std::string detail = fail_detail;
      if (detail.empty())
        detail = a.status > 0 && !a.error.empty() ? a.error : "Open WebUI: Server Connection Error";
      throw HttpError(fail_status, detail);
    }
    sdk::Reply(res, a.completion);
  };
  auto context = [](const User& user) {
    PromptContext ctx;
    ctx.user_name = user.name;
    return ctx;
  };

  h.Route("POST", "/api/v1/tasks/title/completions", Auth::kVerified,
          [=, this](Request& req, Response& res) {
            const User user = CurrentUser(req);
            const json body = sdk::JsonBody(req);
            if (!SettingBool("task.title.enable", true)) {
              sdk::Reply(res, json{{"detail", "Title generation is disabled"}});
              return;
            }
            if (TaskField(body, "model").empty())
              throw sdk::BadRequest(
                  "No model specified for title generation. Please ensure a model is selected "
                  "for this chat.");
            const ResolvedModel task = task_model_->Pick(chat_model(body, user), user);
            const json messages = MessagesOf(body);
            const std::string prompt = FillTaskTemplate(
                task_model_->Template("task.title.prompt_template", kDefaultTitleTemplate),
                messages, LastUserText(messages), context(user));
            answer(res, task, prompt, TokenLimit(task, 1000), 400, kInternalError);
          });

  auto messages_task = [=, this](const char* enable, const char* disabled, const char* tmpl_key,
                                 const char* tmpl, int fail_status) {
    return [=, this](Request& req, Response& res) {
      const User user = CurrentUser(req);
      const json body = sdk::JsonBody(req);
      if (!SettingBool(enable, true)) {
        sdk::Reply(res, json{{"detail", disabled}});
        return;
      }
      const ResolvedModel task = task_model_->Pick(chat_model(body, user), user);
      const json messages = MessagesOf(body);
      const std::string prompt = FillTaskTemplate(task_model_->Template(tmpl_key, tmpl), messages,
                                                  LastUserText(messages), context(user));
      answer(res, task, prompt, json::object(), fail_status, kInternalError);
    };
  };
  const auto follow_up =
      messages_task("task.follow_up.enable", "Follow-up generation is disabled",
                    "task.follow_up.prompt_template", kDefaultFollowUpTemplate, 400);
  h.Route("POST", "/api/v1/tasks/follow_up/completions", Auth::kVerified, follow_up);
  // The web UI of 0.6.32 calls this spelling.
  h.Route("POST", "/api/v1/tasks/follow_ups/completions", Auth::kVerified, follow_up);
  h.Route("POST", "/api/v1/tasks/tags/completions", Auth::kVerified,
          messages_task("task.tags.enable", "Tags generation is disabled",
                        "task.tags.prompt_template", kDefaultTagsTemplate, 500));

  h.Route("POST", "/api/v1/tasks/queries/completions", Auth::kVerified,
          [=, this](Request& req, Response& res) {
            const User user = CurrentUser(req);
            const json body = sdk::JsonBody(req);
            const std::string type = TaskField(body, "type");
            if (type == "web_search" && !SettingBool("task.query.search.enable", true))
              throw sdk::BadRequest(FeatureDisabled("Search query generation"));
            if (type == "retrieval" && !SettingBool("task.query.retrieval.enable", true))
              throw sdk::BadRequest(FeatureDisabled("Query generation"));
            const ResolvedModel task = task_model_->Pick(chat_model(body, user), user);
            const json messages = MessagesOf(body);
            const std::string prompt = FillTaskTemplate(
                task_model_->Template("task.query.prompt_template", kDefaultQueryTemplate),
                messages, LastUserText(messages), context(user));
            answer(res, task, prompt, json::object(), 400, "");
          });

  h.Route("POST", "/api/v1/tasks/auto/completions", Auth::kVerified,
          [=, this](Request& req, Response& res) {
            const User user = CurrentUser(req);
            const json body = sdk::JsonBody(req);
            if (!SettingBool("task.autocomplete.enable", false))
              throw sdk::BadRequest(FeatureDisabled("Autocompletion generation"));
            const std::string text = TaskField(body, "prompt");
            const int64_t max_length =
                Setting("task.autocomplete.input_max_length", -1).get<int64_t>();
            if (max_length > 0 && static_cast<int64_t>(text.size()) > max_length)
              throw sdk::BadRequest("Input prompt exceeds maximum length of " +
                                    std::to_string(max_length));
            const ResolvedModel task = task_model_->Pick(chat_model(body, user), user);
            const json messages = MessagesOf(body);
            const std::string prompt =
                FillTaskTemplate(task_model_->Template("task.autocomplete.prompt_template",
                                                       kDefaultAutocompleteTemplate),
                                 messages, text, context(user), TaskField(body, "type"));
            answer(res, task, prompt, json::object(), 500, kInternalError);
          });

  h.Route("POST", "/api/v1/tasks/emoji/completions", Auth::kVerified,
          [=, this](Request& req, Response& res) {
            const User user = CurrentUser(req);
            const json body = sdk::JsonBody(req);
            const ResolvedModel task = task_model_->Pick(chat_model(body, user), user);
            const std::string prompt = FillTaskTemplate(kDefaultEmojiTemplate, json::array(),
                                                        TaskField(body, "prompt"), context(user));
            answer(res, task, prompt, TokenLimit(task, 4), 400, "");
          });
}

// ---- background tasks of a completion ---------------------------------------------------------

void ChatPlugin::RunBackgroundTasks(const BackgroundJob& job, const std::string& answer) {
  const json& tasks = job.background_tasks;
  if (!tasks.is_object()) return;
  // The conversation as the chat now holds it: what was sent (without the system prompt), then
  // the answer.
  json conversation = json::array();
  if (job.messages.is_array())
    for (const auto& m : job.messages)
      if (m.is_object() && m.value("role", "") != "system") conversation.push_back(m);
  conversation.push_back({{"role", "assistant"}, {"content", answer}});
  // Each is optional: a failure is logged and the next one still runs.
  const std::pair<const char*, void (ChatPlugin::*)(const BackgroundJob&, const json&)> steps[] = {
      {"follow-up", &ChatPlugin::GenerateFollowUps},
      {"title", &ChatPlugin::GenerateTitle},
      {"tags", &ChatPlugin::GenerateTags}};
  for (const auto& [name, step] : steps) {
    try {
      (this->*step)(job, conversation);
    } catch (const std::exception& e) {
      host_->Warn(std::string(name) + " generation failed: " + e.what());
    }
  }
}

namespace {
bool TaskWanted(const json& tasks, const char* name) {
  return tasks.is_object() && tasks.contains(name) && tasks[name].is_boolean() &&
         tasks[name].get<bool>();
}
}  // namespace

void ChatPlugin::GenerateFollowUps(const BackgroundJob& job, const json& conversation) {
  if (!TaskWanted(job.background_tasks, "follow_up_generation")) return;
  if (!SettingBool("task.follow_up.enable", true)) return;
  PromptContext ctx;
  ctx.user_name = job.user.name;
  const std::string prompt = FillTaskTemplate(
      task_model_->Template("task.follow_up.prompt_template", kDefaultFollowUpTemplate),
      conversation, LastUserText(conversation), ctx);
  const TaskModel::Answer a = task_model_->Run(task_model_->Pick(job.model, job.user), prompt);
  if (!a.ok) {
    host_->Warn("follow-up generation failed: " + a.error);
    return;
  }
  // 0.6.32 sends nothing when the answer holds no JSON object.
  if (!JsonObjectIn(a.content)) return;
  const json follow_ups = ParseStringList(a.content, "follow_ups");
  Emit(job, {{"type", "chat:message:follow_ups"}, {"data", {{"follow_ups", follow_ups}}}});
  if (!job.local)
    store_->UpsertChatMessage(job.chat_id, job.message_id, {{"followUps", follow_ups}});
}

void ChatPlugin::GenerateTitle(const BackgroundJob& job, const json& conversation) {
  const json& tasks = job.background_tasks;
  if (!tasks.is_object() || !tasks.contains("title_generation")) return;
  std::string first_user;
  for (const auto& m : conversation)
    if (m.value("role", "") == "user") {
      first_user = LastUserText(json::array({m}));
      break;
    }

  std::string title;
  const bool wanted = TaskWanted(tasks, "title_generation");
  if (wanted && SettingBool("task.title.enable", true)) {
    const ResolvedModel task = task_model_->Pick(job.model, job.user);
    PromptContext ctx;
    ctx.user_name = job.user.name;
    const std::string prompt =
        FillTaskTemplate(task_model_->Template("task.title.prompt_template", kDefaultTitleTemplate),
                         conversation, LastUserText(conversation), ctx);
    const TaskModel::Answer a = task_model_->Run(task, prompt, TokenLimit(task, 1000));
    if (a.ok) title = ParseGeneratedTitle(a.content);
    if (title.empty()) title = first_user;
  } else if (!wanted && conversation.size() == 2) {
    title = first_user;  // first exchange without generation: the question is the title
  }
  if (title.empty()) return;
  if (!job.local) store_->SetChatTitle(job.chat_id, title);
  Emit(job, {{"type", "chat:title"}, {"data", title}});
}

void ChatPlugin::GenerateTags(const BackgroundJob& job, const json& conversation) {
  // Temporary chats have no tags (0.6.32 skips title and tags for them).
  if (job.local || !TaskWanted(job.background_tasks, "tags_generation")) return;
  if (!SettingBool("task.tags.enable", true)) return;
  PromptContext ctx;
  ctx.user_name = job.user.name;
  const std::string prompt =
      FillTaskTemplate(task_model_->Template("task.tags.prompt_template", kDefaultTagsTemplate),
                       conversation, LastUserText(conversation), ctx);
  const TaskModel::Answer a = task_model_->Run(task_model_->Pick(job.model, job.user), prompt);
  if (!a.ok) {
    host_->Warn("tags generation failed: " + a.error);
    return;
  }
  if (!JsonObjectIn(a.content)) return;
  const std::vector<std::string> names = ParseStringList(a.content, "tags");
  const json saved = ReplaceChatTags(job.chat_id, job.user, names);
  Emit(job, {{"type", "chat:tags"}, {"data", saved}});
}

json ChatPlugin::ReplaceChatTags(const std::string& chat_id, const User& user,
                                 const std::vector<std::string>& names) {
  auto chat = store_->GetChatOwned(chat_id, user.id);
  if (!chat) return json::array();
  const auto old_tags = MetaTags(chat->meta);
  std::vector<std::string> ids;
  json kept = json::array();
  for (const auto& name : names) {
    const std::string id = TagId(name);
    if (id.empty() || id == "none" || std::find(ids.begin(), ids.end(), id) != ids.end()) continue;
    store_->EnsureTag(user.id, name);
    ids.push_back(id);
    kept.push_back(name);
  }
  chat->meta["tags"] = ids;
  store_->SetChatMeta(chat->id, chat->meta);
  for (const auto& id : old_tags)
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) DropTagIfUnused(user.id, id);
  return kept;
}

}  // namespace webui::chat
