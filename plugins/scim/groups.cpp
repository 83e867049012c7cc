// /Groups: SCIM groups over groups.v1. displayName is the group's name (unique, compared
// case-insensitively, so a retried create answers 409 instead of making a twin); members are user
// ids. Every change is validated whole before one groups.v1 update, so an unknown member leaves
// the group untouched (no partial membership).
#include <webui_host/sdk/users.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "filter.hpp"
#include "scim_plugin.hpp"

namespace webui::scim {
namespace {

constexpr const char* kGroupSchemaPrefix = "urn:ietf:params:scim:schemas:core:2.0:group:";

std::string DisplayName(const json& v) {
  if (!v.is_string() || v.get<std::string>().empty())
    throw ScimError(400, "invalidValue", "displayName must be a non-empty string");
  return v.get<std::string>();
}

// [{value: id}, ...] (or one such object) -> ids in order, without repeats.
std::vector<std::string> MemberIds(const json& v) {
  std::vector<std::string> out;
  const json list = v.is_array() ? v : json::array({v});
  for (const auto& m : list) {
    const json* value = m.is_object() ? FindCi(m, "value") : nullptr;
    if (!value || !value->is_string())
      throw ScimError(400, "invalidValue", "members must be objects with a string value");
    const std::string id = value->get<std::string>();
    if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
  }
  return out;
}

class GroupsResource {
 public:
  GroupsResource(const Context& ctx, const sdk::Request& req)
      : ctx_(ctx),
        req_(req),
        users_(ctx.host()),
        groups_(ctx.host()),
        base_(ctx.BaseUrl(req)),
        projection_(ProjectionOf(req)) {}

  json Render(const json& group) const {
    const std::string id = StringOr(group, "id");
    json out = {{"schemas", {kGroupSchema}}, {"id", id}, {"displayName", StringOr(group, "name")}};
    if (!projection_.Excludes("members")) {
      json members = json::array();
      const json ids = group.value("user_ids", json::array());
      PrepareNames(ids.size());
      for (const auto& uid : ids) {
        if (!uid.is_string()) continue;
        const auto display = MemberName(uid.get<std::string>());
        if (!display) continue;
        members.push_back({{"value", uid},
                           {"display", *display},
                           {"$ref", base_ + "/Users/" + uid.get<std::string>()},
                           {"type", "User"}});
      }
      out["members"] = std::move(members);
    }
    out["meta"] = ResourceMeta("Group", group, base_ + "/Groups/" + id);
    projection_.Apply(out);
    return out;
  }

  json Load(std::string_view id) const {
    auto group = groups_.Get(id);
    if (!group) throw ScimError(404, "", "Group " + std::string(id) + " not found");
    return *group;
  }

  void List(sdk::Response& res) const {
    const Paging page = ParsePaging(req_.Query("startIndex"), req_.Query("count"));
    std::optional<Filter> filter;
    if (auto text = req_.Query("filter"); text && !text->empty())
      filter = ParseFilter(*text, Resource::kGroup);
    std::vector<json> matched;
    for (auto& g : groups_.List())
      if (!filter || std::all_of(filter->begin(), filter->end(),
                                 [&](const Comparison& c) { return Matches(g, c); }))
        matched.push_back(std::move(g));
    const int64_t total = static_cast<int64_t>(matched.size());
    const std::size_t first = static_cast<std::size_t>(std::min(page.start_index - 1, total));
    const std::size_t last =
        static_cast<std::size_t>(std::min(page.start_index - 1 + page.count, total));
    std::size_t member_count = 0;
    for (std::size_t i = first; i < last; ++i)
      member_count += matched[i].value("user_ids", json::array()).size();
    // Many members on one page: one read of the account list beats a lookup per member (Okta
    // times GET /Groups).
    if (!projection_.Excludes("members")) PrepareNames(member_count);
    json resources = json::array();
    for (std::size_t i = first; i < last; ++i) resources.push_back(Render(matched[i]));
    ctx_.Send(res, 200, ListResponse(resources, total, page.start_index));
  }

  void Create(sdk::Response& res) const {
    const json body = ctx_.Body(req_);
    const json* name = FindCi(body, "displayName");
    if (!name) throw ScimError(400, "invalidValue", "displayName is required");
    const std::string display = DisplayName(*name);
    std::vector<std::string> members;
    if (const json* m = FindCi(body, "members"); m && !m->is_null()) members = MemberIds(*m);
    EnsureNameFree(display, "");
    EnsureUsersExist(members);
    const std::string owner = FirstAdmin();
    const json created =
        groups_.Create(owner, {{"name", display}, {"description", ""}, {"user_ids", members}});
    const std::string id = StringOr(created, "id");
    res.Header("Location", base_ + "/Groups/" + id);
    ctx_.Send(res, 201, Render(created));
  }

