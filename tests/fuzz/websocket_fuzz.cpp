// WebSocket frame parser (host/realtime/websocket.*) fed client bytes in arbitrary pieces.
//
// Invariants: the messages, and the failure (close code) if any, do not depend on how the bytes
// were cut; nothing is buffered beyond the message limit (plus one control frame); text messages
// are valid UTF-8; control payloads are at most 125 bytes and never fragmented; a close frame
// never carries a 1-byte payload. Unmasked frames are tried too (require_mask = false).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "realtime/websocket.hpp"

namespace {

namespace ws = webui::realtime::ws;

constexpr std::size_t kMaxMessage = 1024;  // small, so the limit is reached often

struct Outcome {
  std::vector<std::pair<ws::Opcode, std::string>> messages;
  bool failed = false;
  std::uint16_t close_code = 0;

  bool operator==(const Outcome&) const = default;
};

Outcome Parse(const std::vector<std::string_view>& pieces, bool require_mask) {
  ws::FrameParser parser(kMaxMessage, require_mask);
  Outcome out;
  for (const std::string_view piece : pieces) {
    std::vector<ws::Message> messages;
    const bool ok = parser.Feed(piece.data(), piece.size(), &messages);
    for (auto& m : messages) {
      switch (m.opcode) {
        case ws::Opcode::kText:
          FUZZ_CHECK(ws::ValidUtf8(m.payload));
          [[fallthrough]];
        case ws::Opcode::kBinary:
          FUZZ_CHECK(m.payload.size() <= kMaxMessage);
          break;
        case ws::Opcode::kClose:
          FUZZ_CHECK(m.payload.size() != 1);
          [[fallthrough]];
        case ws::Opcode::kPing:
        case ws::Opcode::kPong:
          FUZZ_CHECK(m.payload.size() <= 125);
          break;
        case ws::Opcode::kContinuation:
          FUZZ_CHECK(false);  // fragments are reassembled, never handed out
      }
      out.messages.emplace_back(m.opcode, std::move(m.payload));
    }
    FUZZ_CHECK(parser.buffered() <= kMaxMessage + 125);
    if (!ok) {
      FUZZ_CHECK(parser.close_code() != 0 && !parser.error().empty());
      out.failed = true;
      out.close_code = parser.close_code();
      // A failed parser stays failed.
      std::vector<ws::Message> more;
      FUZZ_CHECK(!parser.Feed("\x81\x80", 2, &more) && more.empty());
      break;
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = webui::fuzz::AsText(data, size);
  for (const bool require_mask : {true, false}) {
    std::optional<Outcome> first;
    for (const auto& pieces : webui::fuzz::Splits(input)) {
      Outcome outcome = Parse(pieces, require_mask);
      if (!first) {
        first = std::move(outcome);
      } else {
        FUZZ_CHECK(outcome == *first);
      }
    }
  }
  // What the server encodes, the parser (in client mode: unmasked) reads back.
  const std::string_view payload = input.substr(0, 200);
  const std::string frame = ws::EncodeFrame(ws::Opcode::kBinary, payload);
  ws::FrameParser client(1 << 20, false);
  std::vector<ws::Message> messages;
  FUZZ_CHECK(client.Feed(frame.data(), frame.size(), &messages));
  FUZZ_CHECK(messages.size() == 1 && messages[0].payload == payload);
  return 0;
}
