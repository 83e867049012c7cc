// What comes back from an upstream, as text: error texts, SSE "data:" lines and NDJSON lines cut
// out of a byte stream whatever its chunking, and the end marker of a relayed stream. Plus the
// quoting of user names in forwarded headers. No host needed (wire_test.cpp).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace webui::providers {

// Open WebUI's error text for an upstream error body: error.message, else error as text, else
// detail, else the body itself (or `fallback` when empty).
std::string UpstreamErrorText(std::string_view body, std::string_view fallback);

// Percent-encodes like Python's urllib.parse.quote(s, safe=" ") (user names in headers).
std::string UrlQuote(std::string_view s);

// Splits an NDJSON byte stream into complete, non-empty lines (without "\r\n").
class LineSplitter {
 public:
  // Calls `on_line` for every complete line; returns false as soon as `on_line` does.
  bool Feed(std::string_view bytes, const std::function<bool(std::string_view)>& on_line);
  // True when the bytes seen so far end on a line boundary (nothing pending).
  bool AtBoundary() const { return pending_.empty(); }
  const std::string& pending() const { return pending_; }

  // An upstream that never ends its line would otherwise grow the buffer without limit: past
  // this many pending bytes Feed gives up (returns false) and overflowed() says why.
  static constexpr size_t kMaxPending = size_t{16} << 20;
  bool overflowed() const { return overflowed_; }

 private:
  std::string pending_;
  bool overflowed_ = false;
};

// Splits an SSE byte stream into the payloads of its "data:" lines, whatever the chunking.
class SseSplitter {
 public:
  // Calls `on_data` for every complete data line (without "data:" and one leading space).
  // Returns false as soon as `on_data` does.
  bool Feed(std::string_view bytes, const std::function<bool(std::string_view)>& on_data);
  bool AtBoundary() const { return lines_.AtBoundary(); }
  static constexpr size_t kMaxPending = LineSplitter::kMaxPending;
  bool overflowed() const { return lines_.overflowed(); }

 private:
  LineSplitter lines_;
};

// Watches a relayed stream for its end marker: a "data: [DONE]" line (SSE) or a JSON line whose
// "done" is true (Ollama's NDJSON). Some upstreams send it and keep the connection open; the
// relay ends the client's stream there instead of waiting for the read timeout. Holds at most
// one line of kMaxLine bytes (a longer line is not an end marker).
class StreamEndWatcher {
 public:
  enum class Format { kSse, kNdjson };
  static constexpr size_t kMaxLine = 64 * 1024;
  explicit StreamEndWatcher(Format format) : format_(format) {}
  // True once the end marker has gone by (in these bytes or earlier ones).
  bool Feed(std::string_view bytes);

 private:
  bool IsEnd(std::string_view line) const;
  Format format_;
  std::string line_;
  bool overlong_ = false;
  bool ended_ = false;
};

// The last SSE event of a stream the upstream broke off: an OpenAI-style error object, then
// [DONE]. `tail` is how the bytes already forwarded end (a half-written event is closed first);
// `code` is left out when empty.
std::string SseErrorEvent(std::string_view message, std::string_view code, std::string_view tail);

}  // namespace webui::providers
