#include "utf8.hpp"

#include <array>
#include <cstdint>

namespace webui::rag::utf8 {

std::size_t SequenceLength(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) return 2;
  if ((c & 0xF0) == 0xE0) return 3;
  if ((c & 0xF8) == 0xF0) return 4;
  return 1;
}

std::size_t CodePoints(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++n) {
    std::size_t len = SequenceLength(static_cast<unsigned char>(s[i]));
    if (i + len > s.size()) len = s.size() - i;
    i += len;
  }
  return n;
}

std::size_t ByteOffsetOf(std::string_view s, std::size_t n) {
  std::size_t i = 0;
  for (; i < s.size() && n > 0; --n) {
    std::size_t len = SequenceLength(static_cast<unsigned char>(s[i]));
    if (i + len > s.size()) len = s.size() - i;
    i += len;
  }
  return i;
}

namespace {

// The code point at s[i] (U+FFFD for a malformed sequence) and its byte length.
char32_t DecodeAt(std::string_view s, std::size_t i, std::size_t* length) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t len = SequenceLength(c);
  if (i + len > s.size()) {
    *length = 1;
    return 0xFFFD;
  }
  *length = len;
  if (len == 1) return c < 0x80 ? c : 0xFFFD;
  char32_t cp = c & (0x7F >> len);
  for (std::size_t k = 1; k < len; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) {
      *length = 1;
      return 0xFFFD;
    }
    cp = (cp << 6) | (cc & 0x3F);
  }
  return cp;
}

bool IsPythonSpace(char32_t cp) {
  switch (cp) {
    case 0x09:
    case 0x0A:
    case 0x0B:
    case 0x0C:
    case 0x0D:
    case 0x1C:
    case 0x1D:
    case 0x1E:
    case 0x1F:
    case 0x20:
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

}  // namespace

bool IsSpaceAt(std::string_view s, std::size_t i, std::size_t* length) {
  return IsPythonSpace(DecodeAt(s, i, length));
}

std::string_view Strip(std::string_view s) {
  std::size_t begin = 0;
  std::size_t len = 0;
  while (begin < s.size() && IsSpaceAt(s, begin, &len)) begin += len;
  std::size_t end = s.size();
  while (end > begin) {
    std::size_t start = end - 1;
    while (start > begin && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80 &&
           end - start < 4)
      --start;
    if (!IsSpaceAt(s, start, &len) || start + len != end) break;
    end = start;
  }
  return s.substr(begin, end - begin);
}

bool IsValid(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    char32_t min = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4, min = 0x10000;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    char32_t cp = c & (0x7F >> len);
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

void Append(std::string& out, char32_t cp) {
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

namespace {

// Windows-1252's 0x80..0x9F; the five bytes it leaves undefined become U+FFFD.
constexpr std::array<char32_t, 32> kCp1252High = {
    0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178};

// Python's universal newlines: "\r\n" and "\r" become "\n"; NUL is dropped.
void AppendNormalised(std::string& out, char32_t cp, char32_t& previous) {
  if (cp == '\n' && previous == '\r') {
    previous = cp;
    return;
  }
  previous = cp;
  if (cp == 0) return;
  Append(out, cp == '\r' ? U'\n' : cp);
}

std::string DecodeUtf16(std::string_view b, bool big_endian) {
  std::string out;
  out.reserve(b.size());
  char32_t previous = 0;
  auto unit = [&](std::size_t i) -> char32_t {
    const auto lo = static_cast<unsigned char>(b[big_endian ? i + 1 : i]);
    const auto hi = static_cast<unsigned char>(b[big_endian ? i : i + 1]);
    return static_cast<char32_t>(hi << 8 | lo);
  };
  for (std::size_t i = 0; i + 1 < b.size(); i += 2) {
    char32_t u = unit(i);
    if (u >= 0xD800 && u <= 0xDBFF && i + 3 < b.size()) {
      const char32_t low = unit(i + 2);
      if (low >= 0xDC00 && low <= 0xDFFF) {
        u = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00);
        i += 2;
      }
    }
    AppendNormalised(out, u, previous);
  }
  return out;
}

std::string DecodeUtf32(std::string_view b, bool big_endian) {
  std::string out;
  out.reserve(b.size() / 2);
  char32_t previous = 0;
  for (std::size_t i = 0; i + 3 < b.size(); i += 4) {
    char32_t u = 0;
    for (int k = 0; k < 4; ++k) {
      const auto byte = static_cast<unsigned char>(b[i + (big_endian ? k : 3 - k)]);
      u = (u << 8) | byte;
    }
    AppendNormalised(out, u, previous);
  }
  return out;
}

}  // namespace

std::string DecodeText(std::string_view b) {
  auto starts = [&](std::string_view prefix) { return b.substr(0, prefix.size()) == prefix; };
  using namespace std::string_view_literals;
  if (starts("\xFF\xFE\x00\x00"sv)) return DecodeUtf32(b.substr(4), false);
  if (starts("\x00\x00\xFE\xFF"sv)) return DecodeUtf32(b.substr(4), true);
  if (starts("\xFF\xFE"sv)) return DecodeUtf16(b.substr(2), false);
  if (starts("\xFE\xFF"sv)) return DecodeUtf16(b.substr(2), true);
  if (starts("\xEF\xBB\xBF"sv)) b.remove_prefix(3);

  std::string out;
  out.reserve(b.size());
  char32_t previous = 0;
  if (IsValid(b)) {
    for (const char c : b) {
      const auto byte = static_cast<unsigned char>(c);
      if (byte == '\n' && previous == '\r') {
        previous = byte;
        continue;
      }
      previous = byte;
      if (byte == 0) continue;
      out.push_back(byte == '\r' ? '\n' : c);
    }
    return out;
  }
  for (const char c : b) {
    const auto byte = static_cast<unsigned char>(c);
    const char32_t cp = byte >= 0x80 && byte <= 0x9F ? kCp1252High[byte - 0x80] : byte;
    AppendNormalised(out, cp, previous);
  }
  return out;
}

}  // namespace webui::rag::utf8
