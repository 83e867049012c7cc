// The parts of the openai plugin that need no host: connection settings as Open WebUI keeps them,
// model-list merging, payload adjustments and SSE parsing. Kept apart so unit tests cover them.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace webui::openai {

using nlohmann::json;

// Open WebUI's connection settings (openai.enable, openai.api_base_urls, openai.api_keys,
// openai.api_configs). `keys` is always as long as `urls` after Normalize().
struct Connections {
  bool enable = true;
  std::vector<std::string> urls;
  std::vector<std::string> keys;
  json configs = json::object();  // {"<idx>": {enable, prefix_id, model_ids, tags, ...}}

  // Pads keys with "" or truncates them to the number of urls (as upstream does).
  void Normalize();
  // The connection's config: configs[str(idx)], else configs[url] (legacy), else {}.
  json ConfigOf(size_t idx) const;
  bool Enabled(size_t idx) const;     // config "enable" (default true)
  std::string Url(size_t idx) const;  // without a trailing '/'
  std::string Key(size_t idx) const;
  // A stable text of everything that decides the model list (cache key).
  std::string Fingerprint() const;
};

// Splits on `sep` and trims each item, keeping empty items (positions matter for keys).
std::vector<std::string> SplitKeepEmpty(std::string_view text, char sep);

// Initial values from the environment, with upstream's rules: OPENAI_API_BASE_URLS falls back to
// OPENAI_API_BASE_URL, then "https://api.openai.com/v1" (also for empty items);
// OPENAI_API_KEYS falls back to OPENAI_API_KEY.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
std::vector<std::string> BaseUrlsFromEnv(const EnvLookup& env);
std::vector<std::string> KeysFromEnv(const EnvLookup& env);

// Validates a POST /openai/config/update body and applies upstream's normalisation (keys padded
// or cut to the urls, configs of missing indexes dropped). Throws std::invalid_argument with a
// message for a 422.
Connections ConnectionsFromUpdate(const json& body, bool current_enable);
json ConnectionsToJson(const Connections& c);

// Seconds from an AIOHTTP_* style variable: unset -> `unset`, "" -> nullopt (no limit), an
// integer -> it, anything else -> `invalid`.
std::optional<int> TimeoutSeconds(const std::optional<std::string>& raw, std::optional<int> unset,
                                  int invalid);

// One connection's /models answer (or the synthesised list when config.model_ids is set),
// adjusted like upstream: null names dropped, prefix_id prepended, tags and connection_type set.
// nullopt when the answer has no model list.
std::optional<json> ConnectionModels(const json& response, const json& config);
json SynthesisedModels(const json& model_ids, size_t idx);

// Merges the per-connection lists into Open WebUI's /openai/models items: {..., name, owned_by:
// "openai", openai: <raw>, connection_type, urlIdx}. api.openai.com lists lose non-chat models.
json MergeModels(const std::vector<std::optional<json>>& lists,
                 const std::vector<std::string>& urls);

// Adjusts a chat completion body for the connection that serves `model`: strips the prefix_id,
// moves max_tokens/max_completion_tokens like upstream (o-series, non-OpenAI hosts).
void PrepareChatPayload(json& payload, const json& config, const std::string& url);

// Removes "<prefix_id>." from the front of `model_id` (only there).
std::string StripPrefix(const std::string& model_id, const json& config);

// Open WebUI's error text for an upstream error body: error.message, else error as text, else
// the body itself (or `fallback` when empty).
std::string UpstreamErrorText(std::string_view body, std::string_view fallback);

// Percent-encodes like Python's urllib.parse.quote(s, safe=" ") (user names in headers).
std::string UrlQuote(std::string_view s);

// Splits an SSE byte stream into the payloads of its "data:" lines, whatever the chunking.
class SseSplitter {
 public:
  // Calls `on_data` for every complete data line (without "data:" and one leading space).
  // Returns false as soon as `on_data` does.
  bool Feed(std::string_view bytes, const std::function<bool(std::string_view)>& on_data);
  // True when the bytes seen so far end on an event boundary (nothing pending).
  bool AtBoundary() const { return pending_.empty(); }

  // An upstream that never ends its line would otherwise grow the buffer without limit: past
  // this many pending bytes Feed gives up (returns false) and overflowed() says why.
  static constexpr size_t kMaxPending = size_t{16} << 20;
  bool overflowed() const { return overflowed_; }

 private:
  std::string pending_;
  bool overflowed_ = false;
};

// Watches a relayed stream for its end marker: a "data: [DONE]" line (SSE) or a JSON line whose
// "done" is true (Ollama's NDJSON). Some upstreams send it and keep the connection open; the
// relay ends the client's stream there instead of waiting for the read timeout. Holds at most
// one line of kMaxLine bytes (a longer line is not an end marker).
class StreamEndWatcher {
 public:
  enum class Format { kSse, kNdjson };
  static constexpr size_t kMaxLine = 64 * 1024;
  explicit StreamEndWatcher(Format format) : format_(format) {}
  // True once the end marker has gone by (in these bytes or earlier ones).
  bool Feed(std::string_view bytes);

 private:
  bool IsEnd(std::string_view line) const;
  Format format_;
  std::string line_;
  bool overlong_ = false;
  bool ended_ = false;
};

}  // namespace webui::openai
