#include "realtime/engineio.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>

namespace webui::realtime::eio {
namespace {

TEST(EngineIoTest, DecodesPackets) {
  auto p = Decode("2probe");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->type, PacketType::kPing);
  EXPECT_EQ(p->data, "probe");
  p = Decode("40{\"token\":\"x\"}");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->type, PacketType::kMessage);
  EXPECT_EQ(p->data, "0{\"token\":\"x\"}");
  p = Decode("bAQID");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->binary);
  EXPECT_FALSE(Decode(""));
  EXPECT_FALSE(Decode("7"));
  EXPECT_FALSE(Decode("x"));
}

TEST(EngineIoTest, PayloadSplitsAndJoinsOnRecordSeparator) {
  const std::string body = JoinPayload({"3", "42[\"a\"]", "6"});
  EXPECT_EQ(body,
            "3\x1e"
            "42[\"a\"]\x1e"
            "6");
  auto parts = SplitPayload(body);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0], "3");
  EXPECT_EQ(parts[1], "42[\"a\"]");
  EXPECT_EQ(parts[2], "6");
  EXPECT_EQ(SplitPayload("40").size(), 1u);
  // An empty part survives splitting, so the packet decoder rejects it.
  EXPECT_EQ(SplitPayload("3\x1e").size(), 2u);
}

TEST(EngineIoTest, OpenPacketCarriesTheHandshake) {
  const std::string open = OpenPacket("abc", true, std::chrono::milliseconds(25000),
                                      std::chrono::milliseconds(20000), 1000000);
  ASSERT_EQ(open[0], '0');
  auto j = nlohmann::json::parse(open.substr(1));
  EXPECT_EQ(j["sid"], "abc");
  EXPECT_EQ(j["upgrades"], nlohmann::json::array({"websocket"}));
  EXPECT_EQ(j["pingInterval"], 25000);
  EXPECT_EQ(j["pingTimeout"], 20000);
  EXPECT_EQ(j["maxPayload"], 1000000);
  auto k = nlohmann::json::parse(
      OpenPacket("abc", false, std::chrono::milliseconds(1), std::chrono::milliseconds(1), 5)
          .substr(1));
  EXPECT_TRUE(k["upgrades"].empty());
}

TEST(EngineIoTest, ErrorJson) {
  auto j = nlohmann::json::parse(ErrorJson(ErrorCode::kSessionIdUnknown));
  EXPECT_EQ(j["code"], 1);
  EXPECT_EQ(j["message"], "Session ID unknown");
  j = nlohmann::json::parse(ErrorJson(ErrorCode::kTransportUnknown));
  EXPECT_EQ(j["code"], 0);
  EXPECT_EQ(j["message"], "Transport unknown");
}

TEST(EngineIoTest, SidsAreUrlSafeAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string sid = NewSid();
    ASSERT_EQ(sid.size(), 20u);
    for (char c : sid)
      ASSERT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_');
    seen.insert(sid);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

}  // namespace
}  // namespace webui::realtime::eio
