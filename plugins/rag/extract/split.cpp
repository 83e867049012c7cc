#include "split.hpp"

#include <algorithm>
#include <stdexcept>

#include "utf8.hpp"

namespace webui::rag {
namespace {

// A length function over UTF-8 text: code points ("character") or approximate tokens ("token").
using LengthFn = std::size_t (*)(std::string_view);

std::size_t CodePointLength(std::string_view s) { return utf8::CodePoints(s); }

// LangChain's _split_text_with_regex with keep_separator=True ("start"): every piece after the
// first begins with the separator; empty pieces are dropped. An empty separator splits into code
// points.
std::vector<std::string_view> SplitKeepingSeparator(std::string_view text, std::string_view sep) {
  std::vector<std::string_view> pieces;
  if (sep.empty()) {
    for (std::size_t i = 0; i < text.size();) {
      std::size_t len = utf8::SequenceLength(static_cast<unsigned char>(text[i]));
      len = std::min(len, text.size() - i);
      pieces.push_back(text.substr(i, len));
      i += len;
    }
    return pieces;
  }
  std::size_t begin = 0;
  std::size_t at = text.find(sep);
  while (at != std::string_view::npos) {
    if (at > begin) pieces.push_back(text.substr(begin, at - begin));
    begin = at;
    at = text.find(sep, at + sep.size());
  }
  if (begin < text.size()) pieces.push_back(text.substr(begin));
  return pieces;
}

class RecursiveSplitter {
 public:
  RecursiveSplitter(std::size_t size, std::size_t overlap, LengthFn length)
      : size_(size), overlap_(overlap), length_(length) {}

  // LangChain's RecursiveCharacterTextSplitter._split_text with the default separators.
  void SplitInto(std::string_view text, std::size_t first_separator,
                 std::vector<std::string>& out) const {
    static constexpr std::string_view kSeparators[] = {"\n\n", "\n", " ", ""};
    constexpr std::size_t kCount = std::size(kSeparators);
    std::size_t chosen = kCount - 1;
    for (std::size_t i = first_separator; i < kCount; ++i) {
      if (kSeparators[i].empty() || text.find(kSeparators[i]) != std::string_view::npos) {
        chosen = i;
        break;
      }
    }
    const bool more_separators = !kSeparators[chosen].empty() && chosen + 1 < kCount;
    std::vector<std::string_view> good;
    for (const std::string_view piece : SplitKeepingSeparator(text, kSeparators[chosen])) {
      if (length_(piece) < size_) {
        good.push_back(piece);
        continue;
      }
      if (!good.empty()) {
        Merge(good, out);
        good.clear();
      }
      if (more_separators) {
        SplitInto(piece, chosen + 1, out);
      } else {
        out.emplace_back(piece);
      }
    }
    if (!good.empty()) Merge(good, out);
  }

 private:
  // LangChain's _merge_splits with an empty separator (keep_separator=True passes ""), including
  // the overlap carried into the next chunk and strip_whitespace.
  void Merge(const std::vector<std::string_view>& splits, std::vector<std::string>& out) const {
    std::vector<std::size_t> lengths;
    lengths.reserve(splits.size());
    for (const auto s : splits) lengths.push_back(length_(s));
    std::size_t first = 0;  // current document = splits[first, i)
    std::size_t total = 0;
    for (std::size_t i = 0; i < splits.size(); ++i) {
      const std::size_t len = lengths[i];
      if (total + len > size_) {
        if (i > first) {
          Emit(splits, first, i, out);
          while (total > overlap_ || (total + len > size_ && total > 0)) {
            total -= lengths[first];
            ++first;
          }
        }
      }
      total += len;
    }
    Emit(splits, first, splits.size(), out);
  }

