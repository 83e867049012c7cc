// The parts of the ollama plugin that need no host: connection settings, model-list merging, and
// the conversions between OpenAI chat completions and Ollama's /api/chat (both directions).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace webui::ollama {

using nlohmann::json;

// Open WebUI's settings: ollama.enable, ollama.base_urls, ollama.api_configs.
struct Connections {
  bool enable = true;
  std::vector<std::string> urls;
  json configs = json::object();  // {"<idx>": {enable, key, prefix_id, model_ids, tags, ...}}

  json ConfigOf(size_t idx) const;  // configs[str(idx)], else configs[url] (legacy), else {}
  bool Enabled(size_t idx) const;
  std::string Url(size_t idx) const;  // without a trailing '/'
  std::string Key(size_t idx) const;  // config "key", "" when none
  std::string Fingerprint() const;
};

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
// OLLAMA_BASE_URLS (';'), else OLLAMA_BASE_URL, else OLLAMA_API_BASE_URL without "/api", else
// http://localhost:11434.
std::vector<std::string> BaseUrlsFromEnv(const EnvLookup& env);

// Validates a POST /ollama/config/update body; drops configs of indexes that do not exist.
// Throws std::invalid_argument (-> 422).
Connections ConnectionsFromUpdate(const json& body, bool current_enable);
json ConnectionsToJson(const Connections& c);

// One connection's /api/tags answer adjusted like upstream: model_ids filter, prefix_id, tags,
// connection_type (default "local"). nullopt when it has no "models" list.
std::optional<json> ConnectionModels(const json& tags_response, const json& config);
// Merges by "model"; each merged model gets "urls": the connection indexes that serve it.
json MergeModels(const std::vector<std::optional<json>>& lists);

// "llama3" -> "llama3:latest"; names with a tag stay as they are.
std::string WithTag(const std::string& name);
// Removes "<prefix_id>." from the front of `name`.
std::string StripPrefix(const std::string& name, const json& config);

// Open WebUI's /api/models items for the merged Ollama models (owned_by "ollama").
json ProviderModels(const json& merged, long long now);

// OpenAI chat completion request -> Ollama /api/chat request (messages, images, tool calls,
// options such as num_predict/stop/temperature, response_format -> format).
json OpenAiToOllamaChat(const json& openai);

// Ollama -> OpenAI conversions for one completion.
class ChatConverter {
 public:
  ChatConverter(std::string id, long long created) : id_(std::move(id)), created_(created) {}
  // One streamed /api/chat line -> one chat.completion.chunk, or nullopt for a line that carries
  // nothing (no text, no tool call, not the end).
  std::optional<json> Chunk(const json& line);
  // A whole /api/chat answer (stream false) -> chat.completion.
  json Completion(const json& answer) const;

 private:
  json ToolCalls(const json& calls) const;
  std::string id_;
  long long created_;
  bool saw_tool_calls_ = false;
};

// Open WebUI's usage object for an Ollama final message (token counts and durations).
json Usage(const json& final_line);

// Splits an NDJSON byte stream into complete lines, whatever the chunking.
class LineSplitter {
 public:
  bool Feed(std::string_view bytes, const std::function<bool(std::string_view)>& on_line);
  bool AtBoundary() const { return pending_.empty(); }
  const std::string& pending() const { return pending_; }

  // An upstream that never ends its line would otherwise grow the buffer without limit: past
  // this many pending bytes Feed gives up (returns false) and overflowed() says why.
  static constexpr size_t kMaxPending = size_t{16} << 20;
  bool overflowed() const { return overflowed_; }

 private:
  std::string pending_;
  bool overflowed_ = false;
};

}  // namespace webui::ollama
