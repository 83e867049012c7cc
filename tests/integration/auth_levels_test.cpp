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

// The identity chain: chain_auth's authenticators sit before (-10) and after (10) test_auth's.
class IdentityChain : public SharedHostSuite<IdentityChain> {
 public:
  static void Configure(HostProcess::Options& o) {
    o.env["WEBUI_PLUGIN_PATH"] = PluginDir("good") + ":" + PluginDir("chain");
    o.env["WEBUI_PLUGINS"] = "basic,test_auth,chain_auth";
  }
};

TEST_F(IdentityChain, AnEarlierAuthenticatorDecidesForTheCredentialsItKnows) {
  auto r = host().Get("/api/v1/test/any", {{"X-Chain-Key", "good"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["caller"]["id"], "chain-1");
  // It decides before the primary would have rejected the bearer token.
  r = host().Get("/api/v1/test/any",
                 {{"X-Chain-Key", "good"}, {"Authorization", "Bearer invalid"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["caller"]["id"], "chain-1");
  // The route's level still applies to whoever the chain resolved.
  EXPECT_EQ(host().Get("/api/v1/test/admin", {{"X-Chain-Key", "good"}}).status, 401);
}

TEST_F(IdentityChain, ARejectionEndsTheChain) {
  HeaderList h = As("admin", "a1");
  h.push_back({"X-Chain-Key", "bad"});
  auto r = host().Get("/api/v1/test/any", h);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.Json(), json({{"detail", "Invalid chain key"}}));
}

TEST_F(IdentityChain, AnOutageIs503AndNeverA401) {
  HeaderList h = As("admin", "a1");
  h.push_back({"X-Chain-Key", "down"});
  auto r = host().Get("/api/v1/test/any", h);
  EXPECT_EQ(r.status, 503);
  ASSERT_TRUE(r.Json()["detail"].is_string());
  // Even where anonymous callers are welcome: the caller cannot be told apart from an attacker.
  EXPECT_EQ(host().Get("/api/v1/test/optional", {{"X-Chain-Key", "down"}}).status, 503);
}

TEST_F(IdentityChain, ALaterAuthenticatorHearsOnlyWhatEarlierOnesPassedOn) {
  auto r = host().Get("/api/v1/test/admin", {{"X-Late-Key", "late"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["caller"]["id"], "late-1");
  // test_auth (order 0) judged the bearer token first.
  EXPECT_EQ(
      host()
          .Get("/api/v1/test/admin", {{"X-Late-Key", "late"}, {"Authorization", "Bearer invalid"}})
          .status,
      401);
  r = host().Get("/api/v1/test/any", HeaderList{{"X-Late-Key", "late"}, As("user", "u2")[0]});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Json()["caller"]["id"], "u2");
}

TEST_F(IdentityChain, ADisabledPluginsAuthenticatorsAreSkipped) {
  ASSERT_EQ(host().Post("/api/v1/plugins/chain_auth/disable", "", As("admin")).status, 200);
  EXPECT_EQ(host().Get("/api/v1/test/any", {{"X-Chain-Key", "good"}}).status, 403);
  EXPECT_EQ(host().Get("/api/v1/test/any", {{"X-Chain-Key", "down"}}).status, 403);
  // The primary authenticator's plugin cannot be disabled: it answers for every request.
  EXPECT_EQ(host().Post("/api/v1/plugins/test_auth/disable", "", As("admin")).status, 409);
  ASSERT_EQ(host().Post("/api/v1/plugins/chain_auth/enable", "", As("admin")).status, 200);
  EXPECT_EQ(host().Get("/api/v1/test/any", {{"X-Chain-Key", "good"}}).status, 200);
}

}  // namespace
}  // namespace webui::testing
