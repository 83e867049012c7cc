// "prefix": registers routes under a top-level prefix no other plugin uses ("/testprefix/"), so
// the frontend tests can check that the SPA fallback learns API prefixes from the route table.
#include <webui_host/sdk.hpp>

using webui::sdk::Auth;
using webui::sdk::Request;
using webui::sdk::Response;

class Prefix : public webui::sdk::Plugin {
 public:
  void Init(webui::sdk::Host& host) override {
    host.Route("GET", "/testprefix/known", Auth::kPublic,
               [](Request&, Response& res) { res.Json(R"({"ok":true})"); });
  }
};

WEBUI_HOST_PLUGIN(Prefix, "prefix", "0.1.0", "Routes under a prefix of its own, for SPA tests")
