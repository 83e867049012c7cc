// webui-host plugin SDK: JSON for plugins (opt-in; needs nlohmann/json, which sdk.hpp does not):
// bounded parsing (json::Parse), request bodies (JsonBody), answers (Reply), typed settings
// (Setting<T>) and an /api/config contribution returning a JSON value (OfferApiConfig).
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
#include <type_traits>
#include <utility>

#include <webui_host/sdk/core.hpp>
#include <webui_host/sdk/errors.hpp>
#include <webui_host/sdk/http.hpp>
#include <webui_host/sdk/plugin.hpp>
#include <webui_host/sdk/services.hpp>

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

namespace detail {

inline std::string NlohmannDump(const nlohmann::json& value, int indent) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

// `s` as a JSON string literal, exactly as nlohmann writes it (ensure_ascii off): runs of bytes
// that need no escape are copied at once. Text with a byte >= 0x80 goes to nlohmann, whose
// UTF-8 check and U+FFFD replacement rules the output must match byte for byte.
inline void AppendString(std::string& out, const std::string& s) {
  const std::size_t mark = out.size();
  out.push_back('"');
  const char* p = s.data();
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(p[i]);
    if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') continue;
    if (c >= 0x80) {
      out.resize(mark);
      out += NlohmannDump(nlohmann::json(s), -1);
      return;
    }
    out.append(p + run, i - run);
    run = i + 1;
    sdk::detail::AppendJsonEscape(out, c);
  }
  out.append(p + run, s.size() - run);
  out.push_back('"');
}

// Compact serialisation, byte-identical to nlohmann's dump(-1) with error_handler_t::replace
// (tests/sdk json_test compares them on random documents). Floats, binary and discarded values
// are rare on answers and left to nlohmann. Recurses once per nesting level, like nlohmann's.
inline void AppendCompact(std::string& out, const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::null:
      out += "null";
      return;
    case nlohmann::json::value_t::boolean:
      out += v.get_ref<const bool&>() ? "true" : "false";
      return;
    case nlohmann::json::value_t::number_integer:
      out += std::to_string(v.get_ref<const std::int64_t&>());
      return;
    case nlohmann::json::value_t::number_unsigned:
      out += std::to_string(v.get_ref<const std::uint64_t&>());
      return;
    case nlohmann::json::value_t::string:
      AppendString(out, v.get_ref<const std::string&>());
      return;
    case nlohmann::json::value_t::array: {
      out.push_back('[');
      bool first = true;
      for (const auto& e : v) {
        if (!first) out.push_back(',');
        first = false;
        AppendCompact(out, e);
      }
      out.push_back(']');
      return;
    }
    case nlohmann::json::value_t::object: {
      out.push_back('{');
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!first) out.push_back(',');
        first = false;
        AppendString(out, it.key());
        out.push_back(':');
        AppendCompact(out, it.value());
      }
      out.push_back('}');
      return;
    }
    default:  // number_float, binary, discarded
      out += NlohmannDump(v, -1);
      return;
  }
}

}  // namespace detail

// Serialises `value` (compact, or pretty with `indent` >= 0); invalid UTF-8 in strings (which
// Parse never produces, but values built from upstream bytes may hold) becomes U+FFFD instead of
// throwing. The compact form, on every answer, has its own faster writer with the same output.
inline std::string Dump(const nlohmann::json& value, int indent = -1) {
  if (indent >= 0) return detail::NlohmannDump(value, indent);
  std::string out;
  detail::AppendCompact(out, value);
  return out;
}

}  // namespace webui::sdk::json

namespace webui::sdk {

// `text` as a JSON object. Anything else throws Unprocessable with FastAPI's shape: invalid
// JSON (or deeper than limits.max_depth) {"loc":["body"],"msg":"JSON decode error",
// "type":"json_invalid"}, another JSON value {"loc":["body"],"msg":"Input should be a valid
// dictionary","type":"model_attributes_type"}.
inline nlohmann::json ParseJsonObject(std::string_view text, const json::Limits& limits = {}) {
  std::optional<nlohmann::json> parsed = json::Parse(text, limits);
  if (!parsed) throw Unprocessable("json_invalid", "", "JSON decode error");
  if (!parsed->is_object())
    throw Unprocessable("model_attributes_type", "", "Input should be a valid dictionary");
  return std::move(*parsed);
}

// The request body as a JSON object, or Unprocessable (ParseJsonObject).
inline nlohmann::json JsonBody(const Request& req, const json::Limits& limits = {}) {
  return ParseJsonObject(req.Body(), limits);
}

// body[field] as a string, or Unprocessable as pydantic reports a `field: str` member: absent
// {"loc":["body",field],"msg":"Field required","type":"missing"}, another JSON type
// {"msg":"Input should be a valid string","type":"string_type"}.
inline std::string RequiredString(const nlohmann::json& body, const std::string& field) {
  const auto it = body.find(field);
  if (it == body.end()) throw Unprocessable("missing", field, "Field required");
  if (!it->is_string()) throw Unprocessable("string_type", field, "Input should be a valid string");
  return it->get<std::string>();
}

// Answers `value` as application/json with `status`; invalid UTF-8 in strings becomes U+FFFD
// (json::Dump). False when the body could not be sent (Response::Send).
inline bool Reply(Response& res, const nlohmann::json& value, int status = 200) {
  return res.Json(json::Dump(value), status);
}

// A declared setting (Host::DeclareConfig) read and converted on every call, so an admin's
// change applies at once. `fallback` when nobody declared the key, its value is not JSON, is
// null, or does not have T's JSON type: bool needs a boolean, a number type a number (not a
// boolean), std::string a string; nlohmann::json takes any value, except that a number
// fallback only takes a number.
template <typename T>
T Setting(const Host& host, std::string_view key, T fallback) {
  const std::optional<std::string> text = host.ConfigJson(key);
  if (!text) return fallback;
  std::optional<nlohmann::json> v = json::Parse(*text);
  if (!v || v->is_null()) return fallback;
  if constexpr (std::is_same_v<T, nlohmann::json>) {
    if (fallback.is_number() && !v->is_number()) return fallback;
    return std::move(*v);
  } else if constexpr (std::is_same_v<T, bool>) {
    return v->is_boolean() ? v->template get<bool>() : fallback;
  } else if constexpr (std::is_arithmetic_v<T>) {
    return v->is_number() ? v->template get<T>() : fallback;
  } else if constexpr (std::is_same_v<T, std::string>) {
    return v->is_string() ? v->template get<std::string>() : fallback;
  } else {
    try {
      return v->template get<T>();
    } catch (const nlohmann::json::exception&) {
      return fallback;
    }
  }
}
inline std::string Setting(const Host& host, std::string_view key, const char* fallback) {
  return Setting<std::string>(host, key, std::string(fallback));
}

// OfferApiConfig (services.hpp) with a function that returns the object as a JSON value.
inline void OfferApiConfigJson(Host& host, std::function<nlohmann::json(Request&)> fn,
                               int32_t order = WH_API_CONFIG_ORDER_DEFAULT) {
  OfferApiConfig(host, std::function<std::string(Request&)>([fn = std::move(fn)](Request& req) {
                   return json::Dump(fn(req));
                 }),
                 order);
}

}  // namespace webui::sdk
