// users.v1 and groups.v1 (sdk/include/webui_host/services/users.h, groups.h): how other plugins
// (chat's access checks, future ldap / scim) read and change accounts and groups without SQL on
// this plugin's tables. Every change goes through the same paths as the HTTP routes: account
// creation through CreateAccount (docs/security.md T03), invalidation through NotifyAuthChanged
// (docs/security.md T05).
#include <webui_host/services/groups.h>
#include <webui_host/services/users.h>

#include <algorithm>

#include "auth_plugin.hpp"
#include "util.hpp"

namespace webui::auth {
namespace {

using nlohmann::json;
using sdk::Param;
using sdk::Row;

// A failure the caller should see as this status.
struct ServiceError {
  wh_status status;
};

json ParseInput(wh_str text) {
  json j = sdk::json::Parse(sdk::FromWh(text)).value_or(json(json::value_t::discarded));
  if (j.is_discarded()) throw ServiceError{WH_INVALID};
  return j;
}

json ParseColumn(const std::optional<std::string>& text) {
  if (!text || text->empty()) return nullptr;
  json j = sdk::json::Parse(*text).value_or(json(json::value_t::discarded));
  return j.is_discarded() ? json(nullptr) : j;
}

// An optional string field: absent is nullopt, present but not a string is WH_INVALID.
std::optional<std::string> StringField(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) return std::nullopt;
  if (!it->is_string()) throw ServiceError{WH_INVALID};
  return it->get<std::string>();
}

// Runs `fn`, turning every failure into a status: nothing may unwind through the C ABI.
template <typename Fn>
wh_status Guard(sdk::Host& host, const char* what, Fn&& fn) noexcept {
  try {
    return fn();
  } catch (const ServiceError& e) {
    return e.status;
  } catch (const sdk::Error& e) {
    return e.status() == WH_OK ? WH_ERROR : e.status();
  } catch (const sdk::HttpError& e) {
    return e.status() == 503 ? WH_UNAVAILABLE : WH_INVALID;
  } catch (const json::exception&) {
    return WH_INVALID;
  } catch (const std::exception& e) {
    try {
      host.Warn(std::string(what) + " failed: " + e.what());
    } catch (...) {
    }
    return WH_ERROR;
  } catch (...) {
    return WH_ERROR;
  }
}

struct Group {
  std::string id, user_id, name, description;
  json permissions, data, meta, user_ids;
  int64_t created_at = 0, updated_at = 0;

  json ToJson() const {
    return json{{"id", id},
                {"user_id", user_id},
                {"name", name},
                {"description", description},
                {"data", data},
                {"meta", meta},
                {"permissions", permissions},
                {"user_ids", user_ids},
                {"created_at", created_at},
                {"updated_at", updated_at}};
  }
};

}  // namespace

class DirectoryServices {
 public:
  explicit DirectoryServices(AuthPlugin& auth) : auth_(auth), host_(*auth.host_) {
    users_vt_.struct_size = sizeof users_vt_;
    users_vt_.get_by_id = &UserGetById;
    users_vt_.get_by_email = &UserGetByEmail;
    users_vt_.create = &UserCreate;
    users_vt_.update = &UserUpdate;
    users_vt_.remove = &UserRemove;
    users_vt_.list = &UserList;
    users_vt_.issue_token = &UserIssueToken;
    users_vt_.set_password = &UserSetPassword;
    groups_vt_.struct_size = sizeof groups_vt_;
    groups_vt_.get = &GroupGet;
    groups_vt_.list = &GroupList;
    groups_vt_.create = &GroupCreate;
    groups_vt_.update = &GroupUpdate;
    groups_vt_.remove = &GroupRemove;
    groups_vt_.add_users = &GroupAddUsers;
    groups_vt_.remove_users = &GroupRemoveUsers;
    groups_vt_.groups_of = &GroupsOf;
  }

  void Offer() {
    host_.OfferService(WH_SERVICE_USERS_V1, &users_vt_, this);
    host_.OfferService(WH_SERVICE_GROUPS_V1, &groups_vt_, this);
  }

