// The SCIM filter parser (plugins/scim/filter.cpp), which reads identity providers' `filter=`
// query and PATCH `members[value eq "…"]` paths.
//
// Invariants: ParseFilter and ParseMemberValuePath never throw anything but FilterError and
// never crash; a parsed filter has 1..kMaxComparisons comparisons; re-serialising it (canonical
// names, JSON-escaped values) and parsing again gives the same filter, so what was matched is
// exactly what was asked.
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "filter.hpp"
#include "fuzz_support.hpp"

namespace {

using webui::scim::Attribute;
using webui::scim::Filter;
using webui::scim::FilterError;
using webui::scim::Resource;

const char* Name(Attribute a) {
  switch (a) {
    case Attribute::kId:
      return "id";
    case Attribute::kExternalId:
      return "externalId";
    case Attribute::kUserName:
      return "userName";
    case Attribute::kDisplayName:
      return "displayName";
    case Attribute::kEmailValue:
      return "emails.value";
    case Attribute::kWorkEmailValue:
      return "emails[type eq \"work\"].value";
    case Attribute::kMemberValue:
      return "members.value";
  }
  return "";
}

// Canonical text of `f`; nullopt when a value is not valid UTF-8 (JSON cannot carry it as is).
std::optional<std::string> Serialise(const Filter& f) {
  std::string out;
  for (const auto& c : f) {
    if (!out.empty()) out += " and ";
    out += Name(c.attribute);
    out += " eq ";
    try {
      out += nlohmann::json(c.value).dump();
    } catch (const nlohmann::json::type_error&) {
      return std::nullopt;
    }
  }
  return out;
}

void Check(std::string_view text, Resource resource) {
  Filter f;
  try {
    f = webui::scim::ParseFilter(text, resource);
  } catch (const FilterError&) {
    return;
  }
  FUZZ_CHECK(!f.empty() && f.size() <= webui::scim::kMaxComparisons);
  const auto again = Serialise(f);
  if (!again || again->size() > webui::scim::kMaxFilterBytes) return;
  FUZZ_CHECK(webui::scim::ParseFilter(*again, resource) == f);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = webui::fuzz::AsText(data, size);
  Check(text, Resource::kUser);
  Check(text, Resource::kGroup);
  try {
    if (auto id = webui::scim::ParseMemberValuePath(text))
      FUZZ_CHECK(id->find('\0') == std::string::npos);
  } catch (const FilterError&) {
  }
  return 0;
}
