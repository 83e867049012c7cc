// Connection settings as Open WebUI keeps them for its OpenAI and Ollama routers: a list of base
// URLs, their keys, and per-connection configs ({"<idx>": {enable, prefix_id, model_ids, tags,
// key, ...}}), plus the environment and timeout rules both routers share. No host needed here,
// so unit tests cover it (connections_test.cpp).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace webui::providers {

using nlohmann::json;

struct Connections {
  bool enable = true;
  std::vector<std::string> urls;
  std::vector<std::string> keys;  // as long as `urls` after Normalize()
  json configs = json::object();
  // Ollama keeps a connection's key in its config ("key"); OpenAI in the `keys` list.
  bool keys_in_config = false;

  // Pads keys with "" or truncates them to the number of urls (as upstream does).
  void Normalize();
  // The connection's config: configs[str(idx)], else configs[url] (legacy), else {}.
  json ConfigOf(size_t idx) const;
  bool Enabled(size_t idx) const;     // config "enable" (default true)
  std::string Url(size_t idx) const;  // without a trailing '/'
  std::string Key(size_t idx) const;  // "" when none
  // A stable text of everything that decides the model list (cache key).
  std::string Fingerprint() const;
};

// The JSON field names of one router's /config answer and /config/update body.
struct ConnectionFields {
  const char* enable;   // "ENABLE_OPENAI_API"
  const char* urls;     // "OPENAI_API_BASE_URLS"
  const char* keys;     // "OPENAI_API_KEYS", nullptr when keys live in the configs
  const char* configs;  // "OPENAI_API_CONFIGS"
};

// Validates a POST /<router>/config/update body and applies upstream's normalisation (keys
// padded or cut to the urls, configs of missing indexes dropped). Throws std::invalid_argument
// with a message for a 422.
Connections ConnectionsFromUpdate(const json& body, bool current_enable,
                                  const ConnectionFields& fields);
json ConnectionsToJson(const Connections& c, const ConnectionFields& fields);

// Removes "<prefix_id>." from the front of `model_id` (only there).
std::string StripPrefix(const std::string& model_id, const json& config);

std::string Trim(std::string_view s);
// Splits on `sep` and trims each item, keeping empty items (positions matter for keys).
std::vector<std::string> SplitKeepEmpty(std::string_view text, char sep);

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// Seconds from an AIOHTTP_* style variable: unset -> `unset`, "" -> nullopt (no limit), an
// integer -> it, anything else -> `invalid`.
std::optional<int> TimeoutSeconds(const std::optional<std::string>& raw, std::optional<int> unset,
                                  int invalid);

// The timeouts and switches both routers read from the environment.
struct ProviderEnv {
  std::optional<int> request_timeout_s;     // AIOHTTP_CLIENT_TIMEOUT
  std::optional<int> model_list_timeout_s;  // AIOHTTP_CLIENT_TIMEOUT_MODEL_LIST
  std::optional<int> cache_ttl_s;           // MODELS_CACHE_TTL
  bool forward_user_headers = false;        // ENABLE_FORWARD_USER_INFO_HEADERS

  static ProviderEnv From(const EnvLookup& env);
};

}  // namespace webui::providers
