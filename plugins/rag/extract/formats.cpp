#include "formats.hpp"

#include <fstream>
#include <iterator>

#include "readers.hpp"

namespace webui::rag {

Extracted ReadAnyKind(Kind kind, const std::string& path, const ExtractLimits& limits) {
  switch (kind) {
    case Kind::kPdf:
      return ReadPdf(path, limits);
    case Kind::kOoxml:
      return ReadOoxml(path, limits);
    case Kind::kText:
    case Kind::kHtml: {
      Extracted result;
      std::ifstream in(path, std::ios::binary | std::ios::ate);
      if (!in) {
        result.error = "the file could not be opened";
        return result;
      }
      // UTF-32 is the widest encoding read (4 bytes a character), and markup is not text: a file
      // this much larger than the text limit cannot fit it, or is not worth reading.
      const auto size = static_cast<std::size_t>(in.tellg());
      if (size / 4 > limits.text_bytes) {
        result.error = TextLimitError(limits);
        return result;
      }
      in.seekg(0);
      const std::string bytes((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
      return ReadTextOrHtml(bytes, kind, limits);
    }
    case Kind::kUnsupported:
      break;
  }
  Extracted result;
  result.error = "unsupported file type";
  return result;
}

}  // namespace webui::rag
