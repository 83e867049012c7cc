// /Users: SCIM users over users.v1. userName is the account's email (Open WebUI signs people in
// by email and matches OAuth/LDAP logins by it), so the email's case-insensitive uniqueness is
// userName's. What the account has no column for (externalId, the given/family split, the emails
// list as sent, a userName that is not an email) is kept in the user's `info` JSON under "scim",
// as newer Open WebUI keeps it in `user.scim`.
//
// active <-> role: inactive is "pending" (Open WebUI's role for an account waiting for approval),
// which keeps the account and its chats and refuses every verified route on the next request
// (users.v1 update invalidates the user cache, docs/security.md T05). Reactivation gives "user".
// Admins are never deactivated or deleted through SCIM (400 mutability).
#include <webui_host/sdk/users.hpp>

#include <algorithm>
#include <map>
#include <optional>

#include "filter.hpp"
#include "scim_plugin.hpp"

namespace webui::scim {
namespace {

constexpr const char* kUserSchemaPrefix = "urn:ietf:params:scim:schemas:core:2.0:user:";

bool LooksLikeEmail(std::string_view s) {
  const std::size_t at = s.find('@');
  return at != std::string_view::npos && at > 0 && at + 1 < s.size() &&
         s.find('@', at + 1) == std::string_view::npos &&
         s.find_first_of(" \t\r\n") == std::string_view::npos;
}

std::string RequireString(const json& v, std::string_view what) {
  if (!v.is_string()) throw ScimError(400, "invalidValue", std::string(what) + " must be a string");
  return v.get<std::string>();
}

std::string RequireNonEmpty(const json& v, std::string_view what) {
  std::string s = RequireString(v, what);
  if (s.empty()) throw ScimError(400, "invalidValue", std::string(what) + " must not be empty");
  return s;
}

// The value of the key in `obj` whose name matches `name` case-insensitively (SCIM attribute
// names are case-insensitive, RFC 7643 §2.1), or nullptr.

json ScimInfo(const json& user) {
  auto info = user.find("info");
  if (info == user.end() || !info->is_object()) return json::object();
  auto scim = info->find("scim");
  return scim != info->end() && scim->is_object() ? *scim : json::object();
}

// The editable SCIM view of an account. Built from the stored user, changed by POST/PUT/PATCH,
// then written back with one users.v1 update.
struct Draft {
  std::string user_name;
  std::string display_name;  // the account's name
  std::string given, family;
  bool display_set = false, parts_set = false;
  json emails = json::array();
  std::optional<std::string> external_id;
  bool active = true;
  std::string photo;

  static Draft From(const json& user) {
    Draft d;
    const json scim = ScimInfo(user);
    const std::string email = StringOr(user, "email");
    d.user_name = StringOr(scim, "userName", email);
    // An email userName kept for its case is stale once the email changed elsewhere.
    if (LooksLikeEmail(d.user_name) && sdk::LowerAscii(d.user_name) != email) d.user_name = email;
    d.display_name = StringOr(user, "name");
    const json name = scim.value("name", json::object());
    if (name.is_object() && StringOr(name, "formatted") == d.display_name) {
      d.given = StringOr(name, "givenName");
      d.family = StringOr(name, "familyName");
    } else {
      // Open WebUI's split: the first word, then the rest.
      const std::size_t space = d.display_name.find(' ');
      d.given = d.display_name.substr(0, space);
      d.family = space == std::string::npos ? "" : d.display_name.substr(space + 1);
    }
    if (auto e = scim.find("emails"); e != scim.end() && e->is_array() && !e->empty())
      d.emails = *e;
    if (auto x = scim.find("externalId"); x != scim.end() && x->is_string())
      d.external_id = x->get<std::string>();
    d.active = StringOr(user, "role") != "pending";
    d.photo = StringOr(user, "profile_image_url");
    return d;
  }

  // emails as rendered: as sent by the IdP, else the account's email.
  json Emails(const std::string& account_email) const {
    if (!emails.empty()) return emails;
    return json::array({{{"value", account_email}, {"type", "work"}, {"primary", true}}});
  }

