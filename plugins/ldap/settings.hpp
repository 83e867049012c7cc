// The ldap plugin's settings: Open WebUI's PersistentConfig keys and env names (config.py), so a
// database made by Open WebUI keeps its LDAP settings, plus what this server adds (StartTLS, the
// deadline, linking existing accounts). The admin form of /api/v1/auths/admin/config/ldap/server
// reads and writes them.
#pragma once

#include <webui_host/sdk.hpp>

#include <chrono>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "directory.hpp"

namespace webui::ldap {

namespace keys {
inline constexpr const char* kEnable = "ldap.enable";
inline constexpr const char* kLabel = "ldap.server.label";
inline constexpr const char* kHost = "ldap.server.host";
inline constexpr const char* kPort = "ldap.server.port";
inline constexpr const char* kAttributeForMail = "ldap.server.attribute_for_mail";
inline constexpr const char* kAttributeForUsername = "ldap.server.attribute_for_username";
inline constexpr const char* kAppDn = "ldap.server.app_dn";
inline constexpr const char* kAppPassword = "ldap.server.app_password";
// Open WebUI keeps LDAP_SEARCH_BASE under "users_dn".
inline constexpr const char* kSearchBase = "ldap.server.users_dn";
inline constexpr const char* kSearchFilter = "ldap.server.search_filter";
inline constexpr const char* kUseTls = "ldap.server.use_tls";
inline constexpr const char* kUseStartTls = "ldap.server.use_starttls";
inline constexpr const char* kCaCertFile = "ldap.server.ca_cert_file";
inline constexpr const char* kValidateCert = "ldap.server.validate_cert";
inline constexpr const char* kCiphers = "ldap.server.ciphers";
inline constexpr const char* kAttributeForGroups = "ldap.server.attribute_for_groups";
inline constexpr const char* kGroupManagement = "ldap.group.enable_management";
inline constexpr const char* kGroupCreation = "ldap.group.enable_creation";
// Not persistent (environment only).
inline constexpr const char* kTimeout = "ldap.timeout_seconds";
inline constexpr const char* kMergeLocalAccounts = "ldap.merge_local_accounts";
}  // namespace keys

struct LdapSettings {
  std::string label, host;
  std::optional<int64_t> port;
  std::string attribute_for_mail, attribute_for_username, attribute_for_groups;
  std::string app_dn, app_password, search_base, search_filters;
  bool use_tls = true, use_starttls = false, validate_cert = true;
  std::optional<std::string> ca_cert_file, ciphers;
  bool group_management = false, group_creation = false;
  std::chrono::milliseconds timeout{5000};
  bool merge_local_accounts = false;

  // Where and how to connect: the port defaults to 636 with use_tls, else 389.
  Endpoint ToEndpoint() const;
};

void DeclareSettings(sdk::Host& host);
LdapSettings LoadSettings(const sdk::Host& host);

// GET /admin/config/ldap/server: Open WebUI's 13 keys (the password included, as Open WebUI
// does: the form posts back what it read) plus use_starttls.
nlohmann::json ServerForm(const LdapSettings& s);
// POST /admin/config/ldap/server: checks the form as Open WebUI does (422 for a wrong type or a
// missing key without default, 400 "Required field <key> is empty"), then saves it.
void SaveServerForm(sdk::Host& host, const nlohmann::json& form);

}  // namespace webui::ldap
