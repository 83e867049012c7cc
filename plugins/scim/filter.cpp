#include "filter.hpp"

#include <cstdint>

#include <webui_host/sdk/core.hpp>

namespace webui::scim {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

// Characters of an attribute path (RFC 7644 ATTRNAME plus the URN and sub-attribute separators).
bool IsPathChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == ':' || c == '.' || c == '$';
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class Parser {
 public:
  Parser(std::string_view text, Resource resource) : text_(text), resource_(resource) {}

  // After "members[": `value eq "<id>"]` and nothing else.
  std::string MemberValue() {
    SkipSpaces();
    if (sdk::LowerAscii(ReadPath()) != "value")
      throw FilterError("only 'value eq' selects members");
    RequireSpace();
    if (sdk::LowerAscii(ReadWord()) != "eq") throw FilterError("only 'value eq' selects members");
    RequireSpace();
    std::string id = ParseString();
    SkipSpaces();
    if (Peek() != ']') throw FilterError("expected ']'");
    ++pos_;
    if (!AtEnd()) throw FilterError("unexpected text after ']'");
    return id;
  }

  Filter Parse() {
    if (text_.size() > kMaxFilterBytes) throw FilterError("filter is too long");
    Filter out;
    SkipSpaces();
    if (AtEnd()) throw FilterError("filter is empty");
    while (true) {
      if (out.size() == kMaxComparisons) throw FilterError("filter has too many comparisons");
      out.push_back(ParseComparison());
      SkipSpaces();
      if (AtEnd()) return out;
      const std::string word = sdk::LowerAscii(ReadWord());
      if (word != "and") {
        throw FilterError(word == "or" || word == "not"
                              ? "logical operator '" + word + "' is not supported, only 'and'"
                              : "expected 'and' or the end of the filter");
      }
      SkipSpaces();
    }
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  void SkipSpaces() {
    while (!AtEnd() && IsSpace(text_[pos_])) ++pos_;
  }
  void RequireSpace() {
    if (AtEnd() || !IsSpace(text_[pos_])) throw FilterError("expected a space");
    SkipSpaces();
  }
  // Letters up to the next space or bracket (an operator or a logical keyword).
  std::string_view ReadWord() {
    const std::size_t start = pos_;
    while (!AtEnd() && !IsSpace(text_[pos_]) && text_[pos_] != '"' && text_[pos_] != '[' &&
           text_[pos_] != ']')
      ++pos_;
    return text_.substr(start, pos_ - start);
  }
  std::string_view ReadPath() {
    const std::size_t start = pos_;
    while (!AtEnd() && IsPathChar(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }

  Comparison ParseComparison() {
    if (Peek() == '(') throw FilterError("grouping with parentheses is not supported");
    std::string path = sdk::LowerAscii(ReadPath());
    if (path.empty()) throw FilterError("expected an attribute name");
    StripSchema(path);
    if (Peek() == '[') path = ParseValuePath(path);
    const Attribute attribute = Resolve(path);
    RequireSpace();
    const std::string op = sdk::LowerAscii(ReadWord());
    if (op != "eq") {
      static const char* const kKnown[] = {"ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr"};
      for (const char* k : kKnown)
        if (op == k) throw FilterError("operator '" + op + "' is not supported, only 'eq'");
      throw FilterError("expected the operator 'eq'");
    }
    RequireSpace();
    return {attribute, ParseString()};
  }

  void StripSchema(std::string& path) const {
    const std::string_view urn = resource_ == Resource::kUser
                                     ? "urn:ietf:params:scim:schemas:core:2.0:user:"
                                     : "urn:ietf:params:scim:schemas:core:2.0:group:";
    if (path.compare(0, urn.size(), urn) == 0) {
      path.erase(0, urn.size());
    } else if (path.rfind("urn:", 0) == 0) {
      throw FilterError("attribute '" + path + "' is not supported");
    }
  }

  // emails[type eq "work"].value: the only value path IdPs filter on.
  std::string ParseValuePath(const std::string& path) {
    ++pos_;  // '['
    SkipSpaces();
    const std::string sub = sdk::LowerAscii(ReadPath());
    RequireSpace();
    const std::string op = sdk::LowerAscii(ReadWord());
    RequireSpace();
    if (op != "eq") throw FilterError("only 'eq' is supported inside a value filter");
    const std::string value = sdk::LowerAscii(ParseString());
    SkipSpaces();
    if (Peek() != ']') throw FilterError("expected ']'");
    ++pos_;
    const std::string rest = sdk::LowerAscii(ReadPath());
    if (path == "emails" && sub == "type" && value == "work" && rest == ".value")
      return "emails[type eq \"work\"].value";
    throw FilterError("value filter on '" + path + "' is not supported");
  }

  Attribute Resolve(const std::string& path) const {
    if (path == "id") return Attribute::kId;
    if (path == "displayname") return Attribute::kDisplayName;
    if (resource_ == Resource::kUser) {
      if (path == "username") return Attribute::kUserName;
      if (path == "externalid") return Attribute::kExternalId;
      // A filter on a multi-valued complex attribute compares its "value" (RFC 7644 §3.4.2.2).
      if (path == "emails" || path == "emails.value") return Attribute::kEmailValue;
      if (path == "emails[type eq \"work\"].value") return Attribute::kWorkEmailValue;
    } else {
      if (path == "members" || path == "members.value") return Attribute::kMemberValue;
    }
    throw FilterError("attribute '" + path + "' is not supported in a filter");
  }

  uint32_t Hex4() {
    if (text_.size() - pos_ < 4) throw FilterError("truncated \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= static_cast<uint32_t>(c - '0');
      } else if (sdk::LowerAscii(c) >= 'a' && sdk::LowerAscii(c) <= 'f') {
        v |= static_cast<uint32_t>(sdk::LowerAscii(c) - 'a' + 10);
      } else {
        throw FilterError("invalid \\u escape");
      }
    }
    return v;
  }

  // A JSON string (RFC 8259 §7). Unquoted values, numbers and booleans are refused: every
  // attribute we compare is a string, and a guess at what `externalId eq jyoung` meant could
  // match the wrong account.
  std::string ParseString() {
    if (Peek() != '"') throw FilterError("the value must be a quoted string");
    ++pos_;
    std::string out;
    while (true) {
      if (AtEnd()) throw FilterError("unterminated string");
      const char c = text_[pos_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) throw FilterError("control character in string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (AtEnd()) throw FilterError("unterminated string");
      const char e = text_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          uint32_t cp = Hex4();
          if (cp >= 0xDC00 && cp <= 0xDFFF) throw FilterError("unpaired surrogate");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (text_.substr(pos_, 2) != "\\u") throw FilterError("unpaired surrogate");
            pos_ += 2;
            const uint32_t low = Hex4();
            if (low < 0xDC00 || low > 0xDFFF) throw FilterError("unpaired surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          if (cp == 0) throw FilterError("NUL in string");
          AppendUtf8(out, cp);
          break;
        }
        default:
          throw FilterError("invalid escape in string");
      }
    }
  }

  std::string_view text_;
  Resource resource_;
  std::size_t pos_ = 0;
};

}  // namespace

Filter ParseFilter(std::string_view text, Resource resource) {
  return Parser(text, resource).Parse();
}

std::optional<std::string> ParseMemberValuePath(std::string_view path) {
  constexpr std::string_view kPrefix = "members[";
  if (path.size() < kPrefix.size() || sdk::LowerAscii(path.substr(0, kPrefix.size())) != kPrefix)
    return std::nullopt;
  if (path.size() > kMaxFilterBytes) throw FilterError("path is too long");
  return Parser(path.substr(kPrefix.size()), Resource::kGroup).MemberValue();
}

}  // namespace webui::scim
