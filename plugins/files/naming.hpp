// The pure rules of the files plugin, kept apart from the host so they are unit-tested: what an
// uploaded name may become on disk and on screen (docs/security.md T25), which content types are
// served as themselves (T23), how a download name is encoded (RFC 5987/6266, T24) and what a
// Range header asks for (T33).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace webui::files {

// `text` with every invalid UTF-8 sequence replaced by U+FFFD (PostgreSQL refuses invalid text).
std::string ValidUtf8(std::string_view text);
bool IsValidUtf8(std::string_view text);

// The name users see: the last path component of the client's name, without control
// characters, valid UTF-8, at most 255 bytes; "file" when nothing is left.
std::string DisplayName(std::string_view client_name);

// The storage name part after "{id}_": ASCII letters, digits, '.', '-', '_' only, no "..", no
// leading dot, at most 100 bytes with the extension kept; never a path.
std::string StoredName(std::string_view display_name);

// The extension of `name`, lower-cased, without the dot ("" when none).
std::string Extension(std::string_view name);

// How GET /{id}/content serves a file: a type from the allow-list (the declared type when it is
// on it, else the type its extension maps to) inline, anything else application/octet-stream as
// an attachment. The declared type of a file off the list is never echoed.
struct Served {
  std::string content_type;
  bool inline_ok = false;
};
Served ServedType(std::string_view declared_type, std::string_view name);

// `inline; filename*=UTF-8''...` or `attachment; ...`, the name percent-encoded (RFC 5987), so
// no quote, CR or LF of a client's name reaches the header.
std::string ContentDisposition(bool inline_disposition, std::string_view name);

// Whether the built-in extractor reads the file as text (text/*, JSON, CSV, Markdown, code).
bool IsTextLike(std::string_view content_type, std::string_view name);

// A single `bytes=` range against a file of `size` bytes. Anything else (several ranges, bad
// syntax, another unit) is ignored: the whole file is served, in linear time.
struct ByteRange {
  enum class Kind { kWhole, kPartial, kUnsatisfiable };
  Kind kind = Kind::kWhole;
  std::uint64_t first = 0;
  std::uint64_t last = 0;  // inclusive
};
ByteRange ParseRange(std::string_view header, std::uint64_t size);

// Hex SHA-256 of `bytes` (the row's hash of its extracted text).
std::string Sha256Hex(std::string_view bytes);

// A random version-4 UUID (a file's id).
std::string NewFileId();

}  // namespace webui::files
