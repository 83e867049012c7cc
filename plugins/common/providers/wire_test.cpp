#include "providers/wire.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace webui::providers {
namespace {

TEST(UpstreamErrors, UpstreamErrorText) {
  EXPECT_EQ(UpstreamErrorText(R"({"error":{"message":"bad key"}})", "x"), "bad key");
  EXPECT_EQ(UpstreamErrorText(R"({"error":"boom"})", "x"), "boom");
  EXPECT_EQ(UpstreamErrorText("", "fallback"), "fallback");
  EXPECT_EQ(UpstreamErrorText("plain text", "x"), "plain text");
}

TEST(Sse, SplitsAcrossArbitraryChunks) {
  const std::string stream =
      "data: {\"a\":1}\n\n: comment\nevent: x\ndata:{\"b\":2}\r\n\r\ndata: [DONE]\n\n";
  for (size_t step = 1; step <= stream.size(); ++step) {
    SseSplitter s;
    std::vector<std::string> got;
    for (size_t i = 0; i < stream.size(); i += step)
      ASSERT_TRUE(s.Feed(std::string_view(stream).substr(i, step), [&](std::string_view d) {
        got.emplace_back(d);
        return true;
      }));
    EXPECT_EQ(got, (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}", "[DONE]"})) << step;
    EXPECT_TRUE(s.AtBoundary());
  }
  SseSplitter s;
  int calls = 0;
  EXPECT_FALSE(s.Feed("data: 1\ndata: 2\n", [&](std::string_view) { return ++calls < 1; }));
  EXPECT_EQ(calls, 1);
}

TEST(StreamEndWatcher, SeesDoneInSseWhateverTheChunking) {
  const std::string stream =
      "data: {\"t\":\"[DONE]\"}\n\n: data: [DONE]\ndata: {\"x\":1}\r\n\r\ndata: [DONE]\r\n\n";
  const size_t end_at = stream.find("data: [DONE]\r") + 14;  // bytes through its "\n"
  for (size_t step = 1; step <= stream.size(); ++step) {
    StreamEndWatcher w(StreamEndWatcher::Format::kSse);
    for (size_t i = 0; i < stream.size(); i += step) {
      const bool ended = w.Feed(std::string_view(stream).substr(i, step));
      EXPECT_EQ(ended, std::min(i + step, stream.size()) >= end_at) << step << " at " << i;
    }
  }
  StreamEndWatcher w(StreamEndWatcher::Format::kSse);
  EXPECT_FALSE(w.Feed("data: [DONE]"));  // not a line yet
  EXPECT_TRUE(w.Feed("\n"));
  EXPECT_TRUE(w.Feed("data: more"));  // stays ended
}

TEST(StreamEndWatcher, SeesDoneTrueInNdjsonAndIgnoresOverlongLines) {
  StreamEndWatcher w(StreamEndWatcher::Format::kNdjson);
  EXPECT_FALSE(w.Feed("{\"message\":{\"content\":\"\\\"done\\\": true\"},\"done\":false}\n"));
  EXPECT_FALSE(w.Feed("{\"done\":\"true\"}\n[1]\nnot json \"done\"\n"));
  EXPECT_FALSE(w.Feed("{\"model\":\"m\",\"done\":tr"));
  EXPECT_TRUE(w.Feed("ue,\"done_reason\":\"stop\"}\n"));

  StreamEndWatcher big(StreamEndWatcher::Format::kNdjson);
  const std::string overlong =
      "{\"done\":true,\"pad\":\"" + std::string(StreamEndWatcher::kMaxLine, 'x') + "\"}\n";
  EXPECT_FALSE(big.Feed(overlong));
  EXPECT_TRUE(big.Feed("{\"done\":true}\n"));  // the next line is read again
}

TEST(UserHeaders, UserNameIsQuotedLikePython) {
  EXPECT_EQ(UrlQuote("Jane Doe"), "Jane Doe");
  EXPECT_EQ(UrlQuote("Zoë\r\n"), "Zo%C3%AB%0D%0A");
}

TEST(Ndjson, LinesAcrossChunks) {
  const std::string stream = "{\"a\":1}\n\r\n{\"b\":2}\r\n{\"c\":3}";
  for (size_t step = 1; step <= stream.size(); ++step) {
    LineSplitter s;
    std::vector<std::string> got;
    for (size_t i = 0; i < stream.size(); i += step)
      s.Feed(std::string_view(stream).substr(i, step), [&](std::string_view l) {
        got.emplace_back(l);
        return true;
      });
    EXPECT_EQ(got, (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}"}));
    EXPECT_EQ(s.pending(), "{\"c\":3}");
  }
}

// An upstream that never ends its line: both splitters give up past kMaxPending, release the
// buffer, and stay stopped.
template <typename Splitter>
void ExpectOverlongLineIsCut(std::string_view first_event, std::string_view opening,
                             std::string_view closing) {
  Splitter splitter;
  int seen = 0;
  auto on_event = [&](std::string_view) { return ++seen, true; };
  EXPECT_TRUE(splitter.Feed(std::string(first_event) + std::string(opening), on_event));
  const std::string piece(1 << 20, 'x');
  bool ok = true;
  for (size_t fed = 0; ok && fed <= Splitter::kMaxPending + piece.size(); fed += piece.size())
    ok = splitter.Feed(piece, on_event);
  EXPECT_FALSE(ok);
  EXPECT_TRUE(splitter.overflowed());
  EXPECT_TRUE(splitter.AtBoundary());  // the buffer was released
  EXPECT_FALSE(splitter.Feed(closing, on_event));
  EXPECT_EQ(seen, 1);
}

TEST(Sse, ALineThatNeverEndsIsCutAtTheLimit) {
  ExpectOverlongLineIsCut<SseSplitter>("data: {\"a\":1}\n\n", "data: ", "\n\n");
}

TEST(Ndjson, ALineThatNeverEndsIsCutAtTheLimit) {
  ExpectOverlongLineIsCut<LineSplitter>("{\"done\":false}\n", "{", "}\n");
}

TEST(Sse, ErrorEventClosesAHalfWrittenEventAndEndsTheStream) {
  EXPECT_EQ(SseErrorEvent("lost", "", "\n\n"),
            "data: {\"error\":{\"message\":\"lost\",\"type\":\"upstream_error\"}}\n\n"
            "data: [DONE]\n\n");
  const std::string cut = SseErrorEvent("late", "upstream_timeout", "{\"a\":");
  EXPECT_EQ(cut.rfind("\n\ndata: {\"error\":{\"code\":\"upstream_timeout\"", 0), 0u) << cut;
}

}  // namespace
}  // namespace webui::providers
