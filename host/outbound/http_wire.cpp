#include "outbound/http_wire.hpp"

#include <Poco/Base64Encoder.h>
#include <Poco/Exception.h>
#include <Poco/URI.h>
#include <webui_host/sdk/core.hpp>

#include <algorithm>
#include <array>
#include <sstream>
#include <utility>
#include <vector>

namespace webui::outbound::detail {
namespace {

constexpr std::size_t kMaxChunkLine = 4096;      // size line incl. extensions
constexpr std::size_t kMaxTrailerBytes = 65536;  // trailer section after the last chunk

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), AsciiLower);
  return out;
}

using sdk::IEquals;

// RFC 9110 token characters (header names, methods).
bool IsToken(std::string_view text) {
  if (text.empty()) return false;
  static constexpr std::string_view kExtra = "!#$%&'*+-.^_`|~";
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           kExtra.find(c) != std::string_view::npos;
  });
}

std::string_view TrimOws(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::string Base64(std::string_view text) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out);
  encoder.rdbuf()->setLineLength(0);
  encoder.write(text.data(), static_cast<std::streamsize>(text.size()));
  encoder.close();
  return out.str();
}

// Parses 1*DIGIT without overflow.
std::optional<std::uint64_t> ParseDecimal(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

}  // namespace

std::string Target::Describe() const {
  std::string out = secure ? "https://" : "http://";
  if (host.find(':') != std::string::npos) {
    out += '[' + host + ']';
  } else {
    out += host;
  }
  out += ':' + std::to_string(port);
  return out;
}

std::optional<Target> ParseTarget(std::string_view url, std::string& error) {
  // Never echo the URL: its query (?key=...) or userinfo may carry credentials.
  for (char c : url) {
    auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) {
      error = "invalid URL: contains whitespace or control characters";
      return std::nullopt;
    }
  }
  Poco::URI uri;
  try {
    uri = Poco::URI(std::string(url));
  } catch (const Poco::Exception&) {
    error = "invalid URL: cannot be parsed";
    return std::nullopt;
  }
  Target target;
  if (uri.getScheme() == "https") {
    target.secure = true;
  } else if (uri.getScheme() != "http") {
    error = "unsupported URL scheme (only http and https are allowed)";
    return std::nullopt;
  }
  const std::size_t authority = url.find("://");
  if (authority == std::string_view::npos || uri.getHost().empty()) {
    error = "invalid URL: no host";
    return std::nullopt;
  }
  target.host = uri.getHost();
  target.port = uri.getPort();  // the scheme's default when absent
  try {
    Poco::URI::decode(uri.getUserInfo(), target.userinfo);
  } catch (const Poco::Exception&) {
    error = "invalid URL: bad userinfo encoding";
    return std::nullopt;
  }

  // Path and query exactly as written (Poco::URI would decode %2F in the path), minus fragment.
  std::string_view raw;
  const std::size_t start = url.find_first_of("/?#", authority + 3);
  if (start != std::string_view::npos) raw = url.substr(start);
  raw = raw.substr(0, raw.find('#'));
  // push_back rather than assigning a literal: GCC 12 at -O3 reports a false -Wrestrict on the
  // assignment (GCC bug 105329).
  if (raw.empty() || raw.front() != '/') target.request_target.push_back('/');
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : raw) {
    auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x80) {  // raw UTF-8 is not allowed in a request line
      target.request_target += '%';
      target.request_target += kHex[byte >> 4];
      target.request_target += kHex[byte & 0xF];
    } else {
      target.request_target += c;
    }
  }

  target.host_header =
      target.host.find(':') != std::string::npos ? '[' + target.host + ']' : target.host;
  const std::uint16_t default_port = target.secure ? 443 : 80;
  if (target.port != default_port) target.host_header += ':' + std::to_string(target.port);
  return target;
}

std::optional<std::string> NormalizeMethod(std::string_view method) {
  static constexpr std::array<std::string_view, 7> kMethods = {"GET",    "POST", "PUT",    "PATCH",
                                                               "DELETE", "HEAD", "OPTIONS"};
  std::string upper(method);
  std::transform(upper.begin(), upper.end(), upper.begin(), [](char c) {
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  });
  if (std::find(kMethods.begin(), kMethods.end(), upper) == kMethods.end()) return std::nullopt;
  return upper;
}

std::optional<std::string> BuildRequestHead(const std::string& method, const Target& target,
                                            const Headers& headers, const std::string& body,
                                            std::string& error) {
  // Framing and connection management belong to the client (one connection per request).
  static constexpr std::array<std::string_view, 8> kOwnHeaders = {
      "host",    "content-length", "transfer-encoding", "connection",
      "upgrade", "keep-alive",     "proxy-connection",  "te"};
  std::string head = method + ' ' + target.request_target + " HTTP/1.1\r\n";
  head += "Host: " + target.host_header + "\r\n";
  bool has_user_agent = false;
  bool has_authorization = false;
  for (const auto& [name, value] : headers) {
    if (!IsToken(name)) {
      error = "invalid request header name";
      return std::nullopt;
    }
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      error = "request header '" + name + "' has a value with CR, LF or NUL";
      return std::nullopt;
    }
    const std::string lower = Lower(name);
    if (std::find(kOwnHeaders.begin(), kOwnHeaders.end(), lower) != kOwnHeaders.end()) continue;
    has_user_agent = has_user_agent || lower == "user-agent";
    has_authorization = has_authorization || lower == "authorization";
    head += name + ": " + value + "\r\n";
  }
  if (!has_authorization && !target.userinfo.empty()) {
    head += "Authorization: Basic " + Base64(target.userinfo) + "\r\n";
  }
  if (!has_user_agent) head += "User-Agent: webui-host\r\n";
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    head += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  head += "Connection: close\r\n\r\n";
  return head;
}

