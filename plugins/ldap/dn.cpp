#include "dn.hpp"

#include <cstdint>

namespace webui::ldap {
namespace {

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexDigit(char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3629: well-formed UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    for (size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n + 1;
  }
  return true;
}

class DnParser {
 public:
  explicit DnParser(std::string_view in) : in_(in) {}

  std::optional<std::vector<Rdn>> Parse() {
    std::vector<Rdn> rdns;
    SkipSpaces();
    if (AtEnd()) return rdns;  // the empty DN (the root)
    while (true) {
      Rdn rdn;
      while (true) {
        auto ava = AttributeTypeAndValue();
        if (!ava) return std::nullopt;
        rdn.push_back(std::move(*ava));
        if (Peek() != '+') break;
        ++pos_;
      }
      rdns.push_back(std::move(rdn));
      if (AtEnd()) return rdns;
      if (Peek() != ',') return std::nullopt;
      ++pos_;
    }
  }

 private:
  bool AtEnd() const { return pos_ >= in_.size(); }
  char Peek() const { return AtEnd() ? '\0' : in_[pos_]; }
  void SkipSpaces() {
    while (!AtEnd() && in_[pos_] == ' ') ++pos_;
  }

  std::optional<AttributeValue> AttributeTypeAndValue() {
    SkipSpaces();
    AttributeValue out;
    // descr (ALPHA *(ALPHA / DIGIT / "-")) or numericoid (number 1*("." number)).
    const size_t start = pos_;
    if (IsAlpha(Peek())) {
      while (IsAlpha(Peek()) || IsDigit(Peek()) || Peek() == '-') ++pos_;
    } else if (IsDigit(Peek())) {
      while (true) {
        if (!IsDigit(Peek())) return std::nullopt;
        // A number has no leading zero unless it is 0.
        if (Peek() == '0' && pos_ + 1 < in_.size() && IsDigit(in_[pos_ + 1])) return std::nullopt;
        while (IsDigit(Peek())) ++pos_;
        if (Peek() != '.') break;
        ++pos_;
      }
      if (in_.substr(start, pos_ - start).find('.') == std::string_view::npos) return std::nullopt;
    } else {
      return std::nullopt;
    }
    out.type = std::string(in_.substr(start, pos_ - start));
    SkipSpaces();
    if (Peek() != '=') return std::nullopt;
    ++pos_;
    SkipSpaces();
    // A '#' value is the BER encoding of a value that has no string form: not a name.
    if (Peek() == '#') return std::nullopt;
    auto value = Value();
    if (!value) return std::nullopt;
    out.value = std::move(*value);
    return out;
  }

  // Up to an unescaped ',' or '+' or the end. Unescaped trailing spaces are not part of it.
  std::optional<std::string> Value() {
    std::string v;
    size_t kept = 0;  // v's length up to the last character that was escaped or not a space
    while (!AtEnd()) {
      const char c = in_[pos_];
      if (c == ',' || c == '+') break;
      if (c == '"' || c == ';' || c == '<' || c == '>' || c == '\0') return std::nullopt;
      ++pos_;
      if (c != '\\') {
        v += c;
        if (c != ' ') kept = v.size();
        continue;
      }
      if (AtEnd()) return std::nullopt;
      const char e = in_[pos_];
      const int hi = HexDigit(e);
      if (hi >= 0 && pos_ + 1 < in_.size() && HexDigit(in_[pos_ + 1]) >= 0) {
        const int byte = hi * 16 + HexDigit(in_[pos_ + 1]);
        if (byte == 0) return std::nullopt;
        v += static_cast<char>(byte);
        pos_ += 2;
      } else if (e == ' ' || e == '"' || e == '#' || e == '+' || e == ',' || e == ';' || e == '<' ||
                 e == '=' || e == '>' || e == '\\') {
        v += e;
        ++pos_;
      } else {
        return std::nullopt;
      }
      kept = v.size();
    }
    v.resize(kept);
    if (!ValidUtf8(v)) return std::nullopt;
    return v;
  }

  std::string_view in_;
  size_t pos_ = 0;
};

bool IsCn(std::string_view type) { return sdk::LowerAscii(type) == "cn" || type == "2.5.4.3"; }

}  // namespace

std::optional<std::vector<Rdn>> ParseDn(std::string_view dn) { return DnParser(dn).Parse(); }

std::optional<std::string> GroupNameOf(std::string_view dn) {
  auto rdns = ParseDn(dn);
  if (!rdns || rdns->empty()) return std::nullopt;
  const Rdn& first = rdns->front();
  for (const auto& ava : first)
    if (IsCn(ava.type)) return ava.value.empty() ? std::nullopt : std::optional(ava.value);
  if (first.front().value.empty()) return std::nullopt;
  return first.front().value;
}

std::string EscapeFilterValue(std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '*' || c == '(' || c == ')' || c == '\\' || u < 0x20 || u == 0x7f) {
      out += '\\';
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else {
      out += c;
    }
  }
  return out;
}

std::string LoginFilter(std::string_view username_attribute, std::string_view user,
                        std::string_view extra) {
  const std::string escaped = EscapeFilterValue(sdk::LowerAscii(user));
  // One pass over the admin's text: what was substituted is never looked at again.
  std::string filters;
  for (size_t i = 0; i < extra.size();) {
    if (extra.compare(i, 8, "%(user)s") == 0) {
      filters += escaped;
      i += 8;
    } else if (extra.compare(i, 2, "%s") == 0) {
      filters += escaped;
      i += 2;
    } else {
      filters += extra[i++];
    }
  }
  size_t b = 0, e = filters.size();
  while (b < e && filters[b] == ' ') ++b;
  while (e > b && filters[e - 1] == ' ') --e;
  filters = filters.substr(b, e - b);
  if (!filters.empty() && filters.front() != '(') filters = "(" + filters + ")";
  return "(&(" + std::string(username_attribute) + "=" + escaped + ")" + filters + ")";
}

}  // namespace webui::ldap