  // The account email: userName when it is an email address, else the primary (or first) email.
  std::string AccountEmail() const {
    if (LooksLikeEmail(user_name)) return sdk::LowerAscii(user_name);
    const json* chosen = nullptr;
    for (const auto& e : emails)
      if (e.is_object() && e.value("primary", false) && e.contains("value")) chosen = &e;
    if (!chosen && !emails.empty() && emails[0].is_object()) chosen = &emails[0];
    const std::string value = chosen ? StringOr(*chosen, "value") : "";
    if (!LooksLikeEmail(value))
      throw ScimError(400, "invalidValue",
                      "userName must be an email address, or emails must hold one");
    return sdk::LowerAscii(value);
  }

  std::string Name() const {
    if (display_set || !parts_set) return display_name;
    std::string joined = given;
    if (!given.empty() && !family.empty()) joined += ' ';
    joined += family;
    return joined.empty() ? display_name : joined;
  }

  void SetName(const json& name) {
    if (!name.is_object()) throw ScimError(400, "invalidValue", "name must be an object");
    if (const json* f = FindCi(name, "formatted"); f && !f->is_null()) {
      display_name = RequireNonEmpty(*f, "name.formatted");
      display_set = true;
    }
    if (const json* g = FindCi(name, "givenName"); g && !g->is_null()) {
      given = RequireString(*g, "name.givenName");
      parts_set = true;
    }
    if (const json* f = FindCi(name, "familyName"); f && !f->is_null()) {
      family = RequireString(*f, "name.familyName");
      parts_set = true;
    }
  }

  void SetEmails(const json& value) {
    if (!value.is_array()) throw ScimError(400, "invalidValue", "emails must be an array");
    for (const auto& e : value)
      if (!e.is_object() || !e.contains("value") || !e["value"].is_string())
        throw ScimError(400, "invalidValue", "each email must be an object with a string value");
    emails = value;
  }

  // emails[<key> eq <match>].value: sets (or with nullopt removes) that email.
  void SetSelectedEmail(bool by_primary, const std::optional<std::string>& value,
                        const std::string& account_email) {
    if (emails.empty() && value) emails = Emails(account_email);
    auto selected = [&](const json& e) {
      return by_primary ? e.value("primary", false)
                        : sdk::LowerAscii(StringOr(e, "type")) == "work";
    };
    for (auto it = emails.begin(); it != emails.end(); ++it) {
      if (!it->is_object() || !selected(*it)) continue;
      if (value) {
        (*it)["value"] = *value;
      } else {
        emails.erase(it);
      }
      return;
    }
    if (!value) return;
    json e = {{"value", *value}, {"type", "work"}, {"primary", emails.empty() || by_primary}};
    emails.push_back(std::move(e));
  }
};

class UsersResource {
 public:
  UsersResource(const Context& ctx, const sdk::Request& req)
      : ctx_(ctx), req_(req), users_(ctx.host()), groups_(ctx.host()), base_(ctx.BaseUrl(req)) {}

  json Render(const json& user, const json* group_names = nullptr) const {
    const std::string id = StringOr(user, "id");
    const std::string email = StringOr(user, "email");
    const Draft d = Draft::From(user);
    json out = {
        {"schemas", {kUserSchema}},
        {"id", id},
        {"userName", d.user_name},
        {"name", {{"formatted", d.display_name}, {"givenName", d.given}, {"familyName", d.family}}},
        {"displayName", d.display_name},
        {"emails", d.Emails(email)},
        {"active", d.active}};
    if (d.external_id) out["externalId"] = *d.external_id;
    if (!d.photo.empty())
      out["photos"] = json::array({{{"value", d.photo}, {"type", "photo"}, {"primary", true}}});
    if (!projection_.Excludes("groups")) {
      json groups = json::array();
      for (const auto& gid : groups_.GroupsOf(id)) {
        if (!gid.is_string()) continue;
        const std::string g = gid.get<std::string>();
        std::string display;
        if (group_names) {
          display = StringOr(*group_names, g.c_str());
        } else if (auto group = groups_.Get(g)) {
          display = StringOr(*group, "name");
        }
        groups.push_back({{"value", g},
                          {"display", display},
                          {"$ref", base_ + "/Groups/" + g},
                          {"type", "direct"}});
      }
      if (!groups.empty()) out["groups"] = std::move(groups);
    }
    out["meta"] = ResourceMeta("User", user, base_ + "/Users/" + id);
    projection_.Apply(out);
    return out;
  }

