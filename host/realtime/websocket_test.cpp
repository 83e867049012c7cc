#include "realtime/websocket.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace webui::realtime::ws {
namespace {

// A client frame: masked with `key`, optionally not final.
std::string ClientFrame(Opcode op, std::string_view payload, bool fin = true,
                        const unsigned char key[4] = nullptr, bool mask = true) {
  static const unsigned char kDefaultKey[4] = {0x37, 0xfa, 0x21, 0x3d};
  if (key == nullptr) key = kDefaultKey;
  std::string f;
  f.push_back(static_cast<char>((fin ? 0x80 : 0) | static_cast<int>(op)));
  const std::size_t n = payload.size();
  const char m = mask ? static_cast<char>(0x80) : 0;
  if (n < 126) {
    f.push_back(static_cast<char>(m | static_cast<char>(n)));
  } else if (n <= 0xFFFF) {
    f.push_back(static_cast<char>(m | 126));
    f.push_back(static_cast<char>(n >> 8));
    f.push_back(static_cast<char>(n & 0xFF));
  } else {
    f.push_back(static_cast<char>(m | 127));
    for (int s = 56; s >= 0; s -= 8) f.push_back(static_cast<char>((std::uint64_t{n} >> s) & 0xFF));
  }
  if (mask) {
    for (int i = 0; i < 4; ++i) f.push_back(static_cast<char>(key[i]));
    for (std::size_t i = 0; i < n; ++i) f.push_back(static_cast<char>(payload[i] ^ key[i % 4]));
  } else {
    f.append(payload);
  }
  return f;
}

TEST(WebSocketTest, AcceptKeyMatchesRfcExample) {
  // RFC 6455 section 1.3.
  EXPECT_EQ(AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WebSocketTest, ParsesMaskedTextFrame) {
  FrameParser p(1000);
  std::vector<Message> out;
  const std::string f = ClientFrame(Opcode::kText, "42[\"hello\"]");
  ASSERT_TRUE(p.Feed(f.data(), f.size(), &out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].opcode, Opcode::kText);
  EXPECT_EQ(out[0].payload, "42[\"hello\"]");
}

TEST(WebSocketTest, ParsesByteByByte) {
  FrameParser p(100000);
  std::vector<Message> out;
  const std::string payload(300, 'x');  // 16-bit length form
  const std::string f = ClientFrame(Opcode::kText, payload) + ClientFrame(Opcode::kText, "2");
  for (char c : f) ASSERT_TRUE(p.Feed(&c, 1, &out));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].payload, payload);
  EXPECT_EQ(out[1].payload, "2");
  EXPECT_EQ(p.buffered(), 0u);
}

TEST(WebSocketTest, ReassemblesFragmentsWithInterleavedControlFrames) {
  FrameParser p(1000);
  std::vector<Message> out;
  const std::string f = ClientFrame(Opcode::kText, "42[\"a", false) +
                        ClientFrame(Opcode::kPing, "p") +
                        ClientFrame(Opcode::kContinuation, "bc\",", false) +
                        ClientFrame(Opcode::kContinuation, "1]", true);
  ASSERT_TRUE(p.Feed(f.data(), f.size(), &out));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].opcode, Opcode::kPing);
  EXPECT_EQ(out[0].payload, "p");
  EXPECT_EQ(out[1].opcode, Opcode::kText);
  EXPECT_EQ(out[1].payload, "42[\"abc\",1]");
}

TEST(WebSocketTest, RefusesUnmaskedClientFrames) {
  FrameParser p(1000);
  std::vector<Message> out;
  const std::string f = ClientFrame(Opcode::kText, "hi", true, nullptr, false);
  EXPECT_FALSE(p.Feed(f.data(), f.size(), &out));
  EXPECT_EQ(p.close_code(), kCloseProtocolError);
  EXPECT_TRUE(out.empty());
}

TEST(WebSocketTest, RefusesOversizedFrameFromItsHeaderAlone) {
  FrameParser p(1000);
  std::vector<Message> out;
  // A header announcing 2^40 bytes, and no payload: refused before anything is buffered.
  std::string h;
  h.push_back(static_cast<char>(0x81));
  h.push_back(static_cast<char>(0x80 | 127));
  for (int s = 56; s >= 0; s -= 8) h.push_back(static_cast<char>((std::uint64_t{1} << 40) >> s));
  h.append("\x01\x02\x03\x04", 4);
  EXPECT_FALSE(p.Feed(h.data(), h.size(), &out));
  EXPECT_EQ(p.close_code(), kCloseTooBig);
  EXPECT_EQ(p.buffered(), 0u);
}

