#include "settings.hpp"

#include <webui_host/sdk/json.hpp>

#include <cmath>

#include "dn.hpp"

namespace webui::ldap {
namespace {

using nlohmann::json;

json Read(const sdk::Host& host, const char* key) {
  if (auto text = host.ConfigJson(key)) {
    if (auto parsed = sdk::json::Parse(*text)) return std::move(*parsed);
  }
  return nullptr;
}

std::string String(const json& v, const char* fallback = "") {
  return v.is_string() ? v.get<std::string>() : std::string(fallback);
}
std::optional<std::string> OptString(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  return std::nullopt;
}
bool Bool(const json& v, bool fallback) { return v.is_boolean() ? v.get<bool>() : fallback; }

std::string Quoted(std::string_view s) { return json(std::string(s)).dump(); }

// pydantic's str / Optional[str] / bool / Optional[int] fields, with FastAPI's 422 details.
std::optional<std::string> FormString(const json& form, const char* field, bool required,
                                      std::optional<std::string> fallback, bool nullable) {
  auto it = form.find(field);
  if (it == form.end()) {
    if (required) throw sdk::Unprocessable("missing", field, "Field required");
    return fallback;
  }
  if (it->is_null() && nullable) return std::nullopt;
  if (!it->is_string())
    throw sdk::Unprocessable("string_type", field, "Input should be a valid string");
  return it->get<std::string>();
}

bool FormBool(const json& form, const char* field, bool fallback) {
  auto it = form.find(field);
  if (it == form.end()) return fallback;
  if (it->is_boolean()) return it->get<bool>();
  if (it->is_number_integer() && (*it == 0 || *it == 1)) return *it == 1;
  if (it->is_string()) {
    const std::string s = sdk::LowerAscii(it->get<std::string>());
    if (s == "true" || s == "1" || s == "yes" || s == "on") return true;
    if (s == "false" || s == "0" || s == "no" || s == "off") return false;
  }
  throw sdk::Unprocessable("bool_parsing", field, "Input should be a valid boolean");
}

std::optional<int64_t> FormPort(const json& form) {
  auto it = form.find("port");
  if (it == form.end() || it->is_null()) return std::nullopt;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_number_float() && std::floor(it->get<double>()) == it->get<double>())
    return static_cast<int64_t>(it->get<double>());
  if (it->is_string()) {
    const std::string s = it->get<std::string>();
    if (!s.empty() && s.size() < 10 && s.find_first_not_of("0123456789") == std::string::npos)
      return std::stoll(s);
  }
  throw sdk::Unprocessable("int_parsing", "port",
                           "Input should be a valid integer, unable to parse string as an integer");
}

}  // namespace

Endpoint LdapSettings::ToEndpoint() const {
  Endpoint e;
  e.host = host;
  e.ldaps = use_tls;
  // Open WebUI's use_tls is implicit TLS; StartTLS is the way to encrypt an ldap:// port.
  e.starttls = !use_tls && use_starttls;
  e.port = port && *port > 0 && *port < 65536 ? static_cast<int>(*port) : (use_tls ? 636 : 389);
  e.ca_cert_file = ca_cert_file.value_or("");
  e.validate_cert = validate_cert;
  e.ciphers = ciphers.value_or("");
  e.timeout = timeout;
  return e;
}

void DeclareSettings(sdk::Host& host) {
  host.DeclareConfig(keys::kEnable, "ENABLE_LDAP", "false");
  host.DeclareConfig(keys::kLabel, "LDAP_SERVER_LABEL", R"("LDAP Server")");
  host.DeclareConfig(keys::kHost, "LDAP_SERVER_HOST", R"("localhost")");
  host.DeclareConfig(keys::kPort, "LDAP_SERVER_PORT", "389");
  host.DeclareConfig(keys::kAttributeForMail, "LDAP_ATTRIBUTE_FOR_MAIL", R"("mail")");
  host.DeclareConfig(keys::kAttributeForUsername, "LDAP_ATTRIBUTE_FOR_USERNAME", R"("uid")");
  host.DeclareConfig(keys::kAppDn, "LDAP_APP_DN", R"("")");
  host.DeclareConfig(keys::kAppPassword, "LDAP_APP_PASSWORD", R"("")");
  host.DeclareConfig(keys::kSearchBase, "LDAP_SEARCH_BASE", R"("")");
  // Open WebUI reads LDAP_SEARCH_FILTER, and LDAP_SEARCH_FILTERS when that is unset: the alias
  // is the default of the declared name.
  host.DeclareConfig(keys::kSearchFilter, "LDAP_SEARCH_FILTER",
                     Quoted(host.Env("LDAP_SEARCH_FILTERS").value_or("")));
  host.DeclareConfig(keys::kUseTls, "LDAP_USE_TLS", "true");
  host.DeclareConfig(keys::kUseStartTls, "WEBUI_LDAP_USE_STARTTLS", "false");
  host.DeclareConfig(keys::kCaCertFile, "LDAP_CA_CERT_FILE", R"("")");
  host.DeclareConfig(keys::kValidateCert, "LDAP_VALIDATE_CERT", "true");
  host.DeclareConfig(keys::kCiphers, "LDAP_CIPHERS", R"("ALL")");
  host.DeclareConfig(keys::kAttributeForGroups, "LDAP_ATTRIBUTE_FOR_GROUPS", R"("memberOf")");
  host.DeclareConfig(keys::kGroupManagement, "ENABLE_LDAP_GROUP_MANAGEMENT", "false");
  host.DeclareConfig(keys::kGroupCreation, "ENABLE_LDAP_GROUP_CREATION", "false");
  host.DeclareConfig(keys::kTimeout, "WEBUI_LDAP_TIMEOUT", "5.0", false);
  host.DeclareConfig(keys::kMergeLocalAccounts, "WEBUI_LDAP_MERGE_LOCAL_ACCOUNTS", "false", false);
}

