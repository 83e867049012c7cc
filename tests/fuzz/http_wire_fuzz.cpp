// Outbound HTTP/1.1 response reader (host/outbound/http_wire.*): the response head (status line,
// header lines, obsolete folding), the framing decision (Content-Length, Transfer-Encoding) and
// the incremental body decoder, driven the way host/outbound/http_client.cpp drives them.
//
// Invariants: every way of cutting the bytes into reads gives the same outcome, head and body;
// the decoder never emits more body bytes than it was fed nor more than Content-Length; its
// body_bytes() counts exactly what it emitted; HEAD responses never have a body.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "outbound/http_wire.hpp"

namespace {

using webui::outbound::detail::BodyDecoder;
using webui::outbound::detail::FindHeadEnd;
using webui::outbound::detail::ParseResponseHead;
using webui::outbound::detail::ResponseHead;

struct Outcome {
  std::string kind;  // how the exchange ended
  std::string error;
  int status = 0;
  webui::outbound::Headers headers;
  std::string body;

  bool operator==(const Outcome&) const = default;
};

void CheckHead(const ResponseHead& head) {
  FUZZ_CHECK(head.status >= 100 && head.status <= 999);
  for (const auto& [name, value] : head.headers) {
    FUZZ_CHECK(!name.empty());
    FUZZ_CHECK(name.find_first_of(":\r\n \t") == std::string::npos);
    FUZZ_CHECK(value.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos);
  }
  std::string error;
  auto for_head = BodyDecoder::ForResponse("HEAD", head, error);
  FUZZ_CHECK(for_head && for_head->done());
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

// The body length a plain "Content-Length: <digits>" head announces (nullopt for chunked,
// read-until-close and the list forms, which the check leaves to the decoder).
std::optional<std::uint64_t> DeclaredLength(const ResponseHead& head) {
  std::optional<std::uint64_t> length;
  for (const auto& [name, value] : head.headers) {
    const std::string lower = Lower(name);
    if (lower == "transfer-encoding") return std::nullopt;
    if (lower == "content-length") {
      if (length || value.empty() || value.size() > 18 ||
          value.find_first_not_of("0123456789") != std::string::npos)
        return std::nullopt;
      length = std::stoull(value);
    }
  }
  return length;
}

// The read loop of http_client.cpp without sockets. The 64 KiB head limit is left out: it is
// checked per read, so where it trips depends on the read sizes by design.
Outcome Exchange(const std::vector<std::string_view>& reads) {
  Outcome out;
  std::string head_buffer;
  std::optional<BodyDecoder> decoder;
  std::optional<std::uint64_t> length;
  std::uint64_t fed_body_bytes = 0;
  const BodyDecoder::Emit emit = [&](std::string_view bytes) {
    out.body.append(bytes);
    return true;
  };
  auto feed = [&](std::string_view bytes) -> bool {  // true when the exchange is over
    fed_body_bytes += bytes.size();
    const auto status = decoder->Feed(bytes, emit);
    FUZZ_CHECK(out.body.size() <= fed_body_bytes);
    FUZZ_CHECK(decoder->body_bytes() == out.body.size());
    if (length) FUZZ_CHECK(out.body.size() <= *length);
    switch (status) {
      case BodyDecoder::Status::kDone:
        FUZZ_CHECK(decoder->done());
        if (length) FUZZ_CHECK(out.body.size() == *length);
        out.kind = "done";
        return true;
      case BodyDecoder::Status::kMalformed:
        FUZZ_CHECK(!decoder->error().empty());
        out.kind = "malformed";
        out.error = decoder->error();
        return true;
      case BodyDecoder::Status::kAborted:
        FUZZ_CHECK(false);  // emit never refuses here
        return true;
      case BodyDecoder::Status::kMore:
        return false;
    }
    return true;
  };

  for (const std::string_view read : reads) {
    if (decoder) {
      if (feed(read)) return out;
      continue;
    }
    head_buffer.append(read);
    for (;;) {
      const std::size_t end = FindHeadEnd(head_buffer);
      if (end == std::string::npos) break;
      FUZZ_CHECK(end <= head_buffer.size());
      std::string error;
      auto head = ParseResponseHead(std::string_view(head_buffer).substr(0, end), error);
      if (!head) {
        FUZZ_CHECK(!error.empty());
        out.kind = "bad head";
        out.error = error;
        return out;
      }
      CheckHead(*head);
      if (head->status == 101) {
        out.kind = "101";
        return out;
      }
      if (head->status < 200) {
        head_buffer.erase(0, end);
        continue;
      }
      out.status = head->status;
      out.headers = head->headers;
      decoder = BodyDecoder::ForResponse("GET", *head, error);
      if (!decoder) {
        FUZZ_CHECK(!error.empty());
        out.kind = "bad framing";
        out.error = error;
        return out;
      }
      length = DeclaredLength(*head);
      if (decoder->done()) {
        out.kind = "done";
        return out;
      }
      const std::string rest = head_buffer.substr(end);
      head_buffer.clear();
      if (feed(rest)) return out;
      break;
    }
  }
  // The connection closed.
  if (!decoder) {
    out.kind = "eof in head";
    return out;
  }
  if (decoder->Finish() == BodyDecoder::Status::kDone) {
    if (length) FUZZ_CHECK(out.body.size() == *length);
    out.kind = "done at eof";
  } else {
    FUZZ_CHECK(!decoder->error().empty());
    out.kind = "malformed at eof";
    out.error = decoder->error();
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = webui::fuzz::AsText(data, size);
  std::optional<Outcome> first;
  for (const auto& reads : webui::fuzz::Splits(input)) {
    Outcome outcome = Exchange(reads);
    if (!first) {
      first = std::move(outcome);
    } else {
      FUZZ_CHECK(outcome == *first);
    }
  }
  return 0;
}
