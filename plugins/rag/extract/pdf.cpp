// PDF text per page with poppler-cpp.
#include <poppler-document.h>
#include <poppler-global.h>
#include <poppler-page.h>

#include <memory>

#include "formats.hpp"
#include "readers.hpp"

namespace webui::rag {
namespace {

void Silent(const std::string&, void*) {}

// Page text as the chunker wants it: control characters (form feeds, stray C0 bytes from broken
// font maps) become spaces or line breaks.
std::string CleanPageText(const std::vector<char>& utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (const char ch : utf8) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\r' || c == '\f' || c == '\v') {
      out.push_back('\n');
    } else if (c < 0x20 && c != '\n' && c != '\t') {
      if (c != 0) out.push_back(' ');
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

}  // namespace

Extracted ReadPdf(const std::string& path, const ExtractLimits& limits) {
  Extracted result;
  poppler::set_debug_error_function(Silent, nullptr);
  std::unique_ptr<poppler::document> doc(poppler::document::load_from_file(path));
  if (!doc) {
    result.error = "the PDF could not be read";
    return result;
  }
  if (doc->is_locked()) {
    result.error = "the PDF is password-protected";
    return result;
  }
  // The page count comes from the page tree's /Count, before any page is parsed.
  const int pages = doc->pages();
  if (pages <= 0) {
    result.error = "the PDF could not be read (it has no pages)";
    return result;
  }
  if (static_cast<std::size_t>(pages) > limits.pages) {
    result.error = "the PDF has " + std::to_string(pages) + " pages, more than the " +
                   std::to_string(limits.pages) + " allowed";
    return result;
  }
  std::size_t text_bytes = 0;
  int readable = 0;
  for (int i = 0; i < pages; ++i) {
    std::unique_ptr<poppler::page> page(doc->create_page(i));
    std::string text;
    if (page) {
      ++readable;
      text = CleanPageText(page->text().to_utf8());
    }
    text_bytes += text.size();
    if (text_bytes > limits.text_bytes) {
      result.documents.clear();
      result.error = TextLimitError(limits);
      return result;
    }
    result.documents.push_back(Document{std::move(text), {{"page", i}}});
  }
  // A page tree that loops or points nowhere yields no page at all.
  if (readable == 0) {
    result.documents.clear();
    result.error = "the PDF could not be read (its page tree is broken)";
  }
  return result;
}

}  // namespace webui::rag
