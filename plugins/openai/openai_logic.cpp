#include "openai_logic.hpp"

#include <algorithm>
#include <cctype>

namespace webui::openai {

using providers::SplitKeepEmpty;
using providers::StripPrefix;

namespace {

const char* const kDefaultBaseUrl = "https://api.openai.com/v1";

std::string EnvOr(const EnvLookup& env, const std::string& name) {
  auto v = env(name);
  return v ? *v : std::string();
}

// Model names that api.openai.com lists but that cannot chat (upstream hides them).
bool IsNonChatOpenAiModel(const std::string& id) {
  for (const char* name : {"babbage", "dall-e", "davinci", "embedding", "tts", "whisper"})
    if (id.find(name) != std::string::npos) return true;
  return false;
}

}  // namespace

std::vector<std::string> BaseUrlsFromEnv(const EnvLookup& env) {
  std::string single = EnvOr(env, "OPENAI_API_BASE_URL");
  if (single.empty()) single = kDefaultBaseUrl;
  std::string list = EnvOr(env, "OPENAI_API_BASE_URLS");
  if (list.empty()) list = single;
  std::vector<std::string> urls = SplitKeepEmpty(list, ';');
  for (auto& u : urls)
    if (u.empty()) u = kDefaultBaseUrl;
  return urls;
}

std::vector<std::string> KeysFromEnv(const EnvLookup& env) {
  std::string list = EnvOr(env, "OPENAI_API_KEYS");
  if (list.empty()) list = EnvOr(env, "OPENAI_API_KEY");
  return SplitKeepEmpty(list, ';');
}

json SynthesisedModels(const json& model_ids, size_t idx) {
  json data = json::array();
  for (const auto& id : model_ids) {
    if (!id.is_string()) continue;
    data.push_back({{"id", id},
                    {"name", id},
                    {"owned_by", "openai"},
                    {"openai", {{"id", id}}},
                    {"urlIdx", idx}});
  }
  return json{{"object", "list"}, {"data", data}};
}

std::optional<json> ConnectionModels(const json& response, const json& config) {
  json list;
  if (response.is_array()) {
    list = response;
  } else if (response.is_object() && response.contains("data") && response["data"].is_array()) {
    list = response["data"];
  } else {
    return std::nullopt;
  }
  const std::string prefix = config.value("prefix_id", json()).is_string()
                                 ? config["prefix_id"].get<std::string>()
                                 : std::string();
  const json tags = config.value("tags", json::array());
  const json connection_type = config.value("connection_type", json("external"));
  json out = json::array();
  for (json model : list) {
    if (!model.is_object()) continue;
    if (model.contains("name") && model["name"].is_null()) model.erase("name");
    if (!prefix.empty()) {
      std::string id = model.value("id", json()).is_string()     ? model["id"].get<std::string>()
                       : model.value("name", json()).is_string() ? model["name"].get<std::string>()
                                                                 : std::string();
      model["id"] = prefix + "." + id;
    }
    if (tags.is_array() && !tags.empty()) model["tags"] = tags;
    if (!connection_type.is_null() && !(connection_type.is_string() && connection_type.empty()))
      model["connection_type"] = connection_type;
    out.push_back(std::move(model));
  }
  return out;
}

json MergeModels(const std::vector<std::optional<json>>& lists,
                 const std::vector<std::string>& urls) {
  json merged = json::array();
  for (size_t idx = 0; idx < lists.size(); ++idx) {
    if (!lists[idx]) continue;
    const bool official =
        idx < urls.size() && urls[idx].find("api.openai.com") != std::string::npos;
    for (const auto& model : *lists[idx]) {
      const json& id = model.contains("id") ? model["id"] : model.value("name", json());
      if (!id.is_string() || id.get<std::string>().empty()) continue;
      if (official && IsNonChatOpenAiModel(id.get<std::string>())) continue;
      json item = model;
      item["id"] = id;
      item["name"] = model.contains("name") && !model["name"].is_null() ? model["name"] : id;
      item["owned_by"] = "openai";
      item["openai"] = model;
      item["connection_type"] = model.value("connection_type", json("external"));
      item["urlIdx"] = idx;
      merged.push_back(std::move(item));
    }
  }
  return merged;
}

void PrepareChatPayload(json& payload, const json& config, const std::string& url) {
  if (payload.contains("model") && payload["model"].is_string())
    payload["model"] = StripPrefix(payload["model"].get<std::string>(), config);
  std::string model = payload.value("model", json("")).is_string()
                          ? payload["model"].get<std::string>()
                          : std::string();
  std::string lower = model;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  const bool o_series =
      lower.rfind("o1", 0) == 0 || lower.rfind("o3", 0) == 0 || lower.rfind("o4", 0) == 0;
  if (o_series) {
    // o-series models take max_completion_tokens, and "developer" instead of "system".
    if (payload.contains("max_tokens")) {
      payload["max_completion_tokens"] = payload["max_tokens"];
      payload.erase("max_tokens");
    }
    if (payload.contains("messages") && payload["messages"].is_array() &&
        !payload["messages"].empty() && payload["messages"][0].is_object() &&
        payload["messages"][0].value("role", json("")) == "system") {
      const bool legacy = lower.rfind("o1-mini", 0) == 0 || lower.rfind("o1-preview", 0) == 0;
      payload["messages"][0]["role"] = legacy ? "user" : "developer";
    }
  } else if (url.find("api.openai.com") == std::string::npos &&
             payload.contains("max_completion_tokens")) {
    // Other OpenAI-compatible servers mostly know only max_tokens.
    payload["max_tokens"] = payload["max_completion_tokens"];
    payload.erase("max_completion_tokens");
  }
  if (payload.contains("max_tokens") && payload.contains("max_completion_tokens"))
    payload.erase("max_tokens");
}

}  // namespace webui::openai
