// The bounded JSON parser (sdk/include/webui_host/sdk/json.hpp) that every request body,
// upstream answer and stored document goes through (docs/security.md T53).
//
// Invariants: Parse never throws; it accepts exactly what nlohmann accepts when the nesting is
// within the limit, and nothing deeper; NestingDepth stops at its bound; a parsed value survives
// Dump and a second Parse unchanged (the operations that recurse per level run on it safely).
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>
#include <webui_host/sdk/json.hpp>

#include "fuzz_support.hpp"

namespace sj = webui::sdk::json;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = webui::fuzz::AsText(data, size);
  constexpr std::size_t kDepth = 16;  // small, so the bound is crossed often
  const std::size_t depth = sj::NestingDepth(text);
  const std::size_t bounded = sj::NestingDepth(text, kDepth);
  FUZZ_CHECK(bounded == (depth > kDepth ? kDepth + 1 : depth));

  const auto value = sj::Parse(text, sj::Limits{kDepth, 1 << 20});
  if (depth > kDepth) {
    FUZZ_CHECK(!value.has_value());
    return 0;
  }
  // Within the bound, the answer is nlohmann's own (the depth pre-scan changes nothing else).
  const bool valid = nlohmann::json::accept(text.begin(), text.end());
  FUZZ_CHECK(value.has_value() == valid);
  if (!value) return 0;
  const std::string dumped = sj::Dump(*value);
  const auto again = sj::Parse(dumped, sj::Limits{kDepth, 1 << 20});
  FUZZ_CHECK(again.has_value());
  // Strings with invalid UTF-8 are replaced by Dump, so only compare when nothing was replaced.
  if (dumped == again->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
    FUZZ_CHECK(sj::Dump(*again) == dumped);
  return 0;
}
