// RFC 6455 pieces the Socket.IO server needs: the handshake key, an incremental frame parser that
// enforces limits before buffering, and server frame encoding (servers never mask).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace webui::realtime::ws {

enum class Opcode : std::uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

// Close codes we send.
inline constexpr std::uint16_t kCloseNormal = 1000;
inline constexpr std::uint16_t kCloseGoingAway = 1001;
inline constexpr std::uint16_t kCloseProtocolError = 1002;
inline constexpr std::uint16_t kCloseInvalidData = 1007;
inline constexpr std::uint16_t kCloseTooBig = 1009;

// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key.
std::string AcceptKey(std::string_view client_key);

// A whole message: data messages are reassembled from their fragments; control frames come as
// they are (they may arrive between fragments).
struct Message {
  Opcode opcode;
  std::string payload;
};

class FrameParser {
 public:
  // `max_message`: largest reassembled data message accepted; a frame header announcing more
  // fails before any of its payload is buffered.
  explicit FrameParser(std::size_t max_message, bool require_mask = true)
      : max_message_(max_message), require_mask_(require_mask) {}

  // Consumes `len` bytes and appends completed messages to `out`. False on a protocol violation:
  // close_code() and error() say why, and the connection must be closed.
  bool Feed(const char* data, std::size_t len, std::vector<Message>* out);

  std::uint16_t close_code() const { return close_code_; }
  const std::string& error() const { return error_; }
  // Bytes held for an unfinished message (for memory accounting and tests).
  std::size_t buffered() const { return message_.size() + control_.size(); }

 private:
  bool Fail(std::uint16_t code, std::string why);
  bool HeaderComplete(std::vector<Message>* out);
  bool FinishFrame(std::vector<Message>* out);

  std::size_t max_message_;
  bool require_mask_;
  // Header being read (at most 14 bytes).
  unsigned char header_[14];
  std::size_t header_len_ = 0;
  bool in_payload_ = false;
  // The frame being read.
  bool fin_ = false;
  Opcode opcode_ = Opcode::kContinuation;
  std::uint64_t remaining_ = 0;
  unsigned char mask_[4] = {0, 0, 0, 0};
  bool masked_ = false;
  std::size_t mask_pos_ = 0;
  // The data message being reassembled, and a control frame's payload.
  bool in_message_ = false;
  Opcode message_opcode_ = Opcode::kText;
  std::string message_;
  std::string control_;
  std::uint16_t close_code_ = 0;
  std::string error_;
  bool failed_ = false;
};

// One unfragmented, unmasked server frame.
std::string EncodeFrame(Opcode opcode, std::string_view payload);
// A close frame with a status code and a short reason.
std::string EncodeClose(std::uint16_t code, std::string_view reason = {});
// True when `text` is well-formed UTF-8 (RFC 6455 requires it of text messages).
bool ValidUtf8(std::string_view text);

}  // namespace webui::realtime::ws
