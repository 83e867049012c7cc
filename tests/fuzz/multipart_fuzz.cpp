// The streaming multipart/form-data reader (host/http/multipart.*) fed a body in arbitrary
// pieces, as network reads would cut it.
//
// Input: byte 0 chooses the limits (two low bits) and the largest piece of the random cut (the
// other six); then a Content-Type header up to the first '\n' (FormDataBoundary reads it); then
// the body.
//
// Invariants: no part accepted beyond the limits (part count, plain field size; a field's size
// is its value's); file parts keep no value and, with no temporary directory, no file; a failed
// parser stays failed; the parts, and the failure if any, do not depend on how the body was cut
// (whole, byte by byte, random pieces); seed preamble_over_small_limit is a preamble over the
// limit, which once passed when its delimiter came in the same read.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "http/multipart.hpp"

namespace {

namespace http = webui::http;

// Small limits are reached often; the defaults are what the host uses.
http::MultipartLimits LimitsFor(std::uint8_t selector) {
  // max_field_bytes, max_parts, max_header_bytes, max_preamble_bytes
  static const http::MultipartLimits kSmall{64, 3, 128, 256};
  static const http::MultipartLimits kMedium{1024, 32, 512, 1024};
  switch (selector & 3) {
    case 1:
      return kSmall;
    case 2:
      return kMedium;
    default:
      return {};
  }
}

struct Part {
  std::string name, filename, content_type, value;
  std::uint64_t size = 0;
  bool is_file = false;

  bool operator==(const Part&) const = default;
};

struct Outcome {
  std::vector<Part> parts;
  std::optional<std::string> error;

  bool operator==(const Outcome&) const = default;
};

Outcome Parse(const std::string& boundary, const http::MultipartLimits& limits,
              const std::vector<std::string_view>& pieces, std::size_t body_size) {
  http::MultipartParser parser(boundary, {}, limits);
  Outcome out;
  for (const std::string_view piece : pieces) {
    out.error = parser.Feed(piece);
    if (out.error) break;
  }
  if (out.error) {
    FUZZ_CHECK(!out.error->empty());
    // A failed parser stays failed.
    FUZZ_CHECK(parser.Feed("\r\n--" + boundary + "--\r\n").has_value());
    FUZZ_CHECK(parser.Finish().has_value());
    return out;
  }
  out.error = parser.Finish();
  if (out.error) {
    FUZZ_CHECK(!out.error->empty());
    return out;
  }
  std::uint64_t total = 0;
  const std::vector<http::FormPart> parts = parser.TakeParts();
  FUZZ_CHECK(parts.size() <= limits.max_parts);
  for (const auto& p : parts) {
    if (p.is_file) {
      FUZZ_CHECK(p.value.empty());
      FUZZ_CHECK(p.file.empty());  // no temporary directory: counted, never written
    } else {
      FUZZ_CHECK(p.filename.empty());
      FUZZ_CHECK(p.value.size() <= limits.max_field_bytes);
      FUZZ_CHECK(p.size == p.value.size());
    }
    total += p.size;
    out.parts.push_back(Part{p.name, p.filename, p.content_type, p.value, p.size, p.is_file});
  }
  FUZZ_CHECK(total <= body_size);
  // Taken once: a second call has nothing left.
  FUZZ_CHECK(parser.TakeParts().empty());
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t selector = data[0];
  const std::string_view rest = webui::fuzz::AsText(data + 1, size - 1);
  const std::size_t eol = rest.find('\n');
  if (eol == std::string_view::npos) return 0;
  const std::optional<std::string> boundary = http::FormDataBoundary(rest.substr(0, eol));
  if (!boundary || boundary->empty()) return 0;
  FUZZ_CHECK(boundary->size() <= 70);
  const std::string_view body = rest.substr(eol + 1);
  const http::MultipartLimits limits = LimitsFor(selector);
  const std::size_t max_piece = 1 + (selector >> 2);  // 1..64

  std::optional<Outcome> first;
  for (const auto& pieces : webui::fuzz::Splits(body, max_piece)) {
    Outcome outcome = Parse(*boundary, limits, pieces, body.size());
    if (!first) {
      first = std::move(outcome);
    } else {
      FUZZ_CHECK(outcome == *first);
    }
  }
  return 0;
}
