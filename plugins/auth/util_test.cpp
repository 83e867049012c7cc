#include "util.hpp"

#include <gtest/gtest.h>

namespace webui::auth {
namespace {

TEST(Duration, ParsesLikeOpenWebUI) {
  EXPECT_TRUE(ParseDuration("-1").none);
  EXPECT_TRUE(ParseDuration("0").none);
  EXPECT_DOUBLE_EQ(ParseDuration("4w").seconds, 4 * 604800);
  EXPECT_DOUBLE_EQ(ParseDuration("1h30m").seconds, 5400);
  EXPECT_DOUBLE_EQ(ParseDuration("500ms").seconds, 0.5);
  EXPECT_DOUBLE_EQ(ParseDuration("1.5d").seconds, 129600);
  EXPECT_DOUBLE_EQ(ParseDuration("-5m").seconds, -300);
  EXPECT_DOUBLE_EQ(ParseDuration("2s").seconds, 2);
  EXPECT_TRUE(ParseDuration("10m").valid);
  EXPECT_FALSE(ParseDuration("soon").valid);
  EXPECT_FALSE(ParseDuration("").valid);
  EXPECT_FALSE(ParseDuration("10").valid);
}

TEST(Duration, AdminFormPattern) {
  for (const char* ok : {"-1", "0", "4w", "30m", "1.5h", "-2d", "100ms"})
    EXPECT_TRUE(IsValidJwtExpiry(ok)) << ok;
  for (const char* bad : {"", "1h30m", "w", "4 w", "4y", "abc", "--1", "1.h"})
    EXPECT_FALSE(IsValidJwtExpiry(bad)) << bad;
}

TEST(Email, MatchesOpenWebUIRegex) {
  for (const char* ok : {"a@b.c", "admin@localhost", "first.last@example.co.uk", "x@y.z@w"})
    EXPECT_TRUE(ValidEmailFormat(ok)) << ok;
  for (const char* bad : {"", "a", "@b.c", "a@b", "a@.c", "a@b.", "a@@b.c", "ab.c"})
    EXPECT_FALSE(ValidEmailFormat(bad)) << bad;
}

TEST(Body, ValidationErrorsLookLikeFastApi) {
  EXPECT_THROW(ParseBodyObject("not json"), ValidationError);
  EXPECT_THROW(ParseBodyObject("[1]"), ValidationError);
  EXPECT_THROW(ParseBodyObject(std::string(100000, '[')), ValidationError);
  const auto body = ParseBodyObject(R"({"email":"a@b.c","n":1})");
  EXPECT_EQ(RequireString(body, "email"), "a@b.c");
  try {
    RequireString(body, "password");
    FAIL();
  } catch (const ValidationError& e) {
    const auto j = nlohmann::json::parse(e.Body());
    EXPECT_EQ(j["detail"][0]["type"], "missing");
    EXPECT_EQ(j["detail"][0]["loc"], nlohmann::json::array({"body", "password"}));
  }
  EXPECT_THROW(RequireString(body, "n"), ValidationError);
  EXPECT_EQ(Lower("MiXeD@Ex.COM"), "mixed@ex.com");
}

}  // namespace
}  // namespace webui::auth