TEST(WebSocketTest, RefusesFragmentsAddingUpPastTheLimit) {
  FrameParser p(10);
  std::vector<Message> out;
  const std::string a = ClientFrame(Opcode::kText, "123456", false);
  const std::string b = ClientFrame(Opcode::kContinuation, "789012", true);
  ASSERT_TRUE(p.Feed(a.data(), a.size(), &out));
  EXPECT_FALSE(p.Feed(b.data(), b.size(), &out));
  EXPECT_EQ(p.close_code(), kCloseTooBig);
  EXPECT_TRUE(out.empty());
}

TEST(WebSocketTest, RefusesProtocolViolations) {
  struct Case {
    const char* name;
    std::string bytes;
  };
  std::string rsv = ClientFrame(Opcode::kText, "x");
  rsv[0] = static_cast<char>(rsv[0] | 0x40);
  std::string bad_op = ClientFrame(Opcode::kText, "x");
  bad_op[0] = static_cast<char>(0x83);
  const std::vector<Case> cases = {
      {"reserved bit", rsv},
      {"unknown opcode", bad_op},
      {"continuation first", ClientFrame(Opcode::kContinuation, "x")},
      {"fragmented control", ClientFrame(Opcode::kPing, "x", false)},
      {"long control", ClientFrame(Opcode::kPing, std::string(126, 'x'))},
      {"new message inside fragmented",
       ClientFrame(Opcode::kText, "a", false) + ClientFrame(Opcode::kText, "b")},
      {"one-byte close", ClientFrame(Opcode::kClose, "x")},
  };
  for (const auto& c : cases) {
    FrameParser p(1000);
    std::vector<Message> out;
    EXPECT_FALSE(p.Feed(c.bytes.data(), c.bytes.size(), &out)) << c.name;
    EXPECT_EQ(p.close_code(), kCloseProtocolError) << c.name;
  }
}

TEST(WebSocketTest, RefusesInvalidUtf8Text) {
  FrameParser p(1000);
  std::vector<Message> out;
  const std::string f = ClientFrame(Opcode::kText, "\xc3\x28");
  EXPECT_FALSE(p.Feed(f.data(), f.size(), &out));
  EXPECT_EQ(p.close_code(), kCloseInvalidData);
  // Binary data is not checked.
  FrameParser q(1000);
  const std::string g = ClientFrame(Opcode::kBinary, "\xc3\x28");
  EXPECT_TRUE(q.Feed(g.data(), g.size(), &out));
}

TEST(WebSocketTest, Utf8Validation) {
  EXPECT_TRUE(ValidUtf8("plain"));
  EXPECT_TRUE(ValidUtf8("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(ValidUtf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(ValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(ValidUtf8("\xf4\x90\x80\x80"));  // beyond U+10FFFF
  EXPECT_FALSE(ValidUtf8("\xe2\x82"));          // truncated
  EXPECT_FALSE(ValidUtf8("\xff"));
}

TEST(WebSocketTest, EncodesServerFramesUnmasked) {
  EXPECT_EQ(EncodeFrame(Opcode::kText, "3probe"), std::string("\x81\x06", 2) + "3probe");
  const std::string mid = EncodeFrame(Opcode::kText, std::string(300, 'a'));
  EXPECT_EQ(static_cast<unsigned char>(mid[1]), 126);
  EXPECT_EQ(mid.size(), 4u + 300u);
  const std::string big = EncodeFrame(Opcode::kBinary, std::string(70000, 'a'));
  EXPECT_EQ(static_cast<unsigned char>(big[1]), 127);
  EXPECT_EQ(big.size(), 10u + 70000u);
  // Round trip through a parser that accepts unmasked frames.
  FrameParser p(100000, false);
  std::vector<Message> out;
  ASSERT_TRUE(p.Feed(big.data(), big.size(), &out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].payload.size(), 70000u);
  const std::string close = EncodeClose(kCloseTooBig, "too big");
  EXPECT_EQ(close.substr(0, 4), std::string("\x88\x09\x03\xf1", 4));
}

}  // namespace
}  // namespace webui::realtime::ws
