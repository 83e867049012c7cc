#include "config/settings.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace webui::config {
namespace {

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

bool ParseBool(std::string_view text, bool* out) {
  const std::string v = Lower(Trim(text));
  if (v == "true" || v == "1" || v == "yes" || v == "on") {
    *out = true;
    return true;
  }
  if (v == "false" || v == "0" || v == "no" || v == "off") {
    *out = false;
    return true;
  }
  return false;
}

std::vector<std::string> SplitTrim(std::string_view text, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(sep, start);
    if (end == std::string_view::npos) end = text.size();
    std::string item = Trim(text.substr(start, end - start));
    if (!item.empty()) out.push_back(std::move(item));
    start = end + 1;
  }
  return out;
}

std::map<std::string, std::string> Settings::ParseDotenv(std::string_view text) {
  std::map<std::string, std::string> out;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    std::string t = Trim(line);
    if (t.empty() || t[0] == '#') continue;
    if (t.rfind("export ", 0) == 0) t = Trim(std::string_view(t).substr(7));
    const size_t eq = t.find('=');
    if (eq == std::string::npos) continue;
    std::string key = Trim(std::string_view(t).substr(0, eq));
    std::string value = Trim(std::string_view(t).substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    } else {
      // Unquoted values may carry a trailing comment.
      const size_t hash = value.find(" #");
      if (hash != std::string::npos) value = Trim(std::string_view(value).substr(0, hash));
    }
    if (!key.empty()) out[key] = value;
  }
  return out;
}

Settings Settings::Load(const std::filesystem::path& dotenv) {
  Settings s;
  s.use_process_env_ = true;
  std::ifstream in(dotenv);
  if (in) {
    std::stringstream buf;
    buf << in.rdbuf();
    s.dotenv_ = ParseDotenv(buf.str());
  }
  return s;
}

Settings Settings::FromMap(std::map<std::string, std::string> env,
                           std::map<std::string, std::string> dotenv) {
  Settings s;
  s.env_ = std::move(env);
  s.dotenv_ = std::move(dotenv);
  return s;
}

std::optional<std::string> Settings::Get(std::string_view name) const {
  const std::string key(name);
  if (use_process_env_) {
    if (const char* v = std::getenv(key.c_str())) return std::string(v);
  } else if (auto it = env_.find(key); it != env_.end()) {
    return it->second;
  }
  if (auto it = dotenv_.find(key); it != dotenv_.end()) return it->second;
  return std::nullopt;
}

std::string Settings::String(std::string_view name, std::string_view fallback) const {
  auto v = Get(name);
  return v ? *v : std::string(fallback);
}

bool Settings::Bool(std::string_view name, bool fallback) const {
  auto v = Get(name);
  if (!v || Trim(*v).empty()) return fallback;
  bool out = false;
  if (!ParseBool(*v, &out))
    throw ConfigError(std::string(name) + ": expected true or false, got '" + *v + "'");
  return out;
}

std::int64_t Settings::Int(std::string_view name, std::int64_t fallback, std::int64_t min,
                           std::int64_t max) const {
  auto v = Get(name);
  if (!v || Trim(*v).empty()) return fallback;
  const std::string t = Trim(*v);
  std::int64_t out = 0;
  size_t used = 0;
  try {
    out = std::stoll(t, &used);
  } catch (...) {
    used = 0;
  }
  if (used == 0 || used != t.size())
    throw ConfigError(std::string(name) + ": expected an integer, got '" + *v + "'");
  if (out < min || out > max)
    throw ConfigError(std::string(name) + ": " + t + " is outside " + std::to_string(min) + ".." +
                      std::to_string(max));
  return out;
}

std::int64_t Settings::Bytes(std::string_view name, std::int64_t fallback) const {
  auto v = Get(name);
  if (!v || Trim(*v).empty()) return fallback;
  std::string t = Lower(Trim(*v));
  std::int64_t mult = 1;
  if (!t.empty() && t.back() == 'b') t.pop_back();
  if (!t.empty()) {
    switch (t.back()) {
      case 'k':
        mult = 1024;
        break;
      case 'm':
        mult = 1024 * 1024;
        break;
      case 'g':
        mult = 1024LL * 1024 * 1024;
        break;
      default:
        break;
    }
    if (mult != 1) t.pop_back();
  }
  size_t used = 0;
  std::int64_t n = -1;
  try {
    n = std::stoll(t, &used);
  } catch (...) {
    used = 0;
  }
  if (used == 0 || used != t.size() || n < 0)
    throw ConfigError(std::string(name) + ": expected a size like 1048576, 512k or 10m, got '" +
                      *v + "'");
  return n * mult;
}

std::string Settings::OneOf(std::string_view name, std::string_view fallback,
                            const std::vector<std::string>& allowed) const {
  auto v = Get(name);
  if (!v || Trim(*v).empty()) return std::string(fallback);
  const std::string t = Lower(Trim(*v));
  for (const auto& a : allowed)
    if (Lower(a) == t) return a;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : "|") + a;
  throw ConfigError(std::string(name) + ": expected one of " + list + ", got '" + *v + "'");
}

std::vector<std::string> Settings::List(std::string_view name, char sep) const {
  auto v = Get(name);
  if (!v) return {};
  return SplitTrim(*v, sep);
}

}  // namespace webui::config