 private:
  // Every entry point of both tables goes through one of these two: `fn` runs on the services
  // behind `self` under Guard (no exception crosses the C ABI, each failure becomes its status).
  // Answer hands the JSON text `fn` returns to the caller's sink; no text is WH_NOT_FOUND.
  template <typename Fn>
  static wh_status Answer(void* self, const char* what, wh_str_sink sink, void* su, Fn&& fn) {
    auto& s = *static_cast<DirectoryServices*>(self);
    return Guard(s.host_, what, [&] {
      const std::optional<std::string> text = fn(s);
      if (!text) return WH_NOT_FOUND;
      sink(su, sdk::ToWh(*text));
      return WH_OK;
    });
  }
  // The same for calls that answer only a status.
  template <typename Fn>
  static wh_status Act(void* self, const char* what, Fn&& fn) {
    auto& s = *static_cast<DirectoryServices*>(self);
    return Guard(s.host_, what, [&] { return fn(s); });
  }

  // ----- users.v1 -----

  static std::optional<std::string> UserText(const std::optional<User>& u) {
    if (!u) return std::nullopt;
    return Dump(u->ToJson());
  }

  static wh_status UserGetById(void* self, wh_str id, wh_str_sink sink, void* su) {
    return Answer(self, "users.get_by_id", sink, su, [&](DirectoryServices& s) {
      return UserText(s.auth_.store().GetById(sdk::FromWh(id)));
    });
  }

  static wh_status UserGetByEmail(void* self, wh_str email, wh_str_sink sink, void* su) {
    return Answer(self, "users.get_by_email", sink, su, [&](DirectoryServices& s) {
      return UserText(s.auth_.store().GetByEmail(Lower(sdk::FromWh(email))));
    });
  }

  static wh_status UserCreate(void* self, wh_str user_json, wh_str_sink sink, void* su) {
    return Answer(self, "users.create", sink, su, [&](DirectoryServices& s) {
      const json in = ParseInput(user_json);
      if (!in.is_object()) throw ServiceError{WH_INVALID};
      NewUser nu;
      nu.name = StringField(in, "name").value_or("");
      nu.email = Lower(StringField(in, "email").value_or(""));
      if (nu.name.empty() || nu.email.size() > 320 || !ValidEmailFormat(nu.email))
        throw ServiceError{WH_INVALID};
      const std::string role = StringField(in, "role").value_or("");
      if (!role.empty() && !ValidRole(role)) throw ServiceError{WH_INVALID};
      nu.role = role.empty() ? s.auth_.settings().DefaultUserRole() : role;
      if (auto image = StringField(in, "profile_image_url"); image && !image->empty())
        nu.profile_image_url = *image;
      // Without a hash the account cannot sign in with a password (ldap and scim users sign
      // in through their own plugin): the dummy hash matches nothing.
      nu.password_hash = StringField(in, "password_hash").value_or(s.auth_.dummy_hash_);
      if (nu.password_hash.empty()) nu.password_hash = s.auth_.dummy_hash_;
      if (s.auth_.store().GetByEmail(nu.email)) throw ServiceError{WH_CONFLICT};
      auto r = s.auth_.CreateAccount(nu);
      if (r.status == UsersStore::CreateStatus::kEmailTaken) throw ServiceError{WH_CONFLICT};
      if (!r.user) throw ServiceError{WH_ERROR};
      s.auth_.NotifyAuthChanged(r.user->id);
      return UserText(r.user);
    });
  }

  static wh_status UserUpdate(void* self, wh_str id_text, wh_str patch_json, wh_str_sink sink,
                              void* su) {
    return Answer(self, "users.update", sink, su, [&](DirectoryServices& s) {
      const std::string id(sdk::FromWh(id_text));
      const json in = ParseInput(patch_json);
      if (!in.is_object()) throw ServiceError{WH_INVALID};
      auto& store = s.auth_.store();
      auto user = store.GetById(id);
      if (!user) return std::optional<std::string>();
      UsersStore::ProfileUpdate p;
      p.name = StringField(in, "name");
      if (p.name && p.name->empty()) throw ServiceError{WH_INVALID};
      if (auto email = StringField(in, "email")) {
        p.email = Lower(*email);
        if (p.email->size() > 320 || !ValidEmailFormat(*p.email)) throw ServiceError{WH_INVALID};
        if (*p.email != user->email && store.GetByEmail(*p.email)) throw ServiceError{WH_CONFLICT};
      }
      p.role = StringField(in, "role");
      if (p.role) {
        if (!ValidRole(*p.role)) throw ServiceError{WH_INVALID};
        // The primary admin stays admin, as through POST /users/{id}/update.
        if (auto first = s.auth_.PrimaryAdmin(); first && first->id == id && *p.role != "admin")
          throw ServiceError{WH_INVALID};
      }
      p.profile_image_url = StringField(in, "profile_image_url");
      for (const char* key : {"settings", "info"}) {
        auto it = in.find(key);
        if (it == in.end()) continue;
        if (!it->is_object() && !it->is_null()) throw ServiceError{WH_INVALID};
        (std::string_view(key) == "settings" ? p.settings_json : p.info_json) = Dump(*it);
      }
      if (auto it = in.find("oauth_sub"); it != in.end()) {
        if (!it->is_string() && !it->is_null()) throw ServiceError{WH_INVALID};
        p.set_oauth_sub = true;
        if (it->is_string()) p.oauth_sub = it->get<std::string>();
      }
      store.UpdateProfile(id, p);
      s.auth_.NotifyAuthChanged(id);
      return UserText(store.GetById(id));
    });
  }

