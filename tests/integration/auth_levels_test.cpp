// The host resolves the caller before a handler runs, by the level the route declared.
#include "it_support.hpp"

namespace webui::testing {
namespace {

using nlohmann::json;
constexpr const char* kProhibited =
    "You do not have permission to access this resource. Please contact your administrator for "
    "assistance.";

class AuthLevels : public SharedHost {};

TEST_F(AuthLevels, MissingCredentialsAre403NotAuthenticated) {
  for (const char* path :
       {"/api/v1/test/any", "/api/v1/test/items/1", "/api/v1/test/admin", "/api/v1/plugins/"}) {
    auto r = host().Get(path);
    EXPECT_EQ(r.status, 403) << path;
    EXPECT_EQ(r.Json(), json({{"detail", "Not authenticated"}})) << path;
  }
}

TEST_F(AuthLevels, RejectedCredentialsAre401) {
  auto r = host().Get("/api/v1/test/any", {{"Authorization", "Bearer invalid"}});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.Json(), json({{"detail", "Invalid token"}}));
}

TEST_F(AuthLevels, RolesAreEnforcedWith401AccessProhibited) {
  // pending passes only "any" routes
  EXPECT_EQ(host().Get("/api/v1/test/any", As("pending")).status, 200);
  auto r = host().Get("/api/v1/test/items/7", As("pending"));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.Json()["detail"], kProhibited);
  EXPECT_EQ(host().Get("/api/v1/test/admin", As("pending")).status, 401);

  // user passes verified, not admin
  r = host().Get("/api/v1/test/items/7", As("user", "u1"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Json()["id"], "7");
  EXPECT_EQ(r.Json()["caller"]["id"], "u1");
  EXPECT_EQ(r.Json()["caller"]["role"], "user");
  EXPECT_EQ(r.Json()["caller"]["email"], "u1@example.com");
  EXPECT_EQ(host().Get("/api/v1/test/admin", As("user")).status, 401);

  // admin passes everything
  r = host().Get("/api/v1/test/admin", As("admin", "a1"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Json()["caller"]["role"], "admin");
}

TEST_F(AuthLevels, OptionalRoutesTakeAnonymousAndSignedInCallers) {
  auto anon = host().Get("/api/v1/test/optional");
  ASSERT_EQ(anon.status, 200);
  EXPECT_TRUE(anon.Json()["caller"].is_null());
  auto user = host().Get("/api/v1/test/optional", As("user", "u9"));
  ASSERT_EQ(user.status, 200);
  EXPECT_EQ(user.Json()["caller"]["id"], "u9");
}

TEST_F(AuthLevels, PluginCheckedRoutesBypassTheHost) {
  EXPECT_EQ(host().Get("/api/v1/test/self-checked").status, 401);
  EXPECT_EQ(host().Get("/api/v1/test/self-checked", As("admin")).status, 401);
  EXPECT_EQ(host().Get("/api/v1/test/self-checked", {{"X-Test-Key", "open-sesame"}}).status, 200);
}

TEST(AuthLevelsWithoutAuthenticator, ProtectedRoutesAreClosed) {
  WH_REQUIRE_BACKEND();
  Backend backend;
  HostProcess::Options o;
  o.env = backend.Env();
  o.env["WEBUI_PLUGINS"] = "basic";  // no test_auth: nobody can sign in
  HostProcess host(o);
  std::string why;
  ASSERT_TRUE(host.Start(&why)) << why;
  EXPECT_EQ(host.Get("/api/v1/test/echo").status, 200);
  EXPECT_EQ(host.Get("/api/v1/test/any", As("admin")).status, 403);
  EXPECT_EQ(host.Get("/api/v1/plugins/", As("admin")).status, 403);
  EXPECT_EQ(host.Stop(), 0);
}

}  // namespace
}  // namespace webui::testing
