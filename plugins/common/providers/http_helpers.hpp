// Small request and settings helpers of the provider plugins. Kept in one file: the SDK is
// getting its own (sdk/json.hpp), and these will give way to them.
#pragma once

#include <webui_host/sdk.hpp>

#include <string_view>

#include <nlohmann/json.hpp>
#include <webui_host/sdk/json.hpp>

namespace webui::providers {

// A request body that must be a JSON object; anything else is a 422 in Open WebUI's shape.
inline nlohmann::json ParseObjectBody(std::string_view body) {
  nlohmann::json j =
      sdk::json::Parse(body).value_or(nlohmann::json(nlohmann::json::value_t::discarded));
  if (j.is_discarded() || !j.is_object())
    throw sdk::HttpError(422, "Request body must be a JSON object");
  return j;
}

// A JSON setting, or `fallback` when it is unset or not JSON.
inline nlohmann::json SettingJson(const sdk::Host& host, const char* key, nlohmann::json fallback) {
  auto text = host.ConfigJson(key);
  if (!text) return fallback;
  nlohmann::json j =
      sdk::json::Parse(*text).value_or(nlohmann::json(nlohmann::json::value_t::discarded));
  return j.is_discarded() ? fallback : j;
}

}  // namespace webui::providers
