#include "protocol.hpp"

#include <charconv>

namespace webui::rag::protocol {

std::string EncodeFrame(const nlohmann::json& message) {
  // The readers emit valid UTF-8; replace anything else rather than throw.
  const std::string body = message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return std::to_string(body.size()) + "\n" + body;
}

std::optional<nlohmann::json> FrameReader::Next() {
  if (failed_) return std::nullopt;
  const std::string_view pending = std::string_view(buffer_).substr(consumed_);
  const auto newline = pending.find('\n');
  if (newline == std::string_view::npos) {
    if (pending.size() > 20) failed_ = true;  // no length has that many digits
    return std::nullopt;
  }
  std::size_t length = 0;
  const auto [end, ec] = std::from_chars(pending.data(), pending.data() + newline, length);
  if (ec != std::errc() || end != pending.data() + newline || newline == 0 || length > max_frame_) {
    failed_ = true;
    return std::nullopt;
  }
  if (pending.size() - newline - 1 < length) return std::nullopt;
  nlohmann::json message =
      nlohmann::json::parse(pending.substr(newline + 1, length), nullptr, false);
  if (message.is_discarded() || !message.is_object()) {
    failed_ = true;
    return std::nullopt;
  }
  consumed_ += newline + 1 + length;
  // Drop what was read once it is most of the buffer, so a long stream does not accumulate.
  if (consumed_ > (1u << 20) && consumed_ * 2 > buffer_.size()) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  return message;
}

}  // namespace webui::rag::protocol
