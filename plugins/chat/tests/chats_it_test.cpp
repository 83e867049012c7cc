// /api/v1/chats, tags and /api/v1/folders, the web UI's boot lists, and ownership: another
// user's chat or folder answers 404 on every object route and stays unchanged (docs/security.md
// T11).
#include <set>

#include "chat_it_support.hpp"

namespace webui::testing {
namespace {

class Chats : public ChatHost {
 protected:
  static json Doc(const std::string& title, const std::string& text = "some words") {
    return {{"title", title},
            {"models", {"fake-a1"}},
            {"history",
             {{"messages", {{"m1", {{"id", "m1"}, {"role", "user"}, {"content", text}}}}},
              {"currentId", "m1"}}},
            {"messages", json::array({{{"role", "user"}, {"content", text}}})}};
  }
  static std::vector<std::string> Titles(const HttpResult& r) {
    std::vector<std::string> out;
    const json body = r.Json();
    EXPECT_TRUE(body.is_array()) << r.status << " " << r.body;
    if (!body.is_array()) return out;
    for (const auto& c : body) out.push_back(c["title"]);
    return out;
  }
  static json Folder(const HeaderList& who, const std::string& name, const json& parent = json()) {
    json body = {{"name", name}};
    if (!parent.is_null()) body["parent_id"] = parent;
    auto r = Post("/api/v1/folders/", body, who);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.Json();
  }
};

TEST_F(Chats, BootListsAnswerRealEmptyData) {
  const auto u = As("user", "fresh");
  for (const char* path : {"/api/v1/folders/", "/api/v1/configs/banners", "/api/v1/chats/?page=1",
                           "/api/v1/chats/pinned", "/api/v1/chats/all/tags"}) {
    auto r = Get(path, u);
    EXPECT_EQ(r.status, 200) << path << " " << r.body;
    EXPECT_EQ(r.Json(), json::array()) << path;
    EXPECT_EQ(Get(path, {}).status, 403) << path;
  }
  EXPECT_EQ(Get("/api/tasks/chat/unknown", u).Json(), json::parse(R"({"task_ids":[]})"));
  EXPECT_EQ(Get("/api/tasks", u).Json(), json::parse(R"({"tasks":[]})"));
}

TEST_F(Chats, BannersAreAnAdminSetting) {
  const json banners = json::parse(
      R"([{"id":"b1","type":"info","title":"Hi","content":"Welcome","dismissible":true,"timestamp":1}])");
  EXPECT_EQ(Post("/api/v1/configs/banners", {{"banners", banners}}, As("user", "u")).status, 401);
  ASSERT_EQ(Post("/api/v1/configs/banners", {{"banners", banners}}, As("admin", "a")).status, 200);
  EXPECT_EQ(Get("/api/v1/configs/banners", As("user", "u")).Json(), banners);
  Post("/api/v1/configs/banners", {{"banners", json::array()}}, As("admin", "a"));
}

TEST_F(Chats, CreateListGetUpdateDelete) {
  const auto u = As("user", "crud");
  json doc = Doc("First");
  doc["params"] = {{"temperature", 1}};
  const json created = NewChat(u, doc);
  for (const char* k : {"id", "user_id", "title", "chat", "updated_at", "created_at", "share_id",
                        "archived", "pinned", "meta", "folder_id"})
    EXPECT_TRUE(created.contains(k)) << k;
  EXPECT_EQ(created["user_id"], "crud");
  EXPECT_EQ(created["title"], "First");
  EXPECT_EQ(created["archived"], false);
  EXPECT_TRUE(created["share_id"].is_null());
  const std::string id = created["id"];

  auto list = Get("/api/v1/chats/?page=1", u);
  ASSERT_EQ(list.Json().size(), 1u);
  EXPECT_EQ(list.Json()[0], json({{"id", id},
                                  {"title", "First"},
                                  {"updated_at", created["updated_at"]},
                                  {"created_at", created["created_at"]}}));
  EXPECT_EQ(Get("/api/v1/chats/" + id, u).Json()["chat"]["params"]["temperature"], 1);

  auto updated = Post("/api/v1/chats/" + id, {{"chat", {{"title", "Renamed"}, {"extra", 1}}}}, u);
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(updated.Json()["title"], "Renamed");
  EXPECT_EQ(updated.Json()["chat"]["models"], json({"fake-a1"}));  // merged, not replaced
  EXPECT_EQ(updated.Json()["chat"]["extra"], 1);
  EXPECT_EQ(Get("/api/v1/chats/all", u).Json().size(), 1u);

  EXPECT_EQ(Delete("/api/v1/chats/" + id, u).body, "true");
  EXPECT_EQ(Get("/api/v1/chats/" + id, u).status, 404);
  EXPECT_EQ(Post("/api/v1/chats/new", {{"chat", "not an object"}}, u).status, 422);
}

// An exported chat imported again (its "id" and "chat.id" those of an existing chat, no
// "pinned"): Open WebUI stores it under a new id. This answered 500 when "pinned" was missing.
TEST_F(Chats, ImportMakesANewChatEvenWithAnExistingId) {
  const auto u = As("user", "importer");
  const json existing = NewChat(u, Doc("Original"));
  const std::string id = existing["id"];
  json doc = Doc("Imported");
  doc["id"] = id;
  auto r =
      Post("/api/v1/chats/import", {{"id", id}, {"chat", doc}, {"meta", {{"tags", {"work"}}}}}, u);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.Json()["id"], id);
  EXPECT_EQ(r.Json()["title"], "Imported");
  EXPECT_EQ(r.Json()["pinned"], false);
  EXPECT_EQ(r.Json()["meta"]["tags"], json({"work"}));
  EXPECT_EQ(Get("/api/v1/chats/" + id, u).Json()["title"], "Original");
  auto pinned = Post("/api/v1/chats/import", {{"chat", Doc("Pinned")}, {"pinned", true}}, u);
  ASSERT_EQ(pinned.status, 200) << pinned.body;
  EXPECT_EQ(pinned.Json()["pinned"], true);
  EXPECT_EQ(Get("/api/v1/chats/all", u).Json().size(), 3u);
}

TEST_F(Chats, ListsArePagedBySixty) {
  const auto u = As("user", "pager");
  for (int i = 0; i < 61; ++i) NewChat(u, Doc("chat " + std::to_string(i)));
  EXPECT_EQ(Get("/api/v1/chats/?page=1", u).Json().size(), 60u);
  EXPECT_EQ(Get("/api/v1/chats/?page=2", u).Json().size(), 1u);
  EXPECT_EQ(Get("/api/v1/chats/", u).Json().size(), 61u);
  EXPECT_EQ(Get("/api/v1/chats/search?text=chat&page=2", u).Json().size(), 1u);
  EXPECT_EQ(Delete("/api/v1/chats/", u).body, "true");
  EXPECT_TRUE(Get("/api/v1/chats/", u).Json().empty());
}

TEST_F(Chats, PinAndArchive) {
  const auto u = As("user", "pinner");
  const std::string a = NewChat(u, Doc("A"))["id"];
  const std::string b = NewChat(u, Doc("B"))["id"];
  EXPECT_EQ(Get("/api/v1/chats/" + a + "/pinned", u).body, "false");
  EXPECT_EQ(Post("/api/v1/chats/" + a + "/pin", json(), u).Json()["pinned"], true);
  EXPECT_EQ(Get("/api/v1/chats/" + a + "/pinned", u).body, "true");
  EXPECT_EQ(Titles(Get("/api/v1/chats/pinned", u)), (std::vector<std::string>{"A"}));
  EXPECT_EQ(Titles(Get("/api/v1/chats/?page=1", u)), (std::vector<std::string>{"B"}));
  EXPECT_EQ(Get("/api/v1/chats/?page=1&include_pinned=true", u).Json().size(), 2u);

  EXPECT_EQ(Post("/api/v1/chats/" + b + "/archive", json(), u).Json()["archived"], true);
  EXPECT_TRUE(Get("/api/v1/chats/?page=1", u).Json().empty());
  EXPECT_EQ(Titles(Get("/api/v1/chats/archived?page=1", u)), (std::vector<std::string>{"B"}));
  EXPECT_EQ(Get("/api/v1/chats/all/archived", u).Json()[0]["id"], b);
  EXPECT_EQ(Post("/api/v1/chats/" + b + "/archive", json(), u).Json()["archived"], false);

  EXPECT_EQ(Post("/api/v1/chats/archive/all", json(), u).body, "true");
  EXPECT_EQ(Get("/api/v1/chats/archived", u).Json().size(), 2u);
  EXPECT_TRUE(Get("/api/v1/chats/pinned", u).Json().empty());
  EXPECT_EQ(Post("/api/v1/chats/unarchive/all", json(), u).body, "true");
  EXPECT_TRUE(Get("/api/v1/chats/archived", u).Json().empty());
}

TEST_F(Chats, ShareUnshareAndClone) {
  const auto u = As("user", "sharer");
  const std::string id = NewChat(u, Doc("Shared one", "shared text"))["id"];
  auto shared = Post("/api/v1/chats/" + id + "/share", json(), u);
  ASSERT_EQ(shared.status, 200) << shared.body;
  const std::string share_id = shared.Json()["id"];
  EXPECT_NE(share_id, id);
  EXPECT_EQ(shared.Json()["user_id"], "shared-" + id);
  EXPECT_EQ(Get("/api/v1/chats/" + id, u).Json()["share_id"], share_id);
  // Sharing again refreshes the same snapshot.
  EXPECT_EQ(Post("/api/v1/chats/" + id + "/share", json(), u).Json()["id"], share_id);

  // Any signed-in user may open the link; it is not in their own lists.
  auto seen = Get("/api/v1/chats/share/" + share_id, As("user", "reader"));
  ASSERT_EQ(seen.status, 200) << seen.body;
  EXPECT_EQ(seen.Json()["chat"]["messages"][0]["content"], "shared text");
  EXPECT_TRUE(Get("/api/v1/chats/", As("user", "reader")).Json().empty());
  auto cloned_shared =
      Post("/api/v1/chats/" + share_id + "/clone/shared", json(), As("user", "reader"));
  ASSERT_EQ(cloned_shared.status, 200) << cloned_shared.body;
  EXPECT_EQ(cloned_shared.Json()["user_id"], "reader");
  EXPECT_EQ(cloned_shared.Json()["title"], "Clone of Shared one");

  EXPECT_EQ(Delete("/api/v1/chats/" + id + "/share", u).body, "true");
  EXPECT_EQ(Get("/api/v1/chats/share/" + share_id, As("user", "reader")).status, 404);
  EXPECT_EQ(Delete("/api/v1/chats/" + id + "/share", u).body, "false");
  EXPECT_TRUE(Get("/api/v1/chats/" + id, u).Json()["share_id"].is_null());

  auto clone = Post("/api/v1/chats/" + id + "/clone", {{"title", "My copy"}}, u);
  ASSERT_EQ(clone.status, 200) << clone.body;
  EXPECT_EQ(clone.Json()["title"], "My copy");
  EXPECT_EQ(clone.Json()["chat"]["originalChatId"], id);
  EXPECT_EQ(clone.Json()["chat"]["branchPointMessageId"], "m1");
  EXPECT_EQ(Post("/api/v1/chats/" + id + "/clone", json(), u).Json()["title"],
            "Clone of Shared one");
}

TEST_F(Chats, TagsAndSearch) {
  const auto u = As("user", "tagger");
  const std::string a = NewChat(u, Doc("Trip planning", "book the train to Lyon"))["id"];
  NewChat(u, Doc("Groceries", "milk and eggs"));
  NewChat(As("user", "other"), Doc("Other's train", "train secrets"));

  auto tags = Post("/api/v1/chats/" + a + "/tags", {{"name", "Work Stuff"}}, u);
  ASSERT_EQ(tags.status, 200) << tags.body;
  EXPECT_EQ(
      tags.Json(),
      json::parse(R"([{"id":"work_stuff","name":"Work Stuff","user_id":"tagger","meta":null}])"));
  EXPECT_EQ(Post("/api/v1/chats/" + a + "/tags", {{"name", "work stuff"}}, u).Json().size(), 1u);
  EXPECT_EQ(Get("/api/v1/chats/" + a + "/tags", u).Json()[0]["id"], "work_stuff");
  EXPECT_EQ(Get("/api/v1/chats/all/tags", u).Json().size(), 1u);
  EXPECT_TRUE(Get("/api/v1/chats/all/tags", As("user", "other")).Json().empty());
  EXPECT_EQ(Post("/api/v1/chats/" + a + "/tags", {{"name", "None"}}, u).status, 400);
  EXPECT_EQ(Titles(Post("/api/v1/chats/tags", {{"name", "Work Stuff"}}, u)),
            (std::vector<std::string>{"Trip planning"}));

  EXPECT_EQ(Titles(Get("/api/v1/chats/search?text=train", u)),
            (std::vector<std::string>{"Trip planning"}));
  EXPECT_EQ(Titles(Get("/api/v1/chats/search?text=GROCER", u)),
            (std::vector<std::string>{"Groceries"}));
  EXPECT_EQ(Titles(Get("/api/v1/chats/search?text=tag:work_stuff", u)),
            (std::vector<std::string>{"Trip planning"}));
  EXPECT_EQ(Titles(Get("/api/v1/chats/search?text=tag:none", u)),
            (std::vector<std::string>{"Groceries"}));
  EXPECT_TRUE(Get("/api/v1/chats/search?text=secrets", u).Json().empty());

  auto removed = Delete("/api/v1/chats/" + a + "/tags", u, {{"name", "Work Stuff"}});
  ASSERT_EQ(removed.status, 200) << removed.body;
  EXPECT_TRUE(removed.Json().empty());
  EXPECT_TRUE(Get("/api/v1/chats/all/tags", u).Json().empty());  // unused tags go away

  Post("/api/v1/chats/" + a + "/tags", {{"name", "x"}}, u);
  Post("/api/v1/chats/" + a + "/tags", {{"name", "y"}}, u);
  EXPECT_EQ(Get("/api/v1/chats/all/tags", u).Json().size(), 2u);
  EXPECT_EQ(Delete("/api/v1/chats/" + a + "/tags/all", u).body, "true");
  EXPECT_TRUE(Get("/api/v1/chats/" + a + "/tags", u).Json().empty());
  EXPECT_TRUE(Get("/api/v1/chats/all/tags", u).Json().empty());
}

TEST_F(Chats, FoldersHoldChats) {
  const auto u = As("user", "filer");
  const json work = Folder(u, "Work");
  const std::string work_id = work["id"];
  EXPECT_EQ(work["name"], "Work");
  EXPECT_EQ(work["user_id"], "filer");
  EXPECT_EQ(Post("/api/v1/folders/", {{"name", "work"}}, u).status, 400);  // names are unique

  const std::string in_folder = NewChat(u, Doc("Filed"), work_id)["id"];
  const std::string loose = NewChat(u, Doc("Loose"))["id"];
  EXPECT_EQ(Titles(Get("/api/v1/chats/?page=1", u)), (std::vector<std::string>{"Loose"}));
  EXPECT_EQ(Get("/api/v1/chats/?page=1&include_folders=true", u).Json().size(), 2u);
  EXPECT_EQ(Get("/api/v1/chats/folder/" + work_id, u).Json()[0]["id"], in_folder);
  EXPECT_EQ(Get("/api/v1/chats/folder/" + work_id + "/list?page=1", u).Json()[0]["title"], "Filed");
  auto moved = Post("/api/v1/chats/" + loose + "/folder", {{"folder_id", work_id}}, u);
  EXPECT_EQ(moved.Json()["folder_id"], work_id);
  EXPECT_EQ(
      Post("/api/v1/chats/" + loose + "/folder", {{"folder_id", nullptr}}, u).Json()["folder_id"],
      nullptr);

  const json sub = Folder(u, "Sub", work_id);
  const std::string sub_id = sub["id"];
  EXPECT_EQ(sub["parent_id"], work_id);
  auto listed = Get("/api/v1/folders/", u).Json();
  ASSERT_EQ(listed.size(), 2u);
  for (const auto& f : listed)
    for (const char* k :
         {"id", "name", "meta", "parent_id", "is_expanded", "created_at", "updated_at"})
      EXPECT_TRUE(f.contains(k)) << k;
  EXPECT_EQ(
      Post("/api/v1/folders/" + work_id + "/update/parent", {{"parent_id", sub_id}}, u).status,
      400);  // no cycles
  EXPECT_EQ(Post("/api/v1/folders/" + sub_id + "/update/parent", {{"parent_id", nullptr}}, u)
                .Json()["parent_id"],
            nullptr);
  EXPECT_EQ(
      Post("/api/v1/folders/" + sub_id + "/update/parent", {{"parent_id", work_id}}, u).status,
      200);
  auto renamed =
      Post("/api/v1/folders/" + work_id + "/update",
           {{"name", "Job"}, {"meta", {{"icon", "💼"}}}, {"data", {{"system_prompt", "x"}}}}, u);
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  EXPECT_EQ(renamed.Json()["name"], "Job");
  EXPECT_EQ(renamed.Json()["data"]["system_prompt"], "x");
  for (const auto& f : Get("/api/v1/folders/", u).Json()) {
    if (f["id"] == work_id) {
      EXPECT_EQ(f["meta"], json({{"icon", "💼"}}));
    }
  }
  EXPECT_EQ(Post("/api/v1/folders/" + work_id + "/update/expanded", {{"is_expanded", true}}, u)
                .Json()["is_expanded"],
            true);
  // Folder files may only name the caller's own files (no file table here: none exist).
  EXPECT_EQ(Post("/api/v1/folders/" + work_id + "/update",
                 {{"data", {{"files", {{{"type", "file"}, {"id", "someone-elses"}}}}}}}, u)
                .status,
            403);

  const std::string in_sub = NewChat(u, Doc("Deep"), sub_id)["id"];
  EXPECT_EQ(Get("/api/v1/chats/folder/" + work_id, u).Json().size(), 2u);  // with subfolders
  // Keep the contents: chats fall back to the root.
  EXPECT_EQ(Delete("/api/v1/folders/" + sub_id + "?delete_contents=false", u).body, "true");
  EXPECT_TRUE(Get("/api/v1/chats/" + in_sub, u).Json()["folder_id"].is_null());
  // Delete the contents (the default).
  EXPECT_EQ(Delete("/api/v1/folders/" + work_id, u).body, "true");
  EXPECT_EQ(Get("/api/v1/chats/" + in_folder, u).status, 404);
  EXPECT_TRUE(Get("/api/v1/folders/", u).Json().empty());
}

TEST_F(Chats, AnotherUsersObjectsAre404OnEveryRoute) {
  const auto alice = As("user", "alice");
  const auto bob = As("user", "bob");
  const json folder = Folder(alice, "Private");
  const std::string folder_id = folder["id"];
  const std::string chat_id = NewChat(alice, Doc("Alice only", "private words"), folder_id)["id"];
  Post("/api/v1/chats/" + chat_id + "/tags", {{"name", "mine"}}, alice);
  const json chat_before = Get("/api/v1/chats/" + chat_id, alice).Json();
  const json folder_before = Get("/api/v1/folders/" + folder_id, alice).Json();
  const json bob_folder = Folder(bob, "Bob's");
  const std::string bob_chat = NewChat(bob, Doc("Bob's chat"))["id"];

  struct Probe {
    const char* method;
    std::string path;
    json body;
  };
  const std::string c = "/api/v1/chats/" + chat_id;
  const std::string f = "/api/v1/folders/" + folder_id;
  const std::vector<Probe> probes = {
      {"GET", c, json()},
      {"POST", c, {{"chat", {{"title", "hacked"}}}}},
      {"DELETE", c, json()},
      {"GET", c + "/pinned", json()},
      {"POST", c + "/pin", json()},
      {"POST", c + "/archive", json()},
      {"POST", c + "/share", json()},
      {"DELETE", c + "/share", json()},
      {"POST", c + "/clone", json::object()},
      {"POST", c + "/folder", {{"folder_id", bob_folder["id"]}}},
      {"GET", c + "/tags", json()},
      {"POST", c + "/tags", {{"name", "evil"}}},
      {"DELETE", c + "/tags", {{"name", "mine"}}},
      {"DELETE", c + "/tags/all", json()},
      {"GET", f, json()},
      {"POST", f + "/update", {{"name", "hacked"}}},
      {"POST", f + "/update/parent", {{"parent_id", nullptr}}},
      {"POST", f + "/update/expanded", {{"is_expanded", true}}},
      {"DELETE", f, json()},
      {"GET", "/api/v1/chats/folder/" + folder_id, json()},
      {"GET", "/api/v1/chats/folder/" + folder_id + "/list", json()},
      // bob's own objects pointed at alice's folder
      {"POST", "/api/v1/chats/" + bob_chat + "/folder", {{"folder_id", folder_id}}},
      {"POST", "/api/v1/chats/new", {{"chat", {{"title", "x"}}}, {"folder_id", folder_id}}},
      {"POST", "/api/v1/folders/", {{"name", "child"}, {"parent_id", folder_id}}},
      {"POST",
       "/api/v1/folders/" + bob_folder["id"].get<std::string>() + "/update/parent",
       {{"parent_id", folder_id}}},
  };
  for (const auto& p : probes) {
    auto r = Call(p.method, p.path, p.body, bob);
    EXPECT_EQ(r.status, 404) << p.method << " " << p.path << " " << r.body;
    EXPECT_EQ(r.body.find("private words"), std::string::npos) << p.path;
  }
  // The admin-only listing of a user's chats refuses users.
  EXPECT_EQ(Get("/api/v1/chats/list/user/alice", bob).status, 401);
  EXPECT_EQ(Get("/api/v1/chats/list/user/alice", As("admin", "adm")).Json()[0]["id"], chat_id);
  // Nothing of alice's changed, and bob's lists never show it.
  EXPECT_EQ(Get("/api/v1/chats/" + chat_id, alice).Json(), chat_before);
  EXPECT_EQ(Get("/api/v1/folders/" + folder_id, alice).Json(), folder_before);
  EXPECT_EQ(Get("/api/v1/chats/all/tags", alice).Json().size(), 1u);
  EXPECT_TRUE(Get("/api/v1/chats/search?text=private", bob).Json().empty());
  EXPECT_EQ(Get("/api/v1/folders/", bob).Json().size(), 1u);
  EXPECT_TRUE(Get("/api/v1/chats/share/" + chat_id, bob).status == 404);
}

}  // namespace
}  // namespace webui::testing
