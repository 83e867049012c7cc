// "socket_probe": emits through socket_emitter.v1 on HTTP request and records the client events it
// receives (heartbeat, usage, user-join, disconnect and its own probe:* events), so the Node
// scripts can check both directions.
#include <webui_host/services/socket_emitter.h>
#include <webui_host/sdk.hpp>

#include <deque>
#include <mutex>

#include <nlohmann/json.hpp>

namespace {

using nlohmann::json;
using webui::sdk::Auth;
using webui::sdk::FromWh;
using webui::sdk::ToWh;

class SocketProbe : public webui::sdk::Plugin {
 public:
  void Init(webui::sdk::Host& host) override {
    const auto services = host.Services(WH_SERVICE_SOCKET_EMITTER_V1);
    if (services.empty()) throw std::runtime_error("no socket_emitter.v1 provider");
    vt_ = static_cast<const wh_socket_emitter_v1*>(services[0].vtable);
    su_ = services[0].user;
    for (const char* event :
         {"probe:echo", "probe:whoami", "heartbeat", "usage", "user-join", "disconnect"}) {
      std::uint64_t id = 0;
      webui::sdk::detail::Check(vt_->on(su_, ToWh(event), &OnEvent, this, &id), "socket on");
      ids_.push_back(id);
    }
    host.Route("POST", "/api/test/socket/emit", Auth::kPublic,
               [this](webui::sdk::Request& req, webui::sdk::Response& res) {
                 const json j = json::parse(req.Body());
                 const std::string to = j.value("to", "");
                 const std::string event = j.at("event").get<std::string>();
                 std::string data = j.contains("data") ? j["data"].dump() : "";
                 if (j.contains("raw")) data = j["raw"].get<std::string>();
                 const wh_status st = vt_->emit(su_, ToWh(to), ToWh(event), ToWh(data));
                 res.Json(json{{"status", static_cast<int>(st)}}.dump());
               });
    host.Route("GET", "/api/test/socket/events", Auth::kPublic,
               [this](webui::sdk::Request&, webui::sdk::Response& res) {
                 std::lock_guard lock(mu_);
                 res.Json(json(std::vector<json>(events_.begin(), events_.end())).dump());
               });
    host.Route("POST", "/api/test/socket/events/clear", Auth::kPublic,
               [this](webui::sdk::Request&, webui::sdk::Response& res) {
                 std::lock_guard lock(mu_);
                 events_.clear();
                 res.Json("{}");
               });
  }
  void Shutdown() override {
    for (auto id : ids_) vt_->off(su_, id);
  }

 private:
  static void OnEvent(void* user, wh_str sid, const wh_caller* caller, wh_str event,
                      wh_str data_json, wh_str_sink ack, void* ack_user) {
    auto* self = static_cast<SocketProbe*>(user);
    json who = nullptr;
    if (caller) who = {{"id", FromWh(caller->id)}, {"role", FromWh(caller->role)}};
    const json args = json::parse(FromWh(data_json), nullptr, false);
    const std::string name(FromWh(event));
    {
      std::lock_guard lock(self->mu_);
      self->events_.push_back(json{{"sid", FromWh(sid)},
                                   {"event", name},
                                   {"args", args},
                                   {"caller", who},
                                   {"ack", ack != nullptr}});
      if (self->events_.size() > 2000) self->events_.pop_front();
    }
    if (ack == nullptr) return;
    if (name == "probe:echo") {
      const std::string reply = json::array({{{"echo", args}, {"caller", who}}}).dump();
      ack(ack_user, ToWh(reply));
    } else if (name == "probe:whoami") {
      ack(ack_user, ToWh(json::array({who}).dump()));
    }
  }

  const wh_socket_emitter_v1* vt_ = nullptr;
  void* su_ = nullptr;
  std::vector<std::uint64_t> ids_;
  std::mutex mu_;
  std::deque<json> events_;
};

}  // namespace

WEBUI_HOST_PLUGIN(SocketProbe, "socket_probe", "0.1.0",
                  "Emits through socket_emitter.v1 and records client events (tests)")
