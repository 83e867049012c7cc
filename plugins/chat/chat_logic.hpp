// Pure JSON logic of the chat plugin: Open WebUI's rules for chats, models, access control and
// completion payloads, free of any host call so they are unit-testable.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <webui_host/sdk/core.hpp>
#include <webui_host/sdk/errors.hpp>

namespace webui::chat {

using json = nlohmann::json;

// Open WebUI's ERROR_MESSAGES texts the frontend shows (the SDK holds them).
using sdk::messages::kAccessProhibited;
using sdk::messages::kModelIdTaken;
using sdk::messages::kNotFound;
// main.py's detail for a model id nobody serves.
inline constexpr const char* kModelNotFound = "Model not found";

int64_t NowSeconds();
std::string NewUuid();
using sdk::LowerAscii;
bool StartsWith(std::string_view text, std::string_view prefix);

// JSON text from the database (or a request) into an object; anything else becomes `fallback`.
json ParseJsonOr(std::string_view text, json fallback);
// dump() that never throws on invalid UTF-8.
std::string Dump(const json& value);

// ---- access control (utils/access_control.py has_access) ------------------------------------
// `access_control` null = public for reading (private for writing when strict), {} = owner only,
// else {"read"|"write": {"user_ids": [...], "group_ids": [...]}}.
bool HasAccess(const std::string& user_id, std::string_view type, const json& access_control,
               const std::set<std::string>& user_group_ids, bool strict = true);

// ---- chats ------------------------------------------------------------------------------------
// Tag ids are the lower-cased name with spaces as underscores.
std::string TagId(std::string_view name);
// {**existing, **update}: the shallow merge POST /api/v1/chats/{id} does.
json MergeChat(const json& existing, const json& update);
// The title column for a chat document: its "title", else "New Chat".
std::string ChatTitle(const json& chat);
// history.messages[id] = {**old, **fields}; history.currentId = id.
json UpsertMessage(json chat, const std::string& message_id, const json& fields);
// Branch point of a clone: history.currentId (null when absent).
json CurrentMessageId(const json& chat);

struct SearchQuery {
  std::string text;                  // lower-cased free text ("" = any)
  std::vector<std::string> tag_ids;  // from "tag:<name>" words
};
SearchQuery ParseSearch(std::string_view input);
// The free text matches the title or any message content (case-insensitive, ASCII folding).
bool ChatMatchesText(const std::string& title, const json& chat, const std::string& lowered);
bool MetaHasTags(const json& meta, const std::vector<std::string>& tag_ids);
std::vector<std::string> MetaTags(const json& meta);

// ---- models -----------------------------------------------------------------------------------
// A row of the `model` table (workspace model or base-model override).
struct WorkspaceModel {
  std::string id;
  std::string user_id;
  std::optional<std::string> base_model_id;  // nullopt = override of a provider model
  std::string name;
  json params = json::object();
  json meta = json::object();
  json access_control;  // null = public
  bool is_active = true;
  int64_t created_at = 0;
  int64_t updated_at = 0;

  json ToJson() const;  // ModelModel
};
// ModelMeta defaults: profile_image_url, description, capabilities always present.
json NormalizeModelMeta(json meta);
// access_control may be stored as JSON null text; both mean "public".
json NormalizeAccessControl(const json& value);

// utils/models.py get_all_models: provider models, with overrides applied (renamed, `info`,
// dropped when inactive) and custom models (base_model_id set, active) appended.
std::vector<json> MergeModels(std::vector<json> base, const std::vector<WorkspaceModel>& custom);
// main.py /api/models: tags = info.meta.tags names ∪ model.tags names, as [{"name"}].
void ApplyModelTags(json& model);
// MODEL_ORDER_LIST: listed ids first in that order, then the rest by name.
void SortByOrderList(std::vector<json>& models, const json& order_list);

// ---- completion payloads ----------------------------------------------------------------------
struct PromptContext {
  std::string user_name;
  json variables = json::object();  // {"{{USER_NAME}}": "..."} from the browser
  std::time_t now = 0;
};
// {{CURRENT_DATE}}, {{CURRENT_TIME}}, {{CURRENT_DATETIME}}, {{CURRENT_WEEKDAY}}, {{USER_NAME}},
// {{USER_LOCATION}}, plus the request's variables.
std::string RenderPrompt(std::string text, const PromptContext& ctx);
// Prepends to an existing leading system message, else inserts one.
json AddOrUpdateSystemMessage(json messages, const std::string& content);
// Removes Open WebUI-only keys and moves the request's "params" onto the OpenAI body.
json BuildUpstreamBody(const json& body);
// Applies a workspace model's params: its system prompt, sampling params, custom_params and
// stream_response.
json ApplyModelParams(json body, const json& model_params, const PromptContext& ctx);

// The text a streamed chunk adds (choices[0].delta.content), "" if none.
std::string ChunkDeltaContent(const json& chunk);
// choices[0].message.content of a whole completion, "" if none.
std::string CompletionContent(const json& completion);
// A generated title: the "title" of the first {...} in `content`, "" when there is none.
std::string ParseGeneratedTitle(std::string_view content);

}  // namespace webui::chat
