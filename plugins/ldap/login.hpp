// POST /api/v1/auths/ldap: Open WebUI's ldap_auth (routers/auths.py), with the directory
// conversation bounded by a deadline, StartTLS, escaped filters, no bind with an empty password,
// existing accounts linked only when that is safe, and group memberships that follow the
// directory both ways. Accounts and groups change only through users.v1 / groups.v1.
#pragma once

#include <webui_host/sdk.hpp>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "settings.hpp"

namespace webui::ldap {

// Open WebUI's answers.
inline constexpr const char* kNotEnabled = "LDAP authentication is not enabled";
inline constexpr const char* kFailed = "LDAP authentication failed.";
inline constexpr const char* kTlsConfigFailed = "Failed to configure TLS for LDAP connection.";
// This server's own.
inline constexpr const char* kUnavailable =
    "The LDAP server is unavailable. Please try again later.";
inline constexpr const char* kNotLinked =
    "An account with this email address already exists and is not linked to the directory. "
    "Sign in with its password, or ask an administrator to link it.";

// What the directory said about the person signing in.
struct DirectoryUser {
  std::string dn, email, name;
  std::vector<std::string> group_names;
};

// The account of `who` (found by email, created, or linked); throws HttpError(400, kNotLinked)
// for an account the directory may not take over. Returns the users.v1 UserModel.
nlohmann::json AccountFor(const sdk::Host& host, const DirectoryUser& who, bool merge_local);

// Makes `user_id`'s memberships exactly the existing groups named `names` (creating the missing
// ones when `create` is set).
void SyncGroups(const sdk::Host& host, const std::string& user_id,
                const std::vector<std::string>& names, bool create);

void HandleLogin(const sdk::Host& host, sdk::Request& req, sdk::Response& res);

}  // namespace webui::ldap
