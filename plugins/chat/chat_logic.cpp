#include "chat_logic.hpp"
#include <webui_host/sdk/access.hpp>

#include <webui_host/sdk/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <unordered_map>

namespace webui::chat {

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string NewUuid() {
  thread_local std::mt19937_64 rng{
      std::random_device{}() ^
      static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count())};
  uint64_t hi = rng(), lo = rng();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

json ParseJsonOr(std::string_view text, json fallback) {
  if (text.empty()) return fallback;
  json v = sdk::json::Parse(text).value_or(json(json::value_t::discarded));
  if (v.is_discarded() || v.is_null()) return fallback;
  if (fallback.is_object() && !v.is_object()) return fallback;
  if (fallback.is_array() && !v.is_array()) return fallback;
  return v;
}

std::string Dump(const json& value) { return sdk::json::Dump(value); }

// ---- access control ---------------------------------------------------------------------------

bool HasAccess(const std::string& user_id, std::string_view type, const json& access_control,
               const std::set<std::string>& user_group_ids, bool strict) {
  return sdk::HasAccess(user_id, type, access_control, user_group_ids, strict);
}

// ---- chats ------------------------------------------------------------------------------------

std::string TagId(std::string_view name) {
  std::string out = LowerAscii(name);
  std::replace(out.begin(), out.end(), ' ', '_');
  return out;
}

json MergeChat(const json& existing, const json& update) {
  json out = existing.is_object() ? existing : json::object();
  if (update.is_object())
    for (auto it = update.begin(); it != update.end(); ++it) out[it.key()] = it.value();
  return out;
}

std::string ChatTitle(const json& chat) {
  if (chat.is_object()) {
    auto it = chat.find("title");
    if (it != chat.end() && it->is_string()) return it->get<std::string>();
  }
  return "New Chat";
}

json UpsertMessage(json chat, const std::string& message_id, const json& fields) {
  if (!chat.is_object()) chat = json::object();
  json& history = chat["history"];
  if (!history.is_object()) history = json::object();
  json& messages = history["messages"];
  if (!messages.is_object()) messages = json::object();
  json& message = messages[message_id];
  if (!message.is_object()) message = json::object();
  for (auto it = fields.begin(); it != fields.end(); ++it) message[it.key()] = it.value();
  history["currentId"] = message_id;
  return chat;
}

json CurrentMessageId(const json& chat) {
  if (chat.is_object()) {
    auto h = chat.find("history");
    if (h != chat.end() && h->is_object()) {
      auto c = h->find("currentId");
      if (c != h->end()) return *c;
    }
  }
  return nullptr;
}

SearchQuery ParseSearch(std::string_view input) {
  SearchQuery q;
  std::string lowered = LowerAscii(input);
  std::string text;
  size_t i = 0;
  while (i < lowered.size()) {
    while (i < lowered.size() && lowered[i] == ' ') ++i;
    size_t j = i;
    while (j < lowered.size() && lowered[j] != ' ') ++j;
    std::string word = lowered.substr(i, j - i);
    if (word.empty()) break;
    if (StartsWith(word, "tag:")) {
      if (word.size() > 4) q.tag_ids.push_back(TagId(word.substr(4)));
    } else {
      if (!text.empty()) text += ' ';
      text += word;
    }
    i = j;
  }
  q.text = text;
  return q;
}

namespace {
bool ContentMatches(const json& content, const std::string& lowered) {
  if (content.is_string())
    return LowerAscii(content.get<std::string>()).find(lowered) != std::string::npos;
  if (content.is_array()) {
    for (const auto& part : content)
      if (part.is_object() && ContentMatches(part.value("text", json()), lowered)) return true;
  }
  return false;
}
bool MessagesMatch(const json& messages, const std::string& lowered) {
  if (messages.is_object()) {
    for (const auto& m : messages)
      if (m.is_object() && ContentMatches(m.value("content", json()), lowered)) return true;
  } else if (messages.is_array()) {
    for (const auto& m : messages)
      if (m.is_object() && ContentMatches(m.value("content", json()), lowered)) return true;
  }
  return false;
}
}  // namespace

bool ChatMatchesText(const std::string& title, const json& chat, const std::string& lowered) {
  if (lowered.empty()) return true;
  if (LowerAscii(title).find(lowered) != std::string::npos) return true;
  if (!chat.is_object()) return false;
  if (auto h = chat.find("history"); h != chat.end() && h->is_object()) {
    if (auto m = h->find("messages"); m != h->end() && MessagesMatch(*m, lowered)) return true;
  }
  if (auto m = chat.find("messages"); m != chat.end() && MessagesMatch(*m, lowered)) return true;
  return false;
}

std::vector<std::string> MetaTags(const json& meta) {
  std::vector<std::string> out;
  if (!meta.is_object()) return out;
  auto it = meta.find("tags");
  if (it == meta.end() || !it->is_array()) return out;
  for (const auto& t : *it)
    if (t.is_string()) out.push_back(t.get<std::string>());
  return out;
}

bool MetaHasTags(const json& meta, const std::vector<std::string>& tag_ids) {
  const auto tags = MetaTags(meta);
  for (const auto& want : tag_ids) {
    if (want == "none") {
      if (!tags.empty()) return false;
    } else if (std::find(tags.begin(), tags.end(), want) == tags.end()) {
      return false;
    }
  }
  return true;
}

// ---- models -----------------------------------------------------------------------------------

json NormalizeModelMeta(json meta) {
  if (!meta.is_object()) meta = json::object();
  if (!meta.contains("profile_image_url")) meta["profile_image_url"] = "/static/favicon.png";
  if (!meta.contains("description")) meta["description"] = nullptr;
  if (!meta.contains("capabilities")) meta["capabilities"] = nullptr;
  return meta;
}

json NormalizeAccessControl(const json& value) {
  if (value.is_string()) return ParseJsonOr(value.get<std::string>(), json());
  if (value.is_object()) return value;
  return nullptr;
}

json WorkspaceModel::ToJson() const {
  return json{{"id", id},
              {"user_id", user_id},
              {"base_model_id", base_model_id ? json(*base_model_id) : json(nullptr)},
              {"name", name},
              {"params", params.is_object() ? params : json::object()},
              {"meta", NormalizeModelMeta(meta)},
              {"access_control", access_control},
              {"is_active", is_active},
              {"updated_at", updated_at},
              {"created_at", created_at}};
}

namespace {
std::string BeforeColon(const std::string& id) { return id.substr(0, id.find(':')); }

json IdsFromMeta(const json& meta, const char* key) {
  json out = json::array();
  if (meta.is_object())
    if (auto it = meta.find(key); it != meta.end() && it->is_array()) out = *it;
  return out;
}
}  // namespace

std::vector<json> MergeModels(std::vector<json> base, const std::vector<WorkspaceModel>& custom) {
  if (base.empty()) return {};
  for (const auto& cm : custom) {
    if (!cm.base_model_id) {
      // An override of a provider model (Ollama ids also match without their ":tag").
      for (auto it = base.begin(); it != base.end();) {
        const std::string id = it->value("id", "");
        const bool match =
            cm.id == id || (it->value("owned_by", "") == "ollama" && cm.id == BeforeColon(id));
        if (!match) {
          ++it;
          continue;
        }
        if (!cm.is_active) {
          it = base.erase(it);
          continue;
        }
        (*it)["name"] = cm.name;
        (*it)["info"] = cm.ToJson();
        (*it)["action_ids"] = IdsFromMeta(cm.meta, "actionIds");
        (*it)["filter_ids"] = IdsFromMeta(cm.meta, "filterIds");
        ++it;
      }
    }
  }
  for (const auto& cm : custom) {
    if (!cm.base_model_id || !cm.is_active) continue;
    const bool present = std::any_of(base.begin(), base.end(),
                                     [&](const json& m) { return m.value("id", "") == cm.id; });
    if (present) continue;
    std::string owned_by = "openai";
    for (const auto& m : base) {
      const std::string id = m.value("id", "");
      if (*cm.base_model_id == id || *cm.base_model_id == BeforeColon(id)) {
        owned_by = m.value("owned_by", "unknown owner");
        break;
      }
    }
    base.push_back(json{{"id", cm.id},
                        {"name", cm.name},
                        {"object", "model"},
                        {"created", cm.created_at},
                        {"owned_by", owned_by},
                        {"info", cm.ToJson()},
                        {"preset", true},
                        {"action_ids", IdsFromMeta(cm.meta, "actionIds")},
                        {"filter_ids", IdsFromMeta(cm.meta, "filterIds")}});
  }
  // No function plugins exist here: actions and filters resolve to nothing.
  for (auto& m : base) {
    m["actions"] = json::array();
    m["filters"] = json::array();
  }
  return base;
}

void ApplyModelTags(json& model) {
  std::vector<std::string> names;
  auto collect = [&](const json& tags) {
    if (!tags.is_array()) return;
    for (const auto& t : tags) {
      std::string name;
      if (t.is_object() && t.contains("name") && t["name"].is_string())
        name = t["name"];
      else if (t.is_string())
        name = t.get<std::string>();
      if (!name.empty() && std::find(names.begin(), names.end(), name) == names.end())
        names.push_back(name);
    }
  };
  if (auto info = model.find("info"); info != model.end() && info->is_object())
    if (auto meta = info->find("meta"); meta != info->end() && meta->is_object())
      if (auto tags = meta->find("tags"); tags != meta->end()) collect(*tags);
  if (auto tags = model.find("tags"); tags != model.end()) collect(*tags);
  json out = json::array();
  for (const auto& n : names) out.push_back({{"name", n}});
  model["tags"] = out;
}

void SortByOrderList(std::vector<json>& models, const json& order_list) {
  if (!order_list.is_array() || order_list.empty()) return;
  std::unordered_map<std::string, size_t> rank;
  for (size_t i = 0; i < order_list.size(); ++i)
    if (order_list[i].is_string()) rank.emplace(order_list[i].get<std::string>(), i);
  auto key = [&](const json& m) {
    auto it = rank.find(m.value("id", ""));
    return std::make_pair(
        it == rank.end() ? SIZE_MAX : it->second,
        m.contains("name") && m["name"].is_string() ? m["name"].get<std::string>() : std::string());
  };
  std::stable_sort(models.begin(), models.end(),
                   [&](const json& a, const json& b) { return key(a) < key(b); });
}

// ---- completion payloads ----------------------------------------------------------------------

namespace {
void ReplaceAll(std::string& text, std::string_view from, std::string_view to) {
  if (from.empty()) return;
  size_t pos = 0;
  while ((pos = text.find(from, pos)) != std::string::npos) {
    text.replace(pos, from.size(), to);
    pos += to.size();
  }
}
std::string Format(std::time_t t, const char* fmt) {
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[128];
  size_t n = std::strftime(buf, sizeof buf, fmt, &tm);
  return std::string(buf, n);
}
}  // namespace

std::string RenderPrompt(std::string text, const PromptContext& ctx) {
  if (ctx.variables.is_object()) {
    for (auto it = ctx.variables.begin(); it != ctx.variables.end(); ++it) {
      const std::string value =
          it.value().is_string() ? it.value().get<std::string>() : Dump(it.value());
      ReplaceAll(text, it.key(), value);
    }
  }
  const std::time_t now = ctx.now != 0 ? ctx.now : std::time(nullptr);
  ReplaceAll(text, "{{CURRENT_DATETIME}}", Format(now, "%Y-%m-%d %H:%M:%S"));
  ReplaceAll(text, "{{CURRENT_DATE}}", Format(now, "%Y-%m-%d"));
  ReplaceAll(text, "{{CURRENT_TIME}}", Format(now, "%I:%M:%S %p"));
  ReplaceAll(text, "{{CURRENT_WEEKDAY}}", Format(now, "%A"));
  ReplaceAll(text, "{{CURRENT_TIMEZONE}}", Format(now, "%Z"));
  ReplaceAll(text, "{{USER_NAME}}", ctx.user_name.empty() ? "Unknown" : ctx.user_name);
  ReplaceAll(text, "{{USER_LOCATION}}", "Unknown");
  return text;
}

json AddOrUpdateSystemMessage(json messages, const std::string& content) {
  if (!messages.is_array()) messages = json::array();
  if (!messages.empty() && messages[0].is_object() && messages[0].value("role", "") == "system") {
    json& first = messages[0];
    if (first["content"].is_string()) {
      first["content"] = content + "\n" + first["content"].get<std::string>();
    } else if (first["content"].is_array()) {
      first["content"].insert(first["content"].begin(), json{{"type", "text"}, {"text", content}});
    } else {
      first["content"] = content;
    }
  } else {
    messages.insert(messages.begin(), json{{"role", "system"}, {"content", content}});
  }
  return messages;
}

namespace {
// Keys the Open WebUI frontend sends that mean nothing to an OpenAI upstream.
constexpr const char* kWebUiKeys[] = {
    "model_item",   "background_tasks", "chat_id",        "id",          "session_id", "filter_ids",
    "tool_servers", "tool_ids",         "files",          "features",    "variables",  "params",
    "metadata",     "parent_id",        "parent_message", "user_message"};
// Chat params that steer Open WebUI itself, never forwarded.
constexpr const char* kWebUiParams[] = {"stream_response", "stream_delta_chunk_size",
                                        "function_calling", "reasoning_tags", "system"};

void MergeCustomParams(json& body, const json& custom) {
  if (!custom.is_object()) return;
  for (auto it = custom.begin(); it != custom.end(); ++it) {
    json value = it.value();
    if (value.is_string()) {
      json parsed =
          sdk::json::Parse(value.get<std::string>()).value_or(json(json::value_t::discarded));
      if (!parsed.is_discarded()) value = parsed;
    }
    body[it.key()] = value;
  }
}

json AsNumber(const json& v, bool integer) {
  if (v.is_number()) return integer ? json(v.get<int64_t>()) : json(v.get<double>());
  if (v.is_string()) {
    try {
      return integer ? json(std::stoll(v.get<std::string>()))
                     : json(std::stod(v.get<std::string>()));
    } catch (...) {
    }
  }
  return v;
}
}  // namespace

json BuildUpstreamBody(const json& body) {
  json out = body.is_object() ? body : json::object();
  json params =
      out.contains("params") && out["params"].is_object() ? out["params"] : json::object();
  for (const char* k : kWebUiKeys) out.erase(k);
  json custom = params.contains("custom_params") ? params["custom_params"] : json();
  params.erase("custom_params");
  for (const char* k : kWebUiParams) params.erase(k);
  for (auto it = params.begin(); it != params.end(); ++it)
    if (!it.value().is_null()) out[it.key()] = it.value();
  MergeCustomParams(out, custom);
  return out;
}

json ApplyModelParams(json body, const json& model_params, const PromptContext& ctx) {
  if (!model_params.is_object() || model_params.empty()) return body;
  json params = model_params;
  if (params.contains("stream_response") && params["stream_response"].is_boolean())
    body["stream"] = params["stream_response"];
  static const std::map<std::string, char> kMapped = {{"temperature", 'f'},
                                                      {"top_p", 'f'},
                                                      {"min_p", 'f'},
                                                      {"max_tokens", 'i'},
                                                      {"frequency_penalty", 'f'},
                                                      {"presence_penalty", 'f'},
                                                      {"reasoning_effort", 's'},
                                                      {"seed", 'a'},
                                                      {"stop", 'a'},
                                                      {"logit_bias", 'a'},
                                                      {"response_format", 'a'}};
  for (const auto& [key, kind] : kMapped) {
    auto it = params.find(key);
    if (it == params.end() || it->is_null()) continue;
    body[key] = kind == 'f' ? AsNumber(*it, false) : kind == 'i' ? AsNumber(*it, true) : *it;
  }
  if (params.contains("custom_params")) MergeCustomParams(body, params["custom_params"]);
  if (params.contains("system") && params["system"].is_string() &&
      !params["system"].get<std::string>().empty()) {
    const std::string system = RenderPrompt(params["system"].get<std::string>(), ctx);
    body["messages"] = AddOrUpdateSystemMessage(body.value("messages", json::array()), system);
  }
  return body;
}

std::string ChunkDeltaContent(const json& chunk) {
  if (!chunk.is_object()) return {};
  auto choices = chunk.find("choices");
  if (choices == chunk.end() || !choices->is_array() || choices->empty()) return {};
  const json& c = (*choices)[0];
  if (!c.is_object()) return {};
  auto delta = c.find("delta");
  if (delta == c.end() || !delta->is_object()) return {};
  auto content = delta->find("content");
  if (content == delta->end() || !content->is_string()) return {};
  return content->get<std::string>();
}

std::string CompletionContent(const json& completion) {
  if (!completion.is_object()) return {};
  auto choices = completion.find("choices");
  if (choices == completion.end() || !choices->is_array() || choices->empty()) return {};
  const json& c = (*choices)[0];
  if (!c.is_object()) return {};
  auto message = c.find("message");
  if (message == c.end() || !message->is_object()) return {};
  auto content = message->find("content");
  if (content == message->end() || !content->is_string()) return {};
  return content->get<std::string>();
}

std::string ParseGeneratedTitle(std::string_view content) {
  const size_t open = content.find('{');
  const size_t close = content.rfind('}');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return {};
  json v = sdk::json::Parse(content.substr(open, close - open + 1))
               .value_or(json(json::value_t::discarded));
  if (v.is_object() && v.contains("title") && v["title"].is_string()) return v["title"];
  return {};
}

}  // namespace webui::chat
