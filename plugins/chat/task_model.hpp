// The task model of the chat plugin: the model that writes titles, tags, follow-up questions
// and search queries (Open WebUI 0.6.32 utils/task.py get_task_model_id and the
// generate_chat_completion calls of routers/tasks.py). One place picks the model and runs one
// non-streaming completion; everything that needs a task done goes through it.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "chat_plugin.hpp"
#include "task_prompt.hpp"

namespace webui::chat {

class TaskModel {
 public:
  // The chat plugin's model resolution (throws HttpError for a model the user cannot use).
  using Resolver = std::function<ResolvedModel(const std::string& model_id, const User& user)>;

  TaskModel(sdk::Host& host, Resolver resolve) : host_(host), resolve_(std::move(resolve)) {}

  // TASK_MODEL for a local (Ollama) chat model, TASK_MODEL_EXTERNAL for any other; the chat's
  // own model when that setting is empty or names a model the user cannot use.
  ResolvedModel Pick(const ResolvedModel& chat_model, const User& user) const;

  struct Answer {
    bool ok = false;
    json completion;      // the model's whole answer (OpenAI chat.completion)
    std::string content;  // its choices[0].message.content (reasoning_content when empty)
    int status = 0;       // on failure: the HTTP status the upstream gave, else 0
    std::string error;    // on failure: why
  };
  // One non-streaming completion of `prompt` (a single user message) by `model`; `extra` is
  // merged into the request (max_tokens...). Never throws; an answer over kMaxAnswerBytes fails.
  Answer Run(const ResolvedModel& model, const std::string& prompt,
             const json& extra = json::object()) const;
  static constexpr std::size_t kMaxAnswerBytes = 1u << 20;

  // Queries for `messages` (the conversation, newest last) written by the task model of
  // `chat_model`, with QUERY_GENERATION_PROMPT_TEMPLATE (our default when ""). Empty when the
  // kind's setting (ENABLE_RETRIEVAL_QUERY_GENERATION / ENABLE_SEARCH_QUERY_GENERATION) is off,
  // the model fails or answers no query: the caller then falls back to the last user message.
  // Blocks on the model: call it from a thread that may wait. Never throws.
  std::vector<std::string> GenerateQueries(const ResolvedModel& chat_model, const User& user,
                                           const json& messages, QueryKind kind) const;

  // The admin's template for `key` (a "task.*.prompt_template" setting), else `fallback`.
  std::string Template(const char* key, const char* fallback) const;
  bool Enabled(const char* key, bool fallback) const;

 private:
  sdk::Host& host_;
  Resolver resolve_;
};

}  // namespace webui::chat
