#include "users_store.hpp"

#include <webui_host/sdk/json.hpp>

#include <ctime>

#include "crypto.hpp"
#include "util.hpp"

namespace webui::auth {
namespace {

using nlohmann::json;
using sdk::Param;
using sdk::Row;

// Column list shared by every user query; DATE is read as text on both dialects.
constexpr const char* kUserCols =
    "id, name, email, role, profile_image_url, username, bio, gender, "
    "CAST(date_of_birth AS TEXT), oauth_sub, settings, info, last_active_at, updated_at, "
    "created_at, api_key";

json ParseJsonText(const std::optional<std::string>& text) {
  if (!text || text->empty()) return nullptr;
  json j = sdk::json::Parse(*text).value_or(json(json::value_t::discarded));
  return j.is_discarded() ? json(nullptr) : j;
}

User UserFromRow(const Row& r) {
  User u;
  u.id = r.Text(0);
  u.name = r.Text(1);
  u.email = r.Text(2);
  u.role = r.Text(3);
  u.profile_image_url = r.Text(4);
  u.username = r.OptText(5);
  u.bio = r.OptText(6);
  u.gender = r.OptText(7);
  u.date_of_birth = r.OptText(8);
  u.oauth_sub = r.OptText(9);
  u.settings = ParseJsonText(r.OptText(10));
  u.info = ParseJsonText(r.OptText(11));
  u.last_active_at = r.Int(12);
  u.updated_at = r.Int(13);
  u.created_at = r.Int(14);
  u.has_api_key = !r.IsNull(15) && !r.Text(15).empty();
  return u;
}

json Opt(const std::optional<std::string>& s) { return s ? json(*s) : json(nullptr); }

// Escapes LIKE wildcards so a search for "%" finds a literal percent sign.
std::string LikePattern(std::string_view q) {
  std::string out = "%";
  for (char c : q) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out + "%";
}

}  // namespace

json User::ToJson() const {
  return json{{"id", id},
              {"name", name},
              {"email", email},
              {"username", Opt(username)},
              {"role", role},
              {"profile_image_url", profile_image_url},
              {"bio", Opt(bio)},
              {"gender", Opt(gender)},
              {"date_of_birth", Opt(date_of_birth)},
              {"info", info},
              {"settings", settings},
              {"oauth_sub", Opt(oauth_sub)},
              {"last_active_at", last_active_at},
              {"updated_at", updated_at},
              {"created_at", created_at}};
}

void UsersStore::Migrate() {
  // Open WebUI 0.6.x shapes. "user" and "group" are reserved words: always quoted.
  const std::string sqlite =
      "CREATE TABLE IF NOT EXISTS \"user\" ("
      "id VARCHAR NOT NULL PRIMARY KEY, name VARCHAR NOT NULL, "
      "email VARCHAR NOT NULL, role VARCHAR NOT NULL, profile_image_url TEXT NOT NULL, "
      "api_key VARCHAR, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, "
      "last_active_at BIGINT NOT NULL, settings TEXT, info TEXT, oauth_sub TEXT, "
      "username VARCHAR(50), bio TEXT, gender TEXT, date_of_birth DATE, "
      "UNIQUE (api_key), UNIQUE (oauth_sub));"
      "CREATE TABLE IF NOT EXISTS auth (id VARCHAR NOT NULL PRIMARY KEY, "
      "email VARCHAR NOT NULL, password TEXT NOT NULL, active BOOLEAN NOT NULL);"
      "CREATE TABLE IF NOT EXISTS \"group\" (id TEXT NOT NULL PRIMARY KEY, user_id TEXT, "
      "name TEXT, description TEXT, data JSON, meta JSON, permissions JSON, user_ids JSON, "
      "created_at BIGINT, updated_at BIGINT);"
      "CREATE INDEX IF NOT EXISTS webui_auth_user_email ON \"user\" (email);"
      "CREATE INDEX IF NOT EXISTS webui_auth_auth_email ON auth (email)";
  const std::string postgres =
      "CREATE TABLE IF NOT EXISTS \"user\" ("
      "id VARCHAR NOT NULL PRIMARY KEY, name VARCHAR NOT NULL, "
      "email VARCHAR NOT NULL, role VARCHAR NOT NULL, profile_image_url TEXT NOT NULL, "
      "api_key VARCHAR UNIQUE, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, "
      "last_active_at BIGINT NOT NULL, settings TEXT, info TEXT, oauth_sub TEXT UNIQUE, "
      "username VARCHAR(50), bio TEXT, gender TEXT, date_of_birth DATE);"
      "CREATE TABLE IF NOT EXISTS auth (id VARCHAR NOT NULL PRIMARY KEY, "
      "email VARCHAR NOT NULL, password TEXT NOT NULL, active BOOLEAN NOT NULL);"
      "CREATE TABLE IF NOT EXISTS \"group\" (id TEXT NOT NULL PRIMARY KEY, user_id TEXT, "
      "name TEXT, description TEXT, data JSON, meta JSON, permissions JSON, user_ids JSON, "
      "created_at BIGINT, updated_at BIGINT);"
      "CREATE INDEX IF NOT EXISTS webui_auth_user_email ON \"user\" (email);"
      "CREATE INDEX IF NOT EXISTS webui_auth_auth_email ON auth (email)";
  host_.Migrate({{1, "Open WebUI user, auth and group tables", sqlite, postgres}});
}

std::optional<User> UsersStore::QueryUser(const std::string& where,
                                          std::initializer_list<Param> p) {
  std::optional<User> out;
  host_.Exec(std::string("SELECT ") + kUserCols + " FROM \"user\" " + where, p, [&](const Row& r) {
    out = UserFromRow(r);
    return false;
  });
  return out;
}

std::optional<User> UsersStore::GetById(std::string_view id) {
  return QueryUser("WHERE id = ?", {id});
}

std::optional<User> UsersStore::GetByEmail(std::string_view email) {
  return QueryUser("WHERE email = ? LIMIT 1", {email});
}

std::optional<User> UsersStore::GetFirstUser() {
  return QueryUser(
      "ORDER BY created_at ASC, CASE WHEN role = 'admin' THEN 0 ELSE 1 END ASC, id ASC LIMIT 1",
      {});
}

int64_t UsersStore::Count() {
  int64_t n = 0;
  host_.Exec("SELECT COUNT(*) FROM \"user\"", {}, [&](const Row& r) {
    n = r.Int(0);
    return false;
  });
  return n;
}

UsersStore::CreateResult UsersStore::Create(const NewUser& u) {
  CreateResult result;
  const std::string id = NewUuid4();
  const int64_t now = Now();
  auto tx = host_.Begin();
  // SQLite's BEGIN IMMEDIATE already serialises writers; PostgreSQL needs the lock so that the
  // "only account?" count below sees every committed insert. SHARE ROW EXCLUSIVE conflicts with
  // itself and with writers, not with readers.
  if (host_.IsPostgres()) tx.Exec("LOCK TABLE \"user\" IN SHARE ROW EXCLUSIVE MODE");
  bool taken = false;
  tx.Exec("SELECT id FROM \"user\" WHERE email = ? LIMIT 1", {u.email}, [&](const Row&) {
    taken = true;
    return false;
  });
  if (taken) {
    result.status = CreateStatus::kEmailTaken;
    return result;  // rolls back
  }
  // Insert with the requested role first, then promote only if this is the only account:
  // never check-then-insert (GHSA-h3ww-q6xx-w7x3).
  tx.Exec(
      "INSERT INTO \"user\" (id, name, email, role, profile_image_url, created_at, updated_at, "
      "last_active_at, settings, info) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
      {id, u.name, u.email, u.role, u.profile_image_url, now, now, now});
  tx.Exec("INSERT INTO auth (id, email, password, active) VALUES (?, ?, ?, TRUE)",
          {id, u.email, u.password_hash});
  if (u.may_become_first_admin) {
    const int64_t changed = tx.Exec(
        "UPDATE \"user\" SET role = 'admin' WHERE id = ? AND "
        "(SELECT COUNT(*) FROM \"user\") = 1",
        {id});
    result.became_admin = changed == 1;
  }
  tx.Commit();
  result.user = GetById(id);
  return result;
}

std::optional<AuthRecord> UsersStore::GetAuthByEmail(std::string_view email) {
  std::optional<AuthRecord> out;
  host_.Exec("SELECT id, password, active FROM auth WHERE email = ? LIMIT 1", {email},
             [&](const Row& r) {
               out = AuthRecord{r.Text(0), r.Text(1), r.Bool(2)};
               return false;
             });
  return out;
}

std::optional<AuthRecord> UsersStore::GetAuthById(std::string_view id) {
  std::optional<AuthRecord> out;
  host_.Exec("SELECT id, password, active FROM auth WHERE id = ?", {id}, [&](const Row& r) {
    out = AuthRecord{r.Text(0), r.Text(1), r.Bool(2)};
    return false;
  });
  return out;
}

void UsersStore::UpdatePassword(std::string_view id, std::string_view hash) {
  host_.Exec("UPDATE auth SET password = ? WHERE id = ?", {hash, id});
}

void UsersStore::UpdateProfile(std::string_view id, const ProfileUpdate& p) {
  std::string sql = "UPDATE \"user\" SET updated_at = ?";
  std::vector<Param> params{Now()};
  auto set = [&](const char* col, const std::optional<std::string>& v) {
    sql += std::string(", ") + col + " = ?";
    params.emplace_back(v);
  };
  if (p.name) set("name", p.name);
  if (p.email) set("email", p.email);
  if (p.role) set("role", p.role);
  if (p.profile_image_url) set("profile_image_url", p.profile_image_url);
  if (p.set_bio) set("bio", p.bio);
  if (p.set_gender) set("gender", p.gender);
  if (p.settings_json) set("settings", p.settings_json);
  if (p.info_json) set("info", p.info_json);
  if (p.set_oauth_sub) set("oauth_sub", p.oauth_sub);
  if (p.set_date_of_birth) {
    sql += host_.IsPostgres() ? ", date_of_birth = CAST(? AS DATE)" : ", date_of_birth = ?";
    params.emplace_back(p.date_of_birth);
  }
  sql += " WHERE id = ?";
  params.emplace_back(id);
  auto tx = host_.Begin();
  tx.Exec(sql, params);
  if (p.email) tx.Exec("UPDATE auth SET email = ? WHERE id = ?", {*p.email, id});
  tx.Commit();
}

bool UsersStore::Delete(std::string_view id) {
  auto tx = host_.Begin();
  tx.Exec("DELETE FROM auth WHERE id = ?", {id});
  const int64_t n = tx.Exec("DELETE FROM \"user\" WHERE id = ?", {id});
  tx.Commit();
  std::lock_guard lock(touch_mu_);
  touched_.erase(std::string(id));
  return n > 0;
}

std::pair<std::vector<User>, int64_t> UsersStore::List(const ListQuery& q) {
  std::string where;
  std::vector<Param> params;
  const std::string pattern = LikePattern(Lower(q.query));
  if (!q.query.empty()) {
    where = " WHERE (LOWER(name) LIKE ? ESCAPE '\\' OR LOWER(email) LIKE ? ESCAPE '\\')";
    params = {pattern, pattern};
  }
  int64_t total = 0;
  host_.Exec("SELECT COUNT(*) FROM \"user\"" + where, params, [&](const Row& r) {
    total = r.Int(0);
    return false;
  });
  // Never splice user text into ORDER BY: map it onto a fixed list.
  static const char* const kOrderable[] = {"name",       "email",          "role",
                                           "created_at", "last_active_at", "updated_at"};
  std::string order = "created_at";
  for (const char* col : kOrderable)
    if (q.order_by == col) order = col;
  const bool asc = q.order_by.empty() ? false : q.direction != "desc";
  std::string sql = std::string("SELECT ") + kUserCols + " FROM \"user\"" + where + " ORDER BY " +
                    order + (asc ? " ASC" : " DESC") + ", id ASC";
  if (q.limit >= 0) {
    sql += " LIMIT ? OFFSET ?";
    params.emplace_back(static_cast<long long>(q.limit));
    params.emplace_back(static_cast<long long>(q.skip));
  }
  std::vector<User> users;
  host_.Exec(sql, params, [&](const Row& r) {
    users.push_back(UserFromRow(r));
    return true;
  });
  return {std::move(users), total};
}

json UsersStore::MergeJsonColumn(std::string_view id, const char* column, const json& update) {
  auto tx = host_.Begin();
  std::optional<std::string> current;
  bool found = false;
  tx.Exec(std::string("SELECT ") + column + " FROM \"user\" WHERE id = ?" +
              (host_.IsPostgres() ? " FOR UPDATE" : ""),
          {id}, [&](const Row& r) {
            found = true;
            current = r.OptText(0);
            return false;
          });
  if (!found) return nullptr;
  json merged = ParseJsonText(current);
  if (!merged.is_object()) merged = json::object();
  for (auto it = update.begin(); it != update.end(); ++it) merged[it.key()] = it.value();
  tx.Exec(std::string("UPDATE \"user\" SET ") + column + " = ?, updated_at = ? WHERE id = ?",
          {Dump(merged), Now(), id});
  tx.Commit();
  return merged;
}

json UsersStore::MergeSettings(std::string_view id, const json& update) {
  return MergeJsonColumn(id, "settings", update);
}

json UsersStore::MergeInfo(std::string_view id, const json& update) {
  return MergeJsonColumn(id, "info", update);
}

std::string UsersStore::StoredApiKey(std::string_view key) {
  // Only a digest reaches the database; the last four characters let the UI show which key
  // is set without being usable.
  return "sha256:" + Sha256Hex(key) + ":" +
         std::string(key.substr(key.size() >= 4 ? key.size() - 4 : 0));
}

void UsersStore::SetApiKey(std::string_view id, const std::optional<std::string>& stored) {
  host_.Exec("UPDATE \"user\" SET api_key = ?, updated_at = ? WHERE id = ?", {stored, Now(), id});
}

std::optional<std::string> UsersStore::GetStoredApiKey(std::string_view id) {
  std::optional<std::string> out;
  host_.Exec("SELECT api_key FROM \"user\" WHERE id = ?", {id}, [&](const Row& r) {
    out = r.OptText(0);
    return false;
  });
  if (out && out->empty()) out.reset();
  return out;
}

std::optional<User> UsersStore::GetByApiKey(std::string_view key) {
  const std::string stored = StoredApiKey(key);
  std::optional<User> user;
  std::string found_value;
  // One statement for both forms: the digest we store, or the plaintext Python Open WebUI
  // stores. The match is then confirmed in constant time against what the row holds.
  host_.Exec(std::string("SELECT ") + kUserCols +
                 " FROM \"user\" WHERE api_key = ? OR api_key = ? LIMIT 2",
             {stored, key}, [&](const Row& r) {
               if (user) {  // two rows can only mean a corrupt table: refuse both
                 user.reset();
                 return false;
               }
               user = UserFromRow(r);
               found_value = r.Text(15);
               return true;
             });
  if (!user) return std::nullopt;
  if (!ConstantTimeEquals(found_value, stored) && !ConstantTimeEquals(found_value, key))
    return std::nullopt;
  return user;
}

std::vector<json> UsersStore::GroupsOfMember(std::string_view user_id) {
  std::vector<json> out;
  const std::string sql =
      host_.IsPostgres()
          ? "SELECT id, user_id, name, description, CAST(permissions AS TEXT), CAST(data AS "
            "TEXT), CAST(meta AS TEXT), CAST(user_ids AS TEXT), created_at, updated_at FROM "
            "\"group\" WHERE jsonb_exists(CAST(user_ids AS jsonb), CAST(? AS TEXT)) "
            "ORDER BY updated_at DESC"
          : "SELECT id, user_id, name, description, permissions, data, meta, user_ids, "
            "created_at, updated_at FROM \"group\" WHERE user_ids LIKE ? ORDER BY updated_at "
            "DESC";
  const std::string needle =
      host_.IsPostgres() ? std::string(user_id) : "%\"" + std::string(user_id) + "\"%";
  host_.Exec(sql, {needle}, [&](const Row& r) {
    json members = ParseJsonText(r.OptText(7));
    bool member = false;
    if (members.is_array())
      for (const auto& m : members)
        member = member || (m.is_string() && m.get<std::string>() == user_id);
    if (!member) return true;  // LIKE is only a pre-filter
    out.push_back(json{{"id", r.Text(0)},
                       {"user_id", r.Text(1)},
                       {"name", r.Text(2)},
                       {"description", r.Text(3)},
                       {"permissions", ParseJsonText(r.OptText(4))},
                       {"data", ParseJsonText(r.OptText(5))},
                       {"meta", ParseJsonText(r.OptText(6))},
                       {"user_ids", members},
                       {"created_at", r.Int(8)},
                       {"updated_at", r.Int(9)}});
    return true;
  });
  return out;
}

void UsersStore::TouchLastActive(std::string_view id) {
  const int64_t now = Now();
  {
    std::lock_guard lock(touch_mu_);
    auto it = touched_.find(std::string(id));
    if (it != touched_.end() && now - it->second < 60) return;
    if (touched_.size() > 100000) touched_.clear();
    touched_[std::string(id)] = now;
  }
  host_.Exec("UPDATE \"user\" SET last_active_at = ? WHERE id = ?", {now, id});
}

}  // namespace webui::auth
