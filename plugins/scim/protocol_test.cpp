#include "protocol.hpp"

#include <gtest/gtest.h>

namespace webui::scim {
namespace {

using nlohmann::json;

TEST(ScimProtocol, BearerCheckUsesOpenWebUiTexts) {
  EXPECT_EQ(BearerRefusal(std::nullopt, "tok"), "Authorization header required");
  EXPECT_EQ(BearerRefusal("", "tok"), "Authorization header required");
  EXPECT_EQ(BearerRefusal("tok", "tok"), "Invalid authorization format. Expected: Bearer <token>");
  EXPECT_EQ(BearerRefusal("Bearer a b", "tok"),
            "Invalid authorization format. Expected: Bearer <token>");
  EXPECT_EQ(BearerRefusal("Basic tok", "tok"), "Invalid authentication scheme");
  EXPECT_EQ(BearerRefusal("Bearer tok1", "tok"), "Invalid SCIM token");
  EXPECT_EQ(BearerRefusal("Bearer to", "tok"), "Invalid SCIM token");
  EXPECT_EQ(BearerRefusal("Bearer tok", ""), "Invalid SCIM token");  // no token configured
  EXPECT_EQ(BearerRefusal("Bearer tok", "tok"), std::nullopt);
  EXPECT_EQ(BearerRefusal("bearer   tok ", "tok"), std::nullopt);
}

TEST(ScimProtocol, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
  EXPECT_FALSE(ConstantTimeEquals(std::string("a\0", 2), "a"));
}

TEST(ScimProtocol, PagingIsOneBasedAndClamped) {
  auto p = ParsePaging(std::nullopt, std::nullopt);
  EXPECT_EQ(p.start_index, 1);
  EXPECT_EQ(p.count, kDefaultCount);
  p = ParsePaging("0", "1000");
  EXPECT_EQ(p.start_index, 1);
  EXPECT_EQ(p.count, kMaxCount);
  p = ParsePaging("-5", "-1");
  EXPECT_EQ(p.start_index, 1);
  EXPECT_EQ(p.count, 0);
  p = ParsePaging("99999999999999999999999", "3");
  EXPECT_EQ(p.start_index, INT64_MAX);
  EXPECT_EQ(p.count, 3);
  for (const char* bad : {"x", "1.5", "1e3", "2x"}) {
    EXPECT_THROW(ParsePaging(bad, std::nullopt), ScimError) << bad;
    EXPECT_THROW(ParsePaging(std::nullopt, bad), ScimError) << bad;
  }
}

TEST(ScimProtocol, BooleansAcceptEntraStrings) {
  EXPECT_TRUE(ParseBool(true, "active"));
  EXPECT_FALSE(ParseBool(false, "active"));
  EXPECT_TRUE(ParseBool("True", "active"));
  EXPECT_FALSE(ParseBool("False", "active"));
  EXPECT_FALSE(ParseBool("FALSE", "active"));
  for (const json& bad : {json("no"), json(0), json(1), json(nullptr), json::object()}) {
    try {
      ParseBool(bad, "active");
      ADD_FAILURE() << bad;
    } catch (const ScimError& e) {
      EXPECT_EQ(e.status(), 400);
      EXPECT_EQ(e.scim_type(), "invalidValue");
    }
  }
}

TEST(ScimProtocol, ErrorBodyHasStringStatus) {
  EXPECT_EQ(ErrorBody(409, "uniqueness", "taken"), json({{"schemas", {kErrorSchema}},
                                                         {"status", "409"},
                                                         {"scimType", "uniqueness"},
                                                         {"detail", "taken"}}));
  EXPECT_FALSE(ErrorBody(401, "", "x").contains("scimType"));
}

TEST(ScimProtocol, Projection) {
  const json user = {{"schemas", {kUserSchema}}, {"id", "1"},
                     {"userName", "a"},          {"name", json::object()},
                     {"groups", json::array()},  {"meta", json::object()}};
  json excluded = user;
  Projection{std::nullopt, "groups"}.Apply(excluded);
  EXPECT_FALSE(excluded.contains("groups"));
  EXPECT_TRUE(excluded.contains("userName"));
  json only = user;
  Projection{"urn:ietf:params:scim:schemas:core:2.0:User:userName, name.givenName", std::nullopt}
      .Apply(only);
  EXPECT_EQ(
      only,
      json({{"schemas", {kUserSchema}}, {"id", "1"}, {"userName", "a"}, {"name", json::object()}}));
  json never = user;
  Projection{std::nullopt, "id,schemas,META"}.Apply(never);
  EXPECT_TRUE(never.contains("id"));
  EXPECT_TRUE(never.contains("schemas"));
  EXPECT_FALSE(never.contains("meta"));
}

}  // namespace
}  // namespace webui::scim
