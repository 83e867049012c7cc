// DN parsing (memberOf values -> group names, RFC 4514) and filter escaping (RFC 4515).
#include "dn.hpp"

#include <gtest/gtest.h>

namespace webui::ldap {
namespace {

using namespace std::string_literals;

TEST(GroupNameOf, FirstRdnValue) {
  EXPECT_EQ(GroupNameOf("cn=ai-users,ou=groups,dc=example,dc=org"), "ai-users");
  EXPECT_EQ(GroupNameOf("CN=Domain Users,CN=Users,DC=corp,DC=example"), "Domain Users");
  // Not only cn: the first RDN's value, whatever its type.
  EXPECT_EQ(GroupNameOf("ou=Sales,dc=example,dc=org"), "Sales");
  EXPECT_EQ(GroupNameOf("2.5.4.3=numeric,dc=x"), "numeric");
}

TEST(GroupNameOf, EscapedCommasAreNotSeparators) {
  // A naive split at ',' would give "R&D\" or "R&D".
  EXPECT_EQ(GroupNameOf("cn=R&D\\, Europe,ou=groups,dc=example,dc=org"), "R&D, Europe");
  EXPECT_EQ(GroupNameOf("cn=R&D\\2C Europe,ou=groups,dc=example,dc=org"), "R&D, Europe");
  EXPECT_EQ(GroupNameOf("cn=a\\+b\\=c\\;d\\<e\\>f\\\"g\\\\h,dc=x"), "a+b=c;d<e>f\"g\\h");
}

TEST(GroupNameOf, HexEscapesDecodeToUtf8) {
  EXPECT_EQ(GroupNameOf("cn=Caf\\C3\\A9,dc=x"), "Café");
  EXPECT_EQ(GroupNameOf("cn=Café,dc=x"), "Café");
  // Bytes that are not UTF-8, and an escaped NUL, are not a name.
  EXPECT_EQ(GroupNameOf("cn=bad\\C3,dc=x"), std::nullopt);
  EXPECT_EQ(GroupNameOf("cn=bad\\FF\\FE,dc=x"), std::nullopt);
  EXPECT_EQ(GroupNameOf("cn=nul\\00x,dc=x"), std::nullopt);
  EXPECT_EQ(GroupNameOf("cn=nul"s + '\0' + "x,dc=x"), std::nullopt);
}

TEST(GroupNameOf, MultiValuedRdnPrefersCn) {
  EXPECT_EQ(GroupNameOf("ou=Eng+cn=builders,dc=x"), "builders");
  EXPECT_EQ(GroupNameOf("uid=a+ou=b,dc=x"), "a");
  auto rdns = ParseDn("cn=a+ou=b\\+c,dc=x");
  ASSERT_TRUE(rdns);
  ASSERT_EQ(rdns->size(), 2u);
  ASSERT_EQ((*rdns)[0].size(), 2u);
  EXPECT_EQ((*rdns)[0][1].type, "ou");
  EXPECT_EQ((*rdns)[0][1].value, "b+c");
}

TEST(GroupNameOf, SpacesAroundSeparatorsAndEscapedSpaces) {
  EXPECT_EQ(GroupNameOf("cn = spaced , ou=groups"), "spaced");
  EXPECT_EQ(GroupNameOf("cn=\\ lead and trail\\ ,dc=x"), " lead and trail ");
  EXPECT_EQ(GroupNameOf("cn=\\#hash,dc=x"), "#hash");
}

TEST(GroupNameOf, MalformedIsRefused) {
  for (const char* bad :
       {"", "cn", "cn=", "=x", "cn=a,", ",cn=a", "cn=a,,dc=x", "cn=a\\", "cn=a\\zz", "cn=a\"b",
        "cn=a;dc=x", "cn=<x>", "cn=#04024869", "1cn=x", "01.2=x", "1=x", "c n=x"}) {
    EXPECT_EQ(GroupNameOf(bad), std::nullopt) << bad;
  }
}

TEST(ParseDn, EmptyDnIsTheRoot) {
  auto rdns = ParseDn("");
  ASSERT_TRUE(rdns);
  EXPECT_TRUE(rdns->empty());
}

TEST(EscapeFilterValue, Rfc4515Specials) {
  EXPECT_EQ(EscapeFilterValue("*"), "\\2a");
  EXPECT_EQ(EscapeFilterValue("("), "\\28");
  EXPECT_EQ(EscapeFilterValue(")"), "\\29");
  EXPECT_EQ(EscapeFilterValue("\\"), "\\5c");
  EXPECT_EQ(EscapeFilterValue("a\0b"s), "a\\00b");
  EXPECT_EQ(EscapeFilterValue("line\nbreak"), "line\\0abreak");
  EXPECT_EQ(EscapeFilterValue("o'brien+x é"), "o'brien+x é");
}

TEST(LoginFilter, InjectionStaysOneValue) {
  EXPECT_EQ(LoginFilter("uid", "*", ""), "(&(uid=\\2a))");
  EXPECT_EQ(LoginFilter("uid", "*)(uid=*))(|(uid=*", ""),
            "(&(uid=\\2a\\29\\28uid=\\2a\\29\\29\\28|\\28uid=\\2a))");
  EXPECT_EQ(LoginFilter("uid", "admin)(|(password=*)", "(objectClass=person)"),
            "(&(uid=admin\\29\\28|\\28password=\\2a\\29)(objectClass=person))");
  // Login names compare in lower case, as Open WebUI's user.lower().
  EXPECT_EQ(LoginFilter("sAMAccountName", "Alice", ""), "(&(sAMAccountName=alice))");
}

TEST(LoginFilter, AdminFilterAndPlaceholders) {
  EXPECT_EQ(LoginFilter("uid", "bob", "(objectClass=inetOrgPerson)"),
            "(&(uid=bob)(objectClass=inetOrgPerson))");
  // Written without its parentheses, the admin's filter still forms one filter.
  EXPECT_EQ(LoginFilter("uid", "bob", " objectClass=person "), "(&(uid=bob)(objectClass=person))");
  // %s and %(user)s take the escaped name; what was inserted is not substituted again.
  EXPECT_EQ(LoginFilter("uid", "a*%s", "(|(uid=%s)(mail=%(user)s))"),
            "(&(uid=a\\2a%s)(|(uid=a\\2a%s)(mail=a\\2a%s)))");
}

}  // namespace
}  // namespace webui::ldap
