// The scim plugin through HTTP on the real binary, with the real auth plugin behind users.v1 and
// groups.v1. The Okta and Entra suites replay what those identity providers' own conformance
// tests send (the Okta "SCIM 2.0 Spec Test", the Entra SCIM validator and live provisioning), in
// their order, with their quirks (pathless PATCH, "True"/"False" strings, capitalised ops,
// member removal by value list).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>

#include "it_support.hpp"

namespace webui::testing {
namespace {

using nlohmann::json;

constexpr const char* kToken = "scim-test-token-0123456789abcdef";
constexpr const char* kSecret = "it-secret-for-the-scim-plugin-tests";
constexpr const char* kBase = "/api/v1/scim/v2";

std::string Enc(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string Unique(const std::string& tag) {
  static std::atomic<int> n{0};
  return tag + std::to_string(::getpid()) + "x" + std::to_string(++n);
}

HeaderList Scim() {
  return {{"Authorization", std::string("Bearer ") + kToken},
          {"Content-Type", "application/scim+json"}};
}
HeaderList Bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

void ExpectScimError(const HttpResult& r, int status, const std::string& scim_type = "") {
  EXPECT_EQ(r.status, status) << r.body;
  EXPECT_EQ(r.Header("Content-Type").rfind("application/scim+json", 0), 0u)
      << r.Header("Content-Type");
  const json body = r.Json();
  EXPECT_EQ(body["schemas"], json({"urn:ietf:params:scim:api:messages:2.0:Error"})) << r.body;
  EXPECT_EQ(body["status"], std::to_string(status)) << r.body;
  EXPECT_TRUE(body["detail"].is_string()) << r.body;
  if (!scim_type.empty()) {
    EXPECT_EQ(body.value("scimType", ""), scim_type) << r.body;
  }
}

void Configure(HostProcess::Options& o, bool enabled) {
  o.env["WEBUI_PLUGIN_PATH"] = WEBUI_PLUGIN_BUILD_DIR;
  o.env["WEBUI_PLUGINS"] = "auth,scim";
  o.env["WEBUI_PLUGINS_STRICT"] = "true";
  o.env["WEBUI_AUTH_BCRYPT_ROUNDS"] = "4";
  o.env["WEBUI_SECRET_KEY"] = kSecret;
  o.env["SCIM_TOKEN"] = kToken;
  if (enabled) o.env["ENABLE_SCIM"] = "true";
}

template <typename Suite>
class ScimSuite : public SharedHostSuite<Suite> {
 public:
  static void Configure(HostProcess::Options& o) { testing::Configure(o, true); }

 protected:
  using Base = SharedHostSuite<Suite>;
  static HttpResult Call(const std::string& method, const std::string& path,
                         const json& body = json(), const HeaderList& who = Scim()) {
    return Http(Base::host().port(), method, kBase + path, body.is_null() ? "" : body.dump(), who);
  }
  // The first account signed up is the admin: the owner of groups created through SCIM.
  static const std::string& AdminToken() {
    static const std::string token = [] {
      auto r = Http(
          Base::host().port(), "POST", "/api/v1/auths/signup",
          json{
              {"name", "Root Admin"}, {"email", "root@example.com"}, {"password", "admin-password"}}
              .dump());
      EXPECT_EQ(r.status, 200) << r.body;
      return r.Json().value("token", "");
    }();
    return token;
  }
  // An account with a password, made by the admin, and its session token.
  static std::pair<std::string, std::string> PasswordUser(const std::string& email) {
    auto r = Http(Base::host().port(), "POST", "/api/v1/auths/add",
                  json{{"name", "Pat Person"},
                       {"email", email},
                       {"password", "user-password"},
                       {"role", "user"}}
                      .dump(),
                  Bearer(AdminToken()));
    EXPECT_EQ(r.status, 200) << r.body;
    return {r.Json().value("token", ""), r.Json().value("id", "")};
  }
  static json NewUser(const std::string& user_name, const std::string& external_id = "") {
    json u = {{"schemas", {"urn:ietf:params:scim:schemas:core:2.0:User"}},
              {"userName", user_name},
              {"name", {{"givenName", "Given"}, {"familyName", "Family Name"}}},
              {"emails", {{{"primary", true}, {"value", user_name}, {"type", "work"}}}},
              {"displayName", "Given Family Name"},
              {"active", true}};
    if (!external_id.empty()) u["externalId"] = external_id;
    return u;
  }
  static json CreateUser(const std::string& user_name, const std::string& external_id = "") {
    auto r = Call("POST", "/Users", NewUser(user_name, external_id));
    EXPECT_EQ(r.status, 201) << r.body;
    return r.Json();
  }
  static json Patch(std::initializer_list<json> ops) {
    return {{"schemas", {"urn:ietf:params:scim:api:messages:2.0:PatchOp"}},
            {"Operations", json(ops)}};
  }
};

// ---------------------------------------------------------------------------------------------
// Okta "SCIM 2.0 Spec Test" (Required and Optional tests), then Okta's provisioning calls.
class ScimOkta : public ScimSuite<ScimOkta> {};

TEST_F(ScimOkta, SpecTestRequiredSteps) {
  AdminToken();  // the database has at least one user
  // "Required Test: Test Users endpoint"
  auto list = Call("GET", "/Users?count=1&startIndex=1");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.Header("Content-Type").rfind("application/scim+json", 0), 0u);
  json l = list.Json();
  EXPECT_EQ(l["schemas"], json({"urn:ietf:params:scim:api:messages:2.0:ListResponse"}));
  EXPECT_TRUE(l["itemsPerPage"].is_number_integer());
  EXPECT_TRUE(l["startIndex"].is_number_integer());
  EXPECT_TRUE(l["totalResults"].is_number_integer());
  ASSERT_EQ(l["Resources"].size(), 1u) << list.body;
  const json first = l["Resources"][0];
  for (const char* key : {"id", "userName", "emails", "active"})
    EXPECT_TRUE(first.contains(key)) << key;
  EXPECT_TRUE(first["name"].contains("givenName"));
  EXPECT_TRUE(first["name"].contains("familyName"));
  // "Required Test: Get Users/{{id}}"
  auto one = Call("GET", "/Users/" + first["id"].get<std::string>());
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.Json()["userName"], first["userName"]);
  EXPECT_EQ(one.Json()["emails"][0]["value"], first["userName"]);
  // "Required Test: Test invalid User by username" -> empty result
  auto none =
      Call("GET", "/Users?filter=" + Enc("userName eq \"" + Unique("nobody") + "@atko.com\""));
  ASSERT_EQ(none.status, 200) << none.body;
  EXPECT_EQ(none.Json()["totalResults"], 0);
  EXPECT_TRUE(none.Json()["Resources"].empty());
  // "Required Test: Test invalid User by ID"
  ExpectScimError(Call("GET", "/Users/00919288221112222"), 404);

