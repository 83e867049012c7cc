#include "task_model.hpp"

#include <webui_host/sdk/json.hpp>

#include "completion_context.hpp"

namespace webui::chat {

std::string TaskModel::Template(const char* key, const char* fallback) const {
  const json v = sdk::Setting<json>(host_, key, "");
  // 0.6.32 treats a blank template as unset.
  if (v.is_string() && v.get<std::string>().find_first_not_of(" \t\r\n") != std::string::npos)
    return v.get<std::string>();
  return fallback;
}

bool TaskModel::Enabled(const char* key, bool fallback) const {
  return sdk::Setting<bool>(host_, key, fallback);
}

ResolvedModel TaskModel::Pick(const ResolvedModel& chat_model, const User& user) const {
  const bool local = chat_model.model.value("owned_by", "") == "ollama";
  const json id =
      sdk::Setting<json>(host_, local ? "task.model.default" : "task.model.external", "");
  if (!id.is_string() || id.get<std::string>().empty()) return chat_model;
  try {
    return resolve_(id.get<std::string>(), user);
  } catch (const std::exception&) {
    // Deleted, hidden from this user or its provider gone: the chat's model does the task.
    return chat_model;
  }
}

TaskModel::Answer TaskModel::Run(const ResolvedModel& model, const std::string& prompt,
                                 const json& extra) const {
  Answer a;
  if (!model.provider) {
    a.error = "no provider serves the task model";
    return a;
  }
  json request = {{"model", model.upstream_id},
                  {"messages", json::array({{{"role", "user"}, {"content", prompt}}})},
                  {"stream", false}};
  if (extra.is_object())
    for (auto it = extra.begin(); it != extra.end(); ++it) request[it.key()] = it.value();
  std::string whole;
  bool too_big = false;
  try {
    const sdk::ServiceResult r = model.provider->Chat(Dump(request), [&](std::string_view piece) {
      if (whole.size() + piece.size() > kMaxAnswerBytes) {
        too_big = true;
        return false;
      }
      whole.append(piece);
      return true;
    });
    if (too_big) {
      a.error = "the task model's answer is too large";
      return a;
    }
    if (!r.ok()) {
      a.status = r.http_status;
      a.error = r.error.empty() ? "the task model failed" : r.error;
      return a;
    }
  } catch (const std::exception& e) {
    a.error = e.what();
    return a;
  }
  auto parsed = sdk::json::Parse(whole);
  if (!parsed || !parsed->is_object()) {
    a.error = "the task model returned an invalid response";
    return a;
  }
  a.ok = true;
  a.completion = std::move(*parsed);
  a.content = CompletionContent(a.completion);
  if (a.content.empty()) {
    // Reasoning models may leave the answer in reasoning_content (0.6.32 reads it too).
    const json& choices = a.completion.value("choices", json::array());
    if (choices.is_array() && !choices.empty() && choices[0].is_object()) {
      const json& msg = choices[0].value("message", json::object());
      if (msg.is_object() && msg.contains("reasoning_content") &&
          msg["reasoning_content"].is_string())
        a.content = msg["reasoning_content"].get<std::string>();
    }
  }
  return a;
}

std::vector<std::string> TaskModel::GenerateQueries(const ResolvedModel& chat_model,
                                                    const User& user, const json& messages,
                                                    QueryKind kind) const {
  try {
    const char* setting =
        kind == QueryKind::kRetrieval ? "task.query.retrieval.enable" : "task.query.search.enable";
    if (!Enabled(setting, true)) return {};
    PromptContext ctx;
    ctx.user_name = user.name;
    const std::string prompt =
        FillTaskTemplate(Template("task.query.prompt_template", kDefaultQueryTemplate), messages,
                         LastUserText(messages), ctx);
    const Answer a = Run(Pick(chat_model, user), prompt);
    if (!a.ok) {
      host_.Warn("query generation failed: " + a.error);
      return {};
    }
    return ParseQueries(a.content);
  } catch (const std::exception& e) {
    host_.Warn(std::string("query generation failed: ") + e.what());
    return {};
  }
}

}  // namespace webui::chat
