// /api/v1/knowledge in Open WebUI 0.6.32's shapes (bare arrays; `files`, `user`). A knowledge
// base's chunks live in the collection named by its id, copied from the file's own collection
// `file-<id>` with their vectors: adding a file never embeds it again. A file is a duplicate only
// when that same file is already in that knowledge base (Open WebUI issue 18115 refused
// different files with equal text), the same for single and batch adds.
#include <webui_host/sdk/files.hpp>
#include <webui_host/sdk/users.hpp>

#include <algorithm>
#include <map>
#include <stdexcept>

#include <webui_host/services/retrieval.h>

#include "rag_plugin.hpp"

namespace webui::rag {

using nlohmann::json;
using sdk::Auth;
using sdk::Request;
using sdk::Response;

namespace {

std::string FileIdOf(const json& body) {
  auto it = body.find("file_id");
  if (it == body.end() || it->is_null())
    throw sdk::Unprocessable("missing", "file_id", "Field required");
  if (!it->is_string())
    throw sdk::Unprocessable("string_type", "file_id", "Input should be a valid string");
  return it->get<std::string>();
}

}  // namespace

void RagPlugin::AddKnowledgeRoutes() {
  sdk::Host& host = *host_;

  // FileMetadataResponse of each member; ids whose file is gone are dropped (and, with `prune`,
  // from the row too, as Open WebUI's list does).
  const auto files_of = [this](Knowledge& k, bool prune) {
    sdk::Files files(*host_);
    json out = json::array();
    std::vector<std::string> kept;
    for (const auto& id : k.FileIds()) {
      auto f = files.Get(id);
      if (!f) continue;
      kept.push_back(id);
      out.push_back({{"id", id},
                     {"meta", f->value("meta", json::object())},
                     {"created_at", f->value("created_at", json(nullptr))},
                     {"updated_at", f->value("updated_at", json(nullptr))}});
    }
    if (prune && kept.size() != k.FileIds().size()) {
      k.SetFileIds(kept);
      repo_->Save(k);
    }
    return out;
  };
  const auto with_files = [files_of](Knowledge& k) {
    json out = k.ToJson();
    out["files"] = files_of(k, false);
    return out;
  };
  const auto list = [this, files_of](Request& req, const char* access) {
    Viewer viewer(*host_, req.RequireCaller());
    sdk::Users users(*host_);
    std::map<std::string, json> people;
    json out = json::array();
    for (auto& k : repo_->List()) {
      if (!viewer.Can(k, access)) continue;
      json item = k.ToJson();
      item["files"] = files_of(k, true);
      item["data"] = k.ToJson()["data"];
      auto [it, fresh] = people.try_emplace(k.user_id, nullptr);
      if (fresh) {
        if (auto u = users.Get(k.user_id))
          it->second = {{"id", u->value("id", "")},
                        {"name", u->value("name", "")},
                        {"email", u->value("email", "")},
                        {"role", u->value("role", "")},
                        {"profile_image_url", u->value("profile_image_url", "")}};
      }
      item["user"] = it->second;
      out.push_back(std::move(item));
    }
    return out;
  };
  // The knowledge base of the path, for `access`; 400 NOT_FOUND / ACCESS_PROHIBITED as Open WebUI.
  const auto writable = [this](Request& req, Viewer& viewer) {
    auto k = repo_->Get(std::string(*req.PathParam("id")));
    if (!k) throw sdk::BadRequest(sdk::messages::kNotFound);
    if (!viewer.Can(*k, "write")) throw sdk::BadRequest(sdk::messages::kAccessProhibited);
    return std::move(*k);
  };
  // Access control as sent, unless a user without sharing.public_knowledge asks for public.
  const auto access_control = [](Viewer& viewer, const json& body, const json& current) {
    auto it = body.find("access_control");
    json ac = it == body.end() ? current : *it;
    if (!ac.is_null() && !ac.is_object())
      throw sdk::Unprocessable("dict_type", "access_control", "Input should be a valid dictionary");
    if (ac.is_null() && !viewer.HasPermission("sharing", "public_knowledge", false))
      ac = json::object();
    return ac;
  };

  host.Route("GET", "/api/v1/knowledge/", Auth::kVerified,
             [list](Request& req, Response& res) { sdk::Reply(res, list(req, "read")); });
  host.Route("GET", "/api/v1/knowledge/list", Auth::kVerified,
             [list](Request& req, Response& res) { sdk::Reply(res, list(req, "write")); });

  host.Route("POST", "/api/v1/knowledge/create", Auth::kVerified,
             [this, access_control](Request& req, Response& res) {
               const json body = sdk::JsonBody(req);
               Viewer viewer(*host_, req.RequireCaller());
               if (!viewer.HasPermission("workspace", "knowledge", false))
                 throw sdk::HttpError(401, sdk::messages::kUnauthorized);
               Knowledge k;
               for (const char* field : {"name", "description"}) {
                 auto it = body.find(field);
                 if (it == body.end()) throw sdk::Unprocessable("missing", field, "Field required");
                 if (!it->is_string())
                   throw sdk::Unprocessable("string_type", field, "Input should be a valid string");
               }
               k.id = NewUuid();
               k.user_id = viewer.id();
               k.name = body["name"].get<std::string>();
               k.description = body["description"].get<std::string>();
               k.access_control = access_control(viewer, body, nullptr);
               k.created_at = k.updated_at = NowSeconds();
               try {
                 repo_->Insert(k);
               } catch (const sdk::Error& e) {
                 if (e.status() == WH_UNAVAILABLE) throw;
                 throw sdk::BadRequest(kFileExists);
               }
               sdk::Reply(res, k.ToJson());
             });

  host.Route("GET", "/api/v1/knowledge/{id}", Auth::kVerified,
             [this, with_files](Request& req, Response& res) {
               Viewer viewer(*host_, req.RequireCaller());
               auto k = repo_->Get(std::string(*req.PathParam("id")));
               // Open WebUI answers a missing knowledge base with 401 NOT_FOUND; one the caller
               // may not read looks the same.
               if (!k || !viewer.Can(*k, "read"))
                 throw sdk::HttpError(401, sdk::messages::kNotFound);
               sdk::Reply(res, with_files(*k));
             });

  host.Route("POST", "/api/v1/knowledge/{id}/update", Auth::kVerified,
             [this, writable, with_files, access_control](Request& req, Response& res) {
               const json body = sdk::JsonBody(req);
               Viewer viewer(*host_, req.RequireCaller());
               Knowledge k = writable(req, viewer);
               for (const char* field : {"name", "description"}) {
                 auto it = body.find(field);
                 if (it == body.end() || it->is_null()) continue;
                 if (!it->is_string())
                   throw sdk::Unprocessable("string_type", field, "Input should be a valid string");
                 (std::string_view(field) == "name" ? k.name : k.description) =
                     it->get<std::string>();
               }
               // Membership changes only through the file routes (their access checks, T14).
               k.access_control = access_control(viewer, body, k.access_control);
               repo_->Save(k);
               sdk::Reply(res, with_files(k));
             });

  // Adds one file to a knowledge base: the caller must be able to read the file (T14), the file
  // must be processed, and not in the knowledge base yet. Throws HttpError.
  const auto add_file = [this](Knowledge& k, Viewer& viewer, const std::string& file_id) {
    sdk::Files files(*host_);
    auto readable = files.CheckAccess(viewer.id(), viewer.role(), file_id, "read");
    if (!readable || !*readable) throw sdk::BadRequest(sdk::messages::kNotFound);
    auto file = files.Get(file_id);
    if (!file) throw sdk::BadRequest(sdk::messages::kNotFound);
    const json data = file->value("data", json::object());
    if (!data.is_object() || !data.contains("content") || !data["content"].is_string())
      throw sdk::BadRequest(kFileNotProcessed);
    auto ids = k.FileIds();
    if (std::find(ids.begin(), ids.end(), file_id) != ids.end() || store_->FileIn(k.id, file_id))
      throw sdk::BadRequest(kDuplicateContent);
    const std::string own = "file-" + file_id;
    try {
      // A file processed before rag was installed (or with bypass on) has no chunks yet.
      if (!store_->Exists(own)) {
        auto path = files.LocalPath(file_id);
        ProcessFile(*file, path.value_or(""), data["content"].get<std::string>(), {});
      }
    } catch (const sdk::Error&) {
      throw;
    } catch (const std::exception& e) {
      throw sdk::BadRequest(e.what());
    }
    store_->CopyFile(own, k.id, file_id);
    ids.push_back(file_id);
    k.SetFileIds(ids);
  };

  host.Route("POST", "/api/v1/knowledge/{id}/file/add", Auth::kVerified,
             [this, writable, with_files, add_file](Request& req, Response& res) {
               const json body = sdk::JsonBody(req);
               const std::string file_id = FileIdOf(body);
               Viewer viewer(*host_, req.RequireCaller());
               Knowledge k = writable(req, viewer);
               add_file(k, viewer, file_id);
               repo_->Save(k);
               sdk::Reply(res, with_files(k));
             });

  host.Route(
      "POST", "/api/v1/knowledge/{id}/files/batch/add", Auth::kVerified,
      [this, writable, with_files, add_file](Request& req, Response& res) {
        auto parsed = sdk::json::Parse(req.Body());
        if (!parsed || !parsed->is_array())
          throw sdk::Unprocessable("list_type", "body", "Input should be a valid list");
        Viewer viewer(*host_, req.RequireCaller());
        Knowledge k = writable(req, viewer);
        json errors = json::array();
        for (const auto& item : *parsed) {
          if (!item.is_object()) continue;
          const std::string file_id = FileIdOf(item);
          try {
            add_file(k, viewer, file_id);
          } catch (const sdk::HttpError& e) {
            errors.push_back({{"file_id", file_id}, {"error", e.what()}});
          }
        }
        repo_->Save(k);
        json out = with_files(k);
        if (!errors.empty())
          out["warnings"] = {{"message", "Some files failed to process"}, {"errors", errors}};
        sdk::Reply(res, out);
      });

  host.Route("POST", "/api/v1/knowledge/{id}/file/update", Auth::kVerified,
             [this, writable, with_files](Request& req, Response& res) {
               const json body = sdk::JsonBody(req);
               const std::string file_id = FileIdOf(body);
               Viewer viewer(*host_, req.RequireCaller());
               Knowledge k = writable(req, viewer);
               auto ids = k.FileIds();
               if (std::find(ids.begin(), ids.end(), file_id) == ids.end() ||
                   !sdk::Files(*host_).Get(file_id))
                 throw sdk::BadRequest(sdk::messages::kNotFound);
               // The file's own collection was rebuilt by its content update: copy it again.
               store_->CopyFile("file-" + file_id, k.id, file_id);
               repo_->Save(k);
               sdk::Reply(res, with_files(k));
             });

  host.Route("POST", "/api/v1/knowledge/{id}/file/remove", Auth::kVerified,
             [this, writable, with_files](Request& req, Response& res) {
               const json body = sdk::JsonBody(req);
               const std::string file_id = FileIdOf(body);
               Viewer viewer(*host_, req.RequireCaller());
               Knowledge k = writable(req, viewer);
               auto ids = k.FileIds();
               auto at = std::find(ids.begin(), ids.end(), file_id);
               if (at == ids.end()) throw sdk::BadRequest(sdk::messages::kNotFound);
               store_->DeleteFile(k.id, file_id);
               ids.erase(at);
               k.SetFileIds(ids);
               repo_->Save(k);
               if (req.Query("delete_file") == std::optional<std::string_view>("true")) {
                 sdk::Files files(*host_);
                 // Only the file's owner (or an admin) deletes it (T12: the operation decides).
                 auto may = files.CheckAccess(viewer.id(), viewer.role(), file_id, "write");
                 if (may && *may) files.Remove(file_id);
               }
               sdk::Reply(res, with_files(k));
             });

  host.Route("POST", "/api/v1/knowledge/{id}/reset", Auth::kVerified,
             [this, writable](Request& req, Response& res) {
               Viewer viewer(*host_, req.RequireCaller());
               Knowledge k = writable(req, viewer);
               store_->DeleteCollection(k.id);
               k.SetFileIds({});
               repo_->Save(k);
               sdk::Reply(res, k.ToJson());
             });

  host.Route("DELETE", "/api/v1/knowledge/{id}/delete", Auth::kVerified,
             [this, writable](Request& req, Response& res) {
               Viewer viewer(*host_, req.RequireCaller());
               Knowledge k = writable(req, viewer);
               store_->DeleteCollection(k.id);
               repo_->Delete(k.id);
               // Models that list it in meta.knowledge are the chat plugin's: it hears this and
               // drops the entry (retrieval skips a knowledge base that is gone meanwhile).
               host_->Publish(WH_CHANNEL_KNOWLEDGE_DELETED, k.id);
               sdk::Reply(res, true);
             });

  host.Route("POST", "/api/v1/knowledge/reindex", Auth::kAdmin, [this](Request&, Response& res) {
    sdk::Files files(*host_);
    for (auto& k : repo_->List()) {
      store_->DeleteCollection(k.id);
      for (const auto& file_id : k.FileIds()) {
        auto file = files.Get(file_id);
        if (!file) continue;
        try {
          auto path = files.LocalPath(file_id);
          const json data = file->value("data", json::object());
          std::optional<std::string> content;
          if (data.is_object() && data["content"].is_string())
            content = data["content"].get<std::string>();
          ProcessFile(*file, path.value_or(""), content, {});
          store_->CopyFile("file-" + file_id, k.id, file_id);
        } catch (const sdk::Error&) {
          throw;
        } catch (const std::exception& e) {
          host_->Warn(std::string("rag: reindex of a knowledge base file failed: ") + e.what());
        }
      }
    }
    sdk::Reply(res, true);
  });
}

}  // namespace webui::rag