std::size_t FindHeadEnd(std::string_view buffer) {
  // Accepts bare LF line ends as well as CRLF.
  for (std::size_t i = buffer.find('\n'); i != std::string_view::npos;
       i = buffer.find('\n', i + 1)) {
    if (i + 1 < buffer.size() && buffer[i + 1] == '\n') return i + 2;
    if (i + 2 < buffer.size() && buffer[i + 1] == '\r' && buffer[i + 2] == '\n') return i + 3;
  }
  return std::string_view::npos;
}

std::optional<ResponseHead> ParseResponseHead(std::string_view head, std::string& error) {
  // Messages describe the fault only: header lines may carry tokens or cookies.
  std::vector<std::string_view> lines;
  while (!head.empty()) {
    std::size_t eol = head.find('\n');
    std::string_view line = head.substr(0, eol);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    head.remove_prefix(eol == std::string_view::npos ? head.size() : eol + 1);
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (lines.empty()) {
    error = "empty response head";
    return std::nullopt;
  }

  // HTTP/1.x SP 3DIGIT [SP reason]
  const std::string_view status_line = lines.front();
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." || status_line[7] < '0' ||
      status_line[7] > '9' || status_line[8] != ' ' ||
      (status_line.size() > 12 && status_line[12] != ' ')) {
    error = "malformed status line (not an HTTP/1.x response)";
    return std::nullopt;
  }
  ResponseHead result;
  for (std::size_t i = 9; i < 12; ++i) {
    if (status_line[i] < '0' || status_line[i] > '9') {
      error = "malformed status code";
      return std::nullopt;
    }
    result.status = result.status * 10 + (status_line[i] - '0');
  }
  if (result.status < 100) {
    error = "malformed status code";
    return std::nullopt;
  }

  for (std::size_t i = 1; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (line.empty()) {
      error = "malformed response head (blank line inside)";
      return std::nullopt;
    }
    // RFC 9110 section 5.5: a field with CR or NUL must be rejected. A bare CR in a value would
    // otherwise reach whoever forwards it (plugins copy Content-Type into their responses).
    if (line.find_first_of(std::string_view("\r\0", 2)) != std::string_view::npos) {
      error = "malformed response header line (CR or NUL inside)";
      return std::nullopt;
    }
    if (line.front() == ' ' || line.front() == '\t') {  // obsolete line folding
      if (result.headers.empty()) {
        error = "malformed response head (continuation line without a header)";
        return std::nullopt;
      }
      std::string& value = result.headers.back().second;
      const std::string_view more = TrimOws(line);
      if (!more.empty()) {
        if (!value.empty()) value += ' ';
        value += more;
      }
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || !IsToken(line.substr(0, colon))) {
      error = "malformed response header line";
      return std::nullopt;
    }
    result.headers.emplace_back(std::string(line.substr(0, colon)),
                                std::string(TrimOws(line.substr(colon + 1))));
  }
  return result;
}

// ---- BodyDecoder ----

std::optional<BodyDecoder> BodyDecoder::ForResponse(std::string_view method,
                                                    const ResponseHead& head, std::string& error) {
  if (method == "HEAD" || head.status < 200 || head.status == 204 || head.status == 304) {
    return Empty();
  }
  bool has_transfer_encoding = false;
  std::string last_coding;
  std::optional<std::uint64_t> length;
  bool has_length = false;
  for (const auto& [name, value] : head.headers) {
    if (IEquals(name, "transfer-encoding")) {
      has_transfer_encoding = true;
      std::string_view rest = value;
      while (!rest.empty()) {
        const std::size_t comma = rest.find(',');
        const std::string_view coding = TrimOws(rest.substr(0, comma));
        if (!coding.empty()) last_coding = Lower(coding);
        rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma + 1);
      }
    } else if (IEquals(name, "content-length")) {
      // "5", "5, 5" and repeated identical fields are fine; anything else is malformed.
      std::string_view rest = value;
      do {
        const std::size_t comma = rest.find(',');
        const auto parsed = ParseDecimal(TrimOws(rest.substr(0, comma)));
        if (!parsed || (has_length && length != parsed)) {
          error = "invalid Content-Length in response";
          return std::nullopt;
        }
        has_length = true;
        length = parsed;
        rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma + 1);
      } while (!rest.empty());
    }
  }
  // Transfer-Encoding overrides Content-Length; a non-chunked final coding runs to close.
  if (has_transfer_encoding) return last_coding == "chunked" ? Chunked() : UntilClose();
  if (has_length) return WithLength(*length);
  return UntilClose();
}

