// The /api/config fields of modules this server does not have yet (LDAP, audio, files, image
// generation, web search, code execution, cloud drives, ...), with the values Open WebUI answers
// when they are off. The signed-in frontend reads some without optional chaining (the read-aloud
// button compares $config.audio.tts.engine), so an absent block breaks the page.
//
// One place, merged first (WH_API_CONFIG_ORDER_UI_DEFAULTS): the plugin that implements a module
// contributes its block at the default order and replaces these values field by field; chat's
// default_models and auth's permissions do the same. Anonymous callers get only public flags.
#include <webui_host/sdk.hpp>
#include <webui_host/sdk/json.hpp>

#include <optional>

#include <nlohmann/json.hpp>

namespace webui::ui_defaults {

using nlohmann::json;

json PublicDefaults() {
  return {{"features", {{"enable_ldap", false}, {"enable_version_update_check", false}}}};
}

json SignedInDefaults() {
  json c = PublicDefaults();
  for (const char* flag :
       {"enable_direct_connections", "enable_channels", "enable_notes", "enable_web_search",
        "enable_code_execution", "enable_code_interpreter", "enable_image_generation",
        "enable_autocomplete_generation", "enable_community_sharing", "enable_message_rating",
        "enable_user_webhooks", "enable_admin_export", "enable_admin_chat_access",
        "enable_google_drive_integration", "enable_onedrive_integration"})
    c["features"][flag] = false;
  c["default_models"] = "";
  c["default_prompt_suggestions"] = json::array();
  c["code"] = {{"engine", "pyodide"}};
  c["audio"] = {{"tts", {{"engine", ""}, {"voice", ""}, {"split_on", "punctuation"}}},
                {"stt", {{"engine", ""}}}};
  c["file"] = {{"max_size", nullptr},
               {"max_count", nullptr},
               {"image_compression", {{"width", nullptr}, {"height", nullptr}}}};
  c["permissions"] = json::object();
  c["google_drive"] = {{"client_id", ""}, {"api_key", ""}};
  c["onedrive"] = json::object();
  c["license_metadata"] = nullptr;
  return c;
}

class UiDefaultsPlugin : public sdk::Plugin {
 public:
  void Init(sdk::Host& host) override {
    sdk::OfferApiConfigJson(
        host,
        [](sdk::Request& req) {
          const std::optional<sdk::Caller> caller = req.GetCaller();
          // Open WebUI's get_app_config: the full document for users and admins only.
          const bool signed_in = caller && (caller->role == "user" || caller->IsAdmin());
          return signed_in ? SignedInDefaults() : PublicDefaults();
        },
        WH_API_CONFIG_ORDER_UI_DEFAULTS);
  }
};

}  // namespace webui::ui_defaults

WEBUI_HOST_PLUGIN(webui::ui_defaults::UiDefaultsPlugin, "ui_defaults", "1.0.0",
                  "/api/config defaults for modules not installed (merged under their owners)")
