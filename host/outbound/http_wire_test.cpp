#include "outbound/http_wire.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

namespace webui::outbound::detail {
namespace {

std::string Chunk(const std::string& data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx", data.size());
  return std::string(size) + "\r\n" + data + "\r\n";
}

struct Decoded {
  BodyDecoder::Status status = BodyDecoder::Status::kMore;
  std::string body;
  std::vector<std::string> pieces;
};

// Feeds `parts` one after another, collecting what the decoder emits.
Decoded Decode(BodyDecoder decoder, const std::vector<std::string>& parts, bool finish = false) {
  Decoded out;
  auto emit = [&out](std::string_view piece) {
    out.pieces.emplace_back(piece);
    out.body += piece;
    return true;
  };
  for (const auto& part : parts) {
    out.status = decoder.Feed(part, emit);
    if (out.status != BodyDecoder::Status::kMore) return out;
  }
  if (finish) out.status = decoder.Finish();
  return out;
}

TEST(ParseTargetTest, KeepsPathAndQueryExactlyAndDropsFragment) {
  std::string error;
  auto t = ParseTarget("http://Example.COM:8080/v1/a%2Fb/chat?x=1&y=%20z&empty#frag", error);
  ASSERT_TRUE(t) << error;
  EXPECT_FALSE(t->secure);
  EXPECT_EQ(t->host, "example.com");
  EXPECT_EQ(t->port, 8080);
  EXPECT_EQ(t->request_target, "/v1/a%2Fb/chat?x=1&y=%20z&empty");
  EXPECT_EQ(t->host_header, "example.com:8080");
}

TEST(ParseTargetTest, DefaultPortsAreLeftOutOfHostHeader) {
  std::string error;
  auto http = ParseTarget("http://h.test", error);
  ASSERT_TRUE(http);
  EXPECT_EQ(http->port, 80);
  EXPECT_EQ(http->host_header, "h.test");
  EXPECT_EQ(http->request_target, "/");
  auto https = ParseTarget("HTTPS://h.test?q=1", error);
  ASSERT_TRUE(https);
  EXPECT_TRUE(https->secure);
  EXPECT_EQ(https->port, 443);
  EXPECT_EQ(https->host_header, "h.test");
  EXPECT_EQ(https->request_target, "/?q=1");
  auto odd = ParseTarget("https://h.test:80/", error);
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->host_header, "h.test:80");
}

TEST(ParseTargetTest, Ipv6UserinfoAndNonAscii) {
  std::string error;
  auto t = ParseTarget("http://us%40er:p%3Ass@[::1]:11434/api/\xC3\xA9t\xC3\xA9", error);
  ASSERT_TRUE(t) << error;
  EXPECT_EQ(t->host, "::1");
  EXPECT_EQ(t->host_header, "[::1]:11434");
  EXPECT_EQ(t->userinfo, "us@er:p:ss");
  EXPECT_EQ(t->request_target, "/api/%C3%A9t%C3%A9");
  EXPECT_EQ(t->Describe(), "http://[::1]:11434");
}

TEST(ParseTargetTest, RejectsUnusableUrlsWithoutEchoingThem) {
  for (const char* url :
       {"", "ftp://h.test/x", "file:///etc/passwd", "http://", "http:///path", "not a url",
        "localhost:8080", "http://h.test:99999/", "http://h.test/a b?key=sk-secret",
        "http://[::1/x", "http://h.test/\r\nX: y"}) {
    std::string error;
    EXPECT_FALSE(ParseTarget(url, error)) << url;
    EXPECT_FALSE(error.empty()) << url;
    EXPECT_EQ(error.find("sk-secret"), std::string::npos);
  }
}

TEST(NormalizeMethodTest, AcceptsTheSupportedSetCaseInsensitively) {
  for (const char* m : {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}) {
    EXPECT_EQ(NormalizeMethod(m).value_or(""), m);
  }
  EXPECT_EQ(NormalizeMethod("post").value_or(""), "POST");
  EXPECT_FALSE(NormalizeMethod("TRACE"));
  EXPECT_FALSE(NormalizeMethod("CONNECT"));
  EXPECT_FALSE(NormalizeMethod(""));
  EXPECT_FALSE(NormalizeMethod("GET "));
}

TEST(BuildRequestHeadTest, OwnsFramingAndConnectionHeaders) {
  std::string error;
  auto target = ParseTarget("http://h.test:81/p?q=1", error);
  ASSERT_TRUE(target);
  Headers headers = {{"Authorization", "Bearer k"},
                     {"host", "evil.test"},
                     {"Content-Length", "999"},
                     {"Transfer-Encoding", "chunked"},
                     {"Connection", "keep-alive"},
                     {"X-Multi", "1"},
                     {"X-Multi", "2"}};
  auto head = BuildRequestHead("POST", *target, headers, "body", error);
  ASSERT_TRUE(head) << error;
  EXPECT_EQ(*head,
            "POST /p?q=1 HTTP/1.1\r\n"
            "Host: h.test:81\r\n"
            "Authorization: Bearer k\r\n"
            "X-Multi: 1\r\n"
            "X-Multi: 2\r\n"
            "User-Agent: webui-host\r\n"
            "Content-Length: 4\r\n"
            "Connection: close\r\n\r\n");
}

TEST(BuildRequestHeadTest, ContentLengthOnlyWhenThereIsOrShouldBeABody) {
  std::string error;
  auto target = ParseTarget("http://h.test/", error);
  ASSERT_TRUE(target);
  auto get = BuildRequestHead("GET", *target, {{"User-Agent", "x"}}, "", error);
  ASSERT_TRUE(get);
  EXPECT_EQ(get->find("Content-Length"), std::string::npos);
  EXPECT_EQ(get->find("webui-host"), std::string::npos);  // caller's User-Agent wins
  auto post = BuildRequestHead("POST", *target, {}, "", error);
  ASSERT_TRUE(post);
  EXPECT_NE(post->find("Content-Length: 0\r\n"), std::string::npos);
}

TEST(BuildRequestHeadTest, UserinfoBecomesBasicAuthUnlessAuthorizationGiven) {
  std::string error;
  auto target = ParseTarget("http://user:p%40ss@h.test/", error);
  ASSERT_TRUE(target);
  auto head = BuildRequestHead("GET", *target, {}, "", error);
  ASSERT_TRUE(head);
  EXPECT_NE(head->find("Authorization: Basic dXNlcjpwQHNz\r\n"), std::string::npos);
  EXPECT_NE(head->find("Host: h.test\r\n"), std::string::npos);
  auto explicit_auth = BuildRequestHead("GET", *target, {{"authorization", "Bearer t"}}, "", error);
  ASSERT_TRUE(explicit_auth);
  EXPECT_EQ(explicit_auth->find("Basic"), std::string::npos);
}

TEST(BuildRequestHeadTest, RejectsInjectionWithoutRevealingValues) {
  std::string error;
  auto target = ParseTarget("http://h.test/", error);
  ASSERT_TRUE(target);
  EXPECT_FALSE(
      BuildRequestHead("GET", *target, {{"Authorization", "sk-secret\r\nX-Evil: 1"}}, "", error));
  EXPECT_NE(error.find("Authorization"), std::string::npos);
  EXPECT_EQ(error.find("sk-secret"), std::string::npos);
  EXPECT_FALSE(BuildRequestHead("GET", *target, {{"Bad Name", "v"}}, "", error));
  EXPECT_FALSE(BuildRequestHead("GET", *target, {{"", "v"}}, "", error));
  EXPECT_FALSE(BuildRequestHead("GET", *target, {{"X", std::string("a\0b", 3)}}, "", error));
}

TEST(FindHeadEndTest, FindsCrlfAndBareLfTerminators) {
  EXPECT_EQ(FindHeadEnd("HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody"), 25u);
  EXPECT_EQ(FindHeadEnd("HTTP/1.1 200 OK\nA: b\n\nbody"), 22u);
  EXPECT_EQ(FindHeadEnd("HTTP/1.1 200 OK\r\nA: b\r\n"), std::string::npos);
  EXPECT_EQ(FindHeadEnd("HTTP/1.1 200 OK\r\nA: b\r\n\r"), std::string::npos);
}

TEST(ParseResponseHeadTest, ParsesStatusAndAllHeadersInOrder) {
  std::string error;
  auto head = ParseResponseHead(
      "HTTP/1.1 404 Not Found\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nX-Long: one\r\n  two\r\n"
      "Empty:\r\nX-Spaces:   v  \r\n\r\n",
      error);
  ASSERT_TRUE(head) << error;
  EXPECT_EQ(head->status, 404);
  Headers expected = {{"Set-Cookie", "a=1"},
                      {"set-cookie", "b=2"},
                      {"X-Long", "one two"},
                      {"Empty", ""},
                      {"X-Spaces", "v"}};
  EXPECT_EQ(head->headers, expected);
  auto bare = ParseResponseHead("HTTP/1.0 200\n\n", error);
  ASSERT_TRUE(bare) << error;
  EXPECT_EQ(bare->status, 200);
}

TEST(ParseResponseHeadTest, RejectsMalformedHeadsWithoutEchoingThem) {
  for (const char* head :
       {"", "HELLO\r\n\r\n", "HTTP/2 200 OK\r\n\r\n", "HTTP/1.1 20 OK\r\n\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1 abc OK\r\n\r\n", "HTTP/1.1 099 x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", "HTTP/1.1 200 OK\r\nBad Name: sk-secret\r\n\r\n",
        "HTTP/1.1 200 OK\r\n folded-first\r\n\r\n"}) {
    std::string error;
    EXPECT_FALSE(ParseResponseHead(head, error)) << head;
    EXPECT_FALSE(error.empty());
    EXPECT_EQ(error.find("sk-secret"), std::string::npos);
  }
}

// Found while writing the invariants of tests/fuzz/http_wire_fuzz.cpp: a bare CR (or a NUL) inside
// a header line was kept in the value, and the openai plugin copies an upstream's Content-Type into
// its own response.
TEST(ParseResponseHeadTest, RejectsBareCrAndNulInsideHeaderLines) {
  for (const std::string& head :
       {std::string("HTTP/1.1 200 OK\r\nContent-Type: text/plain\rX-Injected: 1\r\n\r\n"),
        std::string("HTTP/1.1 200 OK\r\nX-A: one\r\n two\rthree\r\n\r\n"),
        std::string("HTTP/1.1 200 OK\r\nX-A: a") + '\0' + "b\r\n\r\n"}) {
    std::string error;
    EXPECT_FALSE(ParseResponseHead(head, error)) << head;
    EXPECT_NE(error.find("CR or NUL"), std::string::npos) << error;
  }
  // A CR right before the LF is the line end, not part of the value.
  std::string error;
  auto head = ParseResponseHead("HTTP/1.1 200 OK\r\nX-A: v\r\n\r\n", error);
  ASSERT_TRUE(head) << error;
  EXPECT_EQ(head->headers, (Headers{{"X-A", "v"}}));
}

TEST(BodyDecoderTest, FramingFollowsRfc9112) {
  std::string error;
  auto decoder_for = [&](std::string_view method, int status, Headers headers) {
    return BodyDecoder::ForResponse(method, ResponseHead{status, std::move(headers)}, error);
  };
  EXPECT_TRUE(decoder_for("HEAD", 200, {{"Content-Length", "10"}})->done());
  EXPECT_TRUE(decoder_for("GET", 204, {})->done());
  EXPECT_TRUE(decoder_for("GET", 304, {{"Content-Length", "10"}})->done());
  EXPECT_TRUE(decoder_for("GET", 200, {{"Content-Length", "0"}})->done());
  // Transfer-Encoding wins over Content-Length.
  auto chunked =
      decoder_for("GET", 200, {{"Content-Length", "3"}, {"Transfer-Encoding", "gzip, Chunked"}});
  ASSERT_TRUE(chunked);
  EXPECT_EQ(Decode(*chunked, {Chunk("hello") + "0\r\n\r\n"}).body, "hello");
  // A final coding other than chunked runs until the connection closes.
  auto gzip = decoder_for("GET", 200, {{"Transfer-Encoding", "gzip"}});
  ASSERT_TRUE(gzip);
  auto until_close = Decode(*gzip, {"abc", "def"}, true);
  EXPECT_EQ(until_close.status, BodyDecoder::Status::kDone);
  EXPECT_EQ(until_close.body, "abcdef");
  auto same = decoder_for("GET", 200, {{"Content-Length", "2, 2"}, {"content-length", "2"}});
  ASSERT_TRUE(same);
  EXPECT_EQ(Decode(*same, {"okEXTRA"}).body, "ok");
  EXPECT_FALSE(decoder_for("GET", 200, {{"Content-Length", "2, 3"}}));
  EXPECT_FALSE(decoder_for("GET", 200, {{"Content-Length", "2"}, {"Content-Length", "3"}}));
  EXPECT_FALSE(decoder_for("GET", 200, {{"Content-Length", "-1"}}));
  EXPECT_FALSE(decoder_for("GET", 200, {{"Content-Length", ""}}));
  EXPECT_FALSE(decoder_for("GET", 200, {{"Content-Length", "99999999999999999999"}}));
}

TEST(BodyDecoderTest, ChunkedGivesTheSameBodyForEverySplit) {
  const std::vector<std::string> events = {"data: {\"n\":1}\n\n", "data: {\"n\":2}\n\n",
                                           std::string(300, 'x'), "data: [DONE]\n\n"};
  std::string wire;
  std::string expected;
  for (const auto& e : events) {
    wire += Chunk(e);
    expected += e;
  }
  wire += "0;ext=1\r\nX-Trailer: t\r\n\r\n";
  for (std::size_t i = 0; i <= wire.size(); ++i) {
    for (std::size_t j = i; j <= wire.size(); j += 7) {
      auto out = Decode(BodyDecoder::Chunked(),
                        {wire.substr(0, i), wire.substr(i, j - i), wire.substr(j)});
      ASSERT_EQ(out.status, BodyDecoder::Status::kDone) << i << "/" << j;
      ASSERT_EQ(out.body, expected) << i << "/" << j;
    }
  }
  std::vector<std::string> bytes;
  for (char c : wire) bytes.emplace_back(1, c);
  auto byte_by_byte = Decode(BodyDecoder::Chunked(), bytes);
  EXPECT_EQ(byte_by_byte.status, BodyDecoder::Status::kDone);
  EXPECT_EQ(byte_by_byte.body, expected);
}

TEST(BodyDecoderTest, EmitsDataAsSoonAsItIsSeen) {
  auto decoder = BodyDecoder::Chunked();
  std::vector<std::string> pieces;
  auto emit = [&](std::string_view p) {
    pieces.emplace_back(p);
    return true;
  };
  EXPECT_EQ(decoder.Feed("B\r\nhel", emit), BodyDecoder::Status::kMore);
  EXPECT_EQ(pieces, std::vector<std::string>{"hel"});
  EXPECT_EQ(decoder.Feed("lo worl", emit), BodyDecoder::Status::kMore);
  EXPECT_EQ(decoder.Feed("d\r\n0\n\n", emit), BodyDecoder::Status::kDone);  // bare LF accepted
  EXPECT_EQ(pieces, (std::vector<std::string>{"hel", "lo worl", "d"}));
}

TEST(BodyDecoderTest, EmitReturningFalseAborts) {
  auto decoder = BodyDecoder::WithLength(10);
  EXPECT_EQ(decoder.Feed("abc", [](std::string_view) { return false; }),
            BodyDecoder::Status::kAborted);
}

TEST(BodyDecoderTest, MalformedChunkedStreams) {
  for (const std::string& wire :
       {std::string("zz\r\n"), std::string("\r\n"), std::string("5 x\r\nhello\r\n"),
        std::string("3\r\nhelloo\r\n"), std::string("3\r\nabc\r\r\n"),
        std::string("1000000000000000\r\n"), std::string(5000, '1')}) {
    auto out = Decode(BodyDecoder::Chunked(), {wire});
    EXPECT_EQ(out.status, BodyDecoder::Status::kMalformed) << wire.substr(0, 20);
  }
}

TEST(BodyDecoderTest, EarlyCloseIsAnErrorUnlessTheBodyIsComplete) {
  auto short_length = BodyDecoder::WithLength(10);
  auto emit = [](std::string_view) { return true; };
  EXPECT_EQ(short_length.Feed("abc", emit), BodyDecoder::Status::kMore);
  EXPECT_EQ(short_length.Finish(), BodyDecoder::Status::kMalformed);
  EXPECT_NE(short_length.error().find("3 of 10"), std::string::npos);

  for (const std::string& wire :
       {std::string(""), std::string("5\r\nhel"), std::string("5\r\nhello"),
        std::string("5\r\nhello\r\n"), std::string("0\r\nX-Partial: tr")}) {
    auto chunked = Decode(BodyDecoder::Chunked(), {wire}, true);
    EXPECT_EQ(chunked.status, BodyDecoder::Status::kMalformed) << wire;
  }
  // Only the final CRLF after the last chunk missing: every byte of the body arrived.
  EXPECT_EQ(Decode(BodyDecoder::Chunked(), {"5\r\nhello\r\n0\r\n"}, true).status,
            BodyDecoder::Status::kDone);
}

}  // namespace
}  // namespace webui::outbound::detail
