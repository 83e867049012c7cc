// Document extraction for the rag plugin: the text of an uploaded file, one Document per page of
// a PDF, per sheet of a workbook, per slide of a presentation (Open WebUI's loaders).
//
// Binary formats (PDF, DOCX/XLSX/PPTX) and large files are parsed in a child process,
// webui-rag-extract, under rlimits and a wall-clock deadline: a hostile file (a zip bomb, a cyclic
// or 100 000-page PDF, a parser crash) costs an error, never the host (docs/security.md T34).
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace webui::rag {

struct Document {
  std::string text;  // UTF-8
  nlohmann::json
      metadata;  // PDFs: {"page": 0-based}; sheets: {"sheet": name}; slides: {"slide": 1-based}
};

struct ExtractLimits {
  std::chrono::milliseconds time{120000};   // wall clock for one file
  std::size_t memory_bytes = 1024u << 20;   // address space of the extraction
  std::size_t expanded_bytes = 512u << 20;  // total uncompressed bytes read from an archive
  std::size_t text_bytes = 64u << 20;       // extracted text kept (more -> error)
  std::size_t pages = 20000;                // PDF pages / slides / sheets
};

struct Extracted {
  std::vector<Document> documents;
  std::string error;
  bool ok() const { return error.empty(); }
};

// The text of the file at `path`. `filename` and `content_type` are hints only: the magic bytes
// decide first (%PDF, a zip with [Content_Types].xml, <html ...), then the name, then the type.
// Never throws; an unsupported or corrupt file gives an `error` fit to show the user ("unsupported
// file type application/x-foo", "the PDF could not be read", "the archive expands beyond 512 MB").
Extracted ExtractFile(const std::string& path, const std::string& filename,
                      const std::string& content_type, const ExtractLimits& limits);

// HTML (a web page, an .html upload) to text: scripts and styles dropped, block elements become
// line breaks, whitespace collapsed. Never fetches anything. Bytes that are not UTF-8 are read as
// Windows-1252.
std::string HtmlToText(std::string_view html);

}  // namespace webui::rag
