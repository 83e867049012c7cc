#include "login.hpp"

#include <webui_host/sdk/json.hpp>
#include <webui_host/sdk/users.hpp>

#include <algorithm>
#include <set>

#include "directory.hpp"
#include "dn.hpp"

namespace webui::ldap {
namespace {

using nlohmann::json;

// A login name as it may appear in a log line: control bytes (a forged line break) escaped, and
// bounded.
std::string ForLog(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 128)) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else {
      out += c;
    }
  }
  return out;
}

std::string RequiredString(const json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end()) throw sdk::Unprocessable("missing", field, "Field required");
  if (!it->is_string())
    throw sdk::Unprocessable("string_type", field, "Input should be a valid string");
  return it->get<std::string>();
}

bool Blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  });
}

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && s[b] == ' ') ++b;
  while (e > b && s[e - 1] == ' ') --e;
  return std::string(s.substr(b, e - b));
}

// The account is one a directory manages: linked by an earlier LDAP login (info.ldap), or
// provisioned by SCIM (info.scim: made without a password, to sign in through the directory).
bool DirectoryManaged(const json& user) {
  auto info = user.find("info");
  if (info == user.end() || !info->is_object()) return false;
  auto ldap = info->find("ldap");
  auto scim = info->find("scim");
  return (ldap != info->end() && ldap->is_object()) || (scim != info->end() && scim->is_object());
}

bool Linked(const json& user, const std::string& dn) {
  auto info = user.find("info");
  if (info == user.end() || !info->is_object()) return false;
  auto ldap = info->find("ldap");
  return ldap != info->end() && ldap->is_object() && ldap->value("dn", "") == dn;
}

// Records the directory entry in info.ldap, keeping the rest of info.
json Link(const sdk::Users& users, const json& user, const std::string& dn) {
  if (Linked(user, dn)) return user;
  json info = user.contains("info") && user["info"].is_object() ? user["info"] : json::object();
  info["ldap"] = {{"dn", dn}};
  auto updated = users.Update(user.value("id", ""), {{"info", info}});
  return updated ? *updated : user;
}

// The failure the caller sees after TLS: always Open WebUI's one text; why, only in the log.
[[noreturn]] void Refuse(const sdk::Host& host, std::string_view user, std::string_view why) {
  host.Info("ldap: sign-in of '" + ForLog(user) + "' refused: " + std::string(why));
  throw sdk::HttpError(400, kFailed);
}

}  // namespace

json AccountFor(const sdk::Host& host, const DirectoryUser& who, bool merge_local) {
  const sdk::Users users(host);
  std::optional<json> user = users.GetByEmail(who.email);
  if (!user) {
    try {
      // No role: users.v1 applies sign-up's rules, including the race-safe first admin
      // (docs/security.md T03).
      user = users.Create({{"name", who.name}, {"email", who.email}});
      return Link(users, *user, who.dn);
    } catch (const sdk::Error& e) {
      if (e.status() != WH_CONFLICT) throw;
      user = users.GetByEmail(who.email);  // made meanwhile (a concurrent sign-in)
      if (!user) throw;
    }
  }
  if (!DirectoryManaged(*user) && !merge_local) {
    host.Warn("ldap: " + who.dn +
              " has the email of an existing account that is not linked to the directory; "
              "refused (WEBUI_LDAP_MERGE_LOCAL_ACCOUNTS=true links such accounts)");
    throw sdk::HttpError(400, kNotLinked);
  }
  return Link(users, *user, who.dn);
}

void SyncGroups(const sdk::Host& host, const std::string& user_id,
                const std::vector<std::string>& names, bool create) {
  const sdk::Groups groups(host);
  const json all = groups.List();
  std::set<std::string> wanted;
  for (const auto& name : names) {
    // Group names compare as the directory compares cn: without regard to case.
    const std::string key = sdk::LowerAscii(name);
    std::optional<std::string> id;
    for (const auto& g : all)
      if (g.is_object() && sdk::LowerAscii(g.value("name", "")) == key) {
        id = g.value("id", "");
        break;
      }
    if (!id && create) {
      id = groups.Create(user_id, {{"name", name}, {"description", ""}}).value("id", "");
      host.Info("ldap: created group '" + ForLog(name) + "'");
    }
    if (id && !id->empty()) wanted.insert(*id);
  }
  std::set<std::string> current;
  for (const auto& id : groups.GroupsOf(user_id))
    if (id.is_string()) current.insert(id.get<std::string>());
  const json member = json::array({user_id});
  for (const auto& id : wanted)
    if (!current.count(id)) groups.AddUsers(id, member);
  // The directory is the truth for a managed user: a group it no longer lists is left, the last
  // one too.
  for (const auto& id : current)
    if (!wanted.count(id)) groups.RemoveUsers(id, member);
}

