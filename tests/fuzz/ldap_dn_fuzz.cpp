// The ldap plugin's DN parser (plugins/ldap/dn.cpp), which reads the memberOf values a directory
// sends, and its search filter escaping, which every login name goes through.
//
// Invariants: nothing crashes; every parsed value is UTF-8 without NUL; writing the parsed DN
// back out (RFC 4514 escaping) and parsing it again gives the same RDNs; an escaped filter value
// holds no filter metacharacter, so a login filter built from any name has balanced parentheses.
#include <cstdint>
#include <string>

#include "dn.hpp"
#include "fuzz_support.hpp"

namespace {

using webui::ldap::Rdn;

std::string EscapeDnValue(const std::string& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    const bool edge_space = c == ' ' && (i == 0 || i + 1 == v.size());
    if (c == ',' || c == '+' || c == '"' || c == '\\' || c == '<' || c == '>' || c == ';' ||
        edge_space || (i == 0 && c == '#'))
      out += '\\';
    out += c;
  }
  return out;
}

std::string Write(const std::vector<Rdn>& rdns) {
  std::string out;
  for (const auto& rdn : rdns) {
    if (!out.empty()) out += ',';
    bool first = true;
    for (const auto& ava : rdn) {
      if (!first) out += '+';
      first = false;
      out += ava.type + "=" + EscapeDnValue(ava.value);
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = webui::fuzz::AsText(data, size);
  if (auto rdns = webui::ldap::ParseDn(text)) {
    for (const auto& rdn : *rdns) {
      FUZZ_CHECK(!rdn.empty());
      for (const auto& ava : rdn) FUZZ_CHECK(ava.value.find('\0') == std::string::npos);
    }
    const auto again = webui::ldap::ParseDn(Write(*rdns));
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(again->size() == rdns->size());
    for (size_t i = 0; i < rdns->size(); ++i) {
      FUZZ_CHECK((*again)[i].size() == (*rdns)[i].size());
      for (size_t k = 0; k < (*rdns)[i].size(); ++k) {
        FUZZ_CHECK((*again)[i][k].type == (*rdns)[i][k].type);
        FUZZ_CHECK((*again)[i][k].value == (*rdns)[i][k].value);
      }
    }
    if (auto name = webui::ldap::GroupNameOf(text)) FUZZ_CHECK(!name->empty());
  }
  const std::string escaped = webui::ldap::EscapeFilterValue(text);
  for (char c : escaped) FUZZ_CHECK(c != '(' && c != ')' && c != '*' && c != '\0');
  const std::string filter = webui::ldap::LoginFilter("uid", text, "");
  int depth = 0;
  for (size_t i = 0; i < filter.size(); ++i) {
    if (filter[i] == '(') ++depth;
    if (filter[i] == ')') --depth;
    FUZZ_CHECK(depth >= 0);
  }
  FUZZ_CHECK(depth == 0);
  return 0;
}
