// /api/v1/folders (routers/folders.py): every route works on the caller's own folders only.
#include <algorithm>

#include "chat_plugin.hpp"

namespace webui::chat {

using sdk::Auth;
using sdk::Request;
using sdk::Response;

namespace {

json MergeObjects(const json& base, const json& update) {
  json out = base.is_object() ? base : json::object();
  for (auto it = update.begin(); it != update.end(); ++it) out[it.key()] = it.value();
  return out;
}
}  // namespace

void ChatPlugin::AddFolderRoutes() {
  sdk::Host& h = *host_;

  // A folder's data.files may only name the caller's own files and knowledge bases (T14): a
  // foreign id would later feed another user's content into this user's chats.
  auto check_files = [this](const json& data, const User& user) {
    if (!data.is_object() || !data.contains("files") || !data["files"].is_array()) return;
    for (const auto& f : data["files"]) {
      if (!f.is_object() || !f.contains("id") || !f["id"].is_string()) continue;
      const std::string type = f.value("type", "file");
      const std::string table = type == "collection" ? "knowledge" : "file";
      if (type != "file" && type != "collection") continue;
      auto owner = store_->OwnerOf(table, f["id"].get<std::string>());
      if (!owner || (*owner != user.id && !user.IsAdmin())) throw sdk::Forbidden();
    }
  };

  auto list = [this](Request& req, Response& res) {
    const User user = CurrentUser(req);
    auto folders = store_->ListFolders(user.id);
    json out = json::array();
    for (auto& f : folders) {
      // A parent that no longer exists makes the folder a root one again (as upstream).
      if (f.parent_id && std::none_of(folders.begin(), folders.end(),
                                      [&](const FolderRow& p) { return p.id == *f.parent_id; })) {
        f.parent_id.reset();
        store_->UpdateFolder(f);
      }
      out.push_back(f.NameId());
    }
    sdk::Reply(res, out);
  };
  h.Route("GET", "/api/v1/folders/", Auth::kVerified, list);
  h.Route("GET", "/api/v1/folders", Auth::kVerified, list);

  auto create = [this, check_files](Request& req, Response& res) {
    const User user = CurrentUser(req);
    json body = sdk::JsonBody(req);
    if (!body.contains("name") || !body["name"].is_string() ||
        body["name"].get<std::string>().empty())
      throw sdk::Unprocessable("name is required");
    const std::string name = body["name"];
    std::optional<std::string> parent;
    if (body.contains("parent_id") && body["parent_id"].is_string()) {
      parent = body["parent_id"].get<std::string>();
      if (!store_->GetFolderOwned(*parent, user.id)) throw sdk::NotFound();
    }
    if (store_->SiblingNamed(parent, user.id, name))
      throw sdk::BadRequest(sdk::messages::Default("Folder already exists"));
    json data = body.value("data", json());
    check_files(data, user);
    sdk::Reply(
        res,
        store_->InsertFolder(user.id, name, parent, data, body.value("meta", json())).ToJson());
  };
  h.Route("POST", "/api/v1/folders/", Auth::kVerified, create);
  h.Route("POST", "/api/v1/folders", Auth::kVerified, create);

  h.Route("GET", "/api/v1/folders/{id}", Auth::kVerified, [this](Request& req, Response& res) {
    auto f = store_->GetFolderOwned(std::string(*req.PathParam("id")), CurrentUser(req).id);
    if (!f) throw sdk::NotFound();
    sdk::Reply(res, f->ToJson());
  });

  h.Route("POST", "/api/v1/folders/{id}/update", Auth::kVerified,
          [this, check_files](Request& req, Response& res) {
            const User user = CurrentUser(req);
            json body = sdk::JsonBody(req);
            auto f = store_->GetFolderOwned(std::string(*req.PathParam("id")), user.id);
            if (!f) throw sdk::NotFound();
            if (body.contains("name") && body["name"].is_string()) {
              const std::string name = body["name"];
              if (store_->SiblingNamed(f->parent_id, user.id, name, f->id))
                throw sdk::BadRequest(sdk::messages::Default("Folder already exists"));
              f->name = name;
            }
            if (body.contains("data") && body["data"].is_object()) {
              check_files(body["data"], user);
              f->data = MergeObjects(f->data, body["data"]);
            }
            if (body.contains("meta") && body["meta"].is_object())
              f->meta = MergeObjects(f->meta, body["meta"]);
            store_->UpdateFolder(*f);
            sdk::Reply(res, store_->GetFolderOwned(f->id, user.id)->ToJson());
          });

  h.Route(
      "POST", "/api/v1/folders/{id}/update/parent", Auth::kVerified,
      [this](Request& req, Response& res) {
        const User user = CurrentUser(req);
        json body = sdk::JsonBody(req);
        auto f = store_->GetFolderOwned(std::string(*req.PathParam("id")), user.id);
        if (!f) throw sdk::NotFound();
        std::optional<std::string> parent;
        if (body.contains("parent_id") && body["parent_id"].is_string()) {
          parent = body["parent_id"].get<std::string>();
          if (!store_->GetFolderOwned(*parent, user.id)) throw sdk::NotFound();
          const auto subtree = store_->FolderSubtree(f->id, user.id);
          if (std::find(subtree.begin(), subtree.end(), *parent) != subtree.end())
            throw sdk::BadRequest(sdk::messages::Default("A folder cannot be moved into itself"));
        }
        if (store_->SiblingNamed(parent, user.id, f->name, f->id))
          throw sdk::BadRequest(sdk::messages::Default("Folder already exists"));
        f->parent_id = parent;
        store_->UpdateFolder(*f);
        sdk::Reply(res, store_->GetFolderOwned(f->id, user.id)->ToJson());
      });

  h.Route("POST", "/api/v1/folders/{id}/update/expanded", Auth::kVerified,
          [this](Request& req, Response& res) {
            const User user = CurrentUser(req);
            json body = sdk::JsonBody(req);
            if (!body.contains("is_expanded") || !body["is_expanded"].is_boolean())
              throw sdk::Unprocessable("is_expanded must be a boolean");
            auto f = store_->GetFolderOwned(std::string(*req.PathParam("id")), user.id);
            if (!f) throw sdk::NotFound();
            f->is_expanded = body["is_expanded"];
            store_->UpdateFolder(*f);
            sdk::Reply(res, store_->GetFolderOwned(f->id, user.id)->ToJson());
          });

  h.Route("DELETE", "/api/v1/folders/{id}", Auth::kVerified, [this](Request& req, Response& res) {
    const User user = CurrentUser(req);
    auto f = store_->GetFolderOwned(std::string(*req.PathParam("id")), user.id);
    if (!f) throw sdk::NotFound();
    auto dc = req.Query("delete_contents");
    const bool delete_contents = !dc || LowerAscii(*dc) != "false";
    const auto ids = store_->FolderSubtree(f->id, user.id);
    if (delete_contents) {
      bool has_chats = false;
      for (const auto& fid : ids) {
        ChatFilter cf;
        cf.archived = std::nullopt;
        cf.folder_id = fid;
        has_chats = has_chats || !store_->ListChats(user.id, cf, 1).empty();
      }
      if (has_chats && !HasPermission(user, "chat.delete", true)) throw sdk::Forbidden();
      store_->DeleteChatsInFolders(user.id, ids);
    } else {
      store_->DetachChatsFromFolders(user.id, ids);
    }
    store_->DeleteFolders(user.id, ids);
    sdk::Reply(res, true);
  });
}

}  // namespace webui::chat
