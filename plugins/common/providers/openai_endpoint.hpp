// Answers of OpenAI-compatible endpoints as they go to the client: the openai routes, and the
// audio, image and retrieval routes that call the same connections (connection_provider.hpp).
#pragma once

#include <webui_host/sdk.hpp>

#include <string>

#include "providers/upstream_relay.hpp"

namespace webui::providers {

// A buffered upstream answer as it goes to the client: JSON stays JSON (re-serialised), anything
// else keeps its content type; no status (transport failure) becomes 502.
struct WholeAnswer {
  int status;
  std::string content_type;
  std::string body;
};
WholeAnswer UpstreamAnswer(int status, std::string content_type, const std::string& body);
void SendUpstreamAnswer(sdk::Response& res, int status, std::string content_type,
                        const std::string& body);

// Relays one exchange with an OpenAI-compatible endpoint to the client: SSE streamed through as
// it arrives (ended after "data: [DONE]", an explicit error event when the upstream breaks
// off), anything else buffered and passed on with the upstream status (errors included, as
// Open WebUI does). On the host's relay when it has one: no thread waits for the stream.
// `report` hears how the exchange went (ProxyRelay::OutcomeFn).
void RelayOpenAiAnswer(sdk::Host& host, sdk::Response& res, const sdk::FetchRequest& f,
                       const ProxyRelay::OutcomeFn& report);

}  // namespace webui::providers
