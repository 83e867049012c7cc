#include "sniff.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include <webui_host/sdk/core.hpp>

namespace webui::rag {
namespace {

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string Extension(std::string_view filename) {
  const auto slash = filename.find_last_of("/\\");
  if (slash != std::string_view::npos) filename.remove_prefix(slash + 1);
  const auto dot = filename.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return {};
  return sdk::LowerAscii(filename.substr(dot + 1));
}

// Binary formats recognised by their magic, never extracted: the user learns what was sent.
struct Magic {
  std::string_view bytes;
  std::string_view type;
};
constexpr std::array<Magic, 14> kOtherBinaries = {{
    {"\x89PNG\r\n\x1a\n", "image/png"},
    {"\xFF\xD8\xFF", "image/jpeg"},
    {"GIF87a", "image/gif"},
    {"GIF89a", "image/gif"},
    {"RIFF", "application/octet-stream"},  // WebP, WAV, AVI: refined below
    {"\x1F\x8B", "application/gzip"},
    {"BZh", "application/x-bzip2"},
    {"\xFD"
     "7zXZ",
     "application/x-xz"},
    {"7z\xBC\xAF\x27\x1C", "application/x-7z-compressed"},
    {"Rar!\x1A\x07", "application/vnd.rar"},
    {"\x7F"
     "ELF",
     "application/x-executable"},
    {"ID3", "audio/mpeg"},
    {"OggS", "audio/ogg"},
    {"{\\rtf", "application/rtf"},
}};

// Text unless it holds bytes text never has (NUL, most C0 controls).
bool LooksLikeText(std::string_view head) {
  std::size_t controls = 0;
  for (const char ch : head) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == 0) return false;
    if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != 0x1B) ++controls;
  }
  return controls * 100 <= head.size();  // a few stray controls do not make a binary
}

bool LooksLikeHtml(std::string_view head) {
  std::string lower = sdk::LowerAscii(head.substr(0, 1024));
  std::string_view s = lower;
  if (StartsWith(s, "\xEF\xBB\xBF")) s.remove_prefix(3);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  // An XML prolog or comments may come first.
  for (int i = 0; i < 8 && (StartsWith(s, "<!--") || StartsWith(s, "<?xml")); ++i) {
    const auto end = s.find('>');
    if (end == std::string_view::npos) return false;
    s.remove_prefix(end + 1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  }
  return StartsWith(s, "<!doctype html") || StartsWith(s, "<html") || StartsWith(s, "<head") ||
         StartsWith(s, "<body");
}

}  // namespace

Sniffed Sniff(std::string_view head, std::string_view filename, std::string_view content_type) {
  head = head.substr(0, 8192);
  const std::string type = sdk::LowerAscii(content_type.substr(0, content_type.find(';')));
  const std::string ext = Extension(filename);

  // PDF readers accept the header anywhere in the first KiB; a text file that merely mentions
  // "%PDF-" near its start stays text unless its name or type says PDF.
  if (StartsWith(head, "%PDF-")) return {Kind::kPdf, "application/pdf"};
  if (head.substr(0, 1024).find("%PDF-") != std::string_view::npos &&
      (ext == "pdf" || type == "application/pdf" || !LooksLikeText(head))) {
    return {Kind::kPdf, "application/pdf"};
  }
  if (StartsWith(head, "PK\x03\x04")) return {Kind::kOoxml, "application/zip"};
  if (StartsWith(head, "PK\x05\x06")) return {Kind::kUnsupported, "application/zip"};  // empty zip
  if (StartsWith(head, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")) {
    // OLE2: legacy .doc/.xls/.ppt, and password-protected Office files, which Office stores as
    // an OLE2 container holding the encrypted package.
    return {Kind::kUnsupported, type.empty() || type == "application/octet-stream"
                                    ? std::string("application/x-ole-storage")
                                    : type};
  }
  for (const Magic& magic : kOtherBinaries) {
    if (StartsWith(head, magic.bytes)) {
      std::string named(magic.type);
      if (magic.bytes == "RIFF" && !type.empty()) named = type;
      return {Kind::kUnsupported, named};
    }
  }
  const bool utf16 = StartsWith(head, "\xFF\xFE") || StartsWith(head, "\xFE\xFF");
  if (!utf16 && !LooksLikeText(head)) {
    return {Kind::kUnsupported, type.empty() ? std::string("application/octet-stream") : type};
  }
  if (LooksLikeHtml(head) || ext == "html" || ext == "htm" || ext == "xhtml" ||
      type == "text/html" || type == "application/xhtml+xml") {
    return {Kind::kHtml, "text/html"};
  }
  return {Kind::kText, type.empty() ? std::string("text/plain") : type};
}

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kText:
      return "text";
    case Kind::kHtml:
      return "html";
    case Kind::kPdf:
      return "pdf";
    case Kind::kOoxml:
      return "ooxml";
    case Kind::kUnsupported:
      break;
  }
  return "unsupported";
}

bool KindFromName(std::string_view name, Kind* kind) {
  for (const Kind k : {Kind::kText, Kind::kHtml, Kind::kPdf, Kind::kOoxml}) {
    if (KindName(k) == name) {
      *kind = k;
      return true;
    }
  }
  return false;
}

}  // namespace webui::rag
