// Chunking with Open WebUI's semantics (TEXT_SPLITTER, CHUNK_SIZE, CHUNK_OVERLAP):
//   ""/"character"   LangChain's RecursiveCharacterTextSplitter (separators "\n\n", "\n", " ",
//                    ""; sizes in Unicode code points, as Python's len(); start_index as
//                    add_start_index computes it)
//   "token"          the same merge, sizes counted in approximate tokens (see docs/modules/rag.md:
//                    tiktoken's cl100k_base rank file cannot be shipped)
//   "markdown_header" sections at "#".."######" lines (the header lines stay in the text),
//                    `headings` = the header path, then the recursive splitter per section
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace webui::rag {

struct SplitOptions {
  std::string splitter;  // "" or "character" | "token" | "markdown_header"
  std::size_t chunk_size = 1000, chunk_overlap = 100;
};

struct Chunk {
  std::string text;
  std::size_t start_index = 0;        // in code points of the text given to Split
  std::vector<std::string> headings;  // markdown_header only: the header path ("Title", "Setup")
};

// Throws std::invalid_argument when chunk_overlap >= chunk_size, chunk_size is 0 or the splitter
// is unknown.
std::vector<Chunk> Split(std::string_view text, const SplitOptions& options);

}  // namespace webui::rag