  json Load(std::string_view id) const {
    auto user = users_.Get(id);
    if (!user) throw ScimError(404, "", "User " + std::string(id) + " not found");
    return *user;
  }

  // ---- GET /Users ----
  void List(sdk::Response& res) const {
    const Paging page = ParsePaging(req_.Query("startIndex"), req_.Query("count"));
    const auto filter_text = req_.Query("filter");
    json names = GroupNames();
    json resources = json::array();
    int64_t total = 0;
    if (!filter_text || filter_text->empty()) {
      // count=0 asks for totalResults only (RFC 7644 §3.4.2.4); users.v1 reads limit 0 as "all".
      const json list = users_.List(static_cast<uint64_t>(page.start_index - 1),
                                    static_cast<uint64_t>(std::max<int64_t>(page.count, 1)));
      total = list.value("total", int64_t{0});
      if (page.count > 0)
        for (const auto& u : list.value("users", json::array()))
          resources.push_back(Render(u, &names));
    } else {
      const Filter filter = ParseFilter(*filter_text, Resource::kUser);
      const std::vector<json> matched = Find(filter);
      total = static_cast<int64_t>(matched.size());
      for (int64_t i = page.start_index - 1;
           i < total && static_cast<int64_t>(resources.size()) < page.count; ++i)
        resources.push_back(Render(matched[static_cast<std::size_t>(i)], &names));
    }
    ctx_.Send(res, 200, ListResponse(resources, total, page.start_index));
  }

  // ---- POST /Users ----
  void Create(sdk::Response& res) const {
    const json body = ctx_.Body(req_);
    Draft d;
    const json* user_name = FindCi(body, "userName");
    if (!user_name) throw ScimError(400, "invalidValue", "userName is required");
    d.user_name = RequireNonEmpty(*user_name, "userName");
    if (const json* emails = FindCi(body, "emails"); emails && !emails->is_null())
      d.SetEmails(*emails);
    if (const json* name = FindCi(body, "name"); name && !name->is_null()) d.SetName(*name);
    if (const json* display = FindCi(body, "displayName"); display && !display->is_null()) {
      // name.formatted wins over displayName, as in Open WebUI.
      if (!d.display_set) d.display_name = RequireNonEmpty(*display, "displayName");
      d.display_set = true;
    }
    if (d.display_name.empty()) d.display_name = d.user_name;
    if (const json* active = FindCi(body, "active"); active && !active->is_null())
      d.active = ParseBool(*active, "active");
    if (const json* x = FindCi(body, "externalId"); x && !x->is_null())
      d.external_id = RequireString(*x, "externalId");
    SetPhotos(d, FindCi(body, "photos"));

    const std::string email = d.AccountEmail();
    EnsureUserNameFree(d, email, "");
    json created;
    try {
      created = users_.Create({{"name", d.Name()},
                               {"email", email},
                               {"role", d.active ? "user" : "pending"},
                               {"profile_image_url", d.photo.empty() ? "/user.png" : d.photo}});
    } catch (const sdk::Error& e) {
      if (e.status() == WH_CONFLICT) throw Taken(d.user_name);
      if (e.status() == WH_INVALID) throw ScimError(400, "invalidValue", "Invalid user attributes");
      throw;
    }
    const std::string id = StringOr(created, "id");
    const json stored = Write(id, created, d, /*role_from_active=*/false);
    res.Header("Location", base_ + "/Users/" + id);
    ctx_.Send(res, 201, Render(stored));
  }

  // ---- PUT /Users/{id} ----
  void Replace(sdk::Response& res, std::string_view id) const {
    const json current = Load(id);
    const json body = ctx_.Body(req_);
    Draft d = Draft::From(current);
    if (const json* u = FindCi(body, "userName"); u && !u->is_null())
      d.user_name = RequireNonEmpty(*u, "userName");
    if (const json* emails = FindCi(body, "emails"); emails && !emails->is_null())
      d.SetEmails(*emails);
    if (const json* display = FindCi(body, "displayName"); display && !display->is_null()) {
      d.display_name = RequireNonEmpty(*display, "displayName");
      d.display_set = true;
    }
    if (const json* name = FindCi(body, "name"); name && !name->is_null()) d.SetName(*name);
    if (const json* active = FindCi(body, "active"); active && !active->is_null())
      d.active = ParseBool(*active, "active");
    if (const json* x = FindCi(body, "externalId"); x)
      d.external_id = x->is_null() ? std::nullopt : std::optional(RequireString(*x, "externalId"));
    SetPhotos(d, FindCi(body, "photos"));
    ctx_.Send(res, 200, Render(Write(std::string(id), current, d, true)));
  }

