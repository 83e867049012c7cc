// What a file is, from its first bytes before its name or declared type: the web UI sends
// whatever type the browser guessed (often application/octet-stream, sometimes plainly wrong).
#pragma once

#include <string>
#include <string_view>

namespace webui::rag {

enum class Kind {
  kText,  // text, markdown, code, csv, json, xml...
  kHtml,
  kPdf,
  kOoxml,        // a zip: DOCX, XLSX or PPTX is decided by its entries (in the extractor)
  kUnsupported,  // `type` names it
};

struct Sniffed {
  Kind kind = Kind::kUnsupported;
  std::string type;  // the MIME type shown in "unsupported file type <type>"
};

// `head`: the first bytes of the file (up to 8 KiB are looked at).
Sniffed Sniff(std::string_view head, std::string_view filename, std::string_view content_type);

std::string_view KindName(Kind kind);  // "text", "html", "pdf", "ooxml", "unsupported"
bool KindFromName(std::string_view name, Kind* kind);

}  // namespace webui::rag
