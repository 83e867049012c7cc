// The bounded parser every body, stored document and upstream answer goes through.
#include <webui_host/sdk/json.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

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

// Dump's own compact writer must give nlohmann's bytes for every value: random documents with
// strings of every byte (controls, quotes, invalid and valid UTF-8), numbers of every kind.
TEST(SdkJsonDump, CompactOutputIsByteIdenticalToNlohmann) {
  std::mt19937 rng(20261127);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const std::vector<std::string> fragments = {"a",
                                              "\"",
                                              "\\",
                                              "\n",
                                              "\t",
                                              "\x01",
                                              "\x1f",
                                              "\x7f",
                                              "\xc3\xa9",
                                              "\xe2\x82\xac",
                                              "\xf0\x9f\x98\x80",
                                              "\xc3",
                                              "\xff",
                                              "\xe2\x82",
                                              "\xed\xa0\x80",
                                              "/",
                                              " "};
  auto random_string = [&] {
    std::string s;
    for (int i = pick(12); i > 0; --i) {
      if (pick(3) == 0) {
        s.push_back(static_cast<char>(pick(256)));
      } else {
        s += fragments[static_cast<size_t>(pick(static_cast<int>(fragments.size())))];
      }
    }
    return s;
  };
  std::function<nlohmann::json(int)> random_value = [&](int depth) -> nlohmann::json {
    switch (pick(depth > 4 ? 7 : 9)) {
      case 0:
        return nullptr;
      case 1:
        return pick(2) == 0;
      case 2:
        return static_cast<std::int64_t>(rng()) - (std::int64_t{1} << 31) * pick(3);
      case 3:
        return std::numeric_limits<std::uint64_t>::max() - rng();
      case 4:
        return static_cast<double>(rng()) / 7.0 - 1e5;
      case 5:
      case 6:
        return random_string();
      case 7: {
        nlohmann::json a = nlohmann::json::array();
        for (int i = pick(5); i > 0; --i) a.push_back(random_value(depth + 1));
        return a;
      }
      default: {
        nlohmann::json o = nlohmann::json::object();
        for (int i = pick(5); i > 0; --i) o[random_string()] = random_value(depth + 1);
        return o;
      }
    }
  };
  for (int i = 0; i < 3000; ++i) {
    const nlohmann::json v = random_value(0);
    ASSERT_EQ(sj::Dump(v), v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
        << "document " << i;
  }
  EXPECT_EQ(sj::Dump(nlohmann::json::object()), "{}");
  EXPECT_EQ(sj::Dump(nlohmann::json::array()), "[]");
  EXPECT_EQ(sj::Dump(nlohmann::json(std::numeric_limits<std::int64_t>::min())),
            "-9223372036854775808");
  EXPECT_EQ(sj::Dump(nlohmann::json("\x01\b\f")), "\"\\u0001\\b\\f\"");
}
