// The subset of the SCIM filter grammar (RFC 7644 §3.4.2.2) that identity providers send to find
// an object before they create it: `<attribute> eq "<value>"` joined by `and`. Anything outside
// this subset is refused with FilterError, which the plugin answers 400 invalidFilter: answering
// an unfiltered (or empty) page instead makes the IdP link or duplicate the wrong account
// (docs/security.md T24, T47).
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace webui::scim {

enum class Resource { kUser, kGroup };

// The attributes a filter may compare, per resource.
enum class Attribute {
  kId,              // Users, Groups
  kExternalId,      // Users
  kUserName,        // Users
  kDisplayName,     // Users, Groups
  kEmailValue,      // Users: emails.value (any email)
  kWorkEmailValue,  // Users: emails[type eq "work"].value
  kMemberValue,     // Groups: members / members.value (Entra's membership check)
};

struct Comparison {
  Attribute attribute;
  std::string value;  // the decoded JSON string

  bool operator==(const Comparison&) const = default;
};

// Every comparison must hold (the only logical operator supported is `and`).
using Filter = std::vector<Comparison>;

class FilterError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr std::size_t kMaxFilterBytes = 4096;
inline constexpr std::size_t kMaxComparisons = 16;

// Parses `text` for `resource`. Attribute names are case-insensitive and may carry the core
// schema URN ("urn:ietf:params:scim:schemas:core:2.0:User:userName"); the operator and `and`
// are case-insensitive; values must be JSON strings (escapes decoded, \u0000 refused). Throws
// FilterError with a message fit for the client on anything else.
Filter ParseFilter(std::string_view text, Resource resource);

// The PATCH path `members[value eq "<id>"]` (RFC 7644 §3.5.2.2): the id. nullopt when `path` is
// not a filter on members; FilterError when it is one but not of this form.
std::optional<std::string> ParseMemberValuePath(std::string_view path);

}  // namespace webui::scim
