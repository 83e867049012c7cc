// The connection front's view of an inbound request head (host/net/request_head.*): where the
// head ends, and whether its body framing is unambiguous (docs/security.md T51, T52).
//
// Invariants: HeadLength never reports more bytes than it was given, finds the same end whether
// the bytes arrive whole or growing piece by piece, and a head it reports ends with a blank
// line; for every head POCO parses, FramingProblem either refuses it or leaves exactly one
// reading of the body length (chunked, one decimal Content-Length, or none).
#include <cstdint>
#include <sstream>
#include <string>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequest.h>

#include "fuzz_support.hpp"
#include "net/request_head.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = webui::fuzz::AsText(data, size);
  const auto whole = webui::net::HeadLength(text);
  if (whole) {
    FUZZ_CHECK(*whole <= text.size());
    FUZZ_CHECK(*whole >= 1 && text[*whole - 1] == '\n');
  }
  // As the epoll thread sees it: the same bytes, growing.
  std::optional<std::size_t> first;
  for (std::size_t n = 0; n <= text.size() && !first; n += 1 + n / 3)
    first = webui::net::HeadLength(text.substr(0, n));
  if (!first) first = webui::net::HeadLength(text);
  FUZZ_CHECK(first == whole);

  if (!whole) return 0;
  Poco::Net::HTTPRequest req;
  try {
    std::istringstream in(std::string(text.substr(0, *whole)));
    req.read(in);
  } catch (const Poco::Exception&) {
    return 0;  // POCO refuses it: 400 before framing matters
  }
  if (webui::net::FramingProblem(req)) return 0;
  const bool chunked = req.has("Transfer-Encoding");
  const bool length = req.has("Content-Length");
  FUZZ_CHECK(!(chunked && length));
  if (chunked) FUZZ_CHECK(req.getChunkedTransferEncoding());
  if (length) FUZZ_CHECK(req.getContentLength64() >= 0);
  return 0;
}
