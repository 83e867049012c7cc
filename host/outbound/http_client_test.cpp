// Fetch() against real servers on 127.0.0.1: a raw socket thread per test, so each test controls
// exactly which bytes go out when (split chunks, silence, resets). Timing checks use generous
// margins; ordering checks wait for the client instead of sleeping.
#include "outbound/http_client.hpp"

#include "outbound/tls_test_support.hpp"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/TemporaryFile.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace webui::outbound {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using namespace std::chrono_literals;

// ---------------------------------------------------------------------------------------------
// TLS material: generated per run, so no key is checked in and nothing expires.

struct TlsFiles {
  std::string trusted_cert;  // CN/SAN localhost; put in SSL_CERT_FILE for the whole process
  std::string trusted_key;
  std::string untrusted_cert;  // same names, but no client trusts it
  std::string untrusted_key;
};

TlsFiles* g_tls = nullptr;

using webui::outbound::testing::WriteSelfSigned;

class TlsEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    Poco::Net::initializeSSL();
    dir_ = Poco::TemporaryFile::tempName();
    std::filesystem::create_directories(dir_);
    files_.trusted_cert = dir_ + "/trusted.pem";
    files_.trusted_key = dir_ + "/trusted.key";
    files_.untrusted_cert = dir_ + "/untrusted.pem";
    files_.untrusted_key = dir_ + "/untrusted.key";
    WriteSelfSigned(files_.trusted_cert, files_.trusted_key, 1);
    WriteSelfSigned(files_.untrusted_cert, files_.untrusted_key, 2);
    // Fetch's client context loads OpenSSL's default store, which honours SSL_CERT_FILE. It is
    // created on the first https Fetch, i.e. after this.
    setenv("SSL_CERT_FILE", files_.trusted_cert.c_str(), 1);
    g_tls = &files_;
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

 private:
  std::string dir_;
  TlsFiles files_;
};

[[maybe_unused]] auto* const kTlsEnvironment =
    ::testing::AddGlobalTestEnvironment(new TlsEnvironment);

// ---------------------------------------------------------------------------------------------
// Test server

