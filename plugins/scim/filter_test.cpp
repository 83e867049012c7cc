#include "filter.hpp"

#include <gtest/gtest.h>

namespace webui::scim {
namespace {

Filter Users(std::string_view text) { return ParseFilter(text, Resource::kUser); }
Filter Groups(std::string_view text) { return ParseFilter(text, Resource::kGroup); }

TEST(ScimFilter, EqOnEveryUserAttribute) {
  EXPECT_EQ(Users(R"(userName eq "ada@example.com")"),
            (Filter{{Attribute::kUserName, "ada@example.com"}}));
  EXPECT_EQ(Users(R"(externalId eq "0a1b")"), (Filter{{Attribute::kExternalId, "0a1b"}}));
  EXPECT_EQ(Users(R"(emails.value eq "a@b.c")"), (Filter{{Attribute::kEmailValue, "a@b.c"}}));
  EXPECT_EQ(Users(R"(emails eq "a@b.c")"), (Filter{{Attribute::kEmailValue, "a@b.c"}}));
  EXPECT_EQ(Users(R"(emails[type eq "work"].value eq "a@b.c")"),
            (Filter{{Attribute::kWorkEmailValue, "a@b.c"}}));
  EXPECT_EQ(Users(R"(displayName eq "Ada L")"), (Filter{{Attribute::kDisplayName, "Ada L"}}));
  EXPECT_EQ(Users(R"(id eq "u1")"), (Filter{{Attribute::kId, "u1"}}));
}

TEST(ScimFilter, NamesOperatorsAndSchemaAreCaseInsensitive) {
  EXPECT_EQ(Users(R"(USERNAME EQ "X")"), (Filter{{Attribute::kUserName, "X"}}));
  EXPECT_EQ(Users(R"(urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x")"),
            (Filter{{Attribute::kUserName, "x"}}));
  EXPECT_EQ(Users(R"(Emails[Type EQ "WORK"].Value eq "x")"),
            (Filter{{Attribute::kWorkEmailValue, "x"}}));
}

TEST(ScimFilter, AndJoinsComparisons) {
  EXPECT_EQ(Groups(R"(id eq "g1" AND members eq "u1")"),
            (Filter{{Attribute::kId, "g1"}, {Attribute::kMemberValue, "u1"}}));
  EXPECT_EQ(Groups(R"(  displayName eq "Team"  )"), (Filter{{Attribute::kDisplayName, "Team"}}));
}

TEST(ScimFilter, StringEscapesAreDecoded) {
  EXPECT_EQ(Users(R"(displayName eq "a\"b\\c\/d\n\u00e9\ud83d\ude00")")[0].value,
            "a\"b\\c/d\n\xc3\xa9\xf0\x9f\x98\x80");
}

// Each of these must be refused: answering with an unfiltered or empty page makes an IdP link
// or duplicate the wrong account.
TEST(ScimFilter, AnythingElseIsRefused) {
  for (const char* bad : {
           "",
           "   ",
           R"(userName eq "x" or "1" eq "1")",  // docs/security.md T24
           R"(userName eq "x" or userName eq "y")",
           R"(not (userName eq "x"))",
           R"((userName eq "x"))",
           R"(title co "x")",
           R"(userName co "x")",
           R"(userName ne "x")",
           R"(userName pr)",
           R"(externalId eq jyoung)",  // unquoted
           R"(userName eq 'x')",
           R"(userName eq true)",
           R"(userName eq "x)",
           R"(userName eq "x" and)",
           R"(userName eq "x" "y")",
           R"(userName eq"x")",
           R"(userName  "x")",
           R"(emails[type eq "home"].value eq "x")",
           R"(emails[type eq "work"] eq "x")",
           R"(urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "1")",
           R"(displayName eq "\x")",
           R"(displayName eq "\u12")",
           R"(displayName eq "\ud800")",
           R"(displayName eq "\udc00\ud800")",
           R"(displayName eq "\u0000")",
           "displayName eq \"a\tb\"",
           R"(members eq "u1")",  // a Group attribute on Users
       }) {
    EXPECT_THROW(Users(bad), FilterError) << bad;
  }
  EXPECT_THROW(Groups(R"(userName eq "x")"), FilterError);
  EXPECT_THROW(Groups(R"(externalId eq "x")"), FilterError);
}

TEST(ScimFilter, SizeIsBounded) {
  std::string many = R"(id eq "1")";
  for (std::size_t i = 1; i < kMaxComparisons; ++i) many += R"( and id eq "1")";
  EXPECT_EQ(Users(many).size(), kMaxComparisons);
  EXPECT_THROW(Users(many + R"( and id eq "1")"), FilterError);
  EXPECT_THROW(Users("id eq \"" + std::string(kMaxFilterBytes, 'a') + "\""), FilterError);
}

TEST(ScimFilter, MemberValuePath) {
  EXPECT_EQ(ParseMemberValuePath(R"(members[value eq "u-1"])"), "u-1");
  EXPECT_EQ(ParseMemberValuePath(R"(Members[ Value EQ "u\"2" ])"), "u\"2");
  EXPECT_EQ(ParseMemberValuePath("members"), std::nullopt);
  EXPECT_EQ(ParseMemberValuePath("displayName"), std::nullopt);
  EXPECT_THROW(ParseMemberValuePath(R"(members[display eq "x"])"), FilterError);
  EXPECT_THROW(ParseMemberValuePath(R"(members[value eq "x"].display)"), FilterError);
  EXPECT_THROW(ParseMemberValuePath(R"(members[value eq x])"), FilterError);
  EXPECT_THROW(ParseMemberValuePath(R"(members[value eq "x")"), FilterError);
}

}  // namespace
}  // namespace webui::scim
