// The pure half of the task model (Open WebUI 0.6.32 utils/task.py and the parsing its callers
// do): filling a task prompt template from a conversation and reading the JSON a task model
// answers with. No host calls, so it is unit-tested (task_prompt_test.cpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "chat_logic.hpp"

namespace webui::chat {

// What generated queries are for: the completion's files and knowledge (retrieval,
// ENABLE_RETRIEVAL_QUERY_GENERATION) or a web search (ENABLE_SEARCH_QUERY_GENERATION).
enum class QueryKind { kRetrieval, kWebSearch };

// Our own default templates (used while the admin's template is ""). Each asks for the JSON
// shape 0.6.32's callers parse: {"title"}, {"tags"}, {"follow_ups"}, {"queries"}, {"text"}.
extern const char* const kDefaultTitleTemplate;
extern const char* const kDefaultTagsTemplate;
extern const char* const kDefaultFollowUpTemplate;
extern const char* const kDefaultQueryTemplate;
extern const char* const kDefaultAutocompleteTemplate;
extern const char* const kDefaultEmojiTemplate;

// "ROLE: text" lines of `messages` joined by "\n" (get_messages_content).
std::string MessagesContent(const json& messages);

// The template with {{prompt}} / {{prompt:start|end|middletruncate:N}} (any case) replaced from
// `prompt`, {{MESSAGES}} / {{MESSAGES:START|END|MIDDLETRUNCATE:N}} from `messages`, {{TYPE}} from
// `type`, then the date and user variables (RenderPrompt). Lengths count code points.
std::string FillTaskTemplate(std::string_view tmpl, const json& messages, std::string_view prompt,
                             const PromptContext& ctx, std::string_view type = {});

// The object between the first '{' and the last '}' of a model's answer (prose or a code fence
// around it is ignored); nullopt when there is none or it does not parse.
std::optional<json> JsonObjectIn(std::string_view text);

// The string items of `key` in the answer's JSON object ([] otherwise), empty and blank items
// dropped, at most `limit` of them, each cut to kMaxTaskItemBytes.
inline constexpr std::size_t kMaxTaskItemBytes = 1000;
std::vector<std::string> ParseStringList(std::string_view answer, const char* key,
                                         std::size_t limit = 16);

// Queries from a query-generation answer, as 0.6.32's middleware reads them: the "queries" of
// the JSON object in it; when there is no parsable object the whole answer is the one query
// (cut to kMaxWholeAnswerQueryBytes: a model that echoes its prompt ends with the question).
inline constexpr std::size_t kMaxWholeAnswerQueryBytes = 8000;
std::vector<std::string> ParseQueries(std::string_view answer);

}  // namespace webui::chat
