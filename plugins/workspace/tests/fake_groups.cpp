// Stands in for the auth plugin in the workspace tests: a groups.v1 provider where "gina" is in
// group "g-team", "outage" fails as an unreachable database would and everyone else is in no
// group; and USER_PERMISSIONS letting members create prompts.
#include <webui_host/services/groups.h>
#include <webui_host/sdk.hpp>

#include <string>
#include <string_view>

namespace {

wh_status GroupsOf(void*, wh_str user_id, wh_str_sink sink, void* sink_user) {
  const std::string_view id = webui::sdk::FromWh(user_id);
  if (id == "outage") return WH_UNAVAILABLE;
  const std::string out = id == "gina" ? R"(["g-team"])" : "[]";
  sink(sink_user, webui::sdk::ToWh(out));
  return WH_OK;
}

const wh_groups_v1 kGroups = [] {
  wh_groups_v1 t{};
  t.struct_size = sizeof(wh_groups_v1);
  t.groups_of = &GroupsOf;
  return t;
}();

class FakeGroups : public webui::sdk::Plugin {
 public:
  void Init(webui::sdk::Host& host) override {
    host.OfferService(WH_SERVICE_GROUPS_V1, &kGroups);
    host.DeclareConfig("user.permissions", "", R"({"workspace": {"prompts": true}})", false);
  }
};

}  // namespace

WEBUI_HOST_PLUGIN(FakeGroups, "test_workspace_groups", "0.1.0", "groups.v1 with fixed members")
