// The format readers, shared by the calling process (small text and HTML) and the extractor
// child (everything). Each fills an Extracted and never throws for bad input.
#pragma once

#include <string>
#include <string_view>

#include "extract.hpp"
#include "sniff.hpp"

namespace webui::rag {

// kText or kHtml from the file's bytes.
Extracted ReadTextOrHtml(std::string_view bytes, Kind kind, const ExtractLimits& limits);

// "the extracted text exceeds 64 MB"
std::string TextLimitError(const ExtractLimits& limits);
std::string SizeText(std::size_t bytes);  // "512 MB", "64 KB", "100 bytes"

}  // namespace webui::rag
