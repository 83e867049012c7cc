// /api/v1/users: routers/users.py of Open WebUI 0.6.32 (accounts, settings, info,
// default permissions, group basics).
#include <algorithm>
#include <ctime>

#include "auth_plugin.hpp"
#include "util.hpp"

namespace webui::auth {
namespace {

using nlohmann::json;
using sdk::Auth;
using sdk::HttpError;
using sdk::Request;
using sdk::Response;

constexpr int64_t kPageItemCount = 30;  // Open WebUI's page size for the users list

std::string UsersPath(const char* suffix) { return std::string("/api/v1/users") + suffix; }

int64_t PageParam(const Request& req) {
  auto v = req.Query("page");
  if (!v || v->empty()) return 1;
  try {
    size_t used = 0;
    const long long n = std::stoll(std::string(*v), &used);
    if (used != v->size()) throw std::invalid_argument("page");
    return std::clamp<long long>(n, 1, 1000000);  // clamped, never negative (T24)
  } catch (...) {
    throw ValidationError("int_parsing", "page", "Input should be a valid integer");
  }
}

UsersStore::ListQuery ListFromQuery(const Request& req) {
  UsersStore::ListQuery q;
  q.query = std::string(req.Query("query").value_or(""));
  q.order_by = std::string(req.Query("order_by").value_or(""));
  q.direction = std::string(req.Query("direction").value_or(""));
  return q;
}

}  // namespace

void AuthPlugin::RegisterUsersRoutes() {
  // --- GET / (admin): search, order, page ---
  AddRoute("GET", UsersPath("/").c_str(), Auth::kAdmin, [this](Request& req, Response& res) {
    auto q = ListFromQuery(req);
    const int64_t page = PageParam(req);
    q.limit = kPageItemCount;
    q.skip = (page - 1) * kPageItemCount;
    auto [users, total] = store_->List(q);
    json list = json::array();
    for (const auto& u : users) {
      json j = u.ToJson();
      j["group_ids"] = json::array();
      for (const auto& g : store_->GroupsOfMember(u.id)) j["group_ids"].push_back(g["id"]);
      list.push_back(std::move(j));
    }
    res.Json(Dump(json{{"users", list}, {"total", total}}));
  });

  AddRoute("GET", UsersPath("/all").c_str(), Auth::kAdmin, [this](Request&, Response& res) {
    auto [users, total] = store_->List({});
    json list = json::array();
    for (const auto& u : users) list.push_back(u.ToJson());
    res.Json(Dump(json{{"users", list}, {"total", total}}));
  });

  // --- GET /search (verified): id and name only, Open WebUI's UserIdNameListResponse; e-mails
  // and roles of other accounts are the admin list's ---
  AddRoute("GET", UsersPath("/search").c_str(), Auth::kVerified,
           [this](Request& req, Response& res) {
             auto q = ListFromQuery(req);
             const int64_t page = PageParam(req);
             q.limit = kPageItemCount;
             q.skip = (page - 1) * kPageItemCount;
             auto [users, total] = store_->List(q);
             json list = json::array();
             for (const auto& u : users) list.push_back({{"id", u.id}, {"name", u.name}});
             res.Json(Dump(json{{"users", list}, {"total", total}}));
           });

  // --- default permissions (admin) and the caller's effective ones ---
  AddRoute("GET", UsersPath("/default/permissions").c_str(), Auth::kAdmin,
           [this](Request&, Response& res) { res.Json(Dump(settings_.UserPermissions())); });
  AddRoute("POST", UsersPath("/default/permissions").c_str(), Auth::kAdmin,
           [this](Request& req, Response& res) {
             const json body = ParseBodyObject(req.Body());
             // Every section must be an object of booleans (UserPermissions model).
             for (auto it = body.begin(); it != body.end(); ++it) {
               if (!it->is_object())
                 throw ValidationError("dict_type", it.key(), "Input should be a valid dictionary");
               for (auto f = it->begin(); f != it->end(); ++f)
                 if (!f->is_boolean())
                   throw ValidationError("bool_type", it.key(), "Input should be a valid boolean");
             }
             settings_.Set(kUserPermissions, body);
             NotifyAuthChanged("");  // every cached user's effective permissions
             res.Json(Dump(settings_.UserPermissions()));
           });
  AddRoute("GET", UsersPath("/permissions").c_str(), Auth::kVerified,
           [this](Request& req, Response& res) {
             res.Json(Dump(PermissionsOf(std::string(req.RequireCaller().id))));
           });

  // --- the caller's own settings and info ---
  auto get_column = [this](bool settings) {
    return [this, settings](Request& req, Response& res) {
      auto user = store_->GetById(req.RequireCaller().id);
      if (!user) throw HttpError(400, msg::kUserNotFound);
      res.Json(Dump(settings ? user->settings : user->info));
    };
  };
  auto update_column = [this](bool settings) {
    return [this, settings](Request& req, Response& res) {
      const auto caller = req.RequireCaller();
      const json body = ParseBodyObject(req.Body());
      if (settings && caller.role != "admin") {
        // Direct tool servers need their permission (users.py).
        const json& ui = body.contains("ui") ? body["ui"] : json(nullptr);
        if (ui.is_object() && ui.contains("toolServers")) {
          const json perms = PermissionsOf(std::string(caller.id));
          const json features = perms.value("features", json::object());
          if (!features.is_object() || !features.value("direct_tool_servers", false))
            throw HttpError(403, msg::kActionProhibited);
        }
      }
      json merged =
          settings ? store_->MergeSettings(caller.id, body) : store_->MergeInfo(caller.id, body);
      if (merged.is_null()) throw HttpError(400, msg::kUserNotFound);
      res.Json(Dump(merged));
    };
  };
  AddRoute("GET", UsersPath("/user/settings").c_str(), Auth::kVerified, get_column(true));
  AddRoute("POST", UsersPath("/user/settings/update").c_str(), Auth::kVerified,
           update_column(true));
  AddRoute("GET", UsersPath("/user/info").c_str(), Auth::kVerified, get_column(false));
  AddRoute("POST", UsersPath("/user/info/update").c_str(), Auth::kVerified, update_column(false));

  // --- groups basics ---
  AddRoute("GET", UsersPath("/groups").c_str(), Auth::kVerified,
           [this](Request& req, Response& res) {
             res.Json(Dump(json(store_->GroupsOfMember(req.RequireCaller().id))));
           });
  AddRoute("GET", UsersPath("/{user_id}/groups").c_str(), Auth::kAdmin,
           [this](Request& req, Response& res) {
             res.Json(Dump(json(store_->GroupsOfMember(*req.PathParam("user_id")))));
           });

  // --- GET /{user_id} (verified): the public card of an account ---
  AddRoute("GET", UsersPath("/{user_id}").c_str(), Auth::kVerified,
           [this](Request& req, Response& res) {
             auto user = store_->GetById(*req.PathParam("user_id"));
             if (!user) throw HttpError(400, msg::kUserNotFound);
             res.Json(Dump(json{{"name", user->name},
                                {"profile_image_url", user->profile_image_url},
                                {"active", std::time(nullptr) - user->last_active_at < 180}}));
           });

  // --- POST /{user_id}/update (admin) ---
  AddRoute("POST", UsersPath("/{user_id}/update").c_str(), Auth::kAdmin,
           [this](Request& req, Response& res) {
             const auto caller = req.RequireCaller();
             const std::string id(*req.PathParam("user_id"));
             const json body = ParseBodyObject(req.Body());
             const std::string role = RequireString(body, "role");
             const std::string name = RequireString(body, "name");
             const std::string email = Lower(RequireString(body, "email"));
             const std::string image = RequireString(body, "profile_image_url");
             const auto password = OptionalString(body, "password");
             if (!ValidRole(role)) throw HttpError(400, msg::kActionProhibited);
             // The primary admin can only be edited by itself, and stays admin.
             if (auto first = PrimaryAdmin(); first && first->id == id) {
               if (caller.id != id || role != "admin") throw HttpError(403, msg::kActionProhibited);
             }
             auto user = store_->GetById(id);
             if (!user) throw HttpError(400, msg::kUserNotFound);
             if (email.size() > 320 || !ValidEmailFormat(email))
               throw HttpError(400, msg::kInvalidEmailFormat);
             if (email != user->email && store_->GetByEmail(email))
               throw HttpError(400, msg::kEmailTaken);
             if (password && !password->empty())
               store_->UpdatePassword(id, HashNewPassword(*password));
             UsersStore::ProfileUpdate p;
             p.role = role;
             p.name = name;
             p.email = email;
             p.profile_image_url = image;
             store_->UpdateProfile(id, p);
             // Role, name and e-mail are all part of the cached caller.
             NotifyAuthChanged(id);
             auto updated = store_->GetById(id);
             if (!updated) throw HttpError(400, msg::kUserNotFound);
             res.Json(Dump(updated->ToJson()));
           });

  // --- DELETE /{user_id} (admin): never the primary admin, never oneself ---
  AddRoute("DELETE", UsersPath("/{user_id}").c_str(), Auth::kAdmin,
           [this](Request& req, Response& res) {
             const auto caller = req.RequireCaller();
             const std::string id(*req.PathParam("user_id"));
             if (auto first = PrimaryAdmin(); first && first->id == id)
               throw HttpError(403, msg::kActionProhibited);
             if (caller.id == id) throw HttpError(403, msg::kActionProhibited);
             if (!store_->Delete(id)) throw HttpError(404, msg::kUserNotFound);
             NotifyAuthChanged(id);
             res.Json("true");
           });
}

}  // namespace webui::auth
