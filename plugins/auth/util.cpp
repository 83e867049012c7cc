#include "util.hpp"

#include <cctype>
#include <ctime>

#include <webui_host/sdk/json.hpp>

namespace webui::auth {
namespace {

using nlohmann::json;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Matches -?\d+(\.\d+)? at `pos`; returns its end or npos.
size_t MatchNumber(std::string_view s, size_t pos) {
  size_t i = pos;
  if (i < s.size() && s[i] == '-') ++i;
  const size_t digits = i;
  while (i < s.size() && IsDigit(s[i])) ++i;
  if (i == digits) return std::string_view::npos;
  if (i + 1 < s.size() && s[i] == '.' && IsDigit(s[i + 1])) {
    ++i;
    while (i < s.size() && IsDigit(s[i])) ++i;
  }
  return i;
}

// Matches (ms|s|m|h|d|w) at `pos` (ms before m, like the regex alternation); seconds per unit.
size_t MatchUnit(std::string_view s, size_t pos, double* unit) {
  if (pos >= s.size()) return std::string_view::npos;
  if (s.compare(pos, 2, "ms") == 0) {
    *unit = 0.001;
    return pos + 2;
  }
  switch (s[pos]) {
    case 's':
      *unit = 1;
      return pos + 1;
    case 'm':
      *unit = 60;
      return pos + 1;
    case 'h':
      *unit = 3600;
      return pos + 1;
    case 'd':
      *unit = 86400;
      return pos + 1;
    case 'w':
      *unit = 604800;
      return pos + 1;
    default:
      return std::string_view::npos;
  }
}

}  // namespace

Duration ParseDuration(std::string_view text) {
  Duration d;
  if (text == "-1" || text == "0") {
    d.valid = d.none = true;
    return d;
  }
  // re.findall semantics: scan left to right, take each non-overlapping match.
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t num_end = MatchNumber(text, pos);
    double unit = 0;
    const size_t unit_end =
        num_end == std::string_view::npos ? num_end : MatchUnit(text, num_end, &unit);
    if (unit_end == std::string_view::npos) {
      ++pos;
      continue;
    }
    d.seconds += std::stod(std::string(text.substr(pos, num_end - pos))) * unit;
    d.valid = true;
    pos = unit_end;
  }
  return d;
}

bool IsValidJwtExpiry(std::string_view text) {
  if (text == "-1" || text == "0") return true;
  const size_t num_end = MatchNumber(text, 0);
  if (num_end == std::string_view::npos) return false;
  double unit = 0;
  return MatchUnit(text, num_end, &unit) == text.size();
}

bool ValidEmailFormat(std::string_view email) {
  constexpr std::string_view kLocal = "@localhost";
  if (email.size() >= kLocal.size() && email.substr(email.size() - kLocal.size()) == kLocal)
    return true;
  const size_t at = email.find('@');
  if (at == std::string_view::npos || at == 0) return false;
  // The run of non-'@' characters after the first '@' must hold a '.' that is neither its
  // first nor its last character.
  std::string_view domain = email.substr(at + 1);
  domain = domain.substr(0, domain.find('@'));
  for (size_t i = 1; i + 1 < domain.size(); ++i)
    if (domain[i] == '.') return true;
  return false;
}

int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

bool ValidRole(std::string_view role) {
  return role == "pending" || role == "user" || role == "admin";
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

json ParseBodyObject(std::string_view body) {
  // Account bodies are flat: 64 levels of nesting is already generous.
  return sdk::ParseJsonObject(body, sdk::json::Limits{/*max_depth=*/64});
}

std::string RequireString(const json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end()) throw ValidationError("missing", field, "Field required");
  if (!it->is_string())
    throw ValidationError("string_type", field, "Input should be a valid string");
  return it->get<std::string>();
}

std::optional<std::string> OptionalString(const json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_string())
    throw ValidationError("string_type", field, "Input should be a valid string");
  return it->get<std::string>();
}

std::optional<bool> OptionalBool(const json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean())
    throw ValidationError("bool_type", field, "Input should be a valid boolean");
  return it->get<bool>();
}

std::string Dump(const json& j) { return sdk::json::Dump(j); }

}  // namespace webui::auth