void HandleLogin(const sdk::Host& host, sdk::Request& req, sdk::Response& res) {
  const json body = sdk::JsonBody(req, sdk::json::Limits{/*max_depth=*/16});
  const std::string user = RequiredString(body, "user");
  const std::string password = RequiredString(body, "password");
  if (!sdk::Setting(host, keys::kEnable, false)) throw sdk::HttpError(400, kNotEnabled);

  // An empty simple bind is an "unauthenticated" bind that OpenLDAP and some Active Directory
  // setups accept as a success (RFC 4513 5.1.2): no bind is attempted (docs/security.md T07).
  if (Blank(password)) Refuse(host, user, "empty password");
  if (Blank(user)) Refuse(host, user, "empty user name");

  const LdapSettings s = LoadSettings(host);
  DirectoryUser who;
  try {
    Conversation directory(s.ToEndpoint());
    directory.Bind(s.app_dn, s.app_password);
    std::vector<std::string> attributes = {s.attribute_for_username, s.attribute_for_mail, "cn"};
    if (s.group_management) attributes.push_back(s.attribute_for_groups);
    // Every character of the login name is escaped into the filter (docs/security.md T08).
    const auto entries = directory.Search(
        s.search_base, LoginFilter(s.attribute_for_username, user, s.search_filters), attributes,
        /*max_entries=*/1);
    if (entries.empty()) Refuse(host, user, "no such entry");
    const Entry& entry = entries.front();
    const auto& names = entry.Values(s.attribute_for_username);
    const std::string wanted = sdk::LowerAscii(user);
    if (std::none_of(names.begin(), names.end(),
                     [&](const std::string& n) { return sdk::LowerAscii(n) == wanted; }))
      Refuse(host, user, "the entry's " + s.attribute_for_username + " differs");
    directory.Bind(entry.dn, password);

    const auto& mails = entry.Values(s.attribute_for_mail);
    who.dn = entry.dn;
    who.email = mails.empty() ? "" : sdk::LowerAscii(Trim(mails.front()));
    if (who.email.empty()) Refuse(host, user, entry.dn + " has no " + s.attribute_for_mail);
    const auto& cn = entry.Values("cn");
    who.name = cn.empty() || Blank(cn.front()) ? names.front() : cn.front();
    if (s.group_management) {
      for (const auto& dn : entry.Values(s.attribute_for_groups)) {
        if (auto name = GroupNameOf(dn)) {
          if (std::find(who.group_names.begin(), who.group_names.end(), *name) ==
              who.group_names.end())
            who.group_names.push_back(*name);
        } else {
          host.Warn("ldap: cannot read a group name from '" + ForLog(dn) + "'; ignored");
        }
      }
    }
  } catch (const DirectoryError& e) {
    switch (e.failure()) {
      case Failure::kTlsConfig:
        host.LogError(std::string("ldap: TLS settings refused: ") + e.what());
        throw sdk::HttpError(400, kTlsConfigFailed);
      case Failure::kUnavailable:
        // An outage is not a wrong password (and never a 401): the caller may try again.
        host.Warn(std::string("ldap: directory unavailable: ") + e.what());
        throw sdk::HttpError(503, kUnavailable);
      default:
        Refuse(host, user, e.what());
    }
  }

  json account;
  try {
    account = AccountFor(host, who, s.merge_local_accounts);
  } catch (const sdk::Error& e) {
    if (e.status() != WH_INVALID) throw;
    Refuse(host, user, "the directory's email or name is not acceptable: " + who.email);
  }
  const std::string id = account.value("id", "");
  // Open WebUI leaves an admin's groups alone (they are managed by hand).
  if (s.group_management && account.value("role", "") != "admin")
    SyncGroups(host, id, who.group_names, s.group_creation);

  const auto token = sdk::Users(host).IssueToken(id);
  if (!token) throw sdk::HttpError(400, sdk::messages::kInvalidCred);
  if (auto cookie = token->find("cookie"); cookie != token->end() && cookie->is_string())
    res.Header("Set-Cookie", cookie->get<std::string>());
  host.Info("ldap: " + who.dn + " signed in as user " + id);
  // The fields and order of POST /api/v1/auths/signin (SessionUserResponse).
  sdk::Reply(res, {{"token", token->value("token", "")},
                   {"token_type", token->value("token_type", "Bearer")},
                   {"expires_at", token->value("expires_at", json(nullptr))},
                   {"id", id},
                   {"email", account.value("email", "")},
                   {"name", account.value("name", "")},
                   {"role", account.value("role", "")},
                   {"profile_image_url", account.value("profile_image_url", "")},
                   {"permissions", token->value("permissions", json::object())}});
}

}  // namespace webui::ldap
