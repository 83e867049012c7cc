// GET /api/config assembled from the plugins that own its fields (the real auth, chat and
// ui_defaults plugins): each block comes and goes with its plugin, an owner's value wins over
// the UI defaults whatever the load order, and anonymous callers never see signed-in fields.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "host_process.hpp"
#include "it_support.hpp"

namespace webui::testing {
namespace {

using nlohmann::json;

HeaderList Bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

class ApiConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    WH_REQUIRE_BACKEND();
    backend_ = std::make_unique<Backend>();
    HostProcess::Options o;
    o.env = backend_->Env();
    // ui_defaults listed last: its contribution must still merge first.
    PluginHostEnv(o, "auth,chat,ui_defaults", "api-config-test-secret");
    o.env["DEFAULT_MODELS"] = "model-from-chat";
    host_ = std::make_unique<HostProcess>(std::move(o));
    std::string why;
    ASSERT_TRUE(host_->Start(&why)) << why;
    admin_ = SignUp(host_->port(), "Admin").token;
    ASSERT_FALSE(admin_.empty());
  }

  json Config(const HeaderList& headers = {}) const {
    const auto r = host_->Get("/api/config", headers);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.Json();
  }
  void Toggle(const std::string& plugin, bool enable) const {
    const auto r = host_->Post("/api/v1/plugins/" + plugin + (enable ? "/enable" : "/disable"), "",
                               Bearer(admin_));
    ASSERT_EQ(r.status, 200) << r.body;
  }

  std::unique_ptr<Backend> backend_;
  std::unique_ptr<HostProcess> host_;
  std::string admin_;
};

TEST_F(ApiConfig, AnonymousCallersGetBootstrapFieldsOnly) {
  const json c = Config();
  EXPECT_EQ(c["features"]["auth"], true);              // auth
  EXPECT_EQ(c["features"]["enable_websocket"], true);  // host
  EXPECT_EQ(c["features"]["enable_ldap"], false);      // ui_defaults
  EXPECT_FALSE(c["features"].contains("enable_web_search"));
  for (const char* signed_in_only :
       {"default_models", "default_prompt_suggestions", "audio", "file", "code", "permissions",
        "user_count", "ui", "google_drive", "onedrive", "license_metadata"})
    EXPECT_FALSE(c.contains(signed_in_only)) << signed_in_only;
}

TEST_F(ApiConfig, EachBlockComesFromItsPluginAndOwnersWinOverDefaults) {
  json c = Config(Bearer(admin_));
  EXPECT_EQ(c["default_models"], "model-from-chat");     // chat over ui_defaults' ""
  EXPECT_EQ(c["audio"]["tts"]["engine"], "");            // ui_defaults
  EXPECT_EQ(c["features"]["enable_web_search"], false);  // ui_defaults
  EXPECT_EQ(c["user_count"], 1);                         // auth
  EXPECT_TRUE(c["permissions"].contains("workspace"));   // auth over ui_defaults' {}

  Toggle("ui_defaults", false);
  c = Config(Bearer(admin_));
  EXPECT_FALSE(c.contains("audio"));
  EXPECT_FALSE(c["features"].contains("enable_web_search"));
  EXPECT_FALSE(c["features"].contains("enable_ldap"));
  EXPECT_EQ(c["default_models"], "model-from-chat");
  EXPECT_EQ(c["features"]["auth"], true);
  EXPECT_EQ(c["features"]["enable_websocket"], true);

  Toggle("ui_defaults", true);
  Toggle("chat", false);
  c = Config(Bearer(admin_));
  EXPECT_EQ(c["default_models"], "");  // chat's value gone: the UI default remains
  EXPECT_EQ(c["audio"]["tts"]["engine"], "");
}

}  // namespace
}  // namespace webui::testing
