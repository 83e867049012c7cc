#include "image_data.hpp"

#include <array>
#include <cctype>
#include <random>
#include <stdexcept>
#include <vector>

namespace webui::images {

using nlohmann::json;

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

std::vector<std::string> NodeIds(const json& ids) {
  std::vector<std::string> out;
  auto add = [&](std::string_view text) {
    size_t start = 0;
    while (start <= text.size()) {
      size_t comma = text.find(',', start);
      if (comma == std::string_view::npos) comma = text.size();
      std::string_view part = text.substr(start, comma - start);
      while (!part.empty() && std::isspace(static_cast<unsigned char>(part.front())))
        part.remove_prefix(1);
      while (!part.empty() && std::isspace(static_cast<unsigned char>(part.back())))
        part.remove_suffix(1);
      if (!part.empty()) out.emplace_back(part);
      start = comma + 1;
    }
  };
  if (ids.is_string()) add(ids.get<std::string>());
  if (ids.is_array())
    for (const json& id : ids) {
      if (id.is_string()) add(id.get<std::string>());
      if (id.is_number_integer()) out.push_back(std::to_string(id.get<std::int64_t>()));
    }
  return out;
}

}  // namespace

std::optional<std::string> Base64Decode(std::string_view text) {
  std::array<int, 256> value{};
  value.fill(-1);
  for (int i = 0; i < 64; ++i) value[static_cast<unsigned char>(kAlphabet[i])] = i;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t acc = 0;
  int bits = 0;
  bool padding = false;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) continue;
    if (c == '=') {
      padding = true;
      continue;
    }
    const int v = value[static_cast<unsigned char>(c)];
    if (v < 0 || padding) return std::nullopt;  // junk, or data after the padding
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  if (bits >= 6) return std::nullopt;  // one sextet alone encodes no byte
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const std::uint32_t n = (static_cast<unsigned char>(bytes[i]) << 16) |
                            (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                            static_cast<unsigned char>(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0}) out.push_back(kAlphabet[(n >> shift) & 63]);
  }
  if (i < bytes.size()) {
    std::uint32_t n = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::optional<DecodedImage> DecodeBase64Image(std::string_view text) {
  std::string declared;
  if (StartsWith(text, "data:")) {
    const size_t comma = text.find(',');
    if (comma == std::string_view::npos) return std::nullopt;
    std::string_view header = text.substr(5, comma - 5);
    declared = Lower(header.substr(0, header.find(';')));
    text.remove_prefix(comma + 1);
  }
  auto bytes = Base64Decode(text);
  if (!bytes) return std::nullopt;
  DecodedImage out{std::move(*bytes), declared};
  if (out.content_type.empty()) out.content_type = SniffImageType(out.bytes);
  if (out.content_type.empty()) out.content_type = "image/png";
  return out;
}

std::string SniffImageType(std::string_view b) {
  if (StartsWith(b, "\x89PNG\r\n\x1a\n")) return "image/png";
  if (StartsWith(b, "\xFF\xD8\xFF")) return "image/jpeg";
  if (StartsWith(b, "GIF87a") || StartsWith(b, "GIF89a")) return "image/gif";
  if (b.size() >= 12 && StartsWith(b, "RIFF") && b.substr(8, 4) == "WEBP") return "image/webp";
  return {};
}

std::string ExtensionFor(std::string_view content_type) {
  const std::string t = Lower(content_type.substr(0, content_type.find(';')));
  if (t == "image/png") return ".png";
  if (t == "image/jpeg" || t == "image/jpg") return ".jpg";
  if (t == "image/webp") return ".webp";
  if (t == "image/gif") return ".gif";
  return {};
}

std::string QueryEscape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string Origin(std::string_view url) {
  const size_t colon = url.find("://");
  if (colon == std::string_view::npos) return {};
  const std::string scheme = Lower(url.substr(0, colon));
  if (scheme != "http" && scheme != "https") return {};
  const size_t end = url.find_first_of("/?#", colon + 3);
  std::string authority = Lower(url.substr(
      colon + 3, end == std::string_view::npos ? std::string_view::npos : end - colon - 3));
  // Userinfo is not part of the origin.
  if (const size_t at = authority.rfind('@'); at != std::string::npos) authority.erase(0, at + 1);
  if (authority.empty()) return {};
  const std::string default_port = scheme == "http" ? ":80" : ":443";
  // IPv6 literals are bracketed, so a ":80" suffix is always the port.
  if (authority.size() > default_port.size() &&
      authority.compare(authority.size() - default_port.size(), default_port.size(),
                        default_port) == 0)
    authority.erase(authority.size() - default_port.size());
  return scheme + "://" + authority;
}

void ApplyComfyUiNodes(json& workflow, const json& nodes, const ComfyUiParams& p) {
  if (!workflow.is_object()) throw std::runtime_error("the ComfyUI workflow is not a JSON object");
  if (!nodes.is_array()) return;
  std::int64_t seed = 0;
  if (p.seed) {
    seed = *p.seed;
  } else {
    std::random_device rd;
    seed =
        static_cast<std::int64_t>(std::uniform_int_distribution<std::uint64_t>(0, 1ull << 50)(rd));
  }
  for (const json& node : nodes) {
    if (!node.is_object()) continue;
    const std::string type = node.value("type", std::string());
    std::string key = node.contains("key") && node["key"].is_string()
                          ? node["key"].get<std::string>()
                          : std::string();
    json value;
    if (type.empty()) {
      value = node.value("value", json(nullptr));
    } else if (type == "model") {
      value = p.model;
    } else if (type == "prompt") {
      if (key.empty()) key = "text";
      value = p.prompt;
    } else if (type == "negative_prompt") {
      if (key.empty()) key = "text";
      // Unset: the workflow keeps its own (upstream writes null, which ComfyUI refuses).
      if (!p.negative_prompt) continue;
      value = *p.negative_prompt;
    } else if (type == "width" || type == "height") {
      if (key.empty()) key = type;
      value = type == "width" ? p.width : p.height;
    } else if (type == "n") {
      if (key.empty()) key = "batch_size";
      value = p.n;
    } else if (type == "steps") {
      if (key.empty()) key = "steps";
      if (!p.steps) continue;
      value = *p.steps;
    } else if (type == "seed") {
      if (key.empty()) key = "seed";
      value = seed;
    } else {
      continue;  // a type this version does not know: left alone, as upstream
    }
    if (key.empty()) continue;
    for (const std::string& id : NodeIds(node.value("node_ids", json(nullptr)))) {
      auto it = workflow.find(id);
      if (it == workflow.end() || !it->is_object())
        throw std::runtime_error("the ComfyUI workflow has no node '" + id + "'");
      json& inputs = (*it)["inputs"];
      if (!inputs.is_object()) inputs = json::object();
      inputs[key] = value;
    }
  }
}

}  // namespace webui::images
