#include "providers/openai_endpoint.hpp"

#include <webui_host/sdk/json.hpp>

#include <optional>

#include <nlohmann/json.hpp>

#include "providers/upstream_relay.hpp"
#include "providers/wire.hpp"

namespace webui::providers {

using nlohmann::json;

WholeAnswer UpstreamAnswer(int status, std::string content_type, const std::string& body) {
  if (status <= 0) status = 502;
  json j = sdk::json::Parse(body).value_or(json(json::value_t::discarded));
  if (!j.is_discarded()) return {status, "application/json", j.dump()};
  if (content_type.empty()) content_type = "text/plain; charset=utf-8";
  return {status, std::move(content_type), body};
}

void SendUpstreamAnswer(sdk::Response& res, int status, std::string content_type,
                        const std::string& body) {
  const WholeAnswer a = UpstreamAnswer(status, std::move(content_type), body);
  res.Status(a.status).Header("Content-Type", a.content_type);
  res.Send(a.body);
}

namespace {

class OpenAiRelay final : public ProxyRelay {
 public:
  OpenAiRelay(sdk::Host& host, const std::string& url)
      : ProxyRelay(host, "openai", url, StreamEndWatcher::Format::kSse) {}

 private:
  std::optional<std::string> StreamType(int status, const std::string& content_type) override {
    if (status < 400 && content_type.find("text/event-stream") != std::string::npos)
      return "text/event-stream";
    return std::nullopt;
  }
  std::string ErrorEvent(bool timed_out, std::string_view tail) override {
    return timed_out ? SseErrorEvent("Open WebUI: upstream read timeout", "upstream_timeout", tail)
                     : SseErrorEvent("Open WebUI: upstream connection lost",
                                     "upstream_disconnected", tail);
  }
  void Answer(sdk::Relay& relay, int status, const std::string& content_type,
              const std::string& body) override {
    const WholeAnswer a = UpstreamAnswer(status, content_type, body);
    relay.Respond(a.status, a.content_type, a.body);
  }
};

}  // namespace

void RelayOpenAiAnswer(sdk::Host& host, sdk::Response& res, const sdk::FetchRequest& f,
                       const ProxyRelay::OutcomeFn& report) {
  ProxyThrough<OpenAiRelay>(host, res, f, report, f.url);
}

}  // namespace webui::providers
