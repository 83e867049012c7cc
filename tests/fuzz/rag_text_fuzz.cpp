// The rag plugin's text path (plugins/rag/extract): byte decoding, HtmlToText on hostile markup,
// and the three chunkers on whatever text comes out.
//
// Invariants: nothing throws or crashes; decoded text and HTML text are valid UTF-8 without NUL
// or "\r"; every chunk is found in the text at its start_index (code points); "character" and
// "markdown_header" chunks are non-empty and at most chunk_size code points, as LangChain's.
#include <cstdint>
#include <string>

#include "extract/extract.hpp"
#include "extract/split.hpp"
#include "extract/utf8.hpp"
#include "fuzz_support.hpp"

namespace {

using webui::rag::Chunk;
using webui::rag::SplitOptions;
namespace utf8 = webui::rag::utf8;

void CheckChunks(const std::string& text, const std::vector<Chunk>& chunks,
                 const SplitOptions& options) {
  for (const Chunk& chunk : chunks) {
    const std::size_t at = utf8::ByteOffsetOf(text, chunk.start_index);
    FUZZ_CHECK(text.compare(at, chunk.text.size(), chunk.text) == 0);
    if (options.splitter != "token") {
      FUZZ_CHECK(!chunk.text.empty());
      FUZZ_CHECK(utf8::CodePoints(chunk.text) <= options.chunk_size);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  // Two bytes choose the chunk size and overlap; the rest is the document.
  const std::size_t chunk_size = 1 + data[0] % 64;
  const std::size_t overlap = data[1] % chunk_size;
  const std::string_view input = webui::fuzz::AsText(data + 2, size - 2);

  const std::string decoded = utf8::DecodeText(input);
  FUZZ_CHECK(utf8::IsValid(decoded));
  FUZZ_CHECK(decoded.find('\r') == std::string::npos);
  FUZZ_CHECK(decoded.find('\0') == std::string::npos);

  const std::string html = webui::rag::HtmlToText(input);
  FUZZ_CHECK(utf8::IsValid(html));
  FUZZ_CHECK(html.find('\0') == std::string::npos);

  for (const char* splitter : {"", "token", "markdown_header"}) {
    const SplitOptions options{splitter, chunk_size, overlap};
    CheckChunks(decoded, webui::rag::Split(decoded, options), options);
  }
  return 0;
}
