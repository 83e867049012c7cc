// SCIM 2.0 protocol pieces that need no host: the error type and its body, the bearer check,
// paging, Entra's string booleans and attribute projection (RFC 7644 §3.4.2.5, §3.9, §3.12).
#pragma once

#include <webui_host/sdk/core.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace webui::scim {

inline constexpr const char* kUserSchema = "urn:ietf:params:scim:schemas:core:2.0:User";
inline constexpr const char* kGroupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group";
inline constexpr const char* kListSchema = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
inline constexpr const char* kErrorSchema = "urn:ietf:params:scim:api:messages:2.0:Error";
inline constexpr const char* kPatchSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
inline constexpr const char* kMediaType = "application/scim+json";

// Answered as the SCIM error body {schemas, status (a string), scimType?, detail}. `detail` is
// the same key Open WebUI's {"detail"} errors use, so clients reading only that still work.
class ScimError : public std::runtime_error {
 public:
  ScimError(int status, std::string scim_type, const std::string& detail)
      : std::runtime_error(detail), status_(status), scim_type_(std::move(scim_type)) {}
  int status() const { return status_; }
  const std::string& scim_type() const { return scim_type_; }

 private:
  int status_;
  std::string scim_type_;  // "" = none
};

nlohmann::json ErrorBody(int status, std::string_view scim_type, std::string_view detail);

// No early exit on the first differing byte; only the length may leak.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Checks `Authorization` against `token` with Open WebUI's texts; nullopt when it matches. An
// empty `token` (SCIM_TOKEN unset) matches nothing.
std::optional<std::string> BearerRefusal(std::optional<std::string_view> authorization,
                                         std::string_view token);

inline constexpr int64_t kDefaultCount = 20;
inline constexpr int64_t kMaxCount = 100;

// startIndex is 1-based: below 1 becomes 1. count is clamped to 0..kMaxCount. A value that is
// not an integer is 400 invalidValue.
struct Paging {
  int64_t start_index = 1;
  int64_t count = kDefaultCount;
};
Paging ParsePaging(std::optional<std::string_view> start_index,
                   std::optional<std::string_view> count);

// A SCIM boolean: JSON true/false, or Entra's "True"/"False" strings (any case). Anything else
// is 400 invalidValue naming `what`.
bool ParseBool(const nlohmann::json& value, std::string_view what);

// `attributes=` / `excludedAttributes=` (comma lists, case-insensitive, with or without the
// schema URN; "name.givenName" selects the whole "name"). id and schemas are always returned.
struct Projection {
  std::optional<std::string> attributes;
  std::optional<std::string> excluded;
  bool Excludes(std::string_view top_level_attribute) const;
  void Apply(nlohmann::json& resource) const;
};

// obj[key] when it is a string, else `fallback`.
std::string StringOr(const nlohmann::json& obj, const char* key, std::string fallback = "");
// The member of `obj` named `name` case-insensitively (SCIM attribute names), nullptr if none.
const nlohmann::json* FindCi(const nlohmann::json& obj, std::string_view name);

}  // namespace webui::scim
