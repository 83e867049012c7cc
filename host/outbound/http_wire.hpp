// HTTP/1.1 wire helpers of the outbound client: request-target and head building, response head
// parsing and incremental body de-framing (Content-Length, chunked, read-until-close). Kept apart
// from the socket code so every split of the byte stream can be unit-tested without a network.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "outbound/http_client.hpp"

namespace webui::outbound::detail {

// The parts of an http(s) URL the client needs. Never holds the userinfo's password in a form
// that ends up in messages: Describe() prints scheme://host:port only.
struct Target {
  bool secure = false;
  std::string host;  // without IPv6 brackets
  std::uint16_t port = 0;
  std::string request_target;  // origin-form: path + query exactly as written, no fragment
  std::string host_header;     // host[:port], port omitted when it is the scheme's default
  std::string userinfo;        // percent-decoded "user:password", may be empty

  std::string Describe() const;
};

// Parses an http:// or https:// URL. Returns nullopt and sets `error` (which never repeats the
// URL, as its query or userinfo may carry credentials) when it is not usable.
std::optional<Target> ParseTarget(std::string_view url, std::string& error);

// Uppercases and checks the method against the supported set; nullopt if unsupported.
std::optional<std::string> NormalizeMethod(std::string_view method);

// Builds the request head. Framing and connection headers of the caller (Host, Content-Length,
// Transfer-Encoding, Connection, ...) are replaced by the client's own. Returns nullopt and sets
// `error` (naming the header, never its value) for a header that would break the message.
std::optional<std::string> BuildRequestHead(const std::string& method, const Target& target,
                                            const Headers& headers, const std::string& body,
                                            std::string& error);

// Offset just past the blank line ending a response head in `buffer`, or npos if incomplete.
std::size_t FindHeadEnd(std::string_view buffer);

struct ResponseHead {
  int status = 0;
  Headers headers;
};

// Parses a complete response head (status line + header lines, as located by FindHeadEnd).
std::optional<ResponseHead> ParseResponseHead(std::string_view head, std::string& error);

// Incremental body decoder. Feed() hands each run of body bytes to `emit` as soon as it is seen,
// so nothing is held back waiting for more input.
class BodyDecoder {
 public:
  enum class Status { kMore, kDone, kAborted, kMalformed };
  using Emit = std::function<bool(std::string_view)>;

  // Decides the framing from the request method and the response head (RFC 9112 section 6.3).
  // Returns nullopt and sets `error` for a malformed Content-Length.
  static std::optional<BodyDecoder> ForResponse(std::string_view method, const ResponseHead& head,
                                                std::string& error);
  static BodyDecoder Empty();
  static BodyDecoder WithLength(std::uint64_t length);
  static BodyDecoder Chunked();
  static BodyDecoder UntilClose();

  // Consumes `input` (bytes beyond the end of the body are ignored). kAborted when `emit`
  // returned false, kMalformed with error() set on a framing error.
  Status Feed(std::string_view input, const Emit& emit);
  // The connection closed: kDone if the body was complete (read-until-close bodies end here),
  // else kMalformed with error() describing what was missing.
  Status Finish();

  bool done() const { return state_ == State::kDone; }
  const std::string& error() const { return error_; }
  std::uint64_t body_bytes() const { return body_bytes_; }

 private:
  enum class State { kLength, kUntilClose, kChunkSize, kChunkData, kChunkDataEnd, kTrailer, kDone };
  explicit BodyDecoder(State state) : state_(state) {}

  Status Fail(std::string message);
  // Appends to line_ up to and including '\n'; returns true when a whole line is in line_.
  bool TakeLine(std::string_view& input);

  State state_;
  std::uint64_t remaining_ = 0;  // body bytes (kLength) or chunk bytes (kChunkData) still due
  std::uint64_t expected_ = 0;   // Content-Length, for messages
  std::uint64_t body_bytes_ = 0;
  std::string line_;
  std::size_t trailer_bytes_ = 0;
  std::string error_;
};

}  // namespace webui::outbound::detail
