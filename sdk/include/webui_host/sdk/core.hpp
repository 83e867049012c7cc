// webui-host plugin SDK: the string conversions every other SDK header uses.
#pragma once

#include <webui_host/abi.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace webui::sdk {

inline wh_str ToWh(std::string_view s) { return wh_str{s.data(), s.size()}; }
inline std::string_view FromWh(wh_str s) {
  return s.ptr == nullptr ? std::string_view{} : std::string_view{s.ptr, s.len};
}

// ASCII case-insensitive equality (HTTP header names, tokens); locale-independent, so the
// host and every plugin compare names the same way.
constexpr bool IEquals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// ASCII lower case (header names, schemes, host names, tokens); locale-independent.
inline std::string LowerAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

namespace detail {
// A wh_str_sink that appends to the std::string behind `user`.
inline void AppendSink(void* user, wh_str value) {
  static_cast<std::string*>(user)->append(value.ptr == nullptr ? "" : value.ptr, value.len);
}

// Appends the JSON escape of `c`, which is '"', '\\' or a control character, as nlohmann writes
// it: \b \f \n \r \t by name, the other controls as \u00xx.
inline void AppendJsonEscape(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  switch (c) {
    case '"':
      out += "\\\"";
      return;
    case '\\':
      out += "\\\\";
      return;
    case '\b':
      out += "\\b";
      return;
    case '\f':
      out += "\\f";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    default:
      out += "\\u00";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
  }
}

// `text` as a JSON string literal. Invalid UTF-8 becomes U+FFFD (as json::Dump does), so a detail
// built from client or upstream bytes never makes an invalid answer.
inline std::string JsonQuote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out.push_back('"');
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  for (size_t i = 0; i < n;) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      if (c < 0x20 || c == '"' || c == '\\') {
        AppendJsonEscape(out, c);
      } else {
        out.push_back(static_cast<char>(c));
      }
      ++i;
      continue;
    }
    // Length and smallest allowed second byte of a well-formed UTF-8 sequence (RFC 3629).
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    }
    bool ok = len != 0 && i + len <= n && p[i + 1] >= lo && p[i + 1] <= hi;
    for (size_t k = 2; ok && k < len; ++k) ok = p[i + k] >= 0x80 && p[i + k] <= 0xbf;
    if (ok) {
      out.append(text.data() + i, len);
      i += len;
    } else {
      out += "\xef\xbf\xbd";
      ++i;
    }
  }
  out.push_back('"');
  return out;
}
}  // namespace detail

}  // namespace webui::sdk