  static wh_status UserRemove(void* self, wh_str id_text) {
    return Act(self, "users.remove", [&](DirectoryServices& s) {
      const std::string id(sdk::FromWh(id_text));
      if (auto first = s.auth_.PrimaryAdmin(); first && first->id == id)
        throw ServiceError{WH_INVALID};
      if (!s.auth_.store().Delete(id)) return WH_NOT_FOUND;
      s.auth_.NotifyAuthChanged(id);
      return WH_OK;
    });
  }

  static wh_status UserList(void* self, uint64_t skip, uint64_t limit, wh_str_sink sink, void* su) {
    return Answer(self, "users.list", sink, su, [&](DirectoryServices& s) {
      UsersStore::ListQuery q;
      q.order_by = "created_at";
      q.direction = "asc";
      q.skip = static_cast<int64_t>(std::min<uint64_t>(skip, INT64_MAX));
      q.limit = limit == 0 ? -1 : static_cast<int64_t>(std::min<uint64_t>(limit, INT64_MAX));
      auto [users, total] = s.auth_.store().List(q);
      json out = {{"users", json::array()}, {"total", total}};
      for (const auto& u : users) out["users"].push_back(u.ToJson());
      return std::optional(Dump(out));
    });
  }

  static wh_status UserIssueToken(void* self, wh_str id_text, wh_str_sink sink, void* su) {
    return Answer(self, "users.issue_token", sink, su, [&](DirectoryServices& s) {
      const std::string id(sdk::FromWh(id_text));
      if (!s.auth_.store().GetById(id)) return std::optional<std::string>();
      const IssuedToken t = s.auth_.IssueToken(id);
      json out = {{"token", t.token}, {"token_type", "Bearer"}, {"expires_at", nullptr}};
      if (t.expires_at) out["expires_at"] = *t.expires_at;
      // What a plugin signing the user in (ldap) must answer like sign-in: the session's
      // permissions and sign-in's cookie, whose policy (SameSite, Secure) is auth's.
      out["permissions"] = s.auth_.EffectivePermissions(id);
      out["cookie"] = s.auth_.SessionCookie(t.token, t.expires_at);
      return std::optional(Dump(out));
    });
  }

  // The admin CLI's `user reset-password`. Like POST /users/{id}/update with a password: the
  // hash is replaced and the cached user dropped; tokens already issued stay valid, as in Open
  // WebUI. HashNewPassword's 400 (too long, NUL byte) comes out of Guard as WH_INVALID.
  static wh_status UserSetPassword(void* self, wh_str id_text, wh_str password) {
    return Act(self, "users.set_password", [&](DirectoryServices& s) {
      const std::string id(sdk::FromWh(id_text));
      const std::string next(sdk::FromWh(password));
      if (next.empty()) throw ServiceError{WH_INVALID};
      if (!s.auth_.store().GetById(id)) return WH_NOT_FOUND;
      s.auth_.store().UpdatePassword(id, s.auth_.HashNewPassword(next));
      s.auth_.NotifyAuthChanged(id);
      return WH_OK;
    });
  }

  // ----- groups.v1 -----

