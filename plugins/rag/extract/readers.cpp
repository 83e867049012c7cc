#include "readers.hpp"

#include "utf8.hpp"

namespace webui::rag {

std::string SizeText(std::size_t bytes) {
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MB";
  if (bytes >= (1u << 10) && bytes % (1u << 10) == 0) return std::to_string(bytes >> 10) + " KB";
  return std::to_string(bytes) + " bytes";
}

std::string TextLimitError(const ExtractLimits& limits) {
  return "the extracted text exceeds " + SizeText(limits.text_bytes);
}

Extracted ReadTextOrHtml(std::string_view bytes, Kind kind, const ExtractLimits& limits) {
  Extracted result;
  std::string text = kind == Kind::kHtml ? HtmlToText(bytes) : utf8::DecodeText(bytes);
  if (text.size() > limits.text_bytes) {
    result.error = TextLimitError(limits);
    return result;
  }
  result.documents.push_back(Document{std::move(text), nlohmann::json::object()});
  return result;
}

}  // namespace webui::rag
