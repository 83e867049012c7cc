#include "openai_logic.hpp"

#include <webui_host/sdk/json.hpp>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace webui::openai {

namespace {

const char* const kDefaultBaseUrl = "https://api.openai.com/v1";

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string EnvOr(const EnvLookup& env, const std::string& name) {
  auto v = env(name);
  return v ? *v : std::string();
}

bool StringList(const json& j, std::vector<std::string>* out) {
  if (!j.is_array()) return false;
  out->clear();
  for (const auto& item : j) {
    if (!item.is_string()) return false;
    out->push_back(item.get<std::string>());
  }
  return true;
}

// Model names that api.openai.com lists but that cannot chat (upstream hides them).
bool IsNonChatOpenAiModel(const std::string& id) {
  for (const char* name : {"babbage", "dall-e", "davinci", "embedding", "tts", "whisper"})
    if (id.find(name) != std::string::npos) return true;
  return false;
}

}  // namespace

void Connections::Normalize() { keys.resize(urls.size()); }

json Connections::ConfigOf(size_t idx) const {
  if (!configs.is_object()) return json::object();
  auto it = configs.find(std::to_string(idx));
  if (it != configs.end() && it->is_object()) return *it;
  if (idx < urls.size()) {
    it = configs.find(urls[idx]);
    if (it != configs.end() && it->is_object()) return *it;
  }
  return json::object();
}

bool Connections::Enabled(size_t idx) const {
  const json c = ConfigOf(idx);
  auto it = c.find("enable");
  return it == c.end() || !it->is_boolean() || it->get<bool>();
}

std::string Connections::Url(size_t idx) const {
  std::string u = idx < urls.size() ? urls[idx] : std::string();
  while (!u.empty() && u.back() == '/') u.pop_back();
  return u;
}

std::string Connections::Key(size_t idx) const { return idx < keys.size() ? keys[idx] : ""; }

std::string Connections::Fingerprint() const {
  return json{{"e", enable}, {"u", urls}, {"k", keys}, {"c", configs}}.dump();
}

