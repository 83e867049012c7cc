#include "realtime/socketio.hpp"

#include <gtest/gtest.h>

namespace webui::realtime::sio {
namespace {

TEST(SocketIoTest, DecodesConnectWithAuth) {
  auto p = Decode("0{\"token\":\"abc\"}");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->type, PacketType::kConnect);
  EXPECT_EQ(p->nsp, "/");
  EXPECT_EQ(p->data["token"], "abc");
  p = Decode("0");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->data.is_null());
  p = Decode("0/admin,{\"token\":\"x\"}");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->nsp, "/admin");
  EXPECT_FALSE(Decode("0[1]"));  // CONNECT payload must be an object
}

TEST(SocketIoTest, DecodesEventsWithAndWithoutAck) {
  auto p = Decode("2[\"usage\",{\"model\":\"m\"}]");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->type, PacketType::kEvent);
  EXPECT_FALSE(p->id);
  EXPECT_EQ(p->data[0], "usage");
  p = Decode("212[\"user-join\",{\"auth\":{\"token\":\"t\"}}]");
  ASSERT_TRUE(p);
  ASSERT_TRUE(p->id);
  EXPECT_EQ(*p->id, 12u);
  EXPECT_EQ(p->data[1]["auth"]["token"], "t");
  p = Decode("2/chat,7[\"x\"]");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->nsp, "/chat");
  EXPECT_EQ(*p->id, 7u);
}

TEST(SocketIoTest, RefusesMalformedPackets) {
  EXPECT_FALSE(Decode(""));
  EXPECT_FALSE(Decode("9"));
  EXPECT_FALSE(Decode("2"));                         // event without payload
  EXPECT_FALSE(Decode("2[]"));                       // no event name
  EXPECT_FALSE(Decode("2{\"a\":1}"));                // not an array
  EXPECT_FALSE(Decode("2[\"disconnect\"]"));         // reserved name
  EXPECT_FALSE(Decode("2[\"a\""));                   // bad JSON
  EXPECT_FALSE(Decode("21234567890123456[\"a\"]"));  // ack id too large
  EXPECT_FALSE(Decode("1{}"));                       // DISCONNECT carries nothing
  EXPECT_FALSE(Decode("5[\"a\"]"));                  // binary without attachment count
}

TEST(SocketIoTest, DecodesBinaryHeaderAndAck) {
  auto p = Decode("51-[\"upload\",{\"_placeholder\":true,\"num\":0}]");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->type, PacketType::kBinaryEvent);
  EXPECT_EQ(p->attachments, 1);
  p = Decode("35[\"ok\"]");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->type, PacketType::kAck);
  EXPECT_EQ(*p->id, 5u);
}

TEST(SocketIoTest, EncodesPackets) {
  Packet c;
  c.type = PacketType::kConnect;
  c.data = {{"sid", "abc"}};
  EXPECT_EQ(Encode(c), "0{\"sid\":\"abc\"}");
  Packet e;
  e.type = PacketType::kConnectError;
  e.nsp = "/x";
  e.data = {{"message", "Invalid namespace"}};
  EXPECT_EQ(Encode(e), "4/x,{\"message\":\"Invalid namespace\"}");
  Packet a;
  a.type = PacketType::kAck;
  a.id = 3;
  a.data = nlohmann::json::array({1});
  EXPECT_EQ(Encode(a), "33[1]");
  Packet d;
  d.type = PacketType::kDisconnect;
  EXPECT_EQ(Encode(d), "1");
}

TEST(SocketIoTest, EncodesEventsFromRawJson) {
  EXPECT_EQ(EncodeEvent("chat-events", "{\"a\":1}"), "2[\"chat-events\",{\"a\":1}]");
  EXPECT_EQ(EncodeEvent("ping", ""), "2[\"ping\"]");
  EXPECT_EQ(EncodeEvent("quo\"te", "1"), "2[\"quo\\\"te\",1]");
  auto back = Decode(EncodeEvent("x", "[1,2]"));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->data[1][1], 2);
}

}  // namespace
}  // namespace webui::realtime::sio
