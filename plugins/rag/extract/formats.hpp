// The readers of binary formats, run inside webui-rag-extract only (they link poppler and libzip,
// which the plugin itself does not).
#pragma once

#include <string>
#include <string_view>

#include "extract.hpp"
#include "sniff.hpp"

namespace webui::rag {

// One Document per page, metadata {"page": 0-based}; every page is kept, empty ones too (as
// upstream's PyPDFLoader does).
Extracted ReadPdf(const std::string& path, const ExtractLimits& limits);

// DOCX: one Document; XLSX: one per sheet {"sheet": name}; PPTX: one per slide {"slide": 1-based}.
// Any other zip: "unsupported file type ...".
Extracted ReadOoxml(const std::string& path, const ExtractLimits& limits);
// The same from the archive's bytes in memory (the fuzz target's way in).
Extracted ReadOoxmlBytes(std::string_view bytes, const ExtractLimits& limits);

// Any kind, from the file at `path` (text and HTML too, for files too large to read in the
// calling process).
Extracted ReadAnyKind(Kind kind, const std::string& path, const ExtractLimits& limits);

}  // namespace webui::rag