  std::string GroupColumns() const {
    return host_.IsPostgres()
               ? "id, user_id, name, description, CAST(permissions AS TEXT), CAST(data AS TEXT), "
                 "CAST(meta AS TEXT), CAST(user_ids AS TEXT), created_at, updated_at"
               : "id, user_id, name, description, permissions, data, meta, user_ids, created_at, "
                 "updated_at";
  }
  // A JSON column's placeholder: PostgreSQL will not take text for JSON implicitly.
  const char* JsonParam() const { return host_.IsPostgres() ? "CAST(? AS JSON)" : "?"; }

  static Group GroupFromRow(const Row& r) {
    Group g;
    g.id = r.Text(0);
    g.user_id = r.OptText(1).value_or("");
    g.name = r.OptText(2).value_or("");
    g.description = r.OptText(3).value_or("");
    g.permissions = ParseColumn(r.OptText(4));
    g.data = ParseColumn(r.OptText(5));
    g.meta = ParseColumn(r.OptText(6));
    g.user_ids = ParseColumn(r.OptText(7));
    if (!g.user_ids.is_array()) g.user_ids = json::array();
    g.created_at = r.IsNull(8) ? 0 : r.Int(8);
    g.updated_at = r.IsNull(9) ? 0 : r.Int(9);
    return g;
  }

  std::optional<Group> LoadGroup(std::string_view id) {
    std::optional<Group> out;
    host_.Exec("SELECT " + GroupColumns() + " FROM \"group\" WHERE id = ?", {id},
               [&](const Row& r) {
                 out = GroupFromRow(r);
                 return false;
               });
    return out;
  }

  void SaveGroup(const Group& g) {
    const std::string sql = std::string("UPDATE \"group\" SET name = ?, description = ?, ") +
                            "permissions = " + JsonParam() + ", user_ids = " + JsonParam() +
                            ", updated_at = ? WHERE id = ?";
    host_.Exec(sql,
               {g.name, g.description, Dump(g.permissions), Dump(g.user_ids), g.updated_at, g.id});
  }

  // Keeps the ids that name an account, once each, in their order (Open WebUI ignores unknown
  // ids too).
  json KnownUserIds(const json& ids) {
    if (!ids.is_array()) throw ServiceError{WH_INVALID};
    json out = json::array();
    for (const auto& id : ids) {
      if (!id.is_string()) throw ServiceError{WH_INVALID};
      if (std::find(out.begin(), out.end(), id) != out.end()) continue;
      if (auth_.store().GetById(id.get<std::string>())) out.push_back(id);
    }
    return out;
  }

  void ApplyGroupPatch(Group& g, const json& in) {
    if (!in.is_object()) throw ServiceError{WH_INVALID};
    if (auto name = StringField(in, "name")) {
      if (name->empty()) throw ServiceError{WH_INVALID};
      g.name = *name;
    }
    if (auto d = StringField(in, "description")) g.description = *d;
    if (auto it = in.find("permissions"); it != in.end()) {
      if (!it->is_object() && !it->is_null()) throw ServiceError{WH_INVALID};
      g.permissions = *it;
    }
    if (auto it = in.find("user_ids"); it != in.end()) g.user_ids = KnownUserIds(*it);
  }

  static std::optional<std::string> GroupText(const std::optional<Group>& g) {
    if (!g) return std::nullopt;
    return Dump(g->ToJson());
  }

  static wh_status GroupGet(void* self, wh_str id, wh_str_sink sink, void* su) {
    return Answer(self, "groups.get", sink, su,
                  [&](DirectoryServices& s) { return GroupText(s.LoadGroup(sdk::FromWh(id))); });
  }

  static wh_status GroupList(void* self, wh_str_sink sink, void* su) {
    return Answer(self, "groups.list", sink, su, [&](DirectoryServices& s) {
      json out = json::array();
      s.host_.Exec("SELECT " + s.GroupColumns() + " FROM \"group\" ORDER BY name, id", {},
                   [&](const Row& r) {
                     out.push_back(GroupFromRow(r).ToJson());
                     return true;
                   });
      return std::optional(Dump(out));
    });
  }

