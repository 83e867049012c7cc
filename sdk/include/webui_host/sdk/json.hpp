// webui-host plugin SDK: bounded JSON parsing (opt-in; needs nlohmann/json, which sdk.hpp does
// not).
//
// nlohmann::json parses iteratively, but copying, comparing and dumping a value recurse once per
// nesting level, and the host's HTTP threads run on small stacks: a body of a few kilobytes of
// '[' is enough to overflow one. Every request body, upstream answer and stored document goes
// through Parse(), which refuses deep nesting before nlohmann builds anything from it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace webui::sdk::json {

struct Limits {
  std::size_t max_depth = 128;
  std::size_t max_bytes = std::size_t{64} << 20;
};

// Deepest nesting of arrays/objects in `text`, not counting brackets inside strings (escapes
// handled); stops scanning once the depth exceeds `stop_after` and returns stop_after + 1.
inline std::size_t NestingDepth(std::string_view text, std::size_t stop_after = SIZE_MAX) noexcept {
  std::size_t depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > deepest) {
          deepest = depth;
          if (deepest > stop_after) return stop_after + 1;
        }
        break;
      case ']':
      case '}':
        // An unbalanced closer makes the text invalid; the parser refuses it, so only keep
        // the counter from wrapping.
        if (depth > 0) --depth;
        break;
      default:
        break;
    }
  }
  return deepest;
}

// The value if `text` is valid JSON within `limits`, else std::nullopt. Never throws.
//
// The depth scan and nlohmann's lexer agree on where strings start and end up to the first
// syntax error, and the parser stops there, so no value deeper than max_depth is ever built.
inline std::optional<nlohmann::json> Parse(std::string_view text,
                                           const Limits& limits = {}) noexcept {
  if (text.size() > limits.max_bytes) return std::nullopt;
  if (NestingDepth(text, limits.max_depth) > limits.max_depth) return std::nullopt;
  try {
    nlohmann::json value = nlohmann::json::parse(text.begin(), text.end(), nullptr,
                                                 /*allow_exceptions=*/false);
    if (value.is_discarded()) return std::nullopt;
    return value;
  } catch (...) {  // std::bad_alloc
    return std::nullopt;
  }
}

// Serialises `value` (compact, or pretty with `indent` >= 0); invalid UTF-8 in strings (which
// Parse never produces, but values built from upstream bytes may hold) becomes U+FFFD instead of
// throwing.
inline std::string Dump(const nlohmann::json& value, int indent = -1) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace webui::sdk::json