  void Replace(sdk::Response& res, std::string_view id) const {
    const json current = Load(id);
    const json body = ctx_.Body(req_);
    json patch = json::object();
    if (const json* name = FindCi(body, "displayName"); name && !name->is_null()) {
      patch["name"] = DisplayName(*name);
      EnsureNameFree(patch["name"].get<std::string>(), id);
    }
    // PUT replaces the member list: absent members means none (RFC 7644 §3.5.1).
    std::vector<std::string> members;
    if (const json* m = FindCi(body, "members"); m && !m->is_null()) members = MemberIds(*m);
    EnsureUsersExist(members);
    patch["user_ids"] = members;
    ctx_.Send(res, 200, Render(Save(std::string(id), patch)));
  }

  void Patch(sdk::Response& res, std::string_view id) const {
    const json current = Load(id);
    const json body = ctx_.Body(req_);
    const json* ops = FindCi(body, "Operations");
    if (!ops || !ops->is_array() || ops->empty())
      throw ScimError(400, "invalidSyntax", "Operations must be a non-empty array");
    std::optional<std::string> name;
    std::vector<std::string> members;
    for (const auto& uid : current.value("user_ids", json::array()))
      if (uid.is_string()) members.push_back(uid.get<std::string>());
    std::set<std::string> added;
    for (const auto& op : *ops) {
      if (!op.is_object())
        throw ScimError(400, "invalidSyntax", "Each operation must be an object");
      const std::string kind = sdk::LowerAscii(StringOr(op, "op"));
      if (kind != "add" && kind != "replace" && kind != "remove")
        throw ScimError(400, "invalidSyntax", "op must be add, replace or remove");
      const json* path = FindCi(op, "path");
      const json* value = FindCi(op, "value");
      if (!path || path->is_null() || (path->is_string() && path->get<std::string>().empty())) {
        if (kind == "remove") throw ScimError(400, "noTarget", "remove requires a path");
        if (!value || !value->is_object())
          throw ScimError(400, "invalidValue", "A pathless operation needs an object value");
        for (auto it = value->begin(); it != value->end(); ++it)
          Apply(kind, it.key(), &it.value(), id, name, members, added);
        continue;
      }
      if (!path->is_string()) throw ScimError(400, "invalidPath", "path must be a string");
      Apply(kind, path->get<std::string>(), value, id, name, members, added);
    }
    json patch = {{"user_ids", members}};
    if (name) {
      EnsureNameFree(*name, id);
      patch["name"] = *name;
    }
    EnsureUsersExist(std::vector<std::string>(added.begin(), added.end()));
    ctx_.Send(res, 200, Render(Save(std::string(id), patch)));
  }

  void Delete(sdk::Response& res, std::string_view id) const {
    if (!groups_.Remove(id)) throw ScimError(404, "", "Group " + std::string(id) + " not found");
    ctx_.Send(res, 204, json());
  }

 private:
  static bool Matches(const json& group, const Comparison& c) {
    switch (c.attribute) {
      case Attribute::kId:
        return StringOr(group, "id") == c.value;
      case Attribute::kDisplayName:
        return sdk::LowerAscii(StringOr(group, "name")) == sdk::LowerAscii(c.value);
      case Attribute::kMemberValue:
        for (const auto& uid : group.value("user_ids", json::array()))
          if (uid.is_string() && uid.get<std::string>() == c.value) return true;
        return false;
      default:
        return false;
    }
  }

  void Apply(const std::string& kind, const std::string& raw_path, const json* value,
             std::string_view self_id, std::optional<std::string>& name,
             std::vector<std::string>& members, std::set<std::string>& added) const {
    std::string path = sdk::LowerAscii(raw_path);
    if (path.rfind(kGroupSchemaPrefix, 0) == 0)
      path.erase(0, std::string_view(kGroupSchemaPrefix).size());
    const bool remove = kind == "remove";
    auto erase = [&](const std::string& uid) {
      members.erase(std::remove(members.begin(), members.end(), uid), members.end());
      added.erase(uid);
    };
    if (path == "displayname") {
      if (remove) throw ScimError(400, "mutability", "displayName cannot be removed");
      if (!value) throw ScimError(400, "invalidValue", "displayName needs a value");
      name = DisplayName(*value);
    } else if (path == "members") {
      if (remove) {
        // Entra removes with the path "members" and a value list; no value removes everyone.
        if (!value || value->is_null()) {
          members.clear();
          added.clear();
        } else {
          for (const auto& uid : MemberIds(*value)) erase(uid);
        }
        return;
      }
      if (!value || value->is_null()) throw ScimError(400, "invalidValue", "members needs a value");
      const std::vector<std::string> ids = MemberIds(*value);
      if (kind == "replace") {
        members.clear();
        added.clear();
      }
      for (const auto& uid : ids) {
        if (std::find(members.begin(), members.end(), uid) == members.end()) members.push_back(uid);
        added.insert(uid);
      }
    } else if (auto uid = MemberPath(raw_path)) {
      if (!remove)
        throw ScimError(400, "invalidPath", "members[value eq ...] is only valid with remove");
      erase(*uid);
    } else if (path == "id") {
      if (remove || !value || !value->is_string() || value->get<std::string>() != self_id)
        throw ScimError(400, "mutability", "id is read-only");
    } else {
      throw ScimError(400, "invalidPath", "Attribute " + raw_path + " is not supported on groups");
    }
  }

