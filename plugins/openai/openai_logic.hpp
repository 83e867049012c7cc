// The parts of the openai plugin that need no host and are OpenAI's own: the environment's
// connection lists, model-list merging and payload adjustments. Kept apart so unit tests cover
// them; what it shares with ollama is in plugins/common/providers.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "providers/connections.hpp"

namespace webui::openai {

using nlohmann::json;

using providers::Connections;
using providers::EnvLookup;

// The field names of /openai/config and /openai/config/update.
inline constexpr providers::ConnectionFields kConnectionFields{
    "ENABLE_OPENAI_API", "OPENAI_API_BASE_URLS", "OPENAI_API_KEYS", "OPENAI_API_CONFIGS"};

// Initial values from the environment, with upstream's rules: OPENAI_API_BASE_URLS falls back to
// OPENAI_API_BASE_URL, then "https://api.openai.com/v1" (also for empty items);
// OPENAI_API_KEYS falls back to OPENAI_API_KEY.
std::vector<std::string> BaseUrlsFromEnv(const EnvLookup& env);
std::vector<std::string> KeysFromEnv(const EnvLookup& env);

// /openai/config/update with the OpenAI field names (providers::ConnectionsFromUpdate).
inline Connections ConnectionsFromUpdate(const json& body, bool current_enable) {
  return providers::ConnectionsFromUpdate(body, current_enable, kConnectionFields);
}

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

}  // namespace webui::openai
