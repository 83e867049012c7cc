#include "providers/connections.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace webui::providers {

namespace {

bool StringList(const json& j, std::vector<std::string>* out) {
  if (!j.is_array()) return false;
  out->clear();
  for (const auto& item : j) {
    if (!item.is_string()) return false;
    out->push_back(item.get<std::string>());
  }
  return true;
}

std::string ListError(const char* field) {
  return std::string(field) + " must be a list of strings";
}

bool Truthy(const std::optional<std::string>& v) {
  if (!v) return false;
  std::string s = *v;
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s == "true" || s == "1" || s == "yes" || s == "on";
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

std::string Connections::Key(size_t idx) const {
  if (!keys_in_config) return idx < keys.size() ? keys[idx] : "";
  const json config = ConfigOf(idx);
  auto it = config.find("key");
  return it != config.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string Connections::Fingerprint() const {
  return json{{"e", enable}, {"u", urls}, {"k", keys}, {"c", configs}}.dump();
}

Connections ConnectionsFromUpdate(const json& body, bool current_enable,
                                  const ConnectionFields& fields) {
  if (!body.is_object()) throw std::invalid_argument("body must be a JSON object");
  Connections c;
  c.enable = current_enable;
  c.keys_in_config = fields.keys == nullptr;
  if (auto it = body.find(fields.enable); it != body.end() && !it->is_null()) {
    if (!it->is_boolean())
      throw std::invalid_argument(std::string(fields.enable) + " must be a boolean");
    c.enable = it->get<bool>();
  }
  if (!body.contains(fields.urls) || !StringList(body[fields.urls], &c.urls))
    throw std::invalid_argument(ListError(fields.urls));
  if (fields.keys != nullptr &&
      (!body.contains(fields.keys) || !StringList(body[fields.keys], &c.keys)))
    throw std::invalid_argument(ListError(fields.keys));
  if (!body.contains(fields.configs) || !body[fields.configs].is_object())
    throw std::invalid_argument(std::string(fields.configs) + " must be an object");
  if (!c.keys_in_config) c.Normalize();
  // Configs of connections that no longer exist are dropped (only "<idx>" keys survive).
  c.configs = json::object();
  for (const auto& [k, v] : body[fields.configs].items()) {
    for (size_t i = 0; i < c.urls.size(); ++i) {
      if (k == std::to_string(i)) {
        c.configs[k] = v;
        break;
      }
    }
  }
  return c;
}

json ConnectionsToJson(const Connections& c, const ConnectionFields& fields) {
  json out = {{fields.enable, c.enable}, {fields.urls, c.urls}};
  if (fields.keys != nullptr) out[fields.keys] = c.keys;
  out[fields.configs] = c.configs;
  return out;
}

std::string StripPrefix(const std::string& model_id, const json& config) {
  auto it = config.find("prefix_id");
  if (it == config.end() || !it->is_string() || it->get<std::string>().empty()) return model_id;
  const std::string p = it->get<std::string>() + ".";
  return model_id.rfind(p, 0) == 0 ? model_id.substr(p.size()) : model_id;
}

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
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

ProviderEnv ProviderEnv::From(const EnvLookup& env) {
  ProviderEnv e;
  // Upstream: AIOHTTP_CLIENT_TIMEOUT is unset by default (no limit); here it bounds the silence
  // between upstream bytes, and unset leaves the host's default read timeout.
  e.request_timeout_s = TimeoutSeconds(env("AIOHTTP_CLIENT_TIMEOUT"), std::nullopt, 300);
  auto list_raw = env("AIOHTTP_CLIENT_TIMEOUT_MODEL_LIST");
  if (!list_raw) list_raw = env("AIOHTTP_CLIENT_TIMEOUT_OPENAI_MODEL_LIST");
  e.model_list_timeout_s = TimeoutSeconds(list_raw, 10, 10);
  e.cache_ttl_s = TimeoutSeconds(env("MODELS_CACHE_TTL"), 1, 1);
  e.forward_user_headers = Truthy(env("ENABLE_FORWARD_USER_INFO_HEADERS"));
  return e;
}

}  // namespace webui::providers
