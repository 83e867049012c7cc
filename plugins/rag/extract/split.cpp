#include "split.hpp"

#include <algorithm>
#include <deque>
#include <stdexcept>
#include <utility>

#include "utf8.hpp"

namespace webui::rag {
namespace {

// A length function over UTF-8 text: code points ("character") or approximate tokens ("token").
using LengthFn = std::size_t (*)(std::string_view);

std::size_t CodePointLength(std::string_view s) { return utf8::CodePoints(s); }

// LangChain's _split_text_with_regex with keep_separator=True ("start"): every piece after the
// first begins with the separator; empty pieces are dropped. An empty separator splits into code
// points. The pieces are handed to `take` one at a time: a 64 MB text without spaces is 64
// million pieces, which are never held at once.
template <typename Take>
void ForEachPiece(std::string_view text, std::string_view sep, Take&& take) {
  if (sep.empty()) {
    for (std::size_t i = 0; i < text.size();) {
      std::size_t len = utf8::SequenceLength(static_cast<unsigned char>(text[i]));
      len = std::min(len, text.size() - i);
      take(text.substr(i, len));
      i += len;
    }
    return;
  }
  std::size_t begin = 0;
  std::size_t at = text.find(sep);
  while (at != std::string_view::npos) {
    if (at > begin) take(text.substr(begin, at - begin));
    begin = at;
    at = text.find(sep, at + sep.size());
  }
  if (begin < text.size()) take(text.substr(begin));
}

// LangChain's _merge_splits with an empty separator (keep_separator=True passes ""), fed one split
// at a time: the current document is at most chunk_size long, so this holds O(chunk_size) splits
// whatever the text's size. Includes the overlap carried into the next chunk and
// strip_whitespace.
class Merger {
 public:
  Merger(std::size_t size, std::size_t overlap, std::vector<std::string>& out)
      : size_(size), overlap_(overlap), out_(out) {}

  void Add(std::string_view split, std::size_t length) {
    if (total_ + length > size_ && !current_.empty()) {
      Emit();
      while (total_ > overlap_ || (total_ + length > size_ && total_ > 0)) {
        total_ -= current_.front().second;
        current_.pop_front();
      }
    }
    current_.emplace_back(split, length);
    total_ += length;
  }

  // The last document of a run of splits; the merger starts afresh after it.
  void Finish() {
    Emit();
    current_.clear();
    total_ = 0;
  }

 private:
  void Emit() {
    if (current_.empty()) return;
    // The splits are adjacent pieces of one text: their join is one contiguous view.
    const char* begin = current_.front().first.data();
    const char* end = current_.back().first.data() + current_.back().first.size();
    const std::string_view joined =
        utf8::Strip(std::string_view(begin, static_cast<std::size_t>(end - begin)));
    if (!joined.empty()) out_.emplace_back(joined);
  }

  std::size_t size_;
  std::size_t overlap_;
  std::vector<std::string>& out_;
  std::deque<std::pair<std::string_view, std::size_t>> current_;
  std::size_t total_ = 0;
};

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
    Merger good(size_, overlap_, out);
    ForEachPiece(text, kSeparators[chosen], [&](std::string_view piece) {
      const std::size_t length = length_(piece);
      if (length < size_) {
        good.Add(piece, length);
        return;
      }
      good.Finish();
      if (more_separators) {
        SplitInto(piece, chosen + 1, out);
      } else {
        out.emplace_back(piece);
      }
    });
    good.Finish();
  }

 private:
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

// --- token ------------------------------------------------------------------------------------

// A token of the approximation: [begin, end) in bytes, `code_point` = index of its first one.
struct Token {
  std::size_t begin = 0, end = 0, code_point = 0;
};

// Approximate cl100k tokens, every code point in exactly one token (so a run of tokens is a
// substring): a word piece of up to 4 letters or digits (any non-ASCII character counts as a
// letter), one punctuation character, or a run of white space; a single space before a word
// piece or punctuation belongs to it, as in tiktoken's pattern.
class Tokenizer {
 public:
  explicit Tokenizer(std::string_view text) : text_(text) {}

  bool Next(Token* token) {
    if (pos_ >= text_.size()) return false;
    token->begin = pos_;
    token->code_point = cp_;
    std::size_t len = 0;
    if (utf8::IsSpaceAt(text_, pos_, &len)) {
      const bool lone_space = text_[pos_] == ' ' && !SpaceAt(pos_ + 1);
      if (lone_space && pos_ + 1 < text_.size()) {
        Advance(1);  // the space leads the next piece
      } else {
        // A run of white space, leaving a final space to the piece that follows it.
        while (pos_ < text_.size() && SpaceAt(pos_)) {
          if (text_[pos_] == ' ' && pos_ + 1 < text_.size() && !SpaceAt(pos_ + 1) &&
              pos_ > token->begin) {
            break;
          }
          utf8::IsSpaceAt(text_, pos_, &len);
          Advance(len);
        }
        token->end = pos_;
        return true;
      }
    }
    if (pos_ < text_.size() && IsWordAt(pos_)) {
      for (int n = 0; n < 4 && pos_ < text_.size() && IsWordAt(pos_); ++n) {
        Advance(std::min(utf8::SequenceLength(static_cast<unsigned char>(text_[pos_])),
                         text_.size() - pos_));
      }
    } else if (pos_ < text_.size()) {
      Advance(1);  // ASCII punctuation, symbol or control: one token each
    }
    token->end = pos_;
    return true;
  }

