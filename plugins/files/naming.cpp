#include "naming.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cctype>
#include <charconv>
#include <stdexcept>

namespace webui::files {

namespace {

// Length of the valid UTF-8 sequence starting at `s[i]`, 0 when it is not one.
std::size_t Utf8SequenceLength(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;  // no UTF-16 surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  return n;
}

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence (`s` is valid UTF-8).
std::string CutUtf8(std::string s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  s.resize(end);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The media type without parameters, lower-cased and trimmed.
std::string MediaType(std::string_view declared) {
  declared = declared.substr(0, declared.find(';'));
  while (!declared.empty() && std::isspace(static_cast<unsigned char>(declared.front())))
    declared.remove_prefix(1);
  while (!declared.empty() && std::isspace(static_cast<unsigned char>(declared.back())))
    declared.remove_suffix(1);
  return Lower(declared);
}

struct TypeByExtension {
  std::string_view ext;
  std::string_view type;
};

// The allow-list (T23): what a browser shows without running anything. No SVG (it carries
// scripts), no HTML or XML.
constexpr TypeByExtension kServable[] = {
    {"png", "image/png"},    {"jpg", "image/jpeg"},      {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},    {"webp", "image/webp"},     {"avif", "image/avif"},
    {"bmp", "image/bmp"},    {"pdf", "application/pdf"}, {"txt", "text/plain"},
    {"md", "text/markdown"}, {"csv", "text/csv"},        {"json", "application/json"},
    {"mp3", "audio/mpeg"},   {"wav", "audio/wav"},       {"ogg", "audio/ogg"},
    {"oga", "audio/ogg"},    {"m4a", "audio/mp4"},       {"aac", "audio/aac"},
    {"flac", "audio/flac"},  {"weba", "audio/webm"},     {"mp4", "video/mp4"},
    {"webm", "video/webm"},  {"ogv", "video/ogg"},       {"mov", "video/quicktime"},
    {"m4v", "video/mp4"},
};

// Declared types accepted as they are (the same families, plus common aliases).
constexpr std::string_view kServableAliases[] = {
    "audio/x-wav",  "audio/wave", "audio/mp3",       "audio/x-m4a", "audio/webm",
    "audio/x-flac", "image/jpg",  "text/x-markdown", "audio/opus",  "audio/mp4"};

bool Servable(std::string_view type) {
  for (const auto& t : kServable)
    if (t.type == type) return true;
  for (auto a : kServableAliases)
    if (a == type) return true;
  return false;
}

constexpr std::string_view kTextExtensions[] = {
    "txt", "md",   "markdown", "rst", "csv",  "tsv",   "json", "jsonl", "ndjson", "xml", "yaml",
    "yml", "toml", "ini",      "cfg", "conf", "log",   "py",   "js",    "mjs",    "ts",  "tsx",
    "jsx", "c",    "h",        "cpp", "hpp",  "cc",    "cxx",  "java",  "go",     "rs",  "rb",
    "php", "sh",   "bash",     "zsh", "sql",  "html",  "htm",  "css",   "scss",   "kt",  "swift",
    "r",   "lua",  "pl",       "tex", "cs",   "scala", "vue",  "svelte"};

bool AttrChar(unsigned char c) {
  // RFC 5987 attr-char: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" /
  // "`" / "|" / "~"
  if (std::isalnum(c)) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '&':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool ParseNumber(std::string_view s, std::uint64_t& out) {
  if (s.empty() || s.size() > 19) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = Utf8SequenceLength(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string ValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = Utf8SequenceLength(text, i);
    if (n == 0) {
      out += kReplacement;
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string DisplayName(std::string_view client_name) {
  const std::size_t slash = client_name.find_last_of("/\\");
  if (slash != std::string_view::npos) client_name.remove_prefix(slash + 1);
  std::string kept;
  kept.reserve(client_name.size());
  for (char c : client_name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) continue;  // NUL, CR, LF, tabs ...
    kept += c;
  }
  std::string name = CutUtf8(ValidUtf8(kept), 255);
  while (!name.empty() && name.back() == ' ') name.pop_back();
  while (!name.empty() && name.front() == ' ') name.erase(0, 1);
  if (name.empty() || name == "." || name == "..") return "file";
  return name;
}

std::string StoredName(std::string_view display_name) {
  std::string s;
  s.reserve(display_name.size());
  for (char c : display_name) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '.' || c == '-' || c == '_') {
      // ".." never survives: a dot after a dot is dropped.
      if (c == '.' && !s.empty() && s.back() == '.') continue;
      s += c;
    } else if (!s.empty() && s.back() != '_') {
      s += '_';
    }
  }
  while (!s.empty() && (s.front() == '.' || s.front() == '_')) s.erase(0, 1);
  constexpr std::size_t kMax = 100;
  if (s.size() > kMax) {
    const std::size_t dot = s.rfind('.');
    const std::size_t ext_len = dot == std::string::npos ? 0 : s.size() - dot;
    if (ext_len > 0 && ext_len <= 16) {
      s = s.substr(0, kMax - ext_len) + s.substr(dot);
    } else {
      s.resize(kMax);
    }
  }
  if (s.empty() || s == ".") return "file";
  return s;
}

std::string Extension(std::string_view name) {
  const std::size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot + 1 == name.size()) return "";
  return Lower(name.substr(dot + 1));
}

Served ServedType(std::string_view declared_type, std::string_view name) {
  const std::string ext = Extension(name);
  // Open WebUI serves a .pdf as application/pdf whatever was declared.
  if (ext == "pdf") return {"application/pdf", true};
  std::string type = MediaType(declared_type);
  if (!Servable(type)) {
    type.clear();
    for (const auto& t : kServable)
      if (t.ext == ext) type = std::string(t.type);
  }
  if (type.empty()) return {"application/octet-stream", false};
  if (type.rfind("text/", 0) == 0) type += "; charset=utf-8";
  return {type, true};
}

std::string ContentDisposition(bool inline_disposition, std::string_view name) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = inline_disposition ? "inline" : "attachment";
  out += "; filename*=UTF-8''";
  for (char c : ValidUtf8(name)) {
    const auto u = static_cast<unsigned char>(c);
    if (AttrChar(u)) {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    }
  }
  return out;
}

bool IsTextLike(std::string_view content_type, std::string_view name) {
  const std::string type = MediaType(content_type);
  if (type.rfind("text/", 0) == 0) return true;
  if (type == "application/json" || type == "application/x-ndjson" || type == "application/xml" ||
      type == "application/x-yaml" || type == "application/yaml" || type == "application/toml" ||
      type == "application/javascript" || type == "application/x-sh" || type == "application/sql")
    return true;
  const std::string ext = Extension(name);
  for (auto e : kTextExtensions)
    if (e == ext) return true;
  return false;
}

ByteRange ParseRange(std::string_view header, std::uint64_t size) {
  ByteRange whole;
  constexpr std::string_view kUnit = "bytes=";
  if (header.size() > 100 || header.rfind(kUnit, 0) != 0) return whole;
  std::string_view spec = header.substr(kUnit.size());
  while (!spec.empty() && spec.front() == ' ') spec.remove_prefix(1);
  while (!spec.empty() && spec.back() == ' ') spec.remove_suffix(1);
  if (spec.find(',') != std::string_view::npos) return whole;  // several ranges: ignored
  const std::size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return whole;
  const std::string_view a = spec.substr(0, dash), b = spec.substr(dash + 1);
  ByteRange r;
  r.kind = ByteRange::Kind::kPartial;
  std::uint64_t first = 0, last = 0;
  if (a.empty()) {  // the last `b` bytes
    if (!ParseNumber(b, last)) return whole;
    if (last == 0 || size == 0) return {ByteRange::Kind::kUnsatisfiable, 0, 0};
    r.first = last >= size ? 0 : size - last;
    r.last = size - 1;
    return r;
  }
  if (!ParseNumber(a, first)) return whole;
  if (b.empty()) {
    last = size == 0 ? 0 : size - 1;
  } else {
    if (!ParseNumber(b, last) || last < first) return whole;
  }
  if (first >= size) return {ByteRange::Kind::kUnsatisfiable, 0, 0};
  r.first = first;
  r.last = last >= size ? size - 1 : last;
  return r;
}

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("sha256 failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xF];
  }
  return out;
}

std::string NewFileId() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) throw std::runtime_error("no random bytes for a file id");
  b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[b[i] >> 4];
    out += kHex[b[i] & 0xF];
  }
  return out;
}

}  // namespace webui::files