LdapSettings LoadSettings(const sdk::Host& host) {
  LdapSettings s;
  s.label = String(Read(host, keys::kLabel));
  s.host = String(Read(host, keys::kHost));
  const json port = Read(host, keys::kPort);
  if (port.is_number_integer()) s.port = port.get<int64_t>();
  s.attribute_for_mail = String(Read(host, keys::kAttributeForMail), "mail");
  s.attribute_for_username = String(Read(host, keys::kAttributeForUsername), "uid");
  s.attribute_for_groups = String(Read(host, keys::kAttributeForGroups), "memberOf");
  s.app_dn = String(Read(host, keys::kAppDn));
  s.app_password = String(Read(host, keys::kAppPassword));
  s.search_base = String(Read(host, keys::kSearchBase));
  s.search_filters = String(Read(host, keys::kSearchFilter));
  s.use_tls = Bool(Read(host, keys::kUseTls), true);
  s.use_starttls = Bool(Read(host, keys::kUseStartTls), false);
  s.validate_cert = Bool(Read(host, keys::kValidateCert), true);
  s.ca_cert_file = OptString(Read(host, keys::kCaCertFile));
  s.ciphers = OptString(Read(host, keys::kCiphers));
  s.group_management = Bool(Read(host, keys::kGroupManagement), false);
  s.group_creation = Bool(Read(host, keys::kGroupCreation), false);
  const json timeout = Read(host, keys::kTimeout);
  // A bound that still lets a slow directory answer, and never one that holds a worker for long.
  if (timeout.is_number() && timeout.get<double>() > 0)
    s.timeout = std::chrono::milliseconds(
        static_cast<int64_t>(std::min(timeout.get<double>(), 120.0) * 1000.0));
  s.merge_local_accounts = Bool(Read(host, keys::kMergeLocalAccounts), false);
  return s;
}

json ServerForm(const LdapSettings& s) {
  return {{"label", s.label},
          {"host", s.host},
          {"port", s.port ? json(*s.port) : json(nullptr)},
          {"attribute_for_mail", s.attribute_for_mail},
          {"attribute_for_username", s.attribute_for_username},
          {"app_dn", s.app_dn},
          {"app_dn_password", s.app_password},
          {"search_base", s.search_base},
          {"search_filters", s.search_filters},
          {"use_tls", s.use_tls},
          {"use_starttls", s.use_starttls},
          {"certificate_path", s.ca_cert_file ? json(*s.ca_cert_file) : json(nullptr)},
          {"validate_cert", s.validate_cert},
          {"ciphers", s.ciphers ? json(*s.ciphers) : json(nullptr)}};
}

void SaveServerForm(sdk::Host& host, const json& form) {
  const auto label = FormString(form, "label", true, std::nullopt, false);
  const auto server = FormString(form, "host", true, std::nullopt, false);
  const auto port = FormPort(form);
  const auto mail = FormString(form, "attribute_for_mail", false, "mail", false);
  const auto username = FormString(form, "attribute_for_username", false, "uid", false);
  const auto app_dn = FormString(form, "app_dn", true, std::nullopt, false);
  const auto app_password = FormString(form, "app_dn_password", true, std::nullopt, false);
  const auto search_base = FormString(form, "search_base", true, std::nullopt, false);
  const auto search_filters = FormString(form, "search_filters", false, "", false);
  const bool use_tls = FormBool(form, "use_tls", true);
  const auto certificate = FormString(form, "certificate_path", false, std::nullopt, true);
  const bool validate_cert = FormBool(form, "validate_cert", true);
  const auto ciphers = FormString(form, "ciphers", false, "ALL", true);
  // Not in Open WebUI's form: absent leaves it as it is.
  std::optional<bool> use_starttls;
  if (form.contains("use_starttls")) use_starttls = FormBool(form, "use_starttls", false);

  // Open WebUI's checks, in its order (so an anonymous bind cannot be saved here either).
  const std::pair<const char*, const std::optional<std::string>*> required[] = {
      {"label", &label},
      {"host", &server},
      {"attribute_for_mail", &mail},
      {"attribute_for_username", &username},
      {"app_dn", &app_dn},
      {"app_dn_password", &app_password},
      {"search_base", &search_base}};
  for (const auto& [key, value] : required)
    if (!*value || (*value)->empty())
      throw sdk::HttpError(400, std::string("Required field ") + key + " is empty");

  auto opt = [](const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); };
  host.SetConfig(keys::kLabel, json(*label).dump());
  host.SetConfig(keys::kHost, json(*server).dump());
  host.SetConfig(keys::kPort, port ? json(*port).dump() : "null");
  host.SetConfig(keys::kAttributeForMail, json(*mail).dump());
  host.SetConfig(keys::kAttributeForUsername, json(*username).dump());
  host.SetConfig(keys::kAppDn, json(*app_dn).dump());
  host.SetConfig(keys::kAppPassword, json(*app_password).dump());
  host.SetConfig(keys::kSearchBase, json(*search_base).dump());
  host.SetConfig(keys::kSearchFilter, json(search_filters.value_or("")).dump());
  host.SetConfig(keys::kUseTls, json(use_tls).dump());
  if (use_starttls) host.SetConfig(keys::kUseStartTls, json(*use_starttls).dump());
  host.SetConfig(keys::kCaCertFile, opt(certificate).dump());
  host.SetConfig(keys::kValidateCert, json(validate_cert).dump());
  host.SetConfig(keys::kCiphers, opt(ciphers).dump());
}

}  // namespace webui::ldap
