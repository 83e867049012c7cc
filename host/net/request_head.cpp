#include "net/request_head.hpp"

#include <Poco/Net/HTTPRequest.h>
#include <Poco/String.h>

namespace webui::net {

std::optional<std::size_t> HeadLength(std::string_view data) {
  std::size_t start = 0;
  while (start < data.size() && (data[start] == '\r' || data[start] == '\n')) ++start;
  for (std::size_t i = data.find('\n', start); i != std::string_view::npos;
       i = data.find('\n', i + 1)) {
    // A line feed followed by an empty line (LF or CRLF) ends the head.
    if (i + 1 < data.size() && data[i + 1] == '\n') return i + 2;
    if (i + 2 < data.size() && data[i + 1] == '\r' && data[i + 2] == '\n') return i + 3;
  }
  return std::nullopt;
}

std::optional<std::string> FramingProblem(const Poco::Net::HTTPRequest& req) {
  int te_count = 0, cl_count = 0;
  std::string cl;
  for (const auto& [name, value] : req) {
    if (Poco::icompare(name, "Transfer-Encoding") == 0) {
      ++te_count;
    } else if (Poco::icompare(name, "Content-Length") == 0) {
      ++cl_count;
      cl = Poco::trim(value);
    }
  }
  if (te_count > 1) return "Multiple Transfer-Encoding headers";
  if (cl_count > 1) return "Multiple Content-Length headers";
  if (te_count == 1) {
    // Exactly what POCO's body reader treats as chunked: a value that only trims to "chunked"
    // (a folded line, a stray control character) would be framed one way here and another way
    // by POCO (found by the request_head fuzz target).
    if (!req.getChunkedTransferEncoding()) return "Unsupported Transfer-Encoding";
    if (cl_count == 1) return "Both Transfer-Encoding and Content-Length";
    if (req.getVersion() == Poco::Net::HTTPMessage::HTTP_1_0)
      return "Transfer-Encoding in an HTTP/1.0 request";
  }
  if (cl_count == 1) {
    if (cl.empty() || cl.size() > 18) return "Invalid Content-Length";
    for (char c : cl)
      if (c < '0' || c > '9') return "Invalid Content-Length";
  }
  return std::nullopt;
}

}  // namespace webui::net