  static wh_status GroupCreate(void* self, wh_str owner_id, wh_str group_json, wh_str_sink sink,
                               void* su) {
    return Answer(self, "groups.create", sink, su, [&](DirectoryServices& s) {
      const json in = ParseInput(group_json);
      Group g;
      g.id = NewUuid4();
      g.user_id = std::string(sdk::FromWh(owner_id));
      g.user_ids = json::array();
      s.ApplyGroupPatch(g, in);
      if (g.name.empty()) throw ServiceError{WH_INVALID};
      g.created_at = g.updated_at = Now();
      const std::string j = s.JsonParam();
      s.host_.Exec(
          "INSERT INTO \"group\" (id, user_id, name, description, data, meta, "
          "permissions, user_ids, created_at, updated_at) VALUES (?, ?, ?, ?, NULL, "
          "NULL, " +
              j + ", " + j + ", ?, ?)",
          {g.id, g.user_id, g.name, g.description, Dump(g.permissions), Dump(g.user_ids),
           g.created_at, g.updated_at});
      s.auth_.NotifyAuthChanged("");  // members' permissions and access
      return GroupText(g);
    });
  }

  // Loads, changes and saves one group; the change is announced once saved. nullopt: no such
  // group.
  template <typename Change>
  std::optional<Group> ChangeGroup(std::string_view id, Change&& change) {
    auto g = LoadGroup(id);
    if (!g) return std::nullopt;
    change(*g);
    g->updated_at = Now();
    SaveGroup(*g);
    auth_.NotifyAuthChanged("");
    return g;
  }

  static wh_status GroupUpdate(void* self, wh_str id, wh_str patch_json, wh_str_sink sink,
                               void* su) {
    return Answer(self, "groups.update", sink, su, [&](DirectoryServices& s) {
      const json in = ParseInput(patch_json);
      return GroupText(s.ChangeGroup(sdk::FromWh(id), [&](Group& g) { s.ApplyGroupPatch(g, in); }));
    });
  }

  static wh_status GroupRemove(void* self, wh_str id) {
    return Act(self, "groups.remove", [&](DirectoryServices& s) {
      if (s.host_.Exec("DELETE FROM \"group\" WHERE id = ?", {sdk::FromWh(id)}) == 0)
        return WH_NOT_FOUND;
      s.auth_.NotifyAuthChanged("");
      return WH_OK;
    });
  }

  static wh_status GroupAddUsers(void* self, wh_str id, wh_str user_ids_json) {
    return Act(self, "groups.add_users", [&](DirectoryServices& s) {
      const json add = s.KnownUserIds(ParseInput(user_ids_json));
      const auto changed = s.ChangeGroup(sdk::FromWh(id), [&](Group& g) {
        for (const auto& u : add)
          if (std::find(g.user_ids.begin(), g.user_ids.end(), u) == g.user_ids.end())
            g.user_ids.push_back(u);
      });
      return changed ? WH_OK : WH_NOT_FOUND;
    });
  }

  static wh_status GroupRemoveUsers(void* self, wh_str id, wh_str user_ids_json) {
    return Act(self, "groups.remove_users", [&](DirectoryServices& s) {
      const json drop = ParseInput(user_ids_json);
      if (!drop.is_array()) throw ServiceError{WH_INVALID};
      const auto changed = s.ChangeGroup(sdk::FromWh(id), [&](Group& g) {
        json kept = json::array();
        for (const auto& u : g.user_ids)
          if (std::find(drop.begin(), drop.end(), u) == drop.end()) kept.push_back(u);
        g.user_ids = std::move(kept);
      });
      return changed ? WH_OK : WH_NOT_FOUND;
    });
  }

  // On every access check: answered from a per-instance cache dropped with the user cache.
  static wh_status GroupsOf(void* self, wh_str user_id, wh_str_sink sink, void* su) {
    return Answer(self, "groups.groups_of", sink, su, [&](DirectoryServices& s) {
      const std::string id(sdk::FromWh(user_id));
      uint64_t generation = 0;
      if (auto cached = s.auth_.CachedGroupsOf(id, generation)) return cached;
      json ids = json::array();
      for (const auto& g : s.auth_.store().GroupsOfMember(id)) ids.push_back(g["id"]);
      std::string text = Dump(ids);
      s.auth_.RememberGroupsOf(id, text, generation);
      return std::optional(std::move(text));
    });
  }

  AuthPlugin& auth_;
  sdk::Host& host_;
  wh_users_v1 users_vt_{};
  wh_groups_v1 groups_vt_{};
};

void AuthPlugin::OfferDirectoryServices() {
  // Owned by the plugin: the host may call the services until the plugin is unloaded.
  auto services = std::make_shared<DirectoryServices>(*this);
  services->Offer();
  directory_services_ = std::move(services);
}

}  // namespace webui::auth
