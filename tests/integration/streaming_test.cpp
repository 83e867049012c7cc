// Streaming responses: pieces reach the client as they are produced, a departed client is
// noticed, and the outbound client streams an upstream through a plugin.
#include <atomic>
#include <thread>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>

#include "it_support.hpp"

namespace webui::testing {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

class Streaming : public SharedHost {};

TEST_F(Streaming, EventsArriveAsTheyAreWrittenWithProxyHeaders) {
  Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(host().port()));
  Poco::Net::HTTPRequest req("GET", "/api/v1/test/stream?n=4&delay_ms=300");
  s.sendRequest(req);
  Poco::Net::HTTPResponse res;
  std::istream& in = s.receiveResponse(res);
  ASSERT_EQ(res.getStatus(), 200);
  EXPECT_EQ(res.getContentType(), "text/event-stream");
  EXPECT_EQ(res.get("Cache-Control", ""), "no-cache");
  EXPECT_EQ(res.get("X-Accel-Buffering", ""), "no");
  EXPECT_TRUE(res.getChunkedTransferEncoding());
  std::vector<Clock::time_point> arrivals;
  std::string line, all;
  while (std::getline(in, line)) {
    if (line.rfind("data:", 0) == 0) {
      arrivals.push_back(Clock::now());
      all += line + "\n";
    }
  }
  ASSERT_EQ(arrivals.size(), 5u) << all;
  EXPECT_NE(all.find("[DONE]"), std::string::npos);
  // The first event came long before the last: nothing was buffered to the end.
  EXPECT_GE(arrivals.back() - arrivals.front(), std::chrono::milliseconds(700));
}

TEST_F(Streaming, AClientThatLeavesIsNoticedByThePlugin) {
  const int gone_before = host().Get("/api/v1/test/stream-stats").Json()["client_gone"];
  {
    Poco::Net::StreamSocket sock(Poco::Net::SocketAddress("127.0.0.1", host().port()));
    const std::string req = "GET /api/v1/test/stream?n=200&delay_ms=50 HTTP/1.1\r\nHost: x\r\n\r\n";
    sock.sendBytes(req.data(), static_cast<int>(req.size()));
    char buf[512];
    sock.setReceiveTimeout(Poco::Timespan(5, 0));
    ASSERT_GT(sock.receiveBytes(buf, sizeof buf), 0);
    sock.close();  // leave after the first event
  }
  const auto deadline = Clock::now() + std::chrono::seconds(3);
  int gone = gone_before;
  while (gone == gone_before && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    gone = host().Get("/api/v1/test/stream-stats").Json()["client_gone"];
  }
  EXPECT_EQ(gone, gone_before + 1);
}

// A tiny upstream speaking HTTP/1.1 with a chunked body: "one", pause, "two", then either a
// proper end or a reset.
class Upstream {
 public:
  explicit Upstream(bool reset_midway) : reset_(reset_midway) {
    server_.bind(Poco::Net::SocketAddress("127.0.0.1", 0), true, false);
    server_.listen();
    thread_ = std::thread([this] { Serve(); });
  }
  ~Upstream() {
    stop_ = true;
    server_.close();
    if (thread_.joinable()) thread_.join();
  }
  int port() const { return server_.address().port(); }
  std::atomic<bool> saw_close{false};

 private:
  void Serve() {
    try {
      Poco::Net::StreamSocket c = server_.acceptConnection();
      char buf[4096];
      c.receiveBytes(buf, sizeof buf);
      auto send = [&](const std::string& s) { c.sendBytes(s.data(), static_cast<int>(s.size())); };
      send("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n");
      send("3\r\none\r\n");
      std::this_thread::sleep_for(std::chrono::milliseconds(400));
      send("3\r\ntwo\r\n");
      if (reset_) {
        c.setLinger(true, 0);  // RST instead of FIN
        c.close();
        return;
      }
      send("0\r\n\r\n");
      c.shutdownSend();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } catch (...) {
    }
  }
  bool reset_;
  std::atomic<bool> stop_{false};
  Poco::Net::ServerSocket server_;
  std::thread thread_;
};

TEST_F(Streaming, OutboundClientStreamsAnUpstreamThroughAPlugin) {
  Upstream up(false);
  Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(host().port()));
  Poco::Net::HTTPRequest req(
      "GET", "/api/v1/test/fetch?url=http://127.0.0.1:" + std::to_string(up.port()) + "/x");
  s.sendRequest(req);
  Poco::Net::HTTPResponse res;
  std::istream& in = s.receiveResponse(res);
  ASSERT_EQ(res.getStatus(), 200);
  char c1[3];
  in.read(c1, 3);
  const auto first = Clock::now();
  EXPECT_EQ(std::string(c1, 3), "one");
  std::string rest((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(rest, "two");
  EXPECT_GE(Clock::now() - first, std::chrono::milliseconds(250));  // "one" came before "two"
}

TEST_F(Streaming, UpstreamResetMidStreamIsReportedNotTruncatedSilently) {
  Upstream up(true);
  auto r =
      host().Get("/api/v1/test/fetch?url=http://127.0.0.1:" + std::to_string(up.port()) + "/x");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body.rfind("onetwo", 0), 0u) << r.body;
  EXPECT_NE(r.body.find("[error:"), std::string::npos) << r.body;
}

TEST_F(Streaming, DeadUpstreamIs502WithoutHangingTheServer) {
  Poco::Net::ServerSocket closed;
  closed.bind(Poco::Net::SocketAddress("127.0.0.1", 0), true, false);
  const int port = closed.address().port();
  closed.close();
  auto r = host().Get("/api/v1/test/fetch?url=http://127.0.0.1:" + std::to_string(port) + "/x");
  EXPECT_EQ(r.status, 502);
  EXPECT_TRUE(r.Json()["detail"].is_string());
  EXPECT_EQ(host().Get("/health").status, 200);
}

}  // namespace
}  // namespace webui::testing
