// Accounts in Open WebUI's own tables: "user" (profile, role, settings, api_key), auth
// (bcrypt hash) and "group" (permissions, members). CREATE TABLE IF NOT EXISTS keeps a database
// made by Python Open WebUI 0.6.x working. Every statement is parameterised.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>
#include <webui_host/sdk.hpp>

namespace webui::auth {

struct User {
  std::string id, name, email, role, profile_image_url;
  std::optional<std::string> username, bio, gender, date_of_birth, oauth_sub;
  nlohmann::json settings;  // null when unset
  nlohmann::json info;      // null when unset
  int64_t last_active_at = 0, updated_at = 0, created_at = 0;
  bool has_api_key = false;

  // Open WebUI's UserModel, without api_key (never sent back: only its hash is stored).
  nlohmann::json ToJson() const;
};

struct AuthRecord {
  std::string id;
  std::string password_hash;
  bool active = true;
};

struct NewUser {
  std::string email;  // lower-cased
  std::string password_hash;
  std::string name;
  std::string profile_image_url = "/user.png";
  std::string role = "pending";
  bool may_become_first_admin = true;  // false for admin-created accounts
};

class UsersStore {
 public:
  explicit UsersStore(sdk::Host& host) : host_(host) {}

  void Migrate();

  std::optional<User> GetById(std::string_view id);
  std::optional<User> GetByEmail(std::string_view email);
  // The primary admin: the oldest account (ties: the admin, then the smallest id).
  std::optional<User> GetFirstUser();
  int64_t Count();

  enum class CreateStatus { kCreated, kEmailTaken };
  struct CreateResult {
    CreateStatus status = CreateStatus::kCreated;
    std::optional<User> user;
    bool became_admin = false;  // the first account, promoted
  };
  // Inserts user + auth with `role`, then promotes to admin when it is the only account, all in
  // one transaction that serialises account creation (BEGIN IMMEDIATE on SQLite, a table lock
  // on PostgreSQL): concurrent first sign-ups yield exactly one admin.
  CreateResult Create(const NewUser& u);

  std::optional<AuthRecord> GetAuthByEmail(std::string_view email);
  std::optional<AuthRecord> GetAuthById(std::string_view id);
  void UpdatePassword(std::string_view id, std::string_view hash);

  struct ProfileUpdate {
    std::optional<std::string> name, email, role, profile_image_url, bio, gender, date_of_birth;
    bool set_bio = false, set_gender = false, set_date_of_birth = false;
    // Replaced whole (JSON text), for the users.v1 service; oauth_sub may be cleared.
    std::optional<std::string> settings_json, info_json, oauth_sub;
    bool set_oauth_sub = false;
  };
  void UpdateProfile(std::string_view id, const ProfileUpdate& p);
  bool Delete(std::string_view id);

  struct ListQuery {
    std::string query;
    std::string order_by;   // allow-listed column, else created_at
    std::string direction;  // asc | desc
    int64_t skip = 0;
    int64_t limit = -1;  // -1 = all
  };
  std::pair<std::vector<User>, int64_t> List(const ListQuery& q);

  // Settings / info are merged like Open WebUI (top-level keys replaced).
  nlohmann::json MergeSettings(std::string_view id, const nlohmann::json& update);
  nlohmann::json MergeInfo(std::string_view id, const nlohmann::json& update);

  // --- API keys: only "sha256:<hex>:<last4>" is stored ---
  static std::string StoredApiKey(std::string_view key);
  void SetApiKey(std::string_view id, const std::optional<std::string>& stored);
  std::optional<std::string> GetStoredApiKey(std::string_view id);
  // By hashed form; else a legacy plaintext value written by Python Open WebUI.
  std::optional<User> GetByApiKey(std::string_view key);

  // --- groups ---
  std::vector<nlohmann::json> GroupsOfMember(std::string_view user_id);

  // Refreshes last_active_at at most once a minute per user (no write per request).
  void TouchLastActive(std::string_view id);

 private:
  std::optional<User> QueryUser(const std::string& where, std::initializer_list<sdk::Param> p);
  nlohmann::json MergeJsonColumn(std::string_view id, const char* column,
                                 const nlohmann::json& update);

  sdk::Host& host_;
  std::mutex touch_mu_;
  std::unordered_map<std::string, int64_t> touched_;
};

}  // namespace webui::auth
