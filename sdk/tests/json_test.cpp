// The bounded parser every body, stored document and upstream answer goes through.
#include <webui_host/sdk/json.hpp>

#include <gtest/gtest.h>

#include <string>

namespace {

namespace sj = webui::sdk::json;

std::string Nested(std::size_t depth, const char* inner = "1") {
  return std::string(depth, '[') + inner + std::string(depth, ']');
}

TEST(SdkJsonNestingDepth, CountsArraysAndObjects) {
  EXPECT_EQ(sj::NestingDepth(""), 0u);
  EXPECT_EQ(sj::NestingDepth("42"), 0u);
  EXPECT_EQ(sj::NestingDepth("[]"), 1u);
  EXPECT_EQ(sj::NestingDepth(R"({"a":[{"b":[]}],"c":{}})"), 4u);
  EXPECT_EQ(sj::NestingDepth("[[],[[]],[]]"), 3u);
  EXPECT_EQ(sj::NestingDepth(Nested(1000)), 1000u);
}

TEST(SdkJsonNestingDepth, IgnoresBracketsInsideStrings) {
  EXPECT_EQ(sj::NestingDepth(R"(["[[[{{{"])"), 1u);
  // An escaped quote does not end the string; an escaped backslash does not escape the quote.
  EXPECT_EQ(sj::NestingDepth(R"(["\"[[[", "\\", [1]])"), 2u);
  EXPECT_EQ(sj::NestingDepth(R"(["\\\"[[", "]"])"), 1u);
}

TEST(SdkJsonNestingDepth, StopsAfterTheLimit) {
  EXPECT_EQ(sj::NestingDepth(Nested(100000), 128), 129u);
  EXPECT_EQ(sj::NestingDepth(Nested(128), 128), 128u);
  EXPECT_EQ(sj::NestingDepth(std::string(10, '['), 0), 1u);
  // Unbalanced closers never wrap the counter.
  EXPECT_EQ(sj::NestingDepth("]]]]]][", 5), 1u);
}

TEST(SdkJsonParse, AcceptsValidJsonWithinLimits) {
  const auto v = sj::Parse(R"({"messages":[{"role":"user","content":"hi [ {"}],"n":1.5})");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ((*v)["messages"][0]["content"], "hi [ {");
  EXPECT_EQ((*v)["n"], 1.5);
  ASSERT_TRUE(sj::Parse("null").has_value());
  EXPECT_TRUE(sj::Parse("null")->is_null());
  EXPECT_TRUE(sj::Parse(Nested(128)).has_value());
}

TEST(SdkJsonParse, RefusesInvalidJson) {
  EXPECT_FALSE(sj::Parse(""));
  EXPECT_FALSE(sj::Parse("{"));
  EXPECT_FALSE(sj::Parse("[1,]"));
  EXPECT_FALSE(sj::Parse("{'a':1}"));
  EXPECT_FALSE(sj::Parse("[1] [2]"));
  EXPECT_FALSE(sj::Parse("[\"\xff\"]"));  // invalid UTF-8
  EXPECT_FALSE(sj::Parse("// c\n1"));     // no comments
}

TEST(SdkJsonParse, RefusesNestingDeeperThanTheLimit) {
  EXPECT_FALSE(sj::Parse(Nested(129)));
  EXPECT_FALSE(sj::Parse(Nested(3000)));
  EXPECT_FALSE(sj::Parse(Nested(1000000)));
  EXPECT_FALSE(sj::Parse(std::string(1000000, '[')));
  EXPECT_FALSE(sj::Parse(Nested(21), sj::Limits{20, 1024}));
  EXPECT_TRUE(sj::Parse(Nested(20), sj::Limits{20, 1024}));
  // Brackets in strings do not count against the limit.
  EXPECT_TRUE(sj::Parse("[\"" + std::string(10000, '[') + "\"]"));
}

TEST(SdkJsonParse, RefusesTextLargerThanTheLimit) {
  const std::string text = "[\"" + std::string(100, 'x') + "\"]";
  EXPECT_TRUE(sj::Parse(text, sj::Limits{128, text.size()}));
  EXPECT_FALSE(sj::Parse(text, sj::Limits{128, text.size() - 1}));
}

TEST(SdkJsonDump, ReplacesInvalidUtf8) {
  nlohmann::json v = {{"a", std::string("x\xff")}};
  EXPECT_EQ(sj::Dump(v), "{\"a\":\"x\xEF\xBF\xBD\"}");
  EXPECT_EQ(sj::Dump(nlohmann::json::array({1, 2}), 1), "[\n 1,\n 2\n]");
}

}  // namespace
