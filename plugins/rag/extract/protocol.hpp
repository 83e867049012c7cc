// What webui-rag-extract writes on its stdout: frames of "<decimal length>\n<JSON object>", one
// {"document": {"text", "metadata"}} per document, then exactly one {"done": true} or
// {"error": "<text for the user>"}. No final frame means the child died.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace webui::rag::protocol {

std::string EncodeFrame(const nlohmann::json& message);

// Reads frames from a growing buffer.
class FrameReader {
 public:
  explicit FrameReader(std::size_t max_frame) : max_frame_(max_frame) {}

  void Append(std::string_view bytes) { buffer_.append(bytes); }

  // The next complete frame, or nullopt when more bytes are needed. Sets failed() on a malformed
  // or oversized frame.
  std::optional<nlohmann::json> Next();

  bool failed() const { return failed_; }
  bool empty() const { return consumed_ == buffer_.size(); }

 private:
  std::size_t max_frame_;
  std::string buffer_;
  std::size_t consumed_ = 0;
  bool failed_ = false;
};

}  // namespace webui::rag::protocol
