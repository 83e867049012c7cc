// /api/v1/chats (routers/chats.py). Every object route resolves the chat through OwnedChat(), so
// another user's chat id answers 404 and nothing of it is read or changed (docs/security.md T11).
#include <algorithm>

#include "chat_plugin.hpp"

namespace webui::chat {

using sdk::Auth;
using sdk::Request;
using sdk::Response;

namespace {
constexpr int64_t kPageSize = 60;

bool BoolQuery(const Request& req, const char* name) {
  auto v = req.Query(name);
  if (!v) return false;
  const std::string s = LowerAscii(*v);
  return s == "true" || s == "1" || s == "yes" || s == "on";
}

std::string StringField(const json& body, const char* key) {
  auto it = body.find(key);
  return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
}

json TitleIds(const std::vector<ChatRow>& rows) {
  json out = json::array();
  for (const auto& r : rows) out.push_back(r.TitleId());
  return out;
}

json Responses(const std::vector<ChatRow>& rows) {
  json out = json::array();
  for (const auto& r : rows) out.push_back(r.ToJson());
  return out;
}

std::string PathId(const Request& req, const char* name = "id") {
  return std::string(req.PathParam(name).value_or(""));
}

json CloneDocument(const ChatRow& chat, const std::string& title) {
  json doc = chat.chat.is_object() ? chat.chat : json::object();
  doc["originalChatId"] = chat.id;
  doc["branchPointMessageId"] = CurrentMessageId(chat.chat);
  doc["title"] = title;
  return doc;
}
}  // namespace

ChatRow ChatPlugin::OwnedChat(const std::string& id, const User& user) {
  auto chat = store_->GetChatOwned(id, user.id);
  if (!chat) throw sdk::NotFound();
  return *chat;
}

json ChatPlugin::TagsOfChat(const ChatRow& chat, const User& user) {
  json out = json::array();
  for (const auto& t : store_->TagsByIds(user.id, MetaTags(chat.meta))) out.push_back(t.ToJson());
  return out;
}

void ChatPlugin::DropTagIfUnused(const std::string& user_id, const std::string& tag_id) {
  if (store_->CountChatsWithTag(user_id, tag_id) == 0) store_->DeleteTag(user_id, tag_id);
}

std::optional<std::string> ChatPlugin::CheckedFolder(const json& folder_id, const User& user) {
  if (!folder_id.is_string()) return std::nullopt;
  const std::string id = folder_id;
  if (!store_->GetFolderOwned(id, user.id)) throw sdk::NotFound();
  return id;
}

void ChatPlugin::AddChatRoutes() {
  sdk::Host& h = *host_;

  // -- lists --
  auto list = [this](Request& req, Response& res) {
    const User user = CurrentUser(req);
    ChatFilter f;
    f.exclude_pinned = !BoolQuery(req, "include_pinned");
    f.only_root = !BoolQuery(req, "include_folders");
    std::optional<int64_t> limit;
    int64_t offset = 0;
    if (auto page = IntQuery(req, "page")) {
      limit = kPageSize;
      offset = (std::max<int64_t>(*page, 1) - 1) * kPageSize;
    }
    sdk::Reply(res, TitleIds(store_->ListChats(user.id, f, limit, offset)));
  };
  for (const char* path : {"/api/v1/chats/", "/api/v1/chats", "/api/v1/chats/list"})
    h.Route("GET", path, Auth::kVerified, list);

  auto delete_all = [this](Request& req, Response& res) {
    const User user = CurrentUser(req);
    if (!HasPermission(user, "chat.delete", true)) throw sdk::Unauthorized(kAccessProhibited);
    store_->DeleteAllChats(user.id);
    sdk::Reply(res, true);
  };
  h.Route("DELETE", "/api/v1/chats/", Auth::kVerified, delete_all);
  h.Route("DELETE", "/api/v1/chats", Auth::kVerified, delete_all);

  h.Route("POST", "/api/v1/chats/new", Auth::kVerified, [this](Request& req, Response& res) {
    const User user = CurrentUser(req);
    json body = sdk::JsonBody(req);
    if (!body.contains("chat") || !body["chat"].is_object())
      throw sdk::Unprocessable("chat must be an object");
    auto folder = CheckedFolder(body.value("folder_id", json()), user);
    sdk::Reply(res, store_->InsertChat(user.id, body["chat"], folder).ToJson());
  });

  h.Route("POST", "/api/v1/chats/import", Auth::kVerified, [this](Request& req, Response& res) {
    const User user = CurrentUser(req);
    json body = sdk::JsonBody(req);
    if (!body.contains("chat") || !body["chat"].is_object())
      throw sdk::Unprocessable("chat must be an object");
    auto folder = CheckedFolder(body.value("folder_id", json()), user);
    json meta = body.value("meta", json::object());
    if (!meta.is_object()) meta = json::object();
    // Read without operator[]: on a missing key it inserts null, and get<bool>() then threw
    // (a 500 for every import without "pinned").
    const json pinned_field = body.value("pinned", json(false));
    const bool pinned = pinned_field.is_boolean() && pinned_field.get<bool>();
    // Open WebUI always gives the imported chat a new id and answers any failure with 400.
    try {
      for (const auto& tag_id : MetaTags(meta)) store_->EnsureTag(user.id, tag_id);
      sdk::Reply(res, store_->InsertChat(user.id, body["chat"], folder, meta, pinned).ToJson());
    } catch (const sdk::Error& e) {
      if (e.status() == WH_UNAVAILABLE) throw;  // an outage is a 503 (docs/security.md T55)
      host_->LogError(std::string("chat import failed: ") + e.what());
      throw sdk::BadRequest(sdk::messages::Default());
    }
  });

  h.Route("GET", "/api/v1/chats/search", Auth::kVerified, [this](Request& req, Response& res) {
    const User user = CurrentUser(req);
    const SearchQuery q = ParseSearch(req.Query("text").value_or(""));
    const int64_t page = std::max<int64_t>(IntQuery(req, "page").value_or(1), 1);
    ChatFilter f;
    std::vector<ChatRow> hits;
    for (auto& c : store_->ListChats(user.id, f))
      if (MetaHasTags(c.meta, q.tag_ids) && ChatMatchesText(c.title, c.chat, q.text))
        hits.push_back(std::move(c));
    const size_t from = static_cast<size_t>((page - 1) * kPageSize);
    std::vector<ChatRow> slice;
    for (size_t i = from; i < hits.size() && i < from + kPageSize; ++i) slice.push_back(hits[i]);
    sdk::Reply(res, TitleIds(slice));
  });

  h.Route("GET", "/api/v1/chats/pinned", Auth::kVerified, [this](Request& req, Response& res) {
    const User user = CurrentUser(req);
    ChatFilter f;
    f.only_pinned = true;
    sdk::Reply(res, TitleIds(store_->ListChats(user.id, f)));
  });
  h.Route("GET", "/api/v1/chats/all", Auth::kVerified, [this](Request& req, Response& res) {
    ChatFilter f;
    f.archived = std::nullopt;
    sdk::Reply(res, Responses(store_->ListChats(CurrentUser(req).id, f)));
  });
  h.Route("GET", "/api/v1/chats/all/archived", Auth::kVerified,
          [this](Request& req, Response& res) {
            ChatFilter f;
            f.archived = true;
            sdk::Reply(res, Responses(store_->ListChats(CurrentUser(req).id, f)));
          });
  h.Route("GET", "/api/v1/chats/all/tags", Auth::kVerified, [this](Request& req, Response& res) {
    json out = json::array();
    for (const auto& t : store_->ListTags(CurrentUser(req).id)) out.push_back(t.ToJson());
    sdk::Reply(res, out);
  });
  h.Route("GET", "/api/v1/chats/all/db", Auth::kAdmin, [this](Request&, Response& res) {
    auto env = host_->Env("ENABLE_ADMIN_EXPORT");
    if (env && LowerAscii(*env) == "false") throw sdk::Unauthorized(kAccessProhibited);
    sdk::Reply(res, Responses(store_->ListAllChats()));
  });
  h.Route("GET", "/api/v1/chats/list/user/{user_id}", Auth::kAdmin,
          [this](Request& req, Response& res) {
            if (!SettingBool("chat.enable_admin_chat_access", true))
              throw sdk::Unauthorized(kAccessProhibited);
            std::optional<int64_t> limit;
            int64_t offset = 0;
            if (auto page = IntQuery(req, "page")) {
              limit = kPageSize;
              offset = (std::max<int64_t>(*page, 1) - 1) * kPageSize;
            }
            ChatFilter f;
            const std::string needle = LowerAscii(req.Query("query").value_or(""));
            json out = json::array();
            for (const auto& c : store_->ListChats(PathId(req, "user_id"), f, limit, offset))
              if (needle.empty() || LowerAscii(c.title).find(needle) != std::string::npos)
                out.push_back(c.TitleId());
            sdk::Reply(res, out);
          });

  h.Route("GET", "/api/v1/chats/archived", Auth::kVerified, [this](Request& req, Response& res) {
    const User user = CurrentUser(req);
    const std::string order_by = std::string(req.Query("order_by").value_or("updated_at"));
    const std::string direction = LowerAscii(req.Query("direction").value_or("desc"));
    const std::string column = order_by == "title"        ? "title"
                               : order_by == "created_at" ? "created_at"
                                                          : "updated_at";
    const std::string order = column + (direction == "asc" ? " ASC" : " DESC");
    ChatFilter f;
    f.archived = true;
    const std::string needle = LowerAscii(req.Query("query").value_or(""));
    std::vector<ChatRow> hits;
    for (auto& c : store_->ListChats(user.id, f, std::nullopt, 0, order))
      if (needle.empty() || LowerAscii(c.title).find(needle) != std::string::npos)
        hits.push_back(std::move(c));
    if (auto page = IntQuery(req, "page")) {
      const size_t from = static_cast<size_t>((std::max<int64_t>(*page, 1) - 1) * kPageSize);
      std::vector<ChatRow> slice;
      for (size_t i = from; i < hits.size() && i < from + kPageSize; ++i) slice.push_back(hits[i]);
      hits.swap(slice);
    }
    sdk::Reply(res, TitleIds(hits));
  });
  h.Route("POST", "/api/v1/chats/archive/all", Auth::kVerified,
          [this](Request& req, Response& res) {
            store_->SetAllArchived(CurrentUser(req).id, true);
            sdk::Reply(res, true);
          });
  h.Route("POST", "/api/v1/chats/unarchive/all", Auth::kVerified,
          [this](Request& req, Response& res) {
            store_->SetAllArchived(CurrentUser(req).id, false);
            sdk::Reply(res, true);
          });

  h.Route("GET", "/api/v1/chats/share/{share_id}", Auth::kVerified,
          [this](Request& req, Response& res) {
            const User user = CurrentUser(req);
            const std::string id = PathId(req, "share_id");
            std::optional<ChatRow> chat;
            if (user.IsAdmin() && SettingBool("chat.enable_admin_chat_access", true))
              chat = store_->GetChat(id);
            else
              chat = store_->GetSharedChat(id);
            if (!chat) throw sdk::NotFound();
            sdk::Reply(res, chat->ToJson());
          });

  h.Route("POST", "/api/v1/chats/tags", Auth::kVerified, [this](Request& req, Response& res) {
    const User user = CurrentUser(req);
    json body = sdk::JsonBody(req);
    const std::string name = StringField(body, "name");
    auto int_field = [&](const char* key, int64_t fallback) {
      auto it = body.find(key);
      return it != body.end() && it->is_number_integer() ? it->get<int64_t>() : fallback;
    };
    const int64_t skip = int_field("skip", 0);
    const int64_t limit = int_field("limit", 50);
    const std::string tag_id = TagId(name);
    std::vector<ChatRow> hits;
    for (auto& c : store_->ListChats(user.id, ChatFilter{}))
      if (MetaHasTags(c.meta, {tag_id})) hits.push_back(std::move(c));
    if (hits.empty()) store_->DeleteTag(user.id, tag_id);
    std::vector<ChatRow> slice;
    for (size_t i = static_cast<size_t>(std::max<int64_t>(skip, 0));
         i < hits.size() && slice.size() < static_cast<size_t>(std::max<int64_t>(limit, 0)); ++i)
      slice.push_back(hits[i]);
    sdk::Reply(res, TitleIds(slice));
  });

  h.Route("GET", "/api/v1/chats/folder/{folder_id}", Auth::kVerified,
          [this](Request& req, Response& res) {
            const User user = CurrentUser(req);
            const std::string folder_id = PathId(req, "folder_id");
            if (!store_->GetFolderOwned(folder_id, user.id)) throw sdk::NotFound();
            json out = json::array();
            for (const auto& fid : store_->FolderSubtree(folder_id, user.id)) {
              ChatFilter f;
              f.folder_id = fid;
              for (const auto& c : store_->ListChats(user.id, f)) out.push_back(c.ToJson());
            }
            sdk::Reply(res, out);
          });
  h.Route(
      "GET", "/api/v1/chats/folder/{folder_id}/list", Auth::kVerified,
      [this](Request& req, Response& res) {
        const User user = CurrentUser(req);
        const std::string folder_id = PathId(req, "folder_id");
        if (!store_->GetFolderOwned(folder_id, user.id)) throw sdk::NotFound();
        constexpr int64_t kFolderPage = 10;
        const int64_t page = std::max<int64_t>(IntQuery(req, "page").value_or(1), 1);
        ChatFilter f;
        f.folder_id = folder_id;
        json out = json::array();
        for (const auto& c : store_->ListChats(user.id, f, kFolderPage, (page - 1) * kFolderPage))
          out.push_back({{"title", c.title}, {"id", c.id}, {"updated_at", c.updated_at}});
        sdk::Reply(res, out);
      });

  // -- one chat --
  h.Route("GET", "/api/v1/chats/{id}", Auth::kVerified, [this](Request& req, Response& res) {
    sdk::Reply(res, OwnedChat(PathId(req), CurrentUser(req)).ToJson());
  });
  h.Route("POST", "/api/v1/chats/{id}", Auth::kVerified, [this](Request& req, Response& res) {
    const User user = CurrentUser(req);
    json body = sdk::JsonBody(req);
    if (!body.contains("chat") || !body["chat"].is_object())
      throw sdk::Unprocessable("chat must be an object");
    const ChatRow chat = OwnedChat(PathId(req), user);
    auto updated = store_->UpdateChatDocument(chat.id, MergeChat(chat.chat, body["chat"]));
    if (!updated) throw sdk::NotFound();
    sdk::Reply(res, updated->ToJson());
  });
  h.Route("DELETE", "/api/v1/chats/{id}", Auth::kVerified, [this](Request& req, Response& res) {
    const User user = CurrentUser(req);
    const std::string id = PathId(req);
    std::optional<ChatRow> chat;
    if (user.IsAdmin() && SettingBool("chat.enable_admin_chat_access", true))
      chat = store_->GetChat(id);
    else
      chat = store_->GetChatOwned(id, user.id);
    if (!chat) throw sdk::NotFound();
    if (!HasPermission(user, "chat.delete", true)) throw sdk::Unauthorized(kAccessProhibited);
    store_->DeleteChat(chat->id);
    for (const auto& tag_id : MetaTags(chat->meta)) DropTagIfUnused(chat->user_id, tag_id);
    sdk::Reply(res, true);
  });

  h.Route("GET", "/api/v1/chats/{id}/pinned", Auth::kVerified, [this](Request& req, Response& res) {
    sdk::Reply(res, OwnedChat(PathId(req), CurrentUser(req)).pinned.value_or(false));
  });
  h.Route("POST", "/api/v1/chats/{id}/pin", Auth::kVerified, [this](Request& req, Response& res) {
    const ChatRow chat = OwnedChat(PathId(req), CurrentUser(req));
    store_->SetChatFlags(chat.id, std::nullopt, !chat.pinned.value_or(false), false);
    sdk::Reply(res, store_->GetChat(chat.id)->ToJson());
  });

  h.Route("POST", "/api/v1/chats/{id}/clone", Auth::kVerified, [this](Request& req, Response& res) {
    const User user = CurrentUser(req);
    const ChatRow chat = OwnedChat(PathId(req), user);
    json body = req.Body().empty() ? json::object() : sdk::JsonBody(req);
    std::string title = StringField(body, "title");
    if (title.empty()) title = "Clone of " + chat.title;
    sdk::Reply(res, store_->InsertChat(user.id, CloneDocument(chat, title), std::nullopt).ToJson());
  });
  h.Route("POST", "/api/v1/chats/{id}/clone/shared", Auth::kVerified,
          [this](Request& req, Response& res) {
            const User user = CurrentUser(req);
            const std::string id = PathId(req);
            std::optional<ChatRow> chat;
            if (user.IsAdmin() && SettingBool("chat.enable_admin_chat_access", true))
              chat = store_->GetChat(id);
            else
              chat = store_->GetSharedChat(id);
            if (!chat) throw sdk::NotFound();
            sdk::Reply(res,
                       store_
                           ->InsertChat(user.id, CloneDocument(*chat, "Clone of " + chat->title),
                                        std::nullopt)
                           .ToJson());
          });

  h.Route("POST", "/api/v1/chats/{id}/archive", Auth::kVerified,
          [this](Request& req, Response& res) {
            const User user = CurrentUser(req);
            const ChatRow chat = OwnedChat(PathId(req), user);
            const bool archived = !chat.archived;
            store_->SetChatFlags(chat.id, archived, std::nullopt, false);
            // Tags of archived chats do not count; keep the tag list in step.
            for (const auto& tag_id : MetaTags(chat.meta)) {
              if (archived)
                DropTagIfUnused(user.id, tag_id);
              else
                store_->EnsureTag(user.id, tag_id);
            }
            sdk::Reply(res, store_->GetChat(chat.id)->ToJson());
          });

  h.Route("POST", "/api/v1/chats/{id}/share", Auth::kVerified, [this](Request& req, Response& res) {
    const User user = CurrentUser(req);
    const ChatRow chat = OwnedChat(PathId(req), user);
    if (!HasPermission(user, "chat.share", true)) throw sdk::Unauthorized(kAccessProhibited);
    sdk::Reply(res, store_->UpsertSharedSnapshot(chat).ToJson());
  });
  h.Route("DELETE", "/api/v1/chats/{id}/share", Auth::kVerified,
          [this](Request& req, Response& res) {
            const ChatRow chat = OwnedChat(PathId(req), CurrentUser(req));
            if (!chat.share_id) {
              sdk::Reply(res, false);
              return;
            }
            store_->DeleteChat(*chat.share_id);
            store_->SetChatShareId(chat.id, std::nullopt);
            sdk::Reply(res, true);
          });

  h.Route("POST", "/api/v1/chats/{id}/folder", Auth::kVerified,
          [this](Request& req, Response& res) {
            const User user = CurrentUser(req);
            json body = sdk::JsonBody(req);
            const ChatRow chat = OwnedChat(PathId(req), user);
            auto folder = CheckedFolder(body.value("folder_id", json()), user);
            store_->SetChatFolder(chat.id, folder);
            sdk::Reply(res, store_->GetChat(chat.id)->ToJson());
          });

  // -- tags of one chat --
  h.Route("GET", "/api/v1/chats/{id}/tags", Auth::kVerified, [this](Request& req, Response& res) {
    const User user = CurrentUser(req);
    sdk::Reply(res, TagsOfChat(OwnedChat(PathId(req), user), user));
  });
  h.Route("POST", "/api/v1/chats/{id}/tags", Auth::kVerified, [this](Request& req, Response& res) {
    const User user = CurrentUser(req);
    json body = sdk::JsonBody(req);
    ChatRow chat = OwnedChat(PathId(req), user);
    const std::string name = StringField(body, "name");
    const std::string tag_id = TagId(name);
    if (tag_id.empty()) throw sdk::Unprocessable("name is required");
    if (tag_id == "none")
      throw sdk::BadRequest(sdk::messages::Default("Tag name cannot be 'None'"));
    auto tags = MetaTags(chat.meta);
    if (std::find(tags.begin(), tags.end(), tag_id) == tags.end()) {
      store_->EnsureTag(user.id, name);
      tags.push_back(tag_id);
      chat.meta["tags"] = tags;
      store_->SetChatMeta(chat.id, chat.meta);
    }
    sdk::Reply(res, TagsOfChat(chat, user));
  });
  h.Route("DELETE", "/api/v1/chats/{id}/tags", Auth::kVerified,
          [this](Request& req, Response& res) {
            const User user = CurrentUser(req);
            json body = sdk::JsonBody(req);
            ChatRow chat = OwnedChat(PathId(req), user);
            const std::string tag_id = TagId(StringField(body, "name"));
            auto tags = MetaTags(chat.meta);
            tags.erase(std::remove(tags.begin(), tags.end(), tag_id), tags.end());
            chat.meta["tags"] = tags;
            store_->SetChatMeta(chat.id, chat.meta);
            DropTagIfUnused(user.id, tag_id);
            sdk::Reply(res, TagsOfChat(chat, user));
          });
  h.Route("DELETE", "/api/v1/chats/{id}/tags/all", Auth::kVerified,
          [this](Request& req, Response& res) {
            const User user = CurrentUser(req);
            ChatRow chat = OwnedChat(PathId(req), user);
            const auto old_tags = MetaTags(chat.meta);
            chat.meta["tags"] = json::array();
            store_->SetChatMeta(chat.id, chat.meta);
            for (const auto& tag_id : old_tags) DropTagIfUnused(user.id, tag_id);
            sdk::Reply(res, true);
          });
}

}  // namespace webui::chat
