// What the connection front needs to know about a request head before POCO parses it: where
// it ends, and whether its body framing is unambiguous (docs/security.md T51: a body whose
// length two parties could read differently is how requests are smuggled).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace Poco::Net {
class HTTPRequest;
}

namespace webui::net {

// Largest request head accepted (request line + headers). Bigger heads get 431.
inline constexpr std::size_t kMaxHeadBytes = 32 * 1024;

// Length of the head in `data` including the blank line that ends it (CRLF or bare LF line
// endings, empty lines before the request line skipped as RFC 9112 allows), or nullopt if the
// head is not complete yet.
std::optional<std::size_t> HeadLength(std::string_view data);

// Why the body framing of `req` is refused (400 + close), or nullopt when it is unambiguous:
// Transfer-Encoding other than exactly "chunked", Transfer-Encoding with Content-Length or on
// HTTP/1.0, several Transfer-Encoding or Content-Length fields, a Content-Length that is not
// a plain decimal number.
std::optional<std::string> FramingProblem(const Poco::Net::HTTPRequest& req);

}  // namespace webui::net
