// A socket_emitter.v1 for the chat plugin's integration tests: records every emit in order and
// serves them over HTTP (GET /api/v1/test-emitter/events, POST /api/v1/test-emitter/reset).
#include <webui_host/services/socket_emitter.h>
#include <webui_host/sdk.hpp>

#include <mutex>

#include <nlohmann/json.hpp>

using nlohmann::json;
using webui::sdk::Auth;
using webui::sdk::Request;
using webui::sdk::Response;

namespace {

std::mutex g_mu;
json g_events = json::array();

std::string View(wh_str s) { return std::string(s.ptr == nullptr ? "" : s.ptr, s.len); }

wh_status Emit(void*, wh_str to, wh_str event, wh_str data_json) {
  json data = json::parse(View(data_json), nullptr, false);
  if (data.is_discarded()) return WH_INVALID;
  // `to` may list several targets separated by ','; record the event once per target, as each
  // would receive it.
  std::lock_guard lock(g_mu);
  const std::string targets = View(to);
  size_t start = 0;
  while (true) {
    const size_t comma = targets.find(',', start);
    const std::string one =
        targets.substr(start, comma == std::string::npos ? comma : comma - start);
    if (!one.empty() || targets.empty())
      g_events.push_back({{"to", one}, {"event", View(event)}, {"data", data}});
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return WH_OK;
}

// Client events are not simulated: registrations are accepted and never called.
wh_status On(void*, wh_str, wh_socket_event_fn, void*, uint64_t* id_out) {
  static uint64_t next = 0;
  if (id_out != nullptr) *id_out = ++next;
  return WH_OK;
}
wh_status Off(void*, uint64_t) { return WH_OK; }

class FakeEmitter : public webui::sdk::Plugin {
 public:
  void Init(webui::sdk::Host& host) override {
    host.OfferService(WH_SERVICE_SOCKET_EMITTER_V1, &vtable_);
    host.Route("GET", "/api/v1/test-emitter/events", Auth::kPublic, [](Request&, Response& res) {
      std::lock_guard lock(g_mu);
      res.Json(g_events.dump());
    });
    host.Route("POST", "/api/v1/test-emitter/reset", Auth::kPublic, [](Request&, Response& res) {
      std::lock_guard lock(g_mu);
      g_events = json::array();
      res.Json("true");
    });
  }

 private:
  wh_socket_emitter_v1 vtable_{
      sizeof(wh_socket_emitter_v1), &Emit, &On, &Off, {nullptr, nullptr, nullptr, nullptr}};
};

}  // namespace

WEBUI_HOST_PLUGIN(FakeEmitter, "test_chat_emitter", "0.1.0", "Records socket emits for chat tests")
