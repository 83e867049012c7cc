// "consumer": depends on "basic" and uses its greeter service through the registry.
#include <webui_host/sdk.hpp>

#include <nlohmann/json.hpp>

#include "greeter_service.h"

using webui::sdk::Auth;

#ifdef CONSUMER_UNDECLARED
#define CONSUMER_ROUTE "/api/v1/aa_user/greet"
#else
#define CONSUMER_ROUTE "/api/v1/consumer/greet"
#endif

class Consumer : public webui::sdk::Plugin {
 public:
  void Init(webui::sdk::Host& host) override {
    host.Route("GET", CONSUMER_ROUTE, Auth::kPublic,
               [&host](webui::sdk::Request& req, webui::sdk::Response& res) {
                 nlohmann::json out = nlohmann::json::array();
                 const std::string name(req.Query("name").value_or("world"));
                 for (const auto& svc : host.Services(kGreeterServiceV1)) {
                   if (svc.vtable_size < sizeof(wh_test_greeter_v1)) continue;
                   auto* vt = static_cast<const wh_test_greeter_v1*>(svc.vtable);
                   std::string text;
                   vt->greet(svc.user, webui::sdk::ToWh(name), webui::sdk::detail::AppendSink,
                             &text);
                   out.push_back({{"provider", svc.provider}, {"text", text}});
                 }
                 res.Json(out.dump());
               });
  }
};

#ifdef CONSUMER_UNDECLARED
// The same consumer without declaring its dependency (and sorted before "basic", so it is
// initialised first): the host must still shut it down before the provider it used.
WEBUI_HOST_PLUGIN(Consumer, "aa_user", "0.1.0", "Uses basic's greeter without declaring it")
#else
WEBUI_HOST_PLUGIN_WITH_DEPS(Consumer, "consumer", "0.1.0", "Uses basic's greeter", "basic")
#endif
