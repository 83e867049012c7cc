// Chat over the real auth plugin. Model access follows group membership as groups.v1 changes
// it: auth owns the accounts and groups, the "directory_probe" test plugin (tests/plugins)
// changes membership through groups.v1 the way an ldap or scim plugin would (auth serves no
// group-editing route), and GET /api/models answers the very next request with the new
// membership. A deleted user's chats go with them.
#include <set>

#include "chat_it_support.hpp"

namespace webui::testing {
namespace {

constexpr const char* kProbe = "/api/v1/directory_probe";

class ModelGroupAccess : public SharedHostSuite<ModelGroupAccess> {
 public:
  static void Configure(HostProcess::Options& o) {
    o.env["WEBUI_PLUGIN_PATH"] = std::string(WEBUI_PLUGIN_BUILD_DIR) + ":" +
                                 PluginDir("directory") + ":" + CHAT_TEST_PLUGIN_DIR;
    o.env["WEBUI_PLUGINS"] = "auth,chat,directory_probe,test_chat_provider_a";
  }

 protected:
  static HttpResult Post(const std::string& path, const json& body, const HeaderList& headers) {
    return host().Post(path, body.dump(), headers);
  }
  static HeaderList Bearer(const std::string& token) {
    return {{"Authorization", "Bearer " + token}};
  }
  static std::set<std::string> ModelIds(const HeaderList& who) {
    auto r = host().Get("/api/models", who);
    EXPECT_EQ(r.status, 200) << r.body;
    std::set<std::string> out;
    const json body = r.Json();  // kept: a loop over a temporary's member would dangle
    for (const auto& m : body["data"]) out.insert(m["id"].get<std::string>());
    return out;
  }
};

TEST_F(ModelGroupAccess, JoiningAndLeavingAGroupShowsAndHidesItsModel) {
  // The first account is the admin; the second a plain user with a token of its own.
  auto signup =
      Post("/api/v1/auths/signup",
           {{"name", "Admin"}, {"email", "admin@groups.io"}, {"password", "admin-pw"}}, {});
  ASSERT_EQ(signup.status, 200) << signup.body;
  ASSERT_EQ(signup.Json()["role"], "admin");
  const HeaderList admin = Bearer(signup.Json()["token"]);
  auto added =
      Post("/api/v1/auths/add",
           {{"name", "Uma"}, {"email", "uma@groups.io"}, {"password", "uma-pw"}, {"role", "user"}},
           admin);
  ASSERT_EQ(added.status, 200) << added.body;
  const std::string uma_id = added.Json()["id"];
  const HeaderList uma = Bearer(added.Json()["token"]);

  auto group = Post(std::string(kProbe) + "/groups", {{"name", "readers"}}, admin);
  ASSERT_EQ(group.status, 200) << group.body;
  const std::string group_id = group.Json()["id"];

  // A custom model readable by the group only.
  auto model = Post("/api/v1/models/create",
                    {{"id", "team-model"},
                     {"base_model_id", "fake-a1"},
                     {"name", "Team model"},
                     {"meta", json::object()},
                     {"params", json::object()},
                     {"access_control", ReadGrant(json::array(), {group_id})}},
                    admin);
  ASSERT_EQ(model.status, 200) << model.body;
  EXPECT_EQ(ModelIds(uma).count("team-model"), 0u);
  EXPECT_EQ(ModelIds(admin).count("team-model"), 1u);

  const std::string members = std::string(kProbe) + "/groups/" + group_id;
  ASSERT_EQ(Post(members + "/add", json::array({uma_id}), admin).status, 200);
  EXPECT_EQ(ModelIds(uma).count("team-model"), 1u);

  ASSERT_EQ(Post(members + "/remove", json::array({uma_id}), admin).status, 200);
  EXPECT_EQ(ModelIds(uma).count("team-model"), 0u);
}

// Open WebUI deletes a user's chats with the user: whoever removes the account (here an admin
// through auth's route), the chat plugin hears of it and drops their chats, not anyone else's.
TEST_F(ModelGroupAccess, DeletingAUserDeletesTheirChats) {
  auto signin =
      Post("/api/v1/auths/signin", {{"email", "admin@groups.io"}, {"password", "admin-pw"}}, {});
  if (signin.status != 200) {  // this test alone: make the admin
    signin = Post("/api/v1/auths/signup",
                  {{"name", "Admin"}, {"email", "admin@groups.io"}, {"password", "admin-pw"}}, {});
  }
  ASSERT_EQ(signin.status, 200) << signin.body;
  const HeaderList admin = Bearer(signin.Json()["token"]);
  auto added = Post("/api/v1/auths/add",
                    {{"name", "Leaver"},
                     {"email", "leaver@groups.io"},
                     {"password", "leaver-pw"},
                     {"role", "user"}},
                    admin);
  ASSERT_EQ(added.status, 200) << added.body;
  const std::string leaver_id = added.Json()["id"];
  const HeaderList leaver = Bearer(added.Json()["token"]);
  const json chat = {{"chat", {{"title", "mine"}, {"messages", json::array()}}}};
  ASSERT_EQ(Post("/api/v1/chats/new", chat, leaver).status, 200);
  ASSERT_EQ(Post("/api/v1/chats/new", chat, leaver).status, 200);
  ASSERT_EQ(Post("/api/v1/chats/new", chat, admin).status, 200);
  const auto count = [&](const std::string& user_id) {
    auto r = host().Get("/api/v1/chats/list/user/" + user_id, admin);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.Json().size();
  };
  ASSERT_EQ(count(leaver_id), 2u);
  const std::string admin_id = signin.Json()["id"];
  const size_t admin_chats = count(admin_id);
  ASSERT_GE(admin_chats, 1u);

  ASSERT_EQ(Http(host().port(), "DELETE", "/api/v1/users/" + leaver_id, "", admin).status, 200);
  const auto until = Clock::now() + std::chrono::seconds(5);
  while (count(leaver_id) != 0 && Clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(count(leaver_id), 0u);
  EXPECT_EQ(count(admin_id), admin_chats);
}

}  // namespace
}  // namespace webui::testing
