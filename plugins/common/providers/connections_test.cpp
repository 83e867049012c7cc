#include "providers/connections.hpp"

#include <gtest/gtest.h>

namespace webui::providers {
namespace {

TEST(Connections, ConfigLookupByIndexThenLegacyUrl) {
  Connections c;
  c.urls = {"http://a", "http://b/"};
  c.configs = {{"http://b/", {{"enable", false}}}, {"0", {{"prefix_id", "p"}}}};
  EXPECT_EQ(c.ConfigOf(0)["prefix_id"], "p");
  EXPECT_TRUE(c.Enabled(0));
  EXPECT_FALSE(c.Enabled(1));
  EXPECT_EQ(c.Url(1), "http://b");
}

TEST(Connections, TimeoutsParseLikeUpstream) {
  EXPECT_EQ(TimeoutSeconds(std::nullopt, 10, 10), 10);
  EXPECT_EQ(TimeoutSeconds(std::string(""), 10, 10), std::nullopt);
  EXPECT_EQ(TimeoutSeconds(std::string(" 3 "), 10, 10), 3);
  EXPECT_EQ(TimeoutSeconds(std::string("soon"), std::nullopt, 300), 300);
}

TEST(Connections, PrefixIsStrippedOnlyAtTheFront) {
  json cfg = {{"prefix_id", "up"}};
  EXPECT_EQ(StripPrefix("up.gpt", cfg), "gpt");
  EXPECT_EQ(StripPrefix("gpt.up.x", cfg), "gpt.up.x");
  EXPECT_EQ(StripPrefix("gpt", json::object()), "gpt");
}

}  // namespace
}  // namespace webui::providers
