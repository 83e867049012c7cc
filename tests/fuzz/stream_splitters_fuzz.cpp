// The outbound stream splitters of the provider kit (plugins/common/providers/wire.*): OpenAI's
// SSE "data:" lines (SseSplitter) and Ollama's NDJSON lines (LineSplitter), fed an upstream body
// in arbitrary pieces.
//
// Invariants: the events do not depend on how the body was cut, nor on a consumer that stops
// after an event and resumes; no event spans a newline; what stays pending is exactly the
// unterminated tail of the body (nothing is lost or duplicated).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "providers/wire.hpp"

namespace {

struct Outcome {
  std::vector<std::string> events;
  bool at_boundary = true;

  bool operator==(const Outcome&) const = default;
};

// `stop_every`: the callback refuses every n-th event (0 = never); feeding resumes with an empty
// piece, as a consumer that paused would.
template <typename Splitter>
Outcome Split(const std::vector<std::string_view>& pieces, std::size_t stop_every) {
  Splitter splitter;
  Outcome out;
  const auto on_event = [&](std::string_view event) {
    FUZZ_CHECK(event.find('\n') == std::string_view::npos);
    out.events.emplace_back(event);
    return stop_every == 0 || out.events.size() % stop_every != 0;
  };
  for (const std::string_view piece : pieces) {
    bool more = splitter.Feed(piece, on_event);
    while (!more) more = splitter.Feed({}, on_event);
  }
  out.at_boundary = splitter.AtBoundary();
  return out;
}

template <typename Splitter>
Outcome CheckSplitter(std::string_view body) {
  std::optional<Outcome> first;
  for (const auto& pieces : webui::fuzz::Splits(body)) {
    for (const std::size_t stop_every : {0, 1, 3}) {
      Outcome outcome = Split<Splitter>(pieces, stop_every);
      if (!first) {
        first = std::move(outcome);
      } else {
        FUZZ_CHECK(outcome == *first);
      }
    }
  }
  // Pending bytes are the tail after the last newline.
  FUZZ_CHECK(first->at_boundary == (body.empty() || body.back() == '\n'));
  return *first;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body = webui::fuzz::AsText(data, size);

  const Outcome sse = CheckSplitter<webui::providers::SseSplitter>(body);
  const Outcome ndjson = CheckSplitter<webui::providers::LineSplitter>(body);
  // Every SSE data line is also a non-empty line: the SSE events are never more.
  FUZZ_CHECK(sse.events.size() <= ndjson.events.size());

  // The tail LineSplitter holds is the body after its last newline.
  webui::providers::LineSplitter lines;
  lines.Feed(body, [](std::string_view) { return true; });
  const std::size_t last_nl = body.rfind('\n');
  const std::string_view tail = last_nl == std::string_view::npos ? body : body.substr(last_nl + 1);
  FUZZ_CHECK(lines.pending() == tail);
  return 0;
}
