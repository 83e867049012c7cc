#include "config/settings.hpp"

#include <gtest/gtest.h>

#include "config/host_config.hpp"

namespace webui::config {
namespace {

TEST(Settings, EnvironmentWinsOverDotenv) {
  auto s = Settings::FromMap({{"PORT", "9000"}}, {{"PORT", "7000"}, {"HOST", "127.0.0.1"}});
  EXPECT_EQ(s.String("PORT", ""), "9000");
  EXPECT_EQ(s.String("HOST", ""), "127.0.0.1");
  EXPECT_EQ(s.String("MISSING", "dflt"), "dflt");
}

TEST(Settings, ParsesDotenvSyntax) {
  auto m = Settings::ParseDotenv(
      "# comment\nexport A=1\nB = 'two words'\nC=\"x#y\"\nD=plain # trailing\n\nnot a line\n");
  EXPECT_EQ(m.at("A"), "1");
  EXPECT_EQ(m.at("B"), "two words");
  EXPECT_EQ(m.at("C"), "x#y");
  EXPECT_EQ(m.at("D"), "plain");
  EXPECT_EQ(m.count("not a line"), 0u);
}

TEST(Settings, TypedAccessorsRefuseInvalidValuesNamingTheVariable) {
  auto s = Settings::FromMap({{"PORT", "80x"}, {"FLAG", "maybe"}, {"BIG", "70000"}, {"SZ", "12q"}});
  try {
    s.Int("PORT", 1, 0, 65535);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("PORT"), std::string::npos);
  }
  EXPECT_THROW(s.Bool("FLAG", false), ConfigError);
  EXPECT_THROW(s.Int("BIG", 1, 0, 65535), ConfigError);
  EXPECT_THROW(s.Bytes("SZ", 1), ConfigError);
}

TEST(Settings, BoolsAndSizes) {
  auto s =
      Settings::FromMap({{"A", "TRUE"}, {"B", "0"}, {"C", "off"}, {"K", "512k"}, {"M", "10m"}});
  EXPECT_TRUE(s.Bool("A", false));
  EXPECT_FALSE(s.Bool("B", true));
  EXPECT_FALSE(s.Bool("C", true));
  EXPECT_TRUE(s.Bool("UNSET", true));
  EXPECT_EQ(s.Bytes("K", 0), 512 * 1024);
  EXPECT_EQ(s.Bytes("M", 0), 10 * 1024 * 1024);
}

TEST(HostConfig, DefaultsAndOverrides) {
  auto d = HostConfig::FromSettings(Settings::FromMap({}), "/opt/plugins");
  EXPECT_EQ(d.port, 8080);
  EXPECT_EQ(d.host, "0.0.0.0");
  EXPECT_GE(d.http_threads, 1000);  // 1 000 keep-alive clients must not be starved
  EXPECT_EQ(d.plugin_path, std::vector<std::string>{"/opt/plugins"});
  EXPECT_EQ(d.cors_allow_origin, std::vector<std::string>{"*"});
  EXPECT_EQ(d.redis_key_prefix, "open-webui");

  auto c = HostConfig::FromSettings(Settings::FromMap({{"PORT", "9999"},
                                                       {"WEBUI_PLUGIN_PATH", "/a:/b"},
                                                       {"WEBUI_PLUGINS", "auth, chat"},
                                                       {"CORS_ALLOW_ORIGIN", "http://a;http://b"},
                                                       {"AUDIT_LOG_LEVEL", "request_response"}}),
                                    "/x");
  EXPECT_EQ(c.port, 9999);
  EXPECT_EQ(c.plugin_path, (std::vector<std::string>{"/a", "/b"}));
  EXPECT_EQ(c.plugin_allow, (std::vector<std::string>{"auth", "chat"}));
  EXPECT_EQ(c.cors_allow_origin, (std::vector<std::string>{"http://a", "http://b"}));
  EXPECT_EQ(c.audit_level, AuditLevel::kRequestResponse);
}

TEST(HostConfig, RefusesInvalidValues) {
  EXPECT_THROW(HostConfig::FromSettings(Settings::FromMap({{"AUDIT_LOG_LEVEL", "LOUD"}}), "/x"),
               ConfigError);
  EXPECT_THROW(HostConfig::FromSettings(Settings::FromMap({{"DATABASE_URL", "mysql://x"}}), "/x"),
               ConfigError);
  EXPECT_THROW(
      HostConfig::FromSettings(Settings::FromMap({{"WEBUI_PLUGINS_STRICT", "sure"}}), "/x"),
      ConfigError);
}

}  // namespace
}  // namespace webui::config
