#include "realtime/websocket.hpp"

#include <sstream>

#include <Poco/Base64Encoder.h>
#include <Poco/SHA1Engine.h>

namespace webui::realtime::ws {
namespace {

constexpr const char* kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

bool IsControl(Opcode op) { return static_cast<std::uint8_t>(op) >= 0x8; }

bool KnownOpcode(std::uint8_t op) {
  return op == 0x0 || op == 0x1 || op == 0x2 || op == 0x8 || op == 0x9 || op == 0xA;
}

// Header size once its first two bytes are known.
std::size_t HeaderSize(const unsigned char* h) {
  std::size_t n = 2;
  const unsigned len7 = h[1] & 0x7F;
  if (len7 == 126) n += 2;
  if (len7 == 127) n += 8;
  if (h[1] & 0x80) n += 4;
  return n;
}

}  // namespace

std::string AcceptKey(std::string_view client_key) {
  Poco::SHA1Engine sha1;
  sha1.update(client_key.data(), static_cast<unsigned>(client_key.size()));
  sha1.update(kGuid);
  const Poco::DigestEngine::Digest& digest = sha1.digest();
  std::ostringstream out;
  Poco::Base64Encoder b64(out);
  b64.write(reinterpret_cast<const char*>(digest.data()),
            static_cast<std::streamsize>(digest.size()));
  b64.close();
  return out.str();
}

bool FrameParser::Fail(std::uint16_t code, std::string why) {
  failed_ = true;
  close_code_ = code;
  error_ = std::move(why);
  message_.clear();
  message_.shrink_to_fit();
  control_.clear();
  return false;
}

bool FrameParser::Feed(const char* data, std::size_t len, std::vector<Message>* out) {
  if (failed_) return false;
  std::size_t i = 0;
  while (i < len || (in_payload_ && remaining_ == 0)) {
    if (!in_payload_) {
      while (i < len && (header_len_ < 2 || header_len_ < HeaderSize(header_)))
        header_[header_len_++] = static_cast<unsigned char>(data[i++]);
      if (header_len_ < 2 || header_len_ < HeaderSize(header_)) break;  // need more bytes
      if (!HeaderComplete(out)) return false;
      continue;
    }
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, len - i));
    std::string& dest = IsControl(opcode_) ? control_ : message_;
    const std::size_t start = dest.size();
    dest.append(data + i, n);
    if (masked_) {
      for (std::size_t k = start; k < dest.size(); ++k)
        dest[k] ^= static_cast<char>(mask_[mask_pos_++ & 3]);
    }
    i += n;
    remaining_ -= n;
    if (remaining_ == 0 && !FinishFrame(out)) return false;
  }
  return true;
}

bool FrameParser::HeaderComplete(std::vector<Message>* out) {
  const unsigned char b0 = header_[0], b1 = header_[1];
  fin_ = (b0 & 0x80) != 0;
  if (b0 & 0x70) return Fail(kCloseProtocolError, "reserved bits set without an extension");
  if (!KnownOpcode(b0 & 0x0F)) return Fail(kCloseProtocolError, "unknown opcode");
  opcode_ = static_cast<Opcode>(b0 & 0x0F);
  masked_ = (b1 & 0x80) != 0;
  if (require_mask_ && !masked_) return Fail(kCloseProtocolError, "client frame not masked");
  std::uint64_t length = b1 & 0x7F;
  std::size_t pos = 2;
  if (length == 126) {
    length = (std::uint64_t{header_[2]} << 8) | header_[3];
    pos = 4;
  } else if (length == 127) {
    length = 0;
    for (int k = 0; k < 8; ++k) length = (length << 8) | header_[2 + k];
    if (length >> 63) return Fail(kCloseProtocolError, "frame length out of range");
    pos = 10;
  }
  if (masked_) {
    for (int k = 0; k < 4; ++k) mask_[k] = header_[pos + k];
  }
  mask_pos_ = 0;
  header_len_ = 0;

  if (IsControl(opcode_)) {
    if (!fin_) return Fail(kCloseProtocolError, "fragmented control frame");
    if (length > 125) return Fail(kCloseProtocolError, "control frame too long");
    control_.clear();
  } else {
    if (opcode_ == Opcode::kContinuation) {
      if (!in_message_) return Fail(kCloseProtocolError, "continuation without a message");
    } else if (in_message_) {
      return Fail(kCloseProtocolError, "new message inside a fragmented one");
    }
    // The limit is checked against what the header announces, before any payload is kept.
    const std::uint64_t held = in_message_ ? message_.size() : 0;
    if (length > max_message_ || held + length > max_message_)
      return Fail(kCloseTooBig, "message larger than " + std::to_string(max_message_) + " bytes");
    if (opcode_ != Opcode::kContinuation) {
      in_message_ = true;
      message_opcode_ = opcode_;
      message_.clear();
    }
  }
  remaining_ = length;
  in_payload_ = true;
  if (remaining_ == 0) return FinishFrame(out);
  return true;
}

bool FrameParser::FinishFrame(std::vector<Message>* out) {
  in_payload_ = false;
  if (IsControl(opcode_)) {
    if (opcode_ == Opcode::kClose && control_.size() == 1)
      return Fail(kCloseProtocolError, "close frame with a 1-byte payload");
    out->push_back(Message{opcode_, std::move(control_)});
    control_.clear();
    return true;
  }
  if (!fin_) return true;
  if (message_opcode_ == Opcode::kText && !ValidUtf8(message_))
    return Fail(kCloseInvalidData, "text message is not valid UTF-8");
  out->push_back(Message{message_opcode_, std::move(message_)});
  message_ = std::string();
  in_message_ = false;
  return true;
}

std::string EncodeFrame(Opcode opcode, std::string_view payload) {
  std::string frame;
  const std::size_t n = payload.size();
  frame.reserve(n + 10);
  frame.push_back(static_cast<char>(0x80 | static_cast<std::uint8_t>(opcode)));
  if (n < 126) {
    frame.push_back(static_cast<char>(n));
  } else if (n <= 0xFFFF) {
    frame.push_back(static_cast<char>(126));
    frame.push_back(static_cast<char>((n >> 8) & 0xFF));
    frame.push_back(static_cast<char>(n & 0xFF));
  } else {
    frame.push_back(static_cast<char>(127));
    for (int shift = 56; shift >= 0; shift -= 8)
      frame.push_back(static_cast<char>((static_cast<std::uint64_t>(n) >> shift) & 0xFF));
  }
  frame.append(payload);
  return frame;
}

std::string EncodeClose(std::uint16_t code, std::string_view reason) {
  std::string payload;
  payload.push_back(static_cast<char>((code >> 8) & 0xFF));
  payload.push_back(static_cast<char>(code & 0xFF));
  payload.append(reason.substr(0, 123));
  return EncodeFrame(Opcode::kClose, payload);
}

bool ValidUtf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t extra;
    std::uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= n) return false;  // truncated sequence
    for (std::size_t k = 1; k <= extra; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000))
      return false;  // overlong
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

}  // namespace webui::realtime::ws
