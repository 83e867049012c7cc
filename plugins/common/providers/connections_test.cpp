#include "providers/connections.hpp"

#include <stdexcept>

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

TEST(Connections, KeysLiveInTheListOrInTheConfig) {
  Connections listed;
  listed.urls = {"http://a", "http://b"};
  listed.keys = {"sk-a"};
  listed.configs = {{"1", {{"key", "ignored"}}}};
  listed.Normalize();
  EXPECT_EQ(listed.Key(0), "sk-a");
  EXPECT_EQ(listed.Key(1), "");

  Connections configured = listed;
  configured.keys_in_config = true;
  EXPECT_EQ(configured.Key(0), "");
  EXPECT_EQ(configured.Key(1), "ignored");
}

TEST(Connections, UpdateAndAnswerUseTheRoutersFieldNames) {
  const ConnectionFields without_keys{"ENABLE_X", "X_URLS", nullptr, "X_CONFIGS"};
  const json body = {{"X_URLS", {"http://a"}}, {"X_CONFIGS", {{"0", {{"key", "k"}}}}}};
  const Connections c = ConnectionsFromUpdate(body, false, without_keys);
  EXPECT_FALSE(c.enable);  // kept when the body does not say
  EXPECT_TRUE(c.keys_in_config);
  EXPECT_EQ(c.Key(0), "k");
  EXPECT_EQ(
      ConnectionsToJson(c, without_keys),
      json({{"ENABLE_X", false}, {"X_URLS", {"http://a"}}, {"X_CONFIGS", body["X_CONFIGS"]}}));
  try {
    ConnectionsFromUpdate(json{{"ENABLE_X", "yes"}}, true, without_keys);
    FAIL() << "a non-boolean switch must be refused";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "ENABLE_X must be a boolean");
  }
}

}  // namespace
}  // namespace webui::providers