  // ---- PATCH /Users/{id} ----
  void Patch(sdk::Response& res, std::string_view id) const {
    const json current = Load(id);
    const json body = ctx_.Body(req_);
    const json* ops = FindCi(body, "Operations");
    if (!ops || !ops->is_array() || ops->empty())
      throw ScimError(400, "invalidSyntax", "Operations must be a non-empty array");
    Draft d = Draft::From(current);
    const std::string account_email = StringOr(current, "email");
    for (const auto& op : *ops) {
      if (!op.is_object())
        throw ScimError(400, "invalidSyntax", "Each operation must be an object");
      const std::string kind = sdk::LowerAscii(StringOr(op, "op"));
      if (kind != "add" && kind != "replace" && kind != "remove")
        throw ScimError(400, "invalidSyntax", "op must be add, replace or remove");
      const json* path = FindCi(op, "path");
      const json* value = FindCi(op, "value");
      if (!path || path->is_null() || (path->is_string() && path->get<std::string>().empty())) {
        // A pathless op carries {attribute: value} pairs (Okta's {"active": false}).
        if (kind == "remove") throw ScimError(400, "noTarget", "remove requires a path");
        if (!value || !value->is_object())
          throw ScimError(400, "invalidValue", "A pathless operation needs an object value");
        for (auto it = value->begin(); it != value->end(); ++it)
          Apply(d, kind, it.key(), &it.value(), account_email, id);
        continue;
      }
      Apply(d, kind, RequireString(*path, "path"), value, account_email, id);
    }
    ctx_.Send(res, 200, Render(Write(std::string(id), current, d, true)));
  }

  // ---- DELETE /Users/{id} ----
  void Delete(sdk::Response& res, std::string_view id) const {
    const json current = Load(id);
    if (StringOr(current, "role") == "admin")
      throw ScimError(400, "mutability", "An admin cannot be deleted through SCIM");
    // Memberships first: a deleted account must not linger in a group's member list.
    for (const auto& gid : groups_.GroupsOf(id))
      if (gid.is_string())
        groups_.RemoveUsers(gid.get<std::string>(), json::array({std::string(id)}));
    if (!users_.Remove(id)) throw ScimError(404, "", "User " + std::string(id) + " not found");
    ctx_.Send(res, 204, json());
  }

  void set_projection(Projection p) { projection_ = std::move(p); }

 private:
  static ScimError Taken(const std::string& user_name) {
    return ScimError(409, "uniqueness", "User with userName " + user_name + " already exists");
  }

  json GroupNames() const {
    json names = json::object();
    if (projection_.Excludes("groups")) return names;
    for (const auto& g : groups_.List()) names[StringOr(g, "id")] = StringOr(g, "name");
    return names;
  }

  static void SetPhotos(Draft& d, const json* photos) {
    if (!photos || photos->is_null()) return;
    if (!photos->is_array()) throw ScimError(400, "invalidValue", "photos must be an array");
    d.photo =
        photos->empty() ? "" : RequireString((*photos)[0].value("value", json()), "photos.value");
  }

  // A userName that is not an email lives only in info.scim: its uniqueness needs a scan.
  void EnsureUserNameFree(const Draft& d, const std::string& email, std::string_view self) const {
    if (auto other = users_.GetByEmail(email); other && StringOr(*other, "id") != self)
      throw Taken(d.user_name);
    if (LooksLikeEmail(d.user_name)) return;
    for (const auto& u : AllUsers())
      if (StringOr(u, "id") != self &&
          sdk::LowerAscii(Draft::From(u).user_name) == sdk::LowerAscii(d.user_name))
        throw Taken(d.user_name);
  }

  std::vector<json> AllUsers() const {
    std::vector<json> out;
    for (auto& u : users_.List(0, 0).value("users", json::array())) out.push_back(std::move(u));
    return out;
  }