std::vector<std::string> SplitKeepEmpty(std::string_view text, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t pos = text.find(sep, start);
    out.push_back(
        Trim(text.substr(start, pos == std::string_view::npos ? text.npos : pos - start)));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

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

Connections ConnectionsFromUpdate(const json& body, bool current_enable) {
  if (!body.is_object()) throw std::invalid_argument("body must be a JSON object");
  Connections c;
  c.enable = current_enable;
  if (auto it = body.find("ENABLE_OPENAI_API"); it != body.end() && !it->is_null()) {
    if (!it->is_boolean()) throw std::invalid_argument("ENABLE_OPENAI_API must be a boolean");
    c.enable = it->get<bool>();
  }
  if (!body.contains("OPENAI_API_BASE_URLS") || !StringList(body["OPENAI_API_BASE_URLS"], &c.urls))
    throw std::invalid_argument("OPENAI_API_BASE_URLS must be a list of strings");
  if (!body.contains("OPENAI_API_KEYS") || !StringList(body["OPENAI_API_KEYS"], &c.keys))
    throw std::invalid_argument("OPENAI_API_KEYS must be a list of strings");
  if (!body.contains("OPENAI_API_CONFIGS") || !body["OPENAI_API_CONFIGS"].is_object())
    throw std::invalid_argument("OPENAI_API_CONFIGS must be an object");
  c.Normalize();
  // Configs of connections that no longer exist are dropped (only "<idx>" keys survive).
  c.configs = json::object();
  for (const auto& [k, v] : body["OPENAI_API_CONFIGS"].items()) {
    for (size_t i = 0; i < c.urls.size(); ++i) {
      if (k == std::to_string(i)) {
        c.configs[k] = v;
        break;
      }
    }
  }
  return c;
}

json ConnectionsToJson(const Connections& c) {
  return json{{"ENABLE_OPENAI_API", c.enable},
              {"OPENAI_API_BASE_URLS", c.urls},
              {"OPENAI_API_KEYS", c.keys},
              {"OPENAI_API_CONFIGS", c.configs}};
}

std::optional<int> TimeoutSeconds(const std::optional<std::string>& raw, std::optional<int> unset,
                                  int invalid) {
  if (!raw) return unset;
  const std::string t = Trim(*raw);
  if (t.empty()) return std::nullopt;
  try {
    size_t used = 0;
    const long v = std::stol(t, &used);
    if (used == t.size()) return static_cast<int>(std::clamp<long>(v, 0, 24L * 3600 * 365));
  } catch (...) {
  }
  return invalid;
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

std::string StripPrefix(const std::string& model_id, const json& config) {
  auto it = config.find("prefix_id");
  if (it == config.end() || !it->is_string() || it->get<std::string>().empty()) return model_id;
  const std::string p = it->get<std::string>() + ".";
  return model_id.rfind(p, 0) == 0 ? model_id.substr(p.size()) : model_id;
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

std::string UpstreamErrorText(std::string_view body, std::string_view fallback) {
  json j = sdk::json::Parse(body).value_or(json(json::value_t::discarded));
  if (!j.is_discarded() && j.is_object()) {
    if (auto it = j.find("error"); it != j.end()) {
      if (it->is_object() && it->contains("message") && (*it)["message"].is_string())
        return (*it)["message"].get<std::string>();
      if (it->is_string()) return it->get<std::string>();
      return it->dump();
    }
    if (auto it = j.find("detail"); it != j.end() && it->is_string()) return it->get<std::string>();
  }
  std::string text = Trim(body);
  if (text.empty()) return std::string(fallback);
  if (text.size() > 2000) text.resize(2000);
  return text;
}

std::string UrlQuote(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '_' || ch == '.' || ch == '-' || ch == '~' || ch == '/' ||
        ch == ' ') {
      out.push_back(static_cast<char>(ch));
    } else {
      out.push_back('%');
      out.push_back(hex[ch >> 4]);
      out.push_back(hex[ch & 15]);
    }
  }
  return out;
}

bool SseSplitter::Feed(std::string_view bytes,
                       const std::function<bool(std::string_view)>& on_data) {
  if (overflowed_) return false;
  pending_.append(bytes);
  size_t start = 0;
  while (true) {
    const size_t nl = pending_.find('\n', start);
    if (nl == std::string::npos) break;
    std::string_view line(pending_.data() + start, nl - start);
    start = nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.rfind("data:", 0) != 0) continue;  // comments, event:, id:, blank separators
    line.remove_prefix(5);
    if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (!on_data(line)) {
      pending_.erase(0, start);
      return false;
    }
  }
  pending_.erase(0, start);
  if (pending_.size() > kMaxPending) {
    overflowed_ = true;
    pending_.clear();
    return false;
  }
  return true;
}

bool StreamEndWatcher::Feed(std::string_view bytes) {
  while (!ended_ && !bytes.empty()) {
    const size_t nl = bytes.find('\n');
    const std::string_view part = bytes.substr(0, nl);
    if (!overlong_) {
      if (line_.size() + part.size() > kMaxLine) {
        overlong_ = true;
        line_.clear();
      } else {
        line_.append(part);
      }
    }
    if (nl == std::string_view::npos) break;
    if (!overlong_) ended_ = IsEnd(line_);
    line_.clear();
    overlong_ = false;
    bytes.remove_prefix(nl + 1);
  }
  return ended_;
}

bool StreamEndWatcher::IsEnd(std::string_view line) const {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (format_ == Format::kSse) {
    if (line.rfind("data:", 0) != 0) return false;
    line.remove_prefix(5);
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    return line == "[DONE]";
  }
  if (line.find("\"done\"") == std::string_view::npos) return false;
  const auto value = sdk::json::Parse(line);
  return value && value->is_object() && value->value("done", json(false)) == json(true);
}

}  // namespace webui::openai