  static constexpr std::size_t kMembersBeforeBulkRead = 200;

  // A malformed `members[...]` is a bad PATCH path (invalidPath), not a bad filter.
  static std::optional<std::string> MemberPath(const std::string& path) {
    try {
      return ParseMemberValuePath(path);
    } catch (const FilterError& e) {
      throw ScimError(400, "invalidPath", e.what());
    }
  }

  // A member's display name; nullopt for an id without an account (a deleted user's id may
  // linger in an old row: it is no member any more).
  std::optional<std::string> MemberName(const std::string& uid) const {
    if (all_names_) {
      auto it = all_names_->find(uid);
      if (it == all_names_->end()) return std::nullopt;
      return it->second;
    }
    auto user = users_.Get(uid);
    if (!user) return std::nullopt;
    return StringOr(*user, "name");
  }

  void PrepareNames(std::size_t lookups) const {
    if (lookups > kMembersBeforeBulkRead && !all_names_) LoadAllNames();
  }

  void LoadAllNames() const {
    all_names_.emplace();
    for (const auto& u : users_.List(0, 0).value("users", json::array()))
      (*all_names_)[StringOr(u, "id")] = StringOr(u, "name");
  }

  void EnsureNameFree(const std::string& display, std::string_view self) const {
    for (const auto& g : groups_.List())
      if (StringOr(g, "id") != self &&
          sdk::LowerAscii(StringOr(g, "name")) == sdk::LowerAscii(display))
        throw ScimError(409, "uniqueness", "Group " + display + " already exists");
  }

  void EnsureUsersExist(const std::vector<std::string>& ids) const {
    PrepareNames(ids.size());
    for (const auto& uid : ids)
      if (!MemberName(uid)) throw ScimError(400, "invalidValue", "User " + uid + " not found");
  }

  // Groups belong to someone: as in Open WebUI, the first admin (users.v1 lists by created_at).
  std::string FirstAdmin() const {
    constexpr uint64_t kPage = 100;
    for (uint64_t skip = 0;; skip += kPage) {
      const json page = users_.List(skip, kPage);
      const json users = page.value("users", json::array());
      for (const auto& u : users)
        if (StringOr(u, "role") == "admin") return StringOr(u, "id");
      if (users.size() < kPage) break;
    }
    throw ScimError(500, "", "No admin user found");
  }

  json Save(const std::string& id, const json& patch) const {
    try {
      auto updated = groups_.Update(id, patch);
      if (!updated) throw ScimError(404, "", "Group " + id + " not found");
      return *updated;
    } catch (const sdk::Error& e) {
      if (e.status() == WH_INVALID)
        throw ScimError(400, "invalidValue", "Invalid group attributes");
      throw;
    }
  }

  const Context& ctx_;
  const sdk::Request& req_;
  sdk::Users users_;
  sdk::Groups groups_;
  std::string base_;
  Projection projection_;
  mutable std::optional<std::map<std::string, std::string>> all_names_;
};

}  // namespace

void AddGroupRoutes(const AddRoute& add) {
  add("GET", "/Groups", [](const Context& ctx, sdk::Request& req, sdk::Response& res) {
    GroupsResource(ctx, req).List(res);
  });
  add("POST", "/Groups", [](const Context& ctx, sdk::Request& req, sdk::Response& res) {
    GroupsResource(ctx, req).Create(res);
  });
  add("GET", "/Groups/{id}", [](const Context& ctx, sdk::Request& req, sdk::Response& res) {
    GroupsResource r(ctx, req);
    ctx.Send(res, 200, r.Render(r.Load(IdOf(req))));
  });
  add("PUT", "/Groups/{id}", [](const Context& ctx, sdk::Request& req, sdk::Response& res) {
    GroupsResource(ctx, req).Replace(res, IdOf(req));
  });
  add("PATCH", "/Groups/{id}", [](const Context& ctx, sdk::Request& req, sdk::Response& res) {
    GroupsResource(ctx, req).Patch(res, IdOf(req));
  });
  add("DELETE", "/Groups/{id}", [](const Context& ctx, sdk::Request& req, sdk::Response& res) {
    GroupsResource(ctx, req).Delete(res, IdOf(req));
  });
}

}  // namespace webui::scim
