// The ldap plugin: sign-in with a directory password (OpenLDAP, Active Directory) at Open WebUI's
// /api/v1/auths/ldap, its admin settings, and features.enable_ldap in /api/config. An optional
// module (package webui-host-mod-ldap); disabled or not installed, these routes answer 404.
#include <webui_host/sdk.hpp>
#include <webui_host/sdk/json.hpp>

#include "directory.hpp"
#include "login.hpp"
#include "settings.hpp"

namespace webui::ldap {
namespace {

using nlohmann::json;
using sdk::Auth;
using sdk::Request;
using sdk::Response;

class LdapPlugin : public sdk::Plugin {
 public:
  void Init(sdk::Host& host) override {
    host_ = &host;
    InitializeLibrary();
    DeclareSettings(host);

    host.Route("POST", "/api/v1/auths/ldap", Auth::kPublic,
               [this](Request& req, Response& res) { HandleLogin(*host_, req, res); });

    host.Route("GET", "/api/v1/auths/admin/config/ldap", Auth::kAdmin,
               [this](Request&, Response& res) { sdk::Reply(res, EnableForm()); });
    host.Route("POST", "/api/v1/auths/admin/config/ldap", Auth::kAdmin,
               [this](Request& req, Response& res) {
                 const json body = sdk::JsonBody(req);
                 // Optional[bool]: null (or absent) switches it off, as in Open WebUI.
                 bool enable = false;
                 if (auto it = body.find("enable_ldap"); it != body.end() && !it->is_null()) {
                   if (!it->is_boolean())
                     throw sdk::Unprocessable("bool_type", "enable_ldap",
                                              "Input should be a valid boolean");
                   enable = it->get<bool>();
                 }
                 host_->SetConfig(keys::kEnable, enable ? "true" : "false");
                 sdk::Reply(res, EnableForm());
               });

    host.Route(
        "GET", "/api/v1/auths/admin/config/ldap/server", Auth::kAdmin,
        [this](Request&, Response& res) { sdk::Reply(res, ServerForm(LoadSettings(*host_))); });
    host.Route("POST", "/api/v1/auths/admin/config/ldap/server", Auth::kAdmin,
               [this](Request& req, Response& res) {
                 SaveServerForm(*host_, sdk::JsonBody(req));
                 sdk::Reply(res, ServerForm(LoadSettings(*host_)));
               });

    // Public: the login page needs it before anyone is signed in.
    sdk::OfferApiConfigJson(host, [this](Request&) {
      return json{{"features", {{"enable_ldap", sdk::Setting(*host_, keys::kEnable, false)}}}};
    });
  }

 private:
  json EnableForm() const { return {{"ENABLE_LDAP", sdk::Setting(*host_, keys::kEnable, false)}}; }

  sdk::Host* host_ = nullptr;
};

}  // namespace
}  // namespace webui::ldap

WEBUI_HOST_PLUGIN_WITH_DEPS(webui::ldap::LdapPlugin, "ldap", "1.0.0",
                            "Sign-in with an LDAP or Active Directory password", "auth")
