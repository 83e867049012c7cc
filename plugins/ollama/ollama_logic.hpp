// The parts of the ollama plugin that need no host: connection settings, model-list merging, and
// the conversions between OpenAI chat completions and Ollama's /api/chat (both directions).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "providers/connections.hpp"

namespace webui::ollama {

using nlohmann::json;

using providers::Connections;
using providers::EnvLookup;
using providers::StripPrefix;

// The field names of /ollama/config and /ollama/config/update (keys live in the configs).
inline constexpr providers::ConnectionFields kConnectionFields{
    "ENABLE_OLLAMA_API", "OLLAMA_BASE_URLS", nullptr, "OLLAMA_API_CONFIGS"};

// OLLAMA_BASE_URLS (';'), else OLLAMA_BASE_URL, else OLLAMA_API_BASE_URL without "/api", else
// http://localhost:11434.
std::vector<std::string> BaseUrlsFromEnv(const EnvLookup& env);

// /ollama/config/update with the Ollama field names (providers::ConnectionsFromUpdate).
inline Connections ConnectionsFromUpdate(const json& body, bool current_enable) {
  return providers::ConnectionsFromUpdate(body, current_enable, kConnectionFields);
}

// One connection's /api/tags answer adjusted like upstream: model_ids filter, prefix_id, tags,
// connection_type (default "local"). nullopt when it has no "models" list.
std::optional<json> ConnectionModels(const json& tags_response, const json& config);
// Merges by "model"; each merged model gets "urls": the connection indexes that serve it.
json MergeModels(const std::vector<std::optional<json>>& lists);

// "llama3" -> "llama3:latest"; names with a tag stay as they are.
std::string WithTag(const std::string& name);
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

}  // namespace webui::ollama
