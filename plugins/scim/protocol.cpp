#include "protocol.hpp"

#include <algorithm>
#include <charconv>
#include <set>

namespace webui::scim {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The top-level attribute names of a comma list, lower-cased, URN prefix and sub-attributes
// dropped ("urn:ietf:params:scim:schemas:core:2.0:User:name.givenName" -> "name").
std::set<std::string> TopLevelNames(std::string_view list) {
  std::set<std::string> out;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    std::string item = sdk::LowerAscii(Trim(list.substr(0, comma)));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (item.rfind("urn:", 0) == 0) {
      // The attribute follows the last ':' of the schema URN ("...:2.0:User:").
      const std::size_t colon = item.rfind(':');
      item.erase(0, colon + 1);
    }
    item = item.substr(0, item.find('.'));
    if (!item.empty()) out.insert(item);
  }
  return out;
}

int64_t ParseInt(std::string_view text, std::string_view what) {
  text = Trim(text);
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc::result_out_of_range)
    return !text.empty() && text.front() == '-' ? INT64_MIN : INT64_MAX;
  if (ec != std::errc() || end != text.data() + text.size() || text.empty())
    throw ScimError(400, "invalidValue", std::string(what) + " must be an integer");
  return v;
}

}  // namespace

nlohmann::json ErrorBody(int status, std::string_view scim_type, std::string_view detail) {
  nlohmann::json body = {{"schemas", {kErrorSchema}},
                         {"status", std::to_string(status)},
                         {"detail", std::string(detail)}};
  if (!scim_type.empty()) body["scimType"] = std::string(scim_type);
  return body;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const std::size_t n = std::max(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

std::optional<std::string> BearerRefusal(std::optional<std::string_view> authorization,
                                         std::string_view token) {
  if (!authorization || Trim(*authorization).empty()) return "Authorization header required";
  // Python's str.split(): runs of whitespace separate, exactly two parts expected.
  std::string_view rest = Trim(*authorization);
  const std::size_t space = rest.find_first_of(" \t");
  if (space == std::string_view::npos)
    return "Invalid authorization format. Expected: Bearer <token>";
  const std::string_view scheme = rest.substr(0, space);
  const std::string_view credential = Trim(rest.substr(space));
  if (credential.find_first_of(" \t") != std::string_view::npos)
    return "Invalid authorization format. Expected: Bearer <token>";
  if (sdk::LowerAscii(scheme) != "bearer") return "Invalid authentication scheme";
  if (token.empty() || !ConstantTimeEquals(credential, token)) return "Invalid SCIM token";
  return std::nullopt;
}

Paging ParsePaging(std::optional<std::string_view> start_index,
                   std::optional<std::string_view> count) {
  Paging p;
  if (start_index && !Trim(*start_index).empty())
    p.start_index = std::max<int64_t>(1, ParseInt(*start_index, "startIndex"));
  if (count && !Trim(*count).empty())
    p.count = std::clamp<int64_t>(ParseInt(*count, "count"), 0, kMaxCount);
  return p;
}

bool ParseBool(const nlohmann::json& value, std::string_view what) {
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_string()) {
    const std::string s = sdk::LowerAscii(value.get<std::string>());
    if (s == "true") return true;
    if (s == "false") return false;
  }
  throw ScimError(400, "invalidValue", std::string(what) + " must be a boolean");
}

bool Projection::Excludes(std::string_view top_level_attribute) const {
  const std::string name = sdk::LowerAscii(top_level_attribute);
  if (name == "id" || name == "schemas") return false;
  if (attributes) {
    const auto wanted = TopLevelNames(*attributes);
    if (!wanted.empty() && !wanted.count(name)) return true;
  }
  return excluded && TopLevelNames(*excluded).count(name) > 0;
}

void Projection::Apply(nlohmann::json& resource) const {
  if (!resource.is_object() || (!attributes && !excluded)) return;
  for (auto it = resource.begin(); it != resource.end();) {
    if (Excludes(it.key())) {
      it = resource.erase(it);
    } else {
      ++it;
    }
  }
}

std::string StringOr(const nlohmann::json& obj, const char* key, std::string fallback) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : fallback;
}

const nlohmann::json* FindCi(const nlohmann::json& obj, std::string_view name) {
  if (!obj.is_object()) return nullptr;
  const std::string want = sdk::LowerAscii(name);
  for (auto it = obj.begin(); it != obj.end(); ++it)
    if (sdk::LowerAscii(it.key()) == want) return &it.value();
  return nullptr;
}

}  // namespace webui::scim