BodyDecoder BodyDecoder::Empty() { return BodyDecoder(State::kDone); }

BodyDecoder BodyDecoder::WithLength(std::uint64_t length) {
  BodyDecoder decoder(length == 0 ? State::kDone : State::kLength);
  decoder.remaining_ = length;
  decoder.expected_ = length;
  return decoder;
}

BodyDecoder BodyDecoder::Chunked() { return BodyDecoder(State::kChunkSize); }

BodyDecoder BodyDecoder::UntilClose() { return BodyDecoder(State::kUntilClose); }

BodyDecoder::Status BodyDecoder::Fail(std::string message) {
  error_ = std::move(message);
  return Status::kMalformed;
}

bool BodyDecoder::TakeLine(std::string_view& input) {
  const std::size_t eol = input.find('\n');
  line_.append(input.substr(0, eol));
  input.remove_prefix(eol == std::string_view::npos ? input.size() : eol + 1);
  if (eol == std::string_view::npos) return false;
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();
  return true;
}

BodyDecoder::Status BodyDecoder::Feed(std::string_view input, const Emit& emit) {
  if (!error_.empty()) return Status::kMalformed;
  while (!input.empty() && state_ != State::kDone) {
    switch (state_) {
      case State::kUntilClose: {
        body_bytes_ += input.size();
        if (!emit(input)) return Status::kAborted;
        input = {};
        break;
      }
      case State::kLength:
      case State::kChunkData: {
        const auto take = static_cast<std::size_t>(
            std::min<std::uint64_t>(remaining_, static_cast<std::uint64_t>(input.size())));
        const std::string_view piece = input.substr(0, take);
        input.remove_prefix(take);
        remaining_ -= take;
        body_bytes_ += take;
        if (remaining_ == 0) {
          state_ = state_ == State::kLength ? State::kDone : State::kChunkDataEnd;
        }
        if (!emit(piece)) return Status::kAborted;
        break;
      }
      case State::kChunkSize: {
        const bool whole = TakeLine(input);
        if (line_.size() > kMaxChunkLine) return Fail("chunk size line too long");
        if (!whole) break;
        std::uint64_t size = 0;
        std::size_t digits = 0;
        for (; digits < line_.size(); ++digits) {
          const char c = AsciiLower(line_[digits]);
          int value;
          if (c >= '0' && c <= '9') {
            value = c - '0';
          } else if (c >= 'a' && c <= 'f') {
            value = c - 'a' + 10;
          } else {
            break;
          }
          if (digits >= 15) return Fail("chunk size too large");
          size = size * 16 + static_cast<std::uint64_t>(value);
        }
        const std::string_view rest = TrimOws(std::string_view(line_).substr(digits));
        if (digits == 0 || (!rest.empty() && rest.front() != ';')) {
          return Fail("malformed chunk size line");
        }
        line_.clear();
        if (size == 0) {
          state_ = State::kTrailer;
        } else {
          remaining_ = size;
          state_ = State::kChunkData;
        }
        break;
      }
      case State::kChunkDataEnd: {
        // Only CRLF (or LF) may follow chunk data; fail on the first other byte.
        const bool whole = TakeLine(input);
        if (whole ? !line_.empty() : (!line_.empty() && line_ != "\r")) {
          return Fail("chunk data longer than its declared size");
        }
        if (whole) state_ = State::kChunkSize;
        break;
      }
      case State::kTrailer: {
        const std::size_t before = input.size();
        const bool whole = TakeLine(input);
        trailer_bytes_ += before - input.size();
        if (trailer_bytes_ > kMaxTrailerBytes) return Fail("chunked trailer too long");
        if (!whole) break;
        if (line_.empty()) state_ = State::kDone;  // trailer fields themselves are dropped
        line_.clear();
        break;
      }
      case State::kDone:
        break;
    }
  }
  return state_ == State::kDone ? Status::kDone : Status::kMore;
}

BodyDecoder::Status BodyDecoder::Finish() {
  if (!error_.empty()) return Status::kMalformed;
  switch (state_) {
    case State::kDone:
      return Status::kDone;
    case State::kUntilClose:
      state_ = State::kDone;
      return Status::kDone;
    case State::kTrailer:
      // Every chunk arrived and only the trailer's closing CRLF is missing: the body is whole.
      if (line_.empty() && trailer_bytes_ == 0) {
        state_ = State::kDone;
        return Status::kDone;
      }
      return Fail("connection closed inside the chunked trailer");
    case State::kLength:
      return Fail("connection closed after " + std::to_string(body_bytes_) + " of " +
                  std::to_string(expected_) + " body bytes");
    case State::kChunkSize:
    case State::kChunkData:
    case State::kChunkDataEnd:
      return Fail("connection closed before the end of the chunked body (" +
                  std::to_string(body_bytes_) + " body bytes received)");
  }
  return Fail("unexpected decoder state");
}

}  // namespace webui::outbound::detail