  // Users matching every comparison. id and an email-shaped userName are looked up directly;
  // other attributes scan users.v1's list.
  std::vector<json> Find(const Filter& filter) const {
    std::vector<json> candidates;
    auto indexed = std::find_if(filter.begin(), filter.end(), [](const Comparison& c) {
      return c.attribute == Attribute::kId ||
             (c.attribute == Attribute::kUserName && LooksLikeEmail(c.value));
    });
    if (indexed != filter.end()) {
      auto u = indexed->attribute == Attribute::kId ? users_.Get(indexed->value)
                                                    : users_.GetByEmail(indexed->value);
      if (u) candidates.push_back(std::move(*u));
    } else {
      candidates = AllUsers();
    }
    std::vector<json> out;
    for (auto& u : candidates)
      if (std::all_of(filter.begin(), filter.end(),
                      [&](const Comparison& c) { return Matches(u, c); }))
        out.push_back(std::move(u));
    return out;
  }

  static bool Matches(const json& user, const Comparison& c) {
    const Draft d = Draft::From(user);
    const std::string want = sdk::LowerAscii(c.value);
    switch (c.attribute) {
      case Attribute::kId:
        return StringOr(user, "id") == c.value;
      case Attribute::kExternalId:  // caseExact (RFC 7643 §3.1)
        return d.external_id && *d.external_id == c.value;
      case Attribute::kUserName:
        return sdk::LowerAscii(d.user_name) == want;
      case Attribute::kDisplayName:
        return sdk::LowerAscii(d.display_name) == want;
      case Attribute::kEmailValue:
      case Attribute::kWorkEmailValue:
        for (const auto& e : d.Emails(StringOr(user, "email"))) {
          if (c.attribute == Attribute::kWorkEmailValue &&
              sdk::LowerAscii(StringOr(e, "type")) != "work")
            continue;
          if (sdk::LowerAscii(StringOr(e, "value")) == want) return true;
        }
        return false;
      case Attribute::kMemberValue:
        return false;
    }
    return false;
  }

  // One PATCH operation on `path` (case-insensitive, with or without the User schema URN).
  void Apply(Draft& d, const std::string& kind, const std::string& raw_path, const json* value,
             const std::string& account_email, std::string_view self_id) const {
    std::string path = sdk::LowerAscii(raw_path);
    if (path.rfind(kUserSchemaPrefix, 0) == 0)
      path.erase(0, std::string_view(kUserSchemaPrefix).size());
    const bool remove = kind == "remove";
    auto need_value = [&]() -> const json& {
      if (!value || value->is_null())
        throw ScimError(400, "invalidValue", "Operation on " + raw_path + " needs a value");
      return *value;
    };
    auto immutable = [&] { throw ScimError(400, "mutability", raw_path + " cannot be removed"); };
    if (path == "active") {
      if (remove) immutable();
      d.active = ParseBool(need_value(), "active");
    } else if (path == "username") {
      if (remove) immutable();
      d.user_name = RequireNonEmpty(need_value(), "userName");
    } else if (path == "displayname" || path == "name.formatted") {
      if (remove) immutable();
      d.display_name = RequireNonEmpty(need_value(), raw_path);
      d.display_set = true;
    } else if (path == "name") {
      if (remove) immutable();
      d.SetName(need_value());
    } else if (path == "name.givenname") {
      d.given = remove ? "" : RequireString(need_value(), "name.givenName");
      d.parts_set = true;
    } else if (path == "name.familyname") {
      d.family = remove ? "" : RequireString(need_value(), "name.familyName");
      d.parts_set = true;
    } else if (path == "externalid") {
      d.external_id =
          remove ? std::nullopt : std::optional(RequireString(need_value(), "externalId"));
    } else if (path == "emails") {
      if (remove) {
        d.emails = json::array();
      } else if (kind == "add") {
        const json& v = need_value();
        json merged = d.emails;
        for (const auto& e : v.is_array() ? v : json::array({v})) merged.push_back(e);
        d.SetEmails(merged);
      } else {
        d.SetEmails(need_value());
      }
    } else if (path == "emails[type eq \"work\"].value" ||
               path == "emails[primary eq true].value") {
      const bool by_primary = path.find("primary") != std::string::npos;
      d.SetSelectedEmail(
          by_primary,
          remove ? std::nullopt : std::optional(RequireNonEmpty(need_value(), raw_path)),
          account_email);
    } else if (path == "photos") {
      if (remove) {
        d.photo.clear();
      } else {
        const json& v = need_value();
        SetPhotos(d, v.is_array() ? &v : nullptr);
        if (!v.is_array()) throw ScimError(400, "invalidValue", "photos must be an array");
      }
    } else if (path == "id") {
      // Entra repeats the id in pathless replaces; only a change is an error.
      if (remove || !value || !value->is_string() || value->get<std::string>() != self_id)
        throw ScimError(400, "mutability", "id is read-only");
    } else if (path == "groups") {
      throw ScimError(400, "mutability", "groups is read-only: change the group's members");
    } else {
      throw ScimError(400, "invalidPath", "Attribute " + raw_path + " is not supported");
    }
  }