bool WaitUntil(const std::function<bool()>& condition, milliseconds timeout = 5000ms) {
  const auto deadline = Clock::now() + timeout;
  while (!condition()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

struct SeenRequest {
  std::string request_line;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string body;

  std::string Header(const std::string& name) const {
    for (const auto& [n, v] : headers) {
      if (n == name) return v;
    }
    return "<missing>";
  }
  bool Has(const std::string& name) const { return Header(name) != "<missing>"; }
};

void Send(Poco::Net::StreamSocket& socket, std::string_view data) {
  while (!data.empty()) {
    int n = socket.sendBytes(data.data(), static_cast<int>(data.size()));
    if (n <= 0) throw std::runtime_error("send failed");
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string Chunk(std::string_view data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx", data.size());
  return std::string(size) + "\r\n" + std::string(data) + "\r\n";
}

constexpr std::string_view kChunkedHead =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";

// Accepts connections one after another on 127.0.0.1:<ephemeral>, reads each request head and
// body, then hands the socket to the handler. Optional TLS with a generated certificate.
class TestServer {
 public:
  using Handler = std::function<void(TestServer&, Poco::Net::StreamSocket&, const SeenRequest&)>;

  explicit TestServer(Handler handler, const std::string& cert = "", const std::string& key = "")
      : handler_(std::move(handler)) {
    if (!cert.empty()) {
      tls_ = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, key, cert, "",
                                    Poco::Net::Context::VERIFY_NONE);
    }
    // No SO_REUSEPORT: a stray listener must not share our port.
    listener_.bind(Poco::Net::SocketAddress("127.0.0.1", 0), true, false);
    listener_.listen(16);
    thread_ = std::thread([this] { Serve(); });
  }

  ~TestServer() {
    stop_ = true;
    thread_.join();
  }

  std::uint16_t port() const { return listener_.address().port(); }
  std::string Url(const std::string& path, const std::string& host = "127.0.0.1") const {
    return std::string(tls_ ? "https://" : "http://") + host + ":" + std::to_string(port()) + path;
  }
  bool stopping() const { return stop_; }
  // Sleeps up to `duration`, returning early when the test ends.
  void Pause(milliseconds duration) const {
    WaitUntil([this] { return stop_.load(); }, duration);
  }
  SeenRequest last_request() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return last_request_;
  }
  int connections() const { return connections_; }

 private:
  void Serve() {
    while (!stop_) {
      if (!listener_.poll(Poco::Timespan(0, 20000), Poco::Net::Socket::SELECT_READ)) continue;
      Poco::Net::StreamSocket socket;
      try {
        socket = listener_.acceptConnection();
        ++connections_;
        if (tls_) socket = Poco::Net::SecureStreamSocket::attach(socket, tls_);
        socket.setReceiveTimeout(Poco::Timespan(5, 0));
        SeenRequest request = ReadRequest(socket);
        {
          std::lock_guard<std::mutex> lock(mutex_);
          last_request_ = request;
        }
        handler_(*this, socket, request);
      } catch (const std::exception&) {
        // Clients that abort or reject the certificate make the handler's I/O fail: expected.
      }
      try {
        socket.close();
      } catch (const std::exception&) {
      }
    }
  }

  static SeenRequest ReadRequest(Poco::Net::StreamSocket& socket) {
    std::string data;
    char buffer[4096];
    std::size_t head_end;
    while ((head_end = data.find("\r\n\r\n")) == std::string::npos) {
      int n = socket.receiveBytes(buffer, sizeof buffer);
      if (n <= 0) throw std::runtime_error("client closed");
      data.append(buffer, static_cast<std::size_t>(n));
    }
    SeenRequest request;
    std::string head = data.substr(0, head_end);
    request.body = data.substr(head_end + 4);
    std::size_t eol = head.find("\r\n");
    request.request_line = head.substr(0, eol);
    while (eol != std::string::npos) {
      std::size_t next = head.find("\r\n", eol + 2);
      std::string line =
          head.substr(eol + 2, next == std::string::npos ? std::string::npos : next - eol - 2);
      std::size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      request.headers.emplace_back(name, value);
      eol = next;
    }
    const std::size_t length =
        request.Has("content-length") ? std::stoul(request.Header("content-length")) : 0;
    while (request.body.size() < length) {
      int n = socket.receiveBytes(buffer, sizeof buffer);
      if (n <= 0) throw std::runtime_error("client closed");
      request.body.append(buffer, static_cast<std::size_t>(n));
    }
    return request;
  }

  Handler handler_;
  Poco::Net::Context::Ptr tls_;
  Poco::Net::ServerSocket listener_;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  mutable std::mutex mutex_;
  SeenRequest last_request_;
  std::thread thread_;
};

// Waits (up to `limit`, or until the test ends) for the client to close or reset the connection.
// Returns true if it did.
bool WaitForPeerClose(const TestServer& server, Poco::Net::StreamSocket& s,
                      milliseconds limit = 10000ms) {
  const auto deadline = Clock::now() + limit;
  char byte;
  while (!server.stopping() && Clock::now() < deadline) {
    try {
      s.setReceiveTimeout(Poco::Timespan(0, 50000));
      if (s.receiveBytes(&byte, 1) <= 0) return true;
    } catch (const Poco::TimeoutException&) {
    } catch (const std::exception&) {
      return true;  // reset
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Client side collector

struct Collected {
  std::mutex mutex;
  int status = 0;
  int heads = 0;
  Headers headers;
  std::vector<std::string> pieces;
  std::vector<Clock::time_point> callback_times;  // every on_data call, ticks included
  std::atomic<int> ticks{0};
  std::atomic<int> ticks_before_head{0};
  std::atomic<std::size_t> piece_count{0};

  std::string Body() {
    std::lock_guard<std::mutex> lock(mutex);
    std::string body;
    for (const auto& p : pieces) body += p;
    return body;
  }
  std::vector<std::string> Pieces() {
    std::lock_guard<std::mutex> lock(mutex);
    return pieces;
  }
  // Longest gap between consecutive on_data calls after the first call.
  milliseconds LongestGap() {
    std::lock_guard<std::mutex> lock(mutex);
    milliseconds longest{0};
    for (std::size_t i = 1; i < callback_times.size(); ++i) {
      longest = std::max(longest, std::chrono::duration_cast<milliseconds>(callback_times[i] -
                                                                           callback_times[i - 1]));
    }
    return longest;
  }
};

// `keep_going` decides the return value of on_data (default: always continue).
Callbacks Collect(Collected& c, std::function<bool(std::string_view)> keep_going = {}) {
  Callbacks callbacks;
  callbacks.on_head = [&c](int status, const Headers& headers) {
    std::lock_guard<std::mutex> lock(c.mutex);
    c.status = status;
    c.headers = headers;
    ++c.heads;
    return true;
  };
  callbacks.on_data = [&c, keep_going](std::string_view chunk) {
    {
      std::lock_guard<std::mutex> lock(c.mutex);
      c.callback_times.push_back(Clock::now());
      if (chunk.empty()) {
        ++c.ticks;
        if (c.heads == 0) ++c.ticks_before_head;
      } else {
        c.pieces.emplace_back(chunk);
        ++c.piece_count;
      }
    }
    return keep_going ? keep_going(chunk) : true;
  };
  return callbacks;
}

Request Get(const std::string& url) {
  Request request;
  request.url = url;
  request.connect_timeout = 3000ms;
  request.read_timeout = 10000ms;
  return request;
}

milliseconds Since(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}

// A server answering one request with `respond`; returns what Fetch reported.
Result FetchFrom(const std::function<void(Poco::Net::StreamSocket&)>& respond, Collected& c,
                 milliseconds read_timeout = 5000ms) {
  TestServer server(
      [&](TestServer&, Poco::Net::StreamSocket& s, const SeenRequest&) { respond(s); });
  Request request = Get(server.Url("/"));
  request.read_timeout = read_timeout;
  return Fetch(request, Collect(c));
}

// ---------------------------------------------------------------------------------------------
// Plain request/response

TEST(FetchTest, GetDeliversStatusAllHeadersAndBody) {
  TestServer server([](TestServer&, Poco::Net::StreamSocket& s, const SeenRequest&) {
    Send(s,
         "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n"
         "Content-Length: 5\r\n\r\nhello");
  });
  Collected c;
  Request request = Get(server.Url("/v1/a%2Fb/models?x=1&y=%20z#fragment"));
  request.headers = {{"X-Custom", "one"}, {"X-Custom", "two"}, {"Accept", "application/json"}};
  Result result = Fetch(request, Collect(c));

  ASSERT_EQ(result.outcome, Outcome::kOk) << result.message;
  EXPECT_EQ(c.heads, 1);
  EXPECT_EQ(c.status, 200);
  Headers expected = {{"Content-Type", "text/plain"},
                      {"Set-Cookie", "a=1"},
                      {"Set-Cookie", "b=2"},
                      {"Content-Length", "5"}};
  EXPECT_EQ(c.headers, expected);
  EXPECT_EQ(c.Body(), "hello");

  SeenRequest seen = server.last_request();
  EXPECT_EQ(seen.request_line, "GET /v1/a%2Fb/models?x=1&y=%20z HTTP/1.1");
  EXPECT_EQ(seen.Header("host"), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(seen.Header("accept"), "application/json");
  EXPECT_EQ(seen.Header("connection"), "close");
  EXPECT_FALSE(seen.Has("content-length"));
  int customs = 0;
  for (const auto& [name, value] : seen.headers) customs += name == "x-custom";
  EXPECT_EQ(customs, 2);
}

TEST(FetchTest, SendsBodyWithContentLengthForEveryMethod) {
  TestServer server([](TestServer&, Poco::Net::StreamSocket& s, const SeenRequest& r) {
    const std::string echo = r.request_line.substr(0, r.request_line.find(' ')) + ":" + r.body;
    Send(s, "HTTP/1.1 201 Created\r\nContent-Length: " + std::to_string(echo.size()) + "\r\n\r\n" +
                echo);
  });
  for (std::string method : {"POST", "PUT", "PATCH", "DELETE", "OPTIONS", "post"}) {
    Collected c;
    Request request = Get(server.Url("/echo"));
    request.method = method;
    request.body = "{\"model\":\"m\",\"stream\":true}";
    request.headers = {{"Content-Type", "application/json"}, {"Content-Length", "1"}};
    Result result = Fetch(request, Collect(c));
    ASSERT_EQ(result.outcome, Outcome::kOk) << method << ": " << result.message;
    EXPECT_EQ(c.status, 201);
    std::string upper = method;
    for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    EXPECT_EQ(c.Body(), upper + ":" + request.body);
    EXPECT_EQ(server.last_request().Header("content-length"), std::to_string(request.body.size()));
  }
}

TEST(FetchTest, LargeBodiesGoBothWays) {
  std::string big(3 * 1024 * 1024 + 7, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  TestServer server([](TestServer&, Poco::Net::StreamSocket& s, const SeenRequest& r) {
    Send(s, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(r.body.size()) + "\r\n\r\n");
    Send(s, r.body);
  });
  Collected c;
  Request request = Get(server.Url("/"));
  request.method = "POST";
  request.body = big;
  Result result = Fetch(request, Collect(c));
  ASSERT_EQ(result.outcome, Outcome::kOk) << result.message;
  EXPECT_TRUE(c.Body() == big);
}

TEST(FetchTest, UserinfoBecomesBasicAuthorization) {
  TestServer server([](TestServer&, Poco::Net::StreamSocket& s, const SeenRequest&) {
    Send(s, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  });
  Collected c;
  Result result =
      Fetch(Get("http://user:p%40ss@127.0.0.1:" + std::to_string(server.port()) + "/"), Collect(c));
  ASSERT_EQ(result.outcome, Outcome::kOk) << result.message;
  EXPECT_EQ(server.last_request().Header("authorization"), "Basic dXNlcjpwQHNz");
  EXPECT_EQ(server.last_request().Header("host"), "127.0.0.1:" + std::to_string(server.port()));
}

TEST(FetchTest, ErrorStatusesAreDeliveredViaOnHead) {
  {
    Collected c;
    Result result = FetchFrom(
        [](Poco::Net::StreamSocket& s) {
          Send(s, "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found");
        },
        c);
    EXPECT_EQ(result.outcome, Outcome::kOk) << result.message;
    EXPECT_EQ(c.status, 404);
    EXPECT_EQ(c.Body(), "not found");
  }
  {
    Collected c;
    Result result = FetchFrom(
        [](Poco::Net::StreamSocket& s) {
          Send(s, "HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n" +
                      Chunk("{\"error\":\"boom\"}") + "0\r\n\r\n");
        },
        c);
    EXPECT_EQ(result.outcome, Outcome::kOk) << result.message;
    EXPECT_EQ(c.status, 500);
    EXPECT_EQ(c.Body(), "{\"error\":\"boom\"}");
  }
}

TEST(FetchTest, HeadAndNoContentResponsesEndWithoutWaitingForABody) {
  // The server keeps the connection open after the head: the client must not wait for the
  // 100 bytes a HEAD response announces.
  TestServer server([](TestServer& self, Poco::Net::StreamSocket& s, const SeenRequest& r) {
    if (r.request_line.rfind("HEAD", 0) == 0) {
      Send(s, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
    } else {
      Send(s, "HTTP/1.1 204 No Content\r\n\r\n");
    }
    WaitForPeerClose(self, s);
  });
  for (const char* method : {"HEAD", "DELETE"}) {
    Collected c;
    Request request = Get(server.Url("/"));
    request.method = method;
    request.read_timeout = 3000ms;
    Result result = Fetch(request, Collect(c));
    EXPECT_EQ(result.outcome, Outcome::kOk) << method << ": " << result.message;
    EXPECT_EQ(c.status, std::string(method) == "HEAD" ? 200 : 204);
    EXPECT_TRUE(c.Pieces().empty());
  }
}

TEST(FetchTest, InterimResponsesAreSkipped) {
  Collected c;
  Result result = FetchFrom(
      [](Poco::Net::StreamSocket& s) {
        Send(s,
             "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
             "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      },
      c);
  ASSERT_EQ(result.outcome, Outcome::kOk) << result.message;
  EXPECT_EQ(c.heads, 1);
  EXPECT_EQ(c.status, 200);
  EXPECT_EQ(c.Body(), "ok");
}

// ---------------------------------------------------------------------------------------------
// Streaming

// The server sends each piece, then waits (up to 5 s) for the client to have delivered it before
// sending the next. A client that waited to fill a buffer would deliver nothing until the
// connection ended, so `delivered_in_time` would be false.
void ExpectPiecesArriveBeforeNextIsSent(bool tls) {
  Collected c;
  const std::vector<std::string> pieces = {"a", "b", "data: {\"x\":1}\n\n"};
  std::vector<bool> delivered_in_time(pieces.size(), false);
  auto handler = [&](TestServer& self, Poco::Net::StreamSocket& s, const SeenRequest&) {
    Send(s, kChunkedHead);
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      Send(s, Chunk(pieces[i]));
      delivered_in_time[i] = WaitUntil([&] { return c.piece_count >= i + 1; });
      self.Pause(300ms);
    }
    Send(s, "0\r\n\r\n");
  };
  std::unique_ptr<TestServer> server =
      tls ? std::make_unique<TestServer>(handler, g_tls->trusted_cert, g_tls->trusted_key)
          : std::make_unique<TestServer>(handler);
  Result result = Fetch(Get(server->Url("/stream", "localhost")), Collect(c));
  server.reset();
  ASSERT_EQ(result.outcome, Outcome::kOk) << result.message;
  EXPECT_EQ(c.Pieces(), pieces);
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    EXPECT_TRUE(delivered_in_time[i]) << "piece " << i << " was held back";
  }
  EXPECT_GE(c.ticks, 1);  // 300 ms pauses: ticks while silent
}

TEST(FetchTest, ChunkedPiecesArriveBeforeTheNextIsSent) {
  ExpectPiecesArriveBeforeNextIsSent(false);
}

TEST(FetchTest, ContentLengthBodyStreamsToo) {
  Collected c;
  bool first_in_time = false;
  TestServer server([&](TestServer&, Poco::Net::StreamSocket& s, const SeenRequest&) {
    Send(s, "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabc");
    first_in_time = WaitUntil([&] { return c.piece_count >= 1; });
    Send(s, "def");
  });
  Result result = Fetch(Get(server.Url("/")), Collect(c));
  ASSERT_EQ(result.outcome, Outcome::kOk) << result.message;
  EXPECT_TRUE(first_in_time);
  EXPECT_EQ(c.Pieces(), (std::vector<std::string>{"abc", "def"}));
}

TEST(FetchTest, SseStreamSplitAtAwkwardPlaces) {
  std::string wire;
  std::string expected;
  for (int i = 0; i < 20; ++i) {
    std::string event =
        "data: {\"choices\":[{\"delta\":{\"content\":\"tok" + std::to_string(i) + "\"}}]}\n\n";
    wire += Chunk(event);
    expected += event;
  }
  wire += Chunk("data: [DONE]\n\n") + "0\r\n\r\n";
  expected += "data: [DONE]\n\n";
  Collected c;
  Result result = FetchFrom(
      [&](Poco::Net::StreamSocket& s) {
        Send(s, kChunkedHead);
        // Writes of 1..13 bytes: splits chunk-size lines, CRLFs and data.
        std::size_t pos = 0;
        for (std::size_t step = 1; pos < wire.size(); step = step % 13 + 1) {
          Send(s, std::string_view(wire).substr(pos, step));
          pos += step;
          std::this_thread::sleep_for(1ms);
        }
      },
      c);
  ASSERT_EQ(result.outcome, Outcome::kOk) << result.message;
  EXPECT_EQ(c.Body(), expected);
}

TEST(FetchTest, NdjsonUntilCloseEndsOkWhenTheServerCloses) {
  Collected c;
  Result result = FetchFrom(
      [](Poco::Net::StreamSocket& s) {
        Send(s, "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n\r\n");
        for (int i = 0; i < 3; ++i) {
          Send(s, "{\"i\":" + std::to_string(i) + "}\n");
          std::this_thread::sleep_for(20ms);
        }
        s.shutdownSend();
      },
      c);
  ASSERT_EQ(result.outcome, Outcome::kOk) << result.message;
  EXPECT_EQ(c.Body(), "{\"i\":0}\n{\"i\":1}\n{\"i\":2}\n");
}

// ---------------------------------------------------------------------------------------------
// Silence, ticks and abort

TEST(FetchTest, ReadingResumesAfterSilenceTicksEvenMidChunkHeader) {
  Collected c;
  Result result = FetchFrom(
      [](Poco::Net::StreamSocket& s) {
        std::this_thread::sleep_for(600ms);  // e.g. a model loading before the head
        Send(s, kChunkedHead);
        Send(s, "1\r\na\r\n");
        std::this_thread::sleep_for(700ms);
        Send(s, "1");  // half a chunk-size line, then silence
        std::this_thread::sleep_for(700ms);
        Send(s, "\r\nb\r\n0\r\n\r\n");
      },
      c);
  ASSERT_EQ(result.outcome, Outcome::kOk) << result.message;
  EXPECT_EQ(c.Pieces(), (std::vector<std::string>{"a", "b"}));
  EXPECT_GE(c.ticks_before_head, 1);
  EXPECT_GE(c.ticks, 4);
  EXPECT_LT(c.LongestGap(), 1000ms);  // contract: 250 ms; generous for a loaded machine
}

TEST(FetchTest, EmptyTickLetsTheCallerAbortDuringSilence) {
  std::atomic<bool> peer_closed{false};
  std::atomic<Clock::rep> closed_at{0};
  TestServer server([&](TestServer& self, Poco::Net::StreamSocket& s, const SeenRequest&) {
    Send(s, kChunkedHead);
    Send(s, Chunk("a"));
    if (WaitForPeerClose(self, s)) {  // silent until the client goes away
      closed_at = Clock::now().time_since_epoch().count();
      peer_closed = true;
    }
  });
  Collected c;
  Request request = Get(server.Url("/"));
  request.read_timeout = 30000ms;
  const auto start = Clock::now();
  Result result = Fetch(request, Collect(c, [&c](std::string_view chunk) {
                          return !(chunk.empty() && c.piece_count > 0 && c.ticks >= 3);
                        }));
  const auto returned = Clock::now();
  EXPECT_EQ(result.outcome, Outcome::kAborted) << result.message;
  EXPECT_EQ(c.Body(), "a");
  EXPECT_LT(Since(start), 5000ms);
  ASSERT_TRUE(WaitUntil([&] { return peer_closed.load(); }, 3000ms));
  EXPECT_LT(Clock::time_point(Clock::duration(closed_at.load())) - returned, 1000ms);
}

TEST(FetchTest, AbortFromOnDataResetsTheUpstreamAtOnce) {
  std::atomic<bool> send_failed{false};
  std::atomic<Clock::rep> failed_at{0};
  TestServer server([&](TestServer& self, Poco::Net::StreamSocket& s, const SeenRequest&) {
    Send(s, kChunkedHead);
    const auto deadline = Clock::now() + 10s;
    try {
      while (!self.stopping() && Clock::now() < deadline) {
        Send(s, Chunk("token "));
        std::this_thread::sleep_for(20ms);
      }
    } catch (const std::exception&) {
      failed_at = Clock::now().time_since_epoch().count();
      send_failed = true;
    }
  });
  Collected c;
  Result result =
      Fetch(Get(server.Url("/")), Collect(c, [&c](std::string_view) { return c.piece_count < 3; }));
  const auto returned = Clock::now();
  EXPECT_EQ(result.outcome, Outcome::kAborted) << result.message;
  EXPECT_EQ(c.piece_count, 3u);
  ASSERT_TRUE(WaitUntil([&] { return send_failed.load(); }, 3000ms))
      << "the upstream never noticed the abort";
  EXPECT_LT(Clock::time_point(Clock::duration(failed_at.load())) - returned, 1000ms);
}

TEST(FetchTest, AbortFromOnHeadClosesTheConnection) {
  std::atomic<bool> peer_closed{false};
  TestServer server([&](TestServer&, Poco::Net::StreamSocket& s, const SeenRequest&) {
    Send(s, kChunkedHead);
    char byte;
    try {
      s.setReceiveTimeout(Poco::Timespan(3, 0));
      peer_closed = s.receiveBytes(&byte, 1) <= 0;
    } catch (const Poco::TimeoutException&) {
    } catch (const std::exception&) {
      peer_closed = true;  // reset
    }
  });
  Callbacks callbacks;
  callbacks.on_head = [](int, const Headers&) { return false; };
  Result result = Fetch(Get(server.Url("/")), callbacks);
  EXPECT_EQ(result.outcome, Outcome::kAborted) << result.message;
  EXPECT_TRUE(WaitUntil([&] { return peer_closed.load(); }, 3000ms));
}

TEST(FetchTest, ThrowingCallbackBecomesAbortedNotAnException) {
  Collected c;
  TestServer server([](TestServer&, Poco::Net::StreamSocket& s, const SeenRequest&) {
    Send(s, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc");
  });
  Callbacks callbacks = Collect(c);
  callbacks.on_data = [](std::string_view chunk) -> bool {
    if (!chunk.empty()) throw std::runtime_error("consumer failed");
    return true;
  };
  Result result = Fetch(Get(server.Url("/")), callbacks);
  EXPECT_EQ(result.outcome, Outcome::kAborted);
  EXPECT_NE(result.message.find("consumer failed"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Timeouts and connection failures

TEST(FetchTest, ReadTimeoutWhenTheServerNeverAnswers) {
  TestServer server(
      [](TestServer& self, Poco::Net::StreamSocket&, const SeenRequest&) { self.Pause(10000ms); });
  Collected c;
  Request request = Get(server.Url("/"));
  request.read_timeout = 700ms;
  const auto start = Clock::now();
  Result result = Fetch(request, Collect(c));
  const milliseconds took = Since(start);
  EXPECT_EQ(result.outcome, Outcome::kTimeout) << result.message;
  EXPECT_NE(result.message.find("read timeout"), std::string::npos);
  EXPECT_GE(took, 650ms);
  EXPECT_LT(took, 700ms + 1000ms);
  EXPECT_GE(c.ticks, 2);  // the caller could have aborted meanwhile
  EXPECT_EQ(c.heads, 0);
}

TEST(FetchTest, ReadTimeoutMidBody) {
  TestServer server([](TestServer& self, Poco::Net::StreamSocket& s, const SeenRequest&) {
    Send(s, kChunkedHead);
    Send(s, Chunk("partial"));
    self.Pause(10000ms);
  });
  Collected c;
  Request request = Get(server.Url("/"));
  request.read_timeout = 500ms;
  Result result = Fetch(request, Collect(c));
  EXPECT_EQ(result.outcome, Outcome::kTimeout) << result.message;
  EXPECT_EQ(c.Body(), "partial");
}

TEST(FetchTest, TotalTimeoutBoundsAStreamThatNeverEnds) {
  TestServer server([](TestServer& self, Poco::Net::StreamSocket& s, const SeenRequest&) {
    Send(s, kChunkedHead);
    while (!self.stopping()) {
      Send(s, Chunk("x"));
      self.Pause(100ms);
    }
  });
  Collected c;
  Request request = Get(server.Url("/"));
  request.total_timeout = 800ms;
  const auto start = Clock::now();
  Result result = Fetch(request, Collect(c));
  EXPECT_EQ(result.outcome, Outcome::kTimeout) << result.message;
  EXPECT_NE(result.message.find("total timeout"), std::string::npos);
  EXPECT_LT(Since(start), 800ms + 1000ms);
  EXPECT_GE(c.piece_count, 2u);
}

TEST(FetchTest, RefusedConnectionFailsFastWithoutLeakingHeaders) {
  std::uint16_t port;
  {
    Poco::Net::ServerSocket probe;
    probe.bind(Poco::Net::SocketAddress("127.0.0.1", 0), true, false);
    port = probe.address().port();
  }  // closed: nothing listens there now
  Request request = Get("http://127.0.0.1:" + std::to_string(port) + "/v1?key=sk-query-secret");
  request.headers = {{"Authorization", "Bearer sk-header-secret"}};
  const auto start = Clock::now();
  Result result = Fetch(request, {});
  EXPECT_EQ(result.outcome, Outcome::kConnectError) << result.message;
  EXPECT_NE(result.message.find("refused"), std::string::npos) << result.message;
  EXPECT_EQ(result.message.find("secret"), std::string::npos) << result.message;
  EXPECT_LT(Since(start), 3000ms);
}

TEST(FetchTest, UnansweredConnectFailsWithinTheConnectTimeout) {
  // A listener whose accept queue is full drops further SYNs, so a connect to it hangs like one
  // to a black-holed address (which cannot be used here: the test network may answer anything).
  Poco::Net::ServerSocket listener;
  listener.bind(Poco::Net::SocketAddress("127.0.0.1", 0), true, false);
  listener.listen(0);
  std::vector<Poco::Net::StreamSocket> fillers(4);
  for (auto& filler : fillers) {
    try {
      filler.connectNB(listener.address());
    } catch (const Poco::Exception&) {
    }
  }
  std::this_thread::sleep_for(100ms);
  Request request = Get("http://127.0.0.1:" + std::to_string(listener.address().port()) + "/");
  request.connect_timeout = 500ms;
  const auto start = Clock::now();
  Result result = Fetch(request, {});
  const milliseconds took = Since(start);
  EXPECT_EQ(result.outcome, Outcome::kTimeout) << result.message;
  EXPECT_GE(took, 400ms);
  EXPECT_LT(took, 500ms + 2500ms);
}

TEST(FetchTest, UnresolvableHostIsAConnectError) {
  Result result = Fetch(Get("http://no-such-host.invalid/"), {});
  EXPECT_EQ(result.outcome, Outcome::kConnectError) << result.message;
}

// ---------------------------------------------------------------------------------------------
// Upstream failures mid-response become protocol errors, never kOk

TEST(FetchTest, UpstreamFailuresMidResponseAreProtocolErrors) {
  struct Case {
    const char* name;
    std::function<void(Poco::Net::StreamSocket&)> respond;
    std::string body;
  };
  const std::vector<Case> cases = {
      {"chunked stream closed without the last chunk",
       [](Poco::Net::StreamSocket& s) {
         Send(s, std::string(kChunkedHead) + Chunk("data: 1\n\n"));
         std::this_thread::sleep_for(50ms);
         s.shutdownSend();
       },
       "data: 1\n\n"},
      {"chunked stream reset",
       [](Poco::Net::StreamSocket& s) {
         Send(s, std::string(kChunkedHead) + Chunk("data: 1\n\n"));
         std::this_thread::sleep_for(50ms);
         s.setLinger(true, 0);
         s.close();
       },
       "data: 1\n\n"},
      {"fewer bytes than Content-Length",
       [](Poco::Net::StreamSocket& s) {
         Send(s, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
         std::this_thread::sleep_for(50ms);
         s.shutdownSend();
       },
       "abc"},
      {"closed without a response", [](Poco::Net::StreamSocket& s) { s.shutdownSend(); }, ""},
      {"closed inside the head",
       [](Poco::Net::StreamSocket& s) {
         Send(s, "HTTP/1.1 200 OK\r\nContent-Le");
         s.shutdownSend();
       },
       ""},
      {"not HTTP", [](Poco::Net::StreamSocket& s) { Send(s, "SSH-2.0-OpenSSH\r\n\r\n"); }, ""},
      {"bad chunk size",
       [](Poco::Net::StreamSocket& s) { Send(s, std::string(kChunkedHead) + "zz\r\n"); }, ""},
      {"invalid Content-Length",
       [](Poco::Net::StreamSocket& s) {
         Send(s, "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\nabc");
       },
       ""},
  };
  for (const auto& test_case : cases) {
    Collected c;
    Result result = FetchFrom(test_case.respond, c, 3000ms);
    EXPECT_EQ(result.outcome, Outcome::kProtocolError) << test_case.name << ": " << result.message;
    EXPECT_FALSE(result.message.empty()) << test_case.name;
    EXPECT_EQ(c.Body(), test_case.body) << test_case.name;
  }
}

// ---------------------------------------------------------------------------------------------
// Invalid input

TEST(FetchTest, InvalidRequestsAreRejectedBeforeConnecting) {
  std::vector<Request> requests;
  for (const char* url : {"ftp://127.0.0.1/x", "http://", "http:///path", "not a url", "",
                          "http://127.0.0.1:1/a b?key=sk-secret", "//127.0.0.1/"}) {
    requests.push_back(Get(url));
  }
  Request trace = Get("http://127.0.0.1:1/");
  trace.method = "TRACE";
  requests.push_back(trace);
  Request injected = Get("http://127.0.0.1:1/");
  injected.headers = {{"Authorization", "Bearer sk-secret\r\nX-Injected: 1"}};
  requests.push_back(injected);
  Request no_timeout = Get("http://127.0.0.1:1/");
  no_timeout.read_timeout = 0ms;
  requests.push_back(no_timeout);
  for (const auto& request : requests) {
    Result result = Fetch(request, {});
    EXPECT_EQ(result.outcome, Outcome::kInvalid) << request.url << ": " << result.message;
    EXPECT_FALSE(result.message.empty());
    EXPECT_EQ(result.message.find("sk-secret"), std::string::npos) << result.message;
  }
}

// ---------------------------------------------------------------------------------------------
// HTTPS

TEST(FetchTest, HttpsStreamsWithVerifiedCertificate) { ExpectPiecesArriveBeforeNextIsSent(true); }

TEST(FetchTest, HttpsTicksAndResumesAfterSilence) {
  TestServer server(
      [](TestServer&, Poco::Net::StreamSocket& s, const SeenRequest&) {
        Send(s, kChunkedHead);
        Send(s, Chunk("a"));
        std::this_thread::sleep_for(800ms);
        Send(s, Chunk("b") + "0\r\n\r\n");
      },
      g_tls->trusted_cert, g_tls->trusted_key);
  Collected c;
  Result result = Fetch(Get(server.Url("/", "localhost")), Collect(c));
  ASSERT_EQ(result.outcome, Outcome::kOk) << result.message;
  EXPECT_EQ(c.Body(), "ab");
  EXPECT_GE(c.ticks, 2);
  EXPECT_LT(c.LongestGap(), 1000ms);
}

TEST(FetchTest, HttpsRejectsAnUntrustedCertificate) {
  TestServer server(
      [](TestServer&, Poco::Net::StreamSocket& s, const SeenRequest&) {
        Send(s, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
      },
      g_tls->untrusted_cert, g_tls->untrusted_key);
  Result result = Fetch(Get(server.Url("/", "localhost")), {});
  EXPECT_EQ(result.outcome, Outcome::kConnectError) << result.message;
  EXPECT_NE(result.message.find("TLS"), std::string::npos) << result.message;
}

TEST(FetchTest, HttpsRejectsAHostNameMismatch) {
  // The trusted certificate names "localhost" only.
  TestServer server(
      [](TestServer&, Poco::Net::StreamSocket& s, const SeenRequest&) {
        Send(s, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
      },
      g_tls->trusted_cert, g_tls->trusted_key);
  Result result = Fetch(Get(server.Url("/", "127.0.0.1")), {});
  EXPECT_EQ(result.outcome, Outcome::kConnectError) << result.message;
}

// ---------------------------------------------------------------------------------------------
// Public-only requests (docs/security.md T26–T28): refused before any byte leaves, unless the
// admin's allow-list names the destination; then the checked address is the one connected to.

TEST(FetchTest, PublicOnlyRequestsNeverReachALoopbackServer) {
  TestServer sink([](TestServer&, Poco::Net::StreamSocket& s, const SeenRequest&) {
    Send(s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno");
  });
  const std::string port = std::to_string(sink.port());
  for (const std::string& url :
       {sink.Url("/"), "http://localhost:" + port + "/", "http://[::1]:" + port + "/",
        "http://2130706433:" + port + "/", "http://0177.0.0.1:" + port + "/",
        "http://0x7f.1:" + port + "/", "http://[::ffff:127.0.0.1]:" + port + "/",
        "http://0.0.0.0:" + port + "/", "http://user@127.0.0.1:" + port + "/",
        "http://allowed.example\\@127.0.0.1:" + port + "/",
        "http://127.0.0.1:" + port + "#@allowed.example/"}) {
    Request request = Get(url);
    request.public_only = true;
    Collected c;
    const Result result = Fetch(request, Collect(c));
    EXPECT_EQ(result.outcome, Outcome::kRefused) << url << ": " << result.message;
    EXPECT_EQ(c.heads, 0) << url;
  }
  std::this_thread::sleep_for(100ms);  // a connection would have been accepted by now
  EXPECT_EQ(sink.connections(), 0);
  // The same URL without the guard does connect: the sink was listening all along.
  Collected c;
  EXPECT_EQ(Fetch(Get(sink.Url("/")), Collect(c)).outcome, Outcome::kOk);
  EXPECT_EQ(sink.connections(), 1);
}

TEST(FetchTest, TheAllowListLetsAPublicOnlyRequestReachOneLoopbackPort) {
  TestServer server([](TestServer&, Poco::Net::StreamSocket& s, const SeenRequest&) {
    Send(s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  });
  const AllowList allowed = AllowList::Parse("127.0.0.1:" + std::to_string(server.port()));
  Request request = Get(server.Url("/page"));
  request.public_only = true;
  request.allowed = &allowed;
  Collected c;
  const Result result = Fetch(request, Collect(c));
  ASSERT_EQ(result.outcome, Outcome::kOk) << result.message;
  EXPECT_EQ(c.Body(), "ok");
  // Another port of the same address is still refused.
  request.url =
      "http://127.0.0.1:" + std::to_string(server.port() == 65535 ? 1 : server.port() + 1) + "/";
  EXPECT_EQ(Fetch(request, {}).outcome, Outcome::kRefused);
}

TEST(FetchTest, APinnedHttpsConnectionStillChecksTheCertificateName) {
  TestServer server(
      [](TestServer&, Poco::Net::StreamSocket& s, const SeenRequest&) {
        Send(s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      },
      g_tls->trusted_cert, g_tls->trusted_key);
  const AllowList allowed = AllowList::Parse("localhost,127.0.0.1");
  Request request = Get(server.Url("/", "localhost"));
  request.public_only = true;
  request.allowed = &allowed;
  Collected c;
  Result result = Fetch(request, Collect(c));
  ASSERT_EQ(result.outcome, Outcome::kOk) << result.message;
  EXPECT_EQ(c.Body(), "ok");
  request.url = server.Url("/", "127.0.0.1");  // the certificate names localhost only
  result = Fetch(request, {});
  EXPECT_EQ(result.outcome, Outcome::kConnectError) << result.message;
}

}  // namespace
}  // namespace webui::outbound
