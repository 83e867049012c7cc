// UTF-8 helpers shared by extraction and chunking: code point counts (the unit of Python's len(),
// which Open WebUI's chunk sizes use), whitespace as Python's str.strip() sees it, and decoding of
// the encodings uploads come in (BOMs, UTF-16, Windows-1252 when the bytes are not UTF-8).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace webui::rag::utf8 {

// Bytes of the sequence starting with lead byte `c` (1 for a stray continuation byte).
std::size_t SequenceLength(unsigned char c);

// Code points in `s` (stray continuation bytes count as one each, so the count never exceeds the
// byte length).
std::size_t CodePoints(std::string_view s);

// Byte offset of code point `n` of `s` (s.size() when n is past the end).
std::size_t ByteOffsetOf(std::string_view s, std::size_t n);

// Whether the code point at s[i] is whitespace for Python's str.strip() / str.isspace(); `length`
// receives its byte length.
bool IsSpaceAt(std::string_view s, std::size_t i, std::size_t* length);

// s without leading and trailing whitespace (Python's str.strip()).
std::string_view Strip(std::string_view s);

bool IsValid(std::string_view s);

void Append(std::string& out, char32_t code_point);

// The text of a file's bytes: a UTF-8 BOM is dropped, UTF-16/UTF-32 with a BOM are decoded, bytes
// that are not valid UTF-8 are read as Windows-1252 (never an error: upstream's loader guesses the
// encoding too). NUL bytes are dropped (PostgreSQL text cannot hold them) and line ends become
// "\n", as Python's text mode reads them.
std::string DecodeText(std::string_view bytes);

}  // namespace webui::rag::utf8