 private:
  bool SpaceAt(std::size_t i) const {
    std::size_t len = 0;
    return i < text_.size() && utf8::IsSpaceAt(text_, i, &len);
  }
  bool IsWordAt(std::size_t i) const {
    const auto c = static_cast<unsigned char>(text_[i]);
    if (c >= 0x80) return !SpaceAt(i);
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }
  void Advance(std::size_t bytes) {
    pos_ += bytes;
    ++cp_;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t cp_ = 0;
};

// LangChain's TokenTextSplitter (split_text_on_tokens): windows of chunk_size tokens, each
// starting chunk_size - chunk_overlap tokens after the previous one, until a window reaches the
// end. Chunks are not stripped. start_index is exact (LangChain's search subtracts a token count
// from a character offset).
std::vector<Chunk> SplitTokens(std::string_view text, const SplitOptions& options) {
  std::vector<Chunk> out;
  Tokenizer tokenizer(text);
  std::deque<Token> window;
  Token token;
  bool exhausted = false;
  auto fill = [&] {
    while (window.size() < options.chunk_size) {
      if (!tokenizer.Next(&token)) {
        exhausted = true;
        return;
      }
      window.push_back(token);
    }
  };
  fill();
  while (!window.empty()) {
    const std::size_t begin = window.front().begin;
    out.push_back(Chunk{
        std::string(text.substr(begin, window.back().end - begin)), window.front().code_point, {}});
    if (window.size() < options.chunk_size) break;
    if (!exhausted) {
      // Peek: a window that ends exactly at the last token is the final one.
      if (!tokenizer.Next(&token)) break;
      window.push_back(token);
    }
    const std::size_t step = options.chunk_size - options.chunk_overlap;
    for (std::size_t i = 0; i < step && !window.empty(); ++i) window.pop_front();
    fill();
  }
  return out;
}

// --- markdown_header ---------------------------------------------------------------------------

struct Section {
  std::size_t begin = 0;  // bytes
  std::size_t end = 0;
  std::vector<std::string> headings;
  bool header_only = false;  // the section is its header line and nothing else
};

// "## Setup " -> level 2, text "Setup"; level 0 when the line is no header.
int HeaderLevel(std::string_view stripped, std::string* text) {
  std::size_t hashes = 0;
  while (hashes < stripped.size() && stripped[hashes] == '#') ++hashes;
  if (hashes == 0 || hashes > 6) return 0;
  if (hashes < stripped.size() && stripped[hashes] != ' ') return 0;
  *text = std::string(utf8::Strip(stripped.substr(hashes)));
  return static_cast<int>(hashes);
}

// Sections at the "#".."######" lines outside fenced code, as LangChain's
// MarkdownHeaderTextSplitter(strip_headers=False) finds them; a section holding only its header
// line joins the deeper one that follows, as LangChain's aggregation does. Unlike LangChain, the
// section text is kept verbatim (LangChain strips every line), so offsets stay true.
std::vector<Section> MarkdownSections(std::string_view text) {
  std::vector<Section> sections(1);
  std::vector<std::pair<int, std::string>> stack;  // level, header text
  std::string fence;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t newline = text.find('\n', at);
    const std::size_t next = newline == std::string_view::npos ? text.size() : newline + 1;
    const std::string_view stripped = utf8::Strip(text.substr(at, next - at));
    if (fence.empty()) {
      if (stripped.rfind("```", 0) == 0 && stripped.find("```", 3) == std::string_view::npos) {
        fence = "```";
      } else if (stripped.rfind("~~~", 0) == 0) {
        fence = "~~~";
      }
    } else if (stripped.rfind(fence, 0) == 0) {
      fence.clear();
      sections.back().header_only = false;
      at = next;
      continue;
    }
    std::string header;
    const int level = fence.empty() ? HeaderLevel(stripped, &header) : 0;
    if (level > 0) {
      while (!stack.empty() && stack.back().first >= level) stack.pop_back();
      stack.emplace_back(level, std::move(header));
      Section section;
      section.begin = at;
      for (const auto& entry : stack) section.headings.push_back(entry.second);
      const Section& previous = sections.back();
      if (previous.header_only && previous.headings.size() < section.headings.size()) {
        section.begin = previous.begin;  // "# Title" directly followed by "## Part"
        sections.pop_back();
      }
      section.header_only = true;
      sections.back().end = section.begin;
      sections.push_back(std::move(section));
    } else if (!stripped.empty()) {
      sections.back().header_only = false;
    }
    at = next;
  }
  sections.back().end = text.size();
  return sections;
}

std::vector<Chunk> SplitMarkdown(std::string_view text, const SplitOptions& options) {
  std::vector<Chunk> out;
  CodePointCursor cursor(text);
  for (const Section& section : MarkdownSections(text)) {
    if (section.end <= section.begin) continue;
    std::vector<Chunk> chunks =
        SplitCharacters(text.substr(section.begin, section.end - section.begin), options,
                        cursor.CodePointOf(section.begin), section.headings);
    for (Chunk& chunk : chunks) out.push_back(std::move(chunk));
  }
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
  if (options.splitter == "token") return SplitTokens(text, options);
  if (options.splitter == "markdown_header") return SplitMarkdown(text, options);
  throw std::invalid_argument("unknown text splitter " + options.splitter);
}

}  // namespace webui::rag