  // "Required Test: Create Okta user with realistic values"
  const std::string user_name = Unique("Runscope") + "Acme@atko.com";
  auto created = Call("POST", "/Users", NewUser(user_name));
  ASSERT_EQ(created.status, 201) << created.body;
  const json u = created.Json();
  EXPECT_EQ(u["active"], true);
  EXPECT_EQ(u["userName"], user_name);  // echoed as sent, case kept
  EXPECT_EQ(u["name"]["givenName"], "Given");
  EXPECT_EQ(u["name"]["familyName"], "Family Name");
  EXPECT_EQ(u["meta"]["resourceType"], "User");
  const std::string id = u["id"];
  EXPECT_EQ(created.Header("Location"), u["meta"]["location"]);
  EXPECT_NE(created.Header("Location").find("/api/v1/scim/v2/Users/" + id), std::string::npos);
  // "Required Test: Expect failure when recreating user with same values"
  ExpectScimError(Call("POST", "/Users", NewUser(user_name)), 409, "uniqueness");
  // ... and differing only in case (userName is caseExact=false).
  std::string upper = user_name;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  ExpectScimError(Call("POST", "/Users", NewUser(upper)), 409, "uniqueness");
  // "Required Test: Username Case Sensitivity Check"
  auto found = Call("GET", "/Users?filter=" + Enc("userName eq \"" + upper + "\""));
  ASSERT_EQ(found.status, 200) << found.body;
  ASSERT_EQ(found.Json()["totalResults"], 1);
  EXPECT_EQ(found.Json()["Resources"][0]["id"], id);
}

TEST_F(ScimOkta, DeactivateReactivateAndUpdate) {
  const json u = CreateUser(Unique("okta") + "@atko.com");
  const std::string id = u["id"];
  // Okta deactivates with a pathless replace.
  auto off =
      Call("PATCH", "/Users/" + id, Patch({{{"op", "replace"}, {"value", {{"active", false}}}}}));
  ASSERT_EQ(off.status, 200) << off.body;
  EXPECT_EQ(off.Json()["active"], false);
  EXPECT_EQ(Call("GET", "/Users/" + id).Json()["active"], false);
  // Okta's CRUD test reactivates and updates the first name with PUT.
  json put = u;
  put["active"] = true;
  put["name"]["givenName"] = "Renamed";
  auto on = Call("PUT", "/Users/" + id, put);
  ASSERT_EQ(on.status, 200) << on.body;
  EXPECT_EQ(on.Json()["active"], true);
  EXPECT_EQ(on.Json()["name"]["givenName"], "Renamed");
  EXPECT_EQ(on.Json()["name"]["familyName"], "Family Name");
}

TEST_F(ScimOkta, GroupPushAddsAndRemovesMembers) {
  AdminToken();
  const std::string a = CreateUser(Unique("ga") + "@atko.com")["id"];
  const std::string b = CreateUser(Unique("gb") + "@atko.com")["id"];
  auto g = Call("POST", "/Groups",
                {{"schemas", {"urn:ietf:params:scim:schemas:core:2.0:Group"}},
                 {"displayName", Unique("Okta Group ")},
                 {"members", {{{"value", a}}}}});
  ASSERT_EQ(g.status, 201) << g.body;
  const std::string gid = g.Json()["id"];
  EXPECT_NE(g.Header("Location").find("/Groups/" + gid), std::string::npos);
  ASSERT_EQ(g.Json()["members"].size(), 1u);
  EXPECT_EQ(g.Json()["members"][0]["value"], a);
  EXPECT_EQ(g.Json()["members"][0]["display"], "Given Family Name");

  auto add = Call("PATCH", "/Groups/" + gid,
                  Patch({{{"op", "add"}, {"path", "members"}, {"value", {{{"value", b}}}}}}));
  ASSERT_EQ(add.status, 200) << add.body;
  EXPECT_EQ(add.Json()["members"].size(), 2u);
  // The user's groups show the membership.
  auto member = Call("GET", "/Users/" + b).Json();
  ASSERT_TRUE(member.contains("groups")) << member.dump();
  EXPECT_EQ(member["groups"][0]["value"], gid);

  auto remove = Call("PATCH", "/Groups/" + gid,
                     Patch({{{"op", "remove"}, {"path", "members[value eq \"" + a + "\"]"}}}));
  ASSERT_EQ(remove.status, 200) << remove.body;
  ASSERT_EQ(remove.Json()["members"].size(), 1u);
  EXPECT_EQ(remove.Json()["members"][0]["value"], b);

  // "Optional Test: Verify Groups endpoint" (Okta asserts < 600 ms; generous here for ASan).
  const auto start = std::chrono::steady_clock::now();
  auto groups = Call("GET", "/Groups?count=100&startIndex=1");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  ASSERT_EQ(groups.status, 200) << groups.body;
  EXPECT_GE(groups.Json()["totalResults"].get<int>(), 1);
}

// ---------------------------------------------------------------------------------------------
// Microsoft Entra ID: the validator's and live provisioning's requests.
class ScimEntra : public ScimSuite<ScimEntra> {};

TEST_F(ScimEntra, UserLifecycle) {
  AdminToken();
  // "Test connection": a random userName must give 200 and an empty list.
  auto probe = Call("GET", "/Users?filter=" + Enc("userName eq \"" + Unique("7a1e") + "\""));
  ASSERT_EQ(probe.status, 200) << probe.body;
  EXPECT_EQ(probe.Json()["totalResults"], 0);

  const std::string upn = Unique("entra") + "@contoso.com";
  const std::string ext = Unique("ext-");
  const std::string id = CreateUser(upn, ext)["id"];
  // Matching on userName, externalId or the work email all find the one user.
  for (const std::string& filter :
       {"userName eq \"" + upn + "\"", "externalId eq \"" + ext + "\"",
        "emails[type eq \"work\"].value eq \"" + upn + "\"",
        "externalId eq \"" + ext + "\" and userName eq \"" + upn + "\""}) {
    auto r = Call("GET", "/Users?filter=" + Enc(filter));
    ASSERT_EQ(r.status, 200) << filter << r.body;
    ASSERT_EQ(r.Json()["totalResults"], 1) << filter;
    EXPECT_EQ(r.Json()["Resources"][0]["id"], id) << filter;
  }
  // externalId is case-exact.
  std::string ext_upper = ext;
  for (char& c : ext_upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(Call("GET", "/Users?filter=" + Enc("externalId eq \"" + ext_upper + "\""))
                .Json()["totalResults"],
            0);

  // Entra's update: capitalised ops, string booleans, value paths.
  const std::string work = Unique("work") + "@contoso.com";
  auto upd =
      Call("PATCH", "/Users/" + id,
           Patch({{{"op", "Replace"}, {"path", "emails[type eq \"work\"].value"}, {"value", work}},
                  {{"op", "Replace"}, {"path", "name.givenName"}, {"value", "Mary Ann"}},
                  {{"op", "Replace"}, {"path", "name.familyName"}, {"value", "Smith"}},
                  {{"op", "Replace"}, {"path", "externalId"}, {"value", ext + "-2"}},
                  {{"op", "Replace"}, {"path", "active"}, {"value", "False"}}}));
  ASSERT_EQ(upd.status, 200) << upd.body;
  json u = upd.Json();
  EXPECT_EQ(u["active"], false);
  EXPECT_EQ(u["externalId"], ext + "-2");
  EXPECT_EQ(u["name"]["givenName"], "Mary Ann");
  EXPECT_EQ(u["name"]["familyName"], "Smith");
  EXPECT_EQ(u["displayName"], "Mary Ann Smith");
  EXPECT_EQ(u["userName"], upn);
  ASSERT_EQ(u["emails"].size(), 1u) << u.dump();
  EXPECT_EQ(u["emails"][0]["value"], work);
  // The new state is what GET returns, and the filters follow it.
  EXPECT_EQ(Call("GET", "/Users/" + id).Json(), u);
  auto by_work =
      Call("GET", "/Users?filter=" + Enc("emails[type eq \"work\"].value eq \"" + work + "\""));
  ASSERT_EQ(by_work.Json()["totalResults"], 1) << by_work.body;
  EXPECT_EQ(
      Call("GET", "/Users?filter=" + Enc("externalId eq \"" + ext + "\"")).Json()["totalResults"],
      0);

  auto on = Call("PATCH", "/Users/" + id,
                 Patch({{{"op", "Replace"}, {"path", "active"}, {"value", "True"}}}));
  ASSERT_EQ(on.status, 200) << on.body;
  EXPECT_EQ(on.Json()["active"], true);

  // Deletion is active=false first, then DELETE; then 404.
  ASSERT_EQ(Call("PATCH", "/Users/" + id,
                 Patch({{{"op", "Replace"}, {"path", "active"}, {"value", "False"}}}))
                .status,
            200);
  auto del = Call("DELETE", "/Users/" + id);
  EXPECT_EQ(del.status, 204) << del.body;
  ExpectScimError(Call("GET", "/Users/" + id), 404);
  ExpectScimError(Call("DELETE", "/Users/" + id), 404);
  EXPECT_EQ(
      Call("GET", "/Users?filter=" + Enc("userName eq \"" + upn + "\"")).Json()["totalResults"], 0);
}

TEST_F(ScimEntra, GroupLifecycle) {
  AdminToken();
  const std::string uid = CreateUser(Unique("member") + "@contoso.com")["id"];
  const std::string name = Unique("Entra Group ");
  auto created = Call("POST", "/Groups",
                      {{"schemas", {"urn:ietf:params:scim:schemas:core:2.0:Group"}},
                       {"externalId", Unique("obj-")},
                       {"displayName", name},
                       {"members", json::array()}});
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string gid = created.Json()["id"];
  // A duplicate displayName (any case) is 409.
  std::string lower = name;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  ExpectScimError(Call("POST", "/Groups", {{"displayName", lower}}), 409, "uniqueness");

  auto by_name = Call(
      "GET", "/Groups?excludedAttributes=members&filter=" + Enc("displayName eq \"" + name + "\""));
  ASSERT_EQ(by_name.status, 200) << by_name.body;
  ASSERT_EQ(by_name.Json()["totalResults"], 1);
  EXPECT_EQ(by_name.Json()["Resources"][0]["id"], gid);
  EXPECT_FALSE(by_name.Json()["Resources"][0].contains("members"));

  auto add = Call("PATCH", "/Groups/" + gid,
                  Patch({{{"op", "Add"}, {"path", "members"}, {"value", {{{"value", uid}}}}}}));
  ASSERT_EQ(add.status, 200) << add.body;
  // Entra's membership check.
  const std::string check = "/Groups?excludedAttributes=members&filter=" +
                            Enc("id eq \"" + gid + "\" and members eq \"" + uid + "\"");
  EXPECT_EQ(Call("GET", check).Json()["totalResults"], 1);

  auto rename = Call("PATCH", "/Groups/" + gid,
                     Patch({{{"op", "Replace"}, {"path", "displayName"}, {"value", name + " 2"}}}));
  ASSERT_EQ(rename.status, 200) << rename.body;
  EXPECT_EQ(rename.Json()["displayName"], name + " 2");

  auto remove =
      Call("PATCH", "/Groups/" + gid,
           Patch({{{"op", "Remove"}, {"path", "members"}, {"value", {{{"value", uid}}}}}}));
  ASSERT_EQ(remove.status, 200) << remove.body;
  EXPECT_TRUE(remove.Json()["members"].empty());
  EXPECT_EQ(Call("GET", check).Json()["totalResults"], 0);

  EXPECT_EQ(Call("DELETE", "/Groups/" + gid).status, 204);
  ExpectScimError(Call("GET", "/Groups/" + gid), 404);
}

// ---------------------------------------------------------------------------------------------
// Deactivation keeps the account and ends what its existing session may do on the next request
// (docs/security.md T45); an admin is never deactivated or deleted through SCIM.
class ScimDeactivation : public ScimSuite<ScimDeactivation> {
 protected:
  static int Settings(const std::string& token) {
    return Http(host().port(), "GET", "/api/v1/users/user/settings", "", Bearer(token)).status;
  }
  static std::string SessionRole(const std::string& token) {
    auto r = Http(host().port(), "GET", "/api/v1/auths/", "", Bearer(token));
    EXPECT_EQ(r.status, 200) << r.body;
    return r.Json().value("role", "");
  }
  void ExpectBlockedThenRestored(const json& deactivate) {
    auto [token, id] = PasswordUser(Unique("pat") + "@example.com");
    ASSERT_EQ(Settings(token), 200);
    auto off = Call("PATCH", "/Users/" + id, deactivate);
    ASSERT_EQ(off.status, 200) << off.body;
    EXPECT_EQ(off.Json()["active"], false);
    // The same JWT: verified routes refuse it at once, and the session reads as pending, which
    // is what Open WebUI answers for a pending account (its web UI shows the approval screen).
    EXPECT_EQ(Settings(token), 401);
    EXPECT_EQ(SessionRole(token), "pending");
    // The account (and what it owns) is still there.
    EXPECT_EQ(Call("GET", "/Users/" + id).status, 200);
    auto on = Call("PATCH", "/Users/" + id,
                   Patch({{{"op", "replace"}, {"path", "active"}, {"value", true}}}));
    ASSERT_EQ(on.status, 200) << on.body;
    EXPECT_EQ(Settings(token), 200);
    EXPECT_EQ(SessionRole(token), "user");
  }
};

TEST_F(ScimDeactivation, OktaPathlessPatchBlocksExistingSession) {
  ExpectBlockedThenRestored(Patch({{{"op", "replace"}, {"value", {{"active", false}}}}}));
}

TEST_F(ScimDeactivation, EntraStringBooleanBlocksExistingSession) {
  ExpectBlockedThenRestored(Patch({{{"op", "Replace"}, {"path", "active"}, {"value", "False"}}}));
}

TEST_F(ScimDeactivation, PutActiveFalseBlocksExistingSession) {
  auto [token, id] = PasswordUser(Unique("put") + "@example.com");
  json user = Call("GET", "/Users/" + id).Json();
  user["active"] = false;
  ASSERT_EQ(Call("PUT", "/Users/" + id, user).status, 200);
  EXPECT_EQ(Settings(token), 401);
}

TEST_F(ScimDeactivation, AdminsAreNeverDemotedOrDeleted) {
  const std::string admin_token = AdminToken();
  auto me = Http(host().port(), "GET", "/api/v1/auths/", "", Bearer(admin_token)).Json();
  const std::string admin_id = me["id"];
  ExpectScimError(Call("PATCH", "/Users/" + admin_id,
                       Patch({{{"op", "replace"}, {"value", {{"active", false}}}}})),
                  400, "mutability");
  json put = Call("GET", "/Users/" + admin_id).Json();
  put["active"] = false;
  ExpectScimError(Call("PUT", "/Users/" + admin_id, put), 400, "mutability");
  ExpectScimError(Call("DELETE", "/Users/" + admin_id), 400, "mutability");
  EXPECT_EQ(SessionRole(admin_token), "admin");
}

TEST_F(ScimDeactivation, DeleteRemovesTheAccountAndItsSession) {
  auto [token, id] = PasswordUser(Unique("gone") + "@example.com");
  ASSERT_EQ(Settings(token), 200);
  EXPECT_EQ(Call("DELETE", "/Users/" + id).status, 204);
  EXPECT_EQ(Settings(token), 401);
}

// ---------------------------------------------------------------------------------------------
// Credentials, discovery and RFC 7644 error handling.
class ScimRfc : public ScimSuite<ScimRfc> {};

TEST_F(ScimRfc, EveryRouteNeedsTheScimToken) {
  const std::string admin_jwt = AdminToken();
  std::string near = kToken;
  near.back() = near.back() == 'f' ? 'e' : 'f';
  const std::pair<HeaderList, std::string> cases[] = {
      {{}, "Authorization header required"},
      {{{"Authorization", "non-token"}}, "Invalid authorization format. Expected: Bearer <token>"},
      {{{"Authorization", std::string("Basic ") + kToken}}, "Invalid authentication scheme"},
      {Bearer(near), "Invalid SCIM token"},
      {Bearer(admin_jwt), "Invalid SCIM token"},  // a user session is not a SCIM credential
  };
  for (const auto& [who, detail] : cases) {
    for (const char* path : {"/Users", "/Groups", "/ServiceProviderConfig", "/Schemas"}) {
      auto r = Call("GET", path, json(), who);
      ExpectScimError(r, 401);
      EXPECT_EQ(r.Json()["detail"], detail) << path;
      EXPECT_EQ(r.Header("WWW-Authenticate"), "Bearer") << path;
    }
  }
  // And the SCIM token is not a session for the rest of the API.
  EXPECT_EQ(Http(host().port(), "GET", "/api/v1/auths/", "", Bearer(kToken)).status, 401);
}

TEST_F(ScimRfc, DiscoveryMatchesBehaviour) {
  auto spc = Call("GET", "/ServiceProviderConfig");
  ASSERT_EQ(spc.status, 200) << spc.body;
  EXPECT_EQ(spc.Json()["patch"]["supported"], true);
  EXPECT_EQ(spc.Json()["bulk"]["supported"], false);
  EXPECT_EQ(spc.Json()["filter"]["supported"], true);
  EXPECT_EQ(spc.Json()["filter"]["maxResults"], 100);
  EXPECT_EQ(spc.Json()["authenticationSchemes"][0]["type"], "oauthbearertoken");
  for (const char* path : {"/ResourceTypes", "/Schemas"}) {
    auto r = Call("GET", path);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:ListResponse");
    EXPECT_EQ(r.Json()["totalResults"], 2);
  }
  EXPECT_EQ(Call("GET", "/ResourceTypes/User").Json()["endpoint"], "/Users");
  EXPECT_EQ(Call("GET", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group").Json()["name"],
            "Group");
  ExpectScimError(Call("GET", "/ResourceTypes/Nope"), 404);
}

TEST_F(ScimRfc, UnsupportedFiltersAreRefusedNeverIgnored) {
  CreateUser(Unique("f") + "@example.com");
  for (const char* f :
       {"title co \"x\"", "userName eq \"x\" or \"1\" eq \"1\"", "externalId eq jyoung",
        "userName sw \"a\"", "userName eq \"unterminated"}) {
    ExpectScimError(Call("GET", "/Users?filter=" + Enc(f)), 400, "invalidFilter");
  }
  ExpectScimError(Call("GET", "/Groups?filter=" + Enc("displayName co \"x\"")), 400,
                  "invalidFilter");
}

TEST_F(ScimRfc, PagingIsOneBasedAndClamped) {
  for (int i = 0; i < 3; ++i) CreateUser(Unique("p") + "@example.com");
  auto all = Call("GET", "/Users?count=1000").Json();
  const int total = all["totalResults"];
  ASSERT_GE(total, 3);
  EXPECT_EQ(all["itemsPerPage"].get<int>(), std::min(total, 100));
  auto zero = Call("GET", "/Users?startIndex=0&count=2").Json();
  EXPECT_EQ(zero["startIndex"], 1);
  EXPECT_EQ(zero["itemsPerPage"], 2);
  auto second = Call("GET", "/Users?startIndex=2&count=1").Json();
  EXPECT_EQ(second["Resources"][0]["id"], zero["Resources"][1]["id"]);
  auto past = Call("GET", "/Users?startIndex=100000").Json();
  EXPECT_EQ(past["totalResults"], total);
  EXPECT_TRUE(past["Resources"].empty());
  auto count_only = Call("GET", "/Users?count=0").Json();
  EXPECT_EQ(count_only["totalResults"], total);
  EXPECT_TRUE(count_only["Resources"].empty());
  ExpectScimError(Call("GET", "/Users?count=ten"), 400, "invalidValue");
  auto projected = Call("GET", "/Users?count=1&attributes=userName").Json()["Resources"][0];
  EXPECT_TRUE(projected.contains("id"));
  EXPECT_TRUE(projected.contains("userName"));
  EXPECT_FALSE(projected.contains("emails"));
}

TEST_F(ScimRfc, BadRequestsGetScimErrors) {
  AdminToken();
  const std::string id = CreateUser(Unique("bad") + "@example.com")["id"];
  auto raw = Http(host().port(), "POST", std::string(kBase) + "/Users", "{not json", Scim());
  ExpectScimError(raw, 400, "invalidSyntax");
  ExpectScimError(Call("POST", "/Users", {{"displayName", "No userName"}}), 400, "invalidValue");
  ExpectScimError(Call("POST", "/Users", {{"userName", "not-an-email"}}), 400, "invalidValue");
  ExpectScimError(Call("PATCH", "/Users/" + id,
                       Patch({{{"op", "replace"}, {"path", "title"}, {"value", "x"}}})),
                  400, "invalidPath");
  ExpectScimError(Call("PATCH", "/Users/" + id, Patch({{{"op", "remove"}}})), 400, "noTarget");
  ExpectScimError(Call("PATCH", "/Users/" + id,
                       Patch({{{"op", "replace"}, {"path", "active"}, {"value", "maybe"}}})),
                  400, "invalidValue");
  ExpectScimError(Call("PATCH", "/Users/" + id, Patch({{{"op", "move"}, {"path", "active"}}})), 400,
                  "invalidSyntax");
  // A failed op in a request applies nothing of it.
  ExpectScimError(Call("PATCH", "/Users/" + id,
                       Patch({{{"op", "replace"}, {"path", "displayName"}, {"value", "Changed"}},
                              {{"op", "replace"}, {"path", "nope"}, {"value", "x"}}})),
                  400, "invalidPath");
  EXPECT_EQ(Call("GET", "/Users/" + id).Json()["displayName"], "Given Family Name");
  ExpectScimError(Call("PATCH", "/Users/does-not-exist",
                       Patch({{{"op", "replace"}, {"path", "active"}, {"value", true}}})),
                  404);

  // Group changes are all or nothing: an unknown member leaves the group as it was.
  auto g =
      Call("POST", "/Groups", {{"displayName", Unique("Atomic ")}, {"members", {{{"value", id}}}}});
  ASSERT_EQ(g.status, 201) << g.body;
  const std::string gid = g.Json()["id"];
  ExpectScimError(
      Call("PATCH", "/Groups/" + gid,
           Patch({{{"op", "remove"}, {"path", "members[value eq \"" + id + "\"]"}},
                  {{"op", "add"}, {"path", "members"}, {"value", {{{"value", "ghost"}}}}}})),
      400, "invalidValue");
  ExpectScimError(
      Call("PUT", "/Groups/" + gid, {{"displayName", "x"}, {"members", {{{"value", "ghost"}}}}}),
      400, "invalidValue");
  ExpectScimError(
      Call("POST", "/Groups", {{"displayName", Unique("G ")}, {"members", {{{"value", "ghost"}}}}}),
      400, "invalidValue");
  ExpectScimError(Call("PATCH", "/Groups/" + gid,
                       Patch({{{"op", "remove"}, {"path", "members[display eq \"x\"]"}}})),
                  400, "invalidPath");
  auto after = Call("GET", "/Groups/" + gid).Json();
  ASSERT_EQ(after["members"].size(), 1u);
  EXPECT_EQ(after["members"][0]["value"], id);
}

// A userName that is not an email: the account email comes from emails, userName is kept as
// sent, found case-insensitively and unique.
TEST_F(ScimRfc, UserNameThatIsNotAnEmail) {
  const std::string user_name = Unique("jdoe");
  const std::string email = Unique("john.doe") + "@example.com";
  json body = {{"userName", user_name},
               {"emails", {{{"value", email}, {"type", "work"}, {"primary", true}}}}};
  auto created = Call("POST", "/Users", body);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.Json()["userName"], user_name);
  EXPECT_EQ(created.Json()["displayName"], user_name);
  std::string upper = user_name;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto found = Call("GET", "/Users?filter=" + Enc("userName eq \"" + upper + "\""));
  ASSERT_EQ(found.Json()["totalResults"], 1) << found.body;
  EXPECT_EQ(found.Json()["Resources"][0]["id"], created.Json()["id"]);
  body["emails"][0]["value"] = Unique("other") + "@example.com";
  body["userName"] = upper;
  ExpectScimError(Call("POST", "/Users", body), 409, "uniqueness");
}

TEST_F(ScimRfc, LargeMemberAddInOneRequest) {
  AdminToken();
  // Past the plugin's bulk-read threshold (200), so both lookup paths are exercised.
  constexpr int kMembers = 250;
  json members = json::array();
  for (int i = 0; i < kMembers; ++i)
    members.push_back({{"value", CreateUser(Unique("bulk") + "@example.com")["id"]}});
  auto g = Call("POST", "/Groups", {{"displayName", Unique("Bulk ")}});
  ASSERT_EQ(g.status, 201) << g.body;
  const std::string gid = g.Json()["id"];
  auto add = Call("PATCH", "/Groups/" + gid,
                  Patch({{{"op", "add"}, {"path", "members"}, {"value", members}}}));
  ASSERT_EQ(add.status, 200) << add.body;
  EXPECT_EQ(add.Json()["members"].size(), static_cast<std::size_t>(kMembers));
  EXPECT_EQ(add.Json()["members"][kMembers - 1]["display"], "Given Family Name");
  auto listed = Call("GET", "/Groups?filter=" + Enc("id eq \"" + gid + "\""));
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(listed.Json()["Resources"][0]["members"].size(), static_cast<std::size_t>(kMembers));
  // One unknown id among them: nothing is added.
  members.push_back({{"value", "ghost"}});
  auto g2 = Call("POST", "/Groups", {{"displayName", Unique("Bulk ")}});
  ASSERT_EQ(g2.status, 201) << g2.body;
  const std::string gid2 = g2.Json()["id"];
  ExpectScimError(Call("PATCH", "/Groups/" + gid2,
                       Patch({{{"op", "add"}, {"path", "members"}, {"value", members}}})),
                  400, "invalidValue");
  EXPECT_TRUE(Call("GET", "/Groups/" + gid2).Json()["members"].empty());
}

// ---------------------------------------------------------------------------------------------
// Off by default: the routes do not exist and the rest of the server is unchanged.
class ScimDisabled : public SharedHostSuite<ScimDisabled> {
 public:
  static void Configure(HostProcess::Options& o) { testing::Configure(o, false); }
};

TEST_F(ScimDisabled, RoutesAnswer404) {
  for (const char* path : {"/Users", "/Groups", "/ServiceProviderConfig"}) {
    auto r = Http(host().port(), "GET", std::string(kBase) + path, "", Scim());
    EXPECT_EQ(r.status, 404) << path << r.body;
  }
  EXPECT_EQ(Http(host().port(), "POST", std::string(kBase) + "/Users", "{}", Scim()).status, 404);
  EXPECT_EQ(host().Get("/api/config").status, 200);
}

// 0.6.x's SCIM_ENABLED still turns it on.
class ScimLegacyEnv : public SharedHostSuite<ScimLegacyEnv> {
 public:
  static void Configure(HostProcess::Options& o) {
    testing::Configure(o, false);
    o.env["SCIM_ENABLED"] = "True";
  }
};

TEST_F(ScimLegacyEnv, ScimEnabledTurnsItOn) {
  auto r = Http(host().port(), "GET", std::string(kBase) + "/ServiceProviderConfig", "", Scim());
  EXPECT_EQ(r.status, 200) << r.body;
}

}  // namespace
}  // namespace webui::testing