  static void Emit(const std::vector<std::string_view>& splits, std::size_t first, std::size_t last,
                   std::vector<std::string>& out) {
    if (first >= last) return;
    // The splits are adjacent pieces of one text: their join is one contiguous view.
    const char* begin = splits[first].data();
    const char* end = splits[last - 1].data() + splits[last - 1].size();
    const std::string_view joined =
        utf8::Strip(std::string_view(begin, static_cast<std::size_t>(end - begin)));
    if (!joined.empty()) out.emplace_back(joined);
  }

  std::size_t size_;
  std::size_t overlap_;
  LengthFn length_;
};

// Code point offsets into one text, walked from the last answer (chunk offsets only move by about
// a chunk at a time, so finding them costs O(text), not O(text x chunks)).
class CodePointCursor {
 public:
  explicit CodePointCursor(std::string_view text) : text_(text) {}

  std::size_t ByteOf(std::size_t code_point) {
    while (cp_ < code_point && byte_ < text_.size()) {
      byte_ += std::min(utf8::SequenceLength(static_cast<unsigned char>(text_[byte_])),
                        text_.size() - byte_);
      ++cp_;
    }
    while (cp_ > code_point) {
      do {
        --byte_;
      } while (byte_ > 0 && (static_cast<unsigned char>(text_[byte_]) & 0xC0) == 0x80);
      --cp_;
    }
    return byte_;
  }

  std::size_t CodePointOf(std::size_t byte) {
    while (byte_ < byte) {
      byte_ += std::min(utf8::SequenceLength(static_cast<unsigned char>(text_[byte_])),
                        text_.size() - byte_);
      ++cp_;
    }
    while (byte_ > byte) {
      do {
        --byte_;
      } while (byte_ > 0 && (static_cast<unsigned char>(text_[byte_]) & 0xC0) == 0x80);
      --cp_;
    }
    return cp_;
  }

 private:
  std::string_view text_;
  std::size_t byte_ = 0;
  std::size_t cp_ = 0;
};

// LangChain's create_documents(add_start_index=True): each chunk is searched for from
// (previous start + previous length - overlap), in code points. `base` shifts the offsets of a
// section to the whole text.
void AddStartIndexes(std::string_view text, std::vector<std::string>& pieces, std::size_t overlap,
                     std::size_t base, const std::vector<std::string>& headings,
                     std::vector<Chunk>& out) {
  CodePointCursor cursor(text);
  std::size_t index = 0;
  std::size_t previous_length = 0;
  for (std::string& piece : pieces) {
    const std::size_t offset =
        index + previous_length > overlap ? index + previous_length - overlap : 0;
    std::size_t at = text.find(piece, cursor.ByteOf(offset));
    if (at == std::string_view::npos) at = text.find(piece);
    index = at == std::string_view::npos ? 0 : cursor.CodePointOf(at);
    previous_length = utf8::CodePoints(piece);
    out.push_back(Chunk{std::move(piece), base + index, headings});
  }
}

std::vector<Chunk> SplitCharacters(std::string_view text, const SplitOptions& options,
                                   std::size_t base, const std::vector<std::string>& headings) {
  std::vector<std::string> pieces;
  RecursiveSplitter(options.chunk_size, options.chunk_overlap, CodePointLength)
      .SplitInto(text, 0, pieces);
  std::vector<Chunk> out;
  out.reserve(pieces.size());
  AddStartIndexes(text, pieces, options.chunk_overlap, base, headings, out);
  return out;
}

}  // namespace

std::vector<Chunk> Split(std::string_view text, const SplitOptions& options) {
  if (options.chunk_size == 0) throw std::invalid_argument("chunk size must be positive");
  if (options.chunk_overlap >= options.chunk_size) {
    throw std::invalid_argument("chunk overlap must be smaller than the chunk size");
  }
  if (options.splitter.empty() || options.splitter == "character") {
    return SplitCharacters(text, options, 0, {});
  }
  throw std::invalid_argument("unknown text splitter " + options.splitter);
}

}  // namespace webui::rag
