// Typed clients for the users.v1 and groups.v1 services (sdk/include/webui_host/services/users.h,
// groups.h). Not found is std::nullopt; any other failure throws sdk::Error carrying the status,
// so WH_UNAVAILABLE escaping a handler answers 503 like every other host failure.
#pragma once

#include <webui_host/services/groups.h>
#include <webui_host/services/users.h>
#include <webui_host/sdk.hpp>

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace webui::sdk {

namespace detail {
// The first provider of `name` whose vtable reaches `needed` bytes (older providers may offer a
// shorter vtable; a call they do not have is treated as no provider).
inline Host::ServiceRef FindService(const Host& host, std::string_view name, size_t needed) {
  for (auto& s : host.Services(name))
    if (s.vtable != nullptr && s.vtable_size >= needed) return s;
  throw Error(WH_NOT_FOUND, "service " + std::string(name) + " is not offered");
}

template <typename Call>
std::optional<nlohmann::json> JsonCall(std::string_view what, Call&& call) {
  std::string out;
  const wh_status st = call(&AppendSink, &out);
  if (st == WH_NOT_FOUND) return std::nullopt;
  if (st != WH_OK)
    throw Error(st, std::string(what) + " failed (status " + std::to_string(st) + ")");
  return nlohmann::json::parse(out);
}

inline void StatusCall(std::string_view what, wh_status st) {
  if (st != WH_OK)
    throw Error(st, std::string(what) + " failed (status " + std::to_string(st) + ")");
}
}  // namespace detail

#define WH_SDK_NEEDS(T, member) (offsetof(T, member) + sizeof(void*))

// users.v1: UserModel objects (see services/users.h for the fields).
class Users {
 public:
  explicit Users(const Host& host) : host_(host) {}

  std::optional<nlohmann::json> Get(std::string_view id) const {
    auto s = detail::FindService(host_, WH_SERVICE_USERS_V1, WH_SDK_NEEDS(wh_users_v1, get_by_id));
    auto* vt = static_cast<const wh_users_v1*>(s.vtable);
    return detail::JsonCall("users.get_by_id", [&](wh_str_sink sink, void* u) {
      return vt->get_by_id(s.user, ToWh(id), sink, u);
    });
  }
  std::optional<nlohmann::json> GetByEmail(std::string_view email) const {
    auto s =
        detail::FindService(host_, WH_SERVICE_USERS_V1, WH_SDK_NEEDS(wh_users_v1, get_by_email));
    auto* vt = static_cast<const wh_users_v1*>(s.vtable);
    return detail::JsonCall("users.get_by_email", [&](wh_str_sink sink, void* u) {
      return vt->get_by_email(s.user, ToWh(email), sink, u);
    });
  }
  nlohmann::json Create(const nlohmann::json& user) const {
    auto s = detail::FindService(host_, WH_SERVICE_USERS_V1, WH_SDK_NEEDS(wh_users_v1, create));
    auto* vt = static_cast<const wh_users_v1*>(s.vtable);
    const std::string in = user.dump();
    auto r = detail::JsonCall("users.create", [&](wh_str_sink sink, void* u) {
      return vt->create(s.user, ToWh(in), sink, u);
    });
    if (!r) throw Error(WH_NOT_FOUND, "users.create: no result");
    return *r;
  }
  std::optional<nlohmann::json> Update(std::string_view id, const nlohmann::json& patch) const {
    auto s = detail::FindService(host_, WH_SERVICE_USERS_V1, WH_SDK_NEEDS(wh_users_v1, update));
    auto* vt = static_cast<const wh_users_v1*>(s.vtable);
    const std::string in = patch.dump();
    return detail::JsonCall("users.update", [&](wh_str_sink sink, void* u) {
      return vt->update(s.user, ToWh(id), ToWh(in), sink, u);
    });
  }
  // False when there was no such user.
  bool Remove(std::string_view id) const {
    auto s = detail::FindService(host_, WH_SERVICE_USERS_V1, WH_SDK_NEEDS(wh_users_v1, remove));
    const wh_status st = static_cast<const wh_users_v1*>(s.vtable)->remove(s.user, ToWh(id));
    if (st == WH_NOT_FOUND) return false;
    detail::StatusCall("users.remove", st);
    return true;
  }
  nlohmann::json List(uint64_t skip, uint64_t limit) const {
    auto s = detail::FindService(host_, WH_SERVICE_USERS_V1, WH_SDK_NEEDS(wh_users_v1, list));
    auto* vt = static_cast<const wh_users_v1*>(s.vtable);
    auto r = detail::JsonCall("users.list", [&](wh_str_sink sink, void* u) {
      return vt->list(s.user, skip, limit, sink, u);
    });
    return r ? *r : nlohmann::json{{"users", nlohmann::json::array()}, {"total", 0}};
  }
  // {"token", "token_type", "expires_at", "permissions", "cookie"} as sign-in answers and sends
  // (services/users.h); nullopt when there is no such user.
  std::optional<nlohmann::json> IssueToken(std::string_view id) const {
    auto s =
        detail::FindService(host_, WH_SERVICE_USERS_V1, WH_SDK_NEEDS(wh_users_v1, issue_token));
    auto* vt = static_cast<const wh_users_v1*>(s.vtable);
    return detail::JsonCall("users.issue_token", [&](wh_str_sink sink, void* u) {
      return vt->issue_token(s.user, ToWh(id), sink, u);
    });
  }
  // False when there is no such user; sdk::Error(WH_INVALID) for a password auth refuses (empty,
  // NUL byte, over 72 bytes), sdk::Error(WH_NOT_FOUND) when the auth plugin predates the call.
  bool SetPassword(std::string_view id, std::string_view password) const {
    auto s =
        detail::FindService(host_, WH_SERVICE_USERS_V1, WH_SDK_NEEDS(wh_users_v1, set_password));
    auto* vt = static_cast<const wh_users_v1*>(s.vtable);
    if (vt->set_password == nullptr)
      throw Error(WH_NOT_FOUND, "users.set_password is not offered by this auth plugin");
    const wh_status st = vt->set_password(s.user, ToWh(id), ToWh(password));
    if (st == WH_NOT_FOUND) return false;
    detail::StatusCall("users.set_password", st);
    return true;
  }

 private:
  const Host& host_;
};

// groups.v1: GroupModel objects (see services/groups.h for the fields).
class Groups {
 public:
  explicit Groups(const Host& host) : host_(host) {}

  std::optional<nlohmann::json> Get(std::string_view id) const {
    const auto s = Find(WH_SDK_NEEDS(wh_groups_v1, get));
    const auto* vt = static_cast<const wh_groups_v1*>(s.vtable);
    return detail::JsonCall("groups.get", [&](wh_str_sink sink, void* u) {
      return vt->get(s.user, ToWh(id), sink, u);
    });
  }
  nlohmann::json List() const {
    const auto s = Find(WH_SDK_NEEDS(wh_groups_v1, list));
    const auto* vt = static_cast<const wh_groups_v1*>(s.vtable);
    auto r = detail::JsonCall("groups.list",
                              [&](wh_str_sink sink, void* u) { return vt->list(s.user, sink, u); });
    return r ? *r : nlohmann::json::array();
  }
  nlohmann::json Create(std::string_view owner_id, const nlohmann::json& group) const {
    const auto s = Find(WH_SDK_NEEDS(wh_groups_v1, create));
    const auto* vt = static_cast<const wh_groups_v1*>(s.vtable);
    const std::string in = group.dump();
    auto r = detail::JsonCall("groups.create", [&](wh_str_sink sink, void* u) {
      return vt->create(s.user, ToWh(owner_id), ToWh(in), sink, u);
    });
    if (!r) throw Error(WH_NOT_FOUND, "groups.create: no result");
    return *r;
  }
  std::optional<nlohmann::json> Update(std::string_view id, const nlohmann::json& patch) const {
    const auto s = Find(WH_SDK_NEEDS(wh_groups_v1, update));
    const auto* vt = static_cast<const wh_groups_v1*>(s.vtable);
    const std::string in = patch.dump();
    return detail::JsonCall("groups.update", [&](wh_str_sink sink, void* u) {
      return vt->update(s.user, ToWh(id), ToWh(in), sink, u);
    });
  }
  bool Remove(std::string_view id) const {
    const auto s = Find(WH_SDK_NEEDS(wh_groups_v1, remove));
    const auto* vt = static_cast<const wh_groups_v1*>(s.vtable);
    const wh_status st = vt->remove(s.user, ToWh(id));
    if (st == WH_NOT_FOUND) return false;
    detail::StatusCall("groups.remove", st);
    return true;
  }
  void AddUsers(std::string_view id, const nlohmann::json& user_ids) const {
    const auto s = Find(WH_SDK_NEEDS(wh_groups_v1, add_users));
    const auto* vt = static_cast<const wh_groups_v1*>(s.vtable);
    detail::StatusCall("groups.add_users", vt->add_users(s.user, ToWh(id), ToWh(user_ids.dump())));
  }
  void RemoveUsers(std::string_view id, const nlohmann::json& user_ids) const {
    const auto s = Find(WH_SDK_NEEDS(wh_groups_v1, remove_users));
    const auto* vt = static_cast<const wh_groups_v1*>(s.vtable);
    detail::StatusCall("groups.remove_users",
                       vt->remove_users(s.user, ToWh(id), ToWh(user_ids.dump())));
  }
  // Ids of the groups `user_id` belongs to (empty for an unknown user).
  nlohmann::json GroupsOf(std::string_view user_id) const {
    const auto s = Find(WH_SDK_NEEDS(wh_groups_v1, groups_of));
    const auto* vt = static_cast<const wh_groups_v1*>(s.vtable);
    auto r = detail::JsonCall("groups.groups_of", [&](wh_str_sink sink, void* u) {
      return vt->groups_of(s.user, ToWh(user_id), sink, u);
    });
    return r ? *r : nlohmann::json::array();
  }

 private:
  Host::ServiceRef Find(size_t needed) const {
    return detail::FindService(host_, WH_SERVICE_GROUPS_V1, needed);
  }
  const Host& host_;
};

#undef WH_SDK_NEEDS

}  // namespace webui::sdk