  // Writes `d` over `current` with one users.v1 update; returns the stored user.
  json Write(const std::string& id, const json& current, const Draft& d,
             bool role_from_active) const {
    const std::string email = d.AccountEmail();
    if (email != StringOr(current, "email")) EnsureUserNameFree(d, email, id);
    json patch = {{"name", d.Name()}, {"email", email}};
    if (role_from_active) {
      const std::string role = StringOr(current, "role");
      if (!d.active && role == "admin")
        throw ScimError(400, "mutability", "An admin cannot be deactivated through SCIM");
      if (!d.active && role != "pending") patch["role"] = "pending";
      if (d.active && role == "pending") patch["role"] = "user";
    }
    if (d.photo != StringOr(current, "profile_image_url"))
      patch["profile_image_url"] = d.photo.empty() ? "/user.png" : d.photo;
    json info =
        current.contains("info") && current["info"].is_object() ? current["info"] : json::object();
    json scim = json::object();
    // userName as sent (its case, or a name that is not the email); absent = the email.
    if (d.user_name != email) scim["userName"] = d.user_name;
    if (d.external_id) scim["externalId"] = *d.external_id;
    if (!d.emails.empty()) scim["emails"] = d.emails;
    const std::string name = d.Name();
    scim["name"] = {{"formatted", name}, {"givenName", d.given}, {"familyName", d.family}};
    if (d.display_set && !d.parts_set) {
      // A new display name without parts: the parts follow Open WebUI's split.
      const std::size_t space = name.find(' ');
      scim["name"]["givenName"] = name.substr(0, space);
      scim["name"]["familyName"] = space == std::string::npos ? "" : name.substr(space + 1);
    }
    info["scim"] = std::move(scim);
    patch["info"] = std::move(info);
    try {
      auto updated = users_.Update(id, patch);
      if (!updated) throw ScimError(404, "", "User " + id + " not found");
      return *updated;
    } catch (const sdk::Error& e) {
      if (e.status() == WH_CONFLICT) throw Taken(d.user_name);
      // users.v1 refuses to demote the primary admin and refuses malformed fields.
      if (e.status() == WH_INVALID) throw ScimError(400, "invalidValue", "Invalid user attributes");
      throw;
    }
  }

  const Context& ctx_;
  const sdk::Request& req_;
  sdk::Users users_;
  sdk::Groups groups_;
  std::string base_;
  Projection projection_;
};

}  // namespace

void AddUserRoutes(const AddRoute& add) {
  add("GET", "/Users", [](const Context& ctx, sdk::Request& req, sdk::Response& res) {
    UsersResource r(ctx, req);
    r.set_projection(ProjectionOf(req));
    r.List(res);
  });
  add("POST", "/Users", [](const Context& ctx, sdk::Request& req, sdk::Response& res) {
    UsersResource(ctx, req).Create(res);
  });
  add("GET", "/Users/{id}", [](const Context& ctx, sdk::Request& req, sdk::Response& res) {
    UsersResource r(ctx, req);
    r.set_projection(ProjectionOf(req));
    ctx.Send(res, 200, r.Render(r.Load(IdOf(req))));
  });
  add("PUT", "/Users/{id}", [](const Context& ctx, sdk::Request& req, sdk::Response& res) {
    UsersResource(ctx, req).Replace(res, IdOf(req));
  });
  add("PATCH", "/Users/{id}", [](const Context& ctx, sdk::Request& req, sdk::Response& res) {
    UsersResource(ctx, req).Patch(res, IdOf(req));
  });
  add("DELETE", "/Users/{id}", [](const Context& ctx, sdk::Request& req, sdk::Response& res) {
    UsersResource(ctx, req).Delete(res, IdOf(req));
  });
}

}  // namespace webui::scim
