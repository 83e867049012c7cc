// The string forms the ldap plugin reads and writes: distinguished names (RFC 4514), which
// memberOf values are, and search filter values (RFC 4515), which the user's login name becomes.
// Pure functions, no libldap: unit-tested and fuzzed (tests/fuzz/ldap_dn_fuzz.cpp).
#pragma once

#include <webui_host/sdk/core.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace webui::ldap {

struct AttributeValue {
  std::string type;   // as written: "cn", "CN", "2.5.4.3"
  std::string value;  // unescaped, valid UTF-8 without NUL
};
using Rdn = std::vector<AttributeValue>;  // several for a multi-valued RDN ("cn=a+uid=b")

// The RDNs of `dn`, first (most specific) first; nullopt when `dn` is not a valid RFC 4514 DN or
// a value is not text (a `#` BER value, an escaped NUL, bytes that are not UTF-8). Lenient where
// directories are: spaces around ',', '+' and '=' are ignored.
std::optional<std::vector<Rdn>> ParseDn(std::string_view dn);

// The group name a memberOf DN stands for: the value of its first RDN (the `cn` of a multi-valued
// one, else its first value). "cn=R&D\, Europe,ou=groups,dc=x" -> "R&D, Europe".
std::optional<std::string> GroupNameOf(std::string_view dn);

// `value` as an RFC 4515 assertion value: '*', '(', ')', '\' and NUL (and other control bytes)
// become \2a, \28, \29, \5c, \00.
std::string EscapeFilterValue(std::string_view value);

// The search filter of a login: (&(<username_attribute>=<escaped user>)<extra>), where `extra` is
// the admin's search_filters: `%s` and `%(user)s` in it become the escaped user too (newer Open
// WebUI's placeholders), and a filter written without its outer parentheses gets them.
std::string LoginFilter(std::string_view username_attribute, std::string_view user,
                        std::string_view extra);

}  // namespace webui::ldap
