// The connection front, from outside: idle and slowloris connections cost no thread and do not
// delay other clients, connection caps, read deadlines, no request smuggling on kept
// connections, and streams ended with an error event at the shutdown deadline. Raw sockets
// against the real binary.
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cctype>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "it_support.hpp"

namespace webui::testing {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// A plain TCP connection to the host.
class Conn {
 public:
  explicit Conn(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~Conn() {
    if (fd_ >= 0) ::close(fd_);
  }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  bool ok() const { return fd_ >= 0; }
  bool Send(const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }
  // Everything received until the peer closes or `timeout` passes; `closed` says which.
  std::string ReadAll(std::chrono::milliseconds timeout, bool* closed = nullptr) {
    std::string out;
    const auto until = Clock::now() + timeout;
    if (closed) *closed = false;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
      if (left.count() <= 0) return out;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return out;
      char buf[65536];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        if (closed) *closed = true;
        return out;
      }
      out.append(buf, static_cast<size_t>(n));
    }
  }
  // Reads until `out` holds one complete response with a Content-Length body.
  bool ReadOneResponse(std::string* out, std::chrono::milliseconds timeout) {
    const auto until = Clock::now() + timeout;
    while (Clock::now() < until) {
      const size_t head_end = out->find("\r\n\r\n");
      if (head_end != std::string::npos) {
        const size_t cl = out->find("Content-Length: ");
        if (cl != std::string::npos && cl < head_end) {
          const size_t len = std::stoul(out->substr(cl + 16));
          if (out->size() >= head_end + 4 + len) return true;
        }
      }
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return false;
      out->append(buf, static_cast<size_t>(n));
    }
    return false;
  }
  // True once the host closed the connection (EOF or reset), waiting up to `timeout`.
  bool ClosedByPeer(std::chrono::milliseconds timeout) {
    bool closed = false;
    ReadAll(timeout, &closed);
    return closed;
  }

 private:
  int fd_ = -1;
};

// Status lines in what the host sent ("HTTP/1.1 " and a digit; bodies here never contain one).
int CountResponses(const std::string& bytes) {
  int n = 0;
  for (size_t pos = bytes.find("HTTP/1.1 "); pos != std::string::npos;
       pos = bytes.find("HTTP/1.1 ", pos + 1))
    if (pos + 9 < bytes.size() && std::isdigit(static_cast<unsigned char>(bytes[pos + 9]))) ++n;
  return n;
}

// /health on a fresh connection, with how long it took.
std::pair<int, Clock::duration> TimedHealth(int port) {
  const auto t0 = Clock::now();
  const int status = Http(port, "GET", "/health").status;
  return {status, Clock::now() - t0};
}

std::unique_ptr<HostProcess> StartHost(std::map<std::string, std::string> env) {
  auto host = std::make_unique<HostProcess>(HostProcess::Options{std::move(env), {}, ""});
  std::string why;
  EXPECT_TRUE(host->Start(&why)) << why;
  return host;
}

TEST(Front, IdleAndSlowlorisConnectionsDoNotDelayOthersAndSlowHeadsAreCut) {
  RaiseDescriptorLimit();
  auto host = StartHost({{"WEBUI_HTTP_HEADER_TIMEOUT", "3"}, {"WEBUI_KEEPALIVE_TIMEOUT", "60"}});
  ASSERT_TRUE(host->Running());
  std::vector<std::unique_ptr<Conn>> idle, slow;
  for (int i = 0; i < 1100; ++i) {
    idle.push_back(std::make_unique<Conn>(host->port()));
    ASSERT_TRUE(idle.back()->ok());
  }
  for (int i = 0; i < 1500; ++i) {
    slow.push_back(std::make_unique<Conn>(host->port()));
    ASSERT_TRUE(slow.back()->ok());
    slow.back()->Send("GET /health HTTP/1.1\r\n");
  }
  const auto start = Clock::now();
  // A header line a second from every slowloris client, and fresh clients served meanwhile.
  for (int round = 0; round < 2; ++round) {
    for (auto& c : slow) c->Send("X-A: b\r\n");
    auto [status, took] = TimedHealth(host->port());
    EXPECT_EQ(status, 200);
    EXPECT_LT(took, 1s) << "round " << round;
    std::this_thread::sleep_for(1s);
  }
  // Past the 3 s header deadline every slowloris connection is closed by the host, although it
  // kept sending; the idle ones (60 s keep-alive) are still open.
  int closed = 0;
  for (auto& c : slow)
    closed += c->ClosedByPeer(std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::max<Clock::duration>(start + 6s - Clock::now(), 1ms)))
                  ? 1
                  : 0;
  EXPECT_EQ(closed, 1500);
  int still_open = 0;
  for (int i = 0; i < 20; ++i) still_open += idle[i]->ClosedByPeer(10ms) ? 0 : 1;
  EXPECT_EQ(still_open, 20);
  auto [status, took] = TimedHealth(host->port());
  EXPECT_EQ(status, 200);
  EXPECT_LT(took, 1s);
}

TEST(Front, ThousandsOfIdleKeepAliveConnectionsHoldNoThreads) {
  RaiseDescriptorLimit();
  auto host = StartHost({{"WEBUI_KEEPALIVE_TIMEOUT", "120"}});
  ASSERT_TRUE(host->Running());
  ASSERT_EQ(host->Get("/health").status, 200);
  const int threads_before = ThreadCount(host->pid());
  std::vector<std::unique_ptr<Conn>> kept;
  // One request on each, in batches of 100, then the connections stay open and idle.
  for (int batch = 0; batch < 30; ++batch) {
    std::vector<Conn*> these;
    for (int i = 0; i < 100; ++i) {
      kept.push_back(std::make_unique<Conn>(host->port()));
      ASSERT_TRUE(kept.back()->ok());
      ASSERT_TRUE(kept.back()->Send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
      these.push_back(kept.back().get());
    }
    for (Conn* c : these) {
      std::string response;
      ASSERT_TRUE(c->ReadOneResponse(&response, 10s)) << response;
      ASSERT_EQ(response.rfind("HTTP/1.1 200", 0), 0u) << response;
    }
  }
  const int threads_held = ThreadCount(host->pid());
  for (int i = 0; i < 3; ++i) {
    auto [status, took] = TimedHealth(host->port());
    EXPECT_EQ(status, 200);
    EXPECT_LT(took, 1s);
  }
  // Threads follow requests in progress (up to 100 at once here), not the 3000 connections
  // (thread per connection would be at its 1100 cap).
  EXPECT_LT(threads_held, threads_before + 300) << threads_before;
  // The kept connections still serve.
  std::string again;
  ASSERT_TRUE(kept[1234]->Send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(kept[1234]->ReadOneResponse(&again, 5s));
  EXPECT_EQ(again.rfind("HTTP/1.1 200", 0), 0u);
}

// Workers beyond the first few dozen start only for requests that waited: handlers blocked for
// seconds must still not hold up a quick request behind them.
TEST(Front, RequestsBehindBlockedHandlersGetNewWorkers) {
  RaiseDescriptorLimit();
  auto host = StartHost({});
  ASSERT_TRUE(host->Running());
  std::vector<std::unique_ptr<Conn>> slow;
  for (int i = 0; i < 80; ++i) {
    slow.push_back(std::make_unique<Conn>(host->port()));
    ASSERT_TRUE(slow.back()->ok());
    ASSERT_TRUE(slow.back()->Send("GET /api/v1/test/slow?ms=3000 HTTP/1.1\r\nHost: x\r\n\r\n"));
  }
  std::this_thread::sleep_for(200ms);  // all 80 taken by the host (blocked in the handler)
  auto [status, took] = TimedHealth(host->port());
  EXPECT_EQ(status, 200);
  EXPECT_LT(took, 1s);
  // And the blocked ones all finish at about the same time: none waited for another.
  const auto t0 = Clock::now();
  for (auto& c : slow) {
    std::string response;
    ASSERT_TRUE(c->ReadOneResponse(&response, 10s)) << response;
    EXPECT_EQ(response.rfind("HTTP/1.1 200", 0), 0u) << response;
  }
  EXPECT_LT(Clock::now() - t0, 5s);
}

// A burst of requests whose handlers keep the CPU busy (not blocked): more threads would not
// serve them sooner, so the pool grows by a few, not by a thread per waiting request.
TEST(Front, ABurstOfBusyHandlersDoesNotStartAThreadPerRequest) {
  RaiseDescriptorLimit();
  auto host = StartHost({});
  ASSERT_TRUE(host->Running());
  const int threads_before = ThreadCount(host->pid());
  std::atomic<bool> sampling{true};
  std::atomic<int> peak{threads_before};
  std::thread sampler([&] {
    while (sampling) {
      peak = std::max(peak.load(), ThreadCount(host->pid()));
      std::this_thread::sleep_for(10ms);
    }
  });
  constexpr int kRequests = 400;
  std::vector<std::unique_ptr<Conn>> conns;
  for (int i = 0; i < kRequests; ++i) {
    conns.push_back(std::make_unique<Conn>(host->port()));
    ASSERT_TRUE(conns.back()->ok());
  }
  for (auto& c : conns)
    ASSERT_TRUE(c->Send("GET /api/v1/test/busy?ms=3 HTTP/1.1\r\nHost: x\r\n\r\n"));
  for (auto& c : conns) {
    std::string response;
    ASSERT_TRUE(c->ReadOneResponse(&response, 60s)) << response;
    EXPECT_EQ(response.rfind("HTTP/1.1 200", 0), 0u) << response;
  }
  sampling = false;
  sampler.join();
  // 32 started at once, then one per 100 ms while requests keep finishing (a second or more of
  // CPU here, longer under sanitizers). A thread per waiting request would be about 400.
  EXPECT_LT(peak - threads_before, 120) << threads_before << " -> " << peak;
}

TEST(Front, ConnectionsOverThePerAddressCapAre503) {
  auto host = StartHost({{"WEBUI_HTTP_MAX_CONNECTIONS_PER_IP", "5"}});
  ASSERT_TRUE(host->Running());
  std::vector<std::unique_ptr<Conn>> held;
  for (int i = 0; i < 5; ++i) held.push_back(std::make_unique<Conn>(host->port()));
  std::this_thread::sleep_for(200ms);  // accepted by the host
  Conn over(host->port());
  bool closed = false;
  const std::string refused = over.ReadAll(5s, &closed);
  EXPECT_EQ(refused.rfind("HTTP/1.1 503", 0), 0u) << refused;
  EXPECT_NE(refused.find(R"({"detail":"Too many connections"})"), std::string::npos);
  EXPECT_TRUE(closed);
  // Places are given back when connections end.
  held.resize(3);
  int status = 0;
  for (auto until = Clock::now() + 5s; status != 200 && Clock::now() < until;)
    if ((status = host->Get("/health").status) != 200) std::this_thread::sleep_for(50ms);
  EXPECT_EQ(status, 200);
}

TEST(Front, TrickledBodyIs408AtTheBodyDeadlineAndOversizedHeadIs431) {
  auto host = StartHost({{"WEBUI_HTTP_BODY_TIMEOUT", "2"}});
  ASSERT_TRUE(host->Running());
  Conn c(host->port());
  ASSERT_TRUE(
      c.Send("POST /api/v1/test/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"a\":"));
  const auto t0 = Clock::now();
  std::string got;
  bool closed = false;
  // A byte every 300 ms: each read is quick, the whole body never arrives.
  while (!closed && Clock::now() - t0 < 8s) {
    c.Send("1");
    got += c.ReadAll(300ms, &closed);
  }
  EXPECT_EQ(got.rfind("HTTP/1.1 408", 0), 0u) << got;
  EXPECT_LT(Clock::now() - t0, 5s);
  EXPECT_TRUE(closed || c.ClosedByPeer(3s));

  Conn big(host->port());
  big.Send("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(40000, 'a') + "\r\n\r\n");
  const std::string refused = big.ReadAll(5s);
  EXPECT_EQ(refused.rfind("HTTP/1.1 431", 0), 0u) << refused.substr(0, 200);
  EXPECT_EQ(host->Get("/health").status, 200);
}

// One response taken off the front of `bytes`: its head, and its body by Content-Length (none
// for a HEAD request). False if `bytes` does not start with a complete one.
struct Response {
  std::string status_line;
  std::map<std::string, std::vector<std::string>> headers;  // lower-case names
  std::string body;
};
bool TakeResponse(std::string& bytes, bool head_request, Response* out) {
  const size_t head_end = bytes.find("\r\n\r\n");
  if (head_end == std::string::npos) return false;
  std::istringstream lines(bytes.substr(0, head_end));
  std::getline(lines, out->status_line);
  out->headers.clear();
  for (std::string line; std::getline(lines, line);) {
    const size_t colon = line.find(": ");
    if (colon == std::string::npos) return false;
    std::string name = line.substr(0, colon);
    for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    std::string value = line.substr(colon + 2);
    if (!value.empty() && value.back() == '\r') value.pop_back();
    out->headers[name].push_back(value);
  }
  if (!out->status_line.empty() && out->status_line.back() == '\r') out->status_line.pop_back();
  const auto& lengths = out->headers["content-length"];
  if (lengths.size() != 1) return false;
  const size_t length = head_request ? 0 : std::stoul(lengths[0]);
  if (bytes.size() < head_end + 4 + length) return false;
  out->body = bytes.substr(head_end + 4, length);
  bytes.erase(0, head_end + 4 + length);
  return true;
}

// Buffered responses are written by the front in one piece (its own formatting, not POCO's
// header stream): every response framed exactly by one Content-Length, HEAD without a body,
// the decorations once each, Date and Server on each, a fresh version-4 request id on each.
TEST(Front, BufferedResponsesAreFramedExactlyAndDecoratedOnce) {
  auto host = StartHost({{"CORS_ALLOW_ORIGIN", "http://allowed.example"}});
  ASSERT_TRUE(host->Running());
  Conn c(host->port());
  // Pipelined on one connection: any framing error shifts every later response.
  ASSERT_TRUE(
      c.Send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
             "HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n"
             "GET /api/v1/test/big HTTP/1.1\r\nHost: x\r\n\r\n"
             "GET /api/v1/test/big HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n"
             "Origin: http://allowed.example\r\n\r\n"
             "GET /nowhere HTTP/1.1\r\nHost: x\r\nOrigin: http://allowed.example\r\n"
             "X-Request-ID: client-chosen.id_1\r\n\r\n"
             "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  bool closed = false;
  std::string bytes = c.ReadAll(10s, &closed);
  EXPECT_TRUE(closed);
  const bool head_request[] = {false, true, false, false, false, false};
  std::vector<Response> got;
  for (bool head : head_request) {
    Response r;
    ASSERT_TRUE(TakeResponse(bytes, head, &r)) << got.size() << ": " << bytes.substr(0, 300);
    got.push_back(std::move(r));
  }
  EXPECT_EQ(bytes, "");  // nothing beyond the six responses

  const std::regex date(R"([A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT)");
  const std::regex uuid4(R"([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})");
  std::set<std::string> ids;
  for (auto& r : got) {
    ASSERT_EQ(r.headers["date"].size(), 1u) << r.status_line;
    EXPECT_TRUE(std::regex_match(r.headers["date"][0], date)) << r.headers["date"][0];
    EXPECT_EQ(r.headers["server"], std::vector<std::string>{"webui-host"});
    EXPECT_EQ(r.headers["x-content-type-options"], std::vector<std::string>{"nosniff"});
    ASSERT_EQ(r.headers["x-request-id"].size(), 1u);
    ids.insert(r.headers["x-request-id"][0]);
    EXPECT_EQ(r.headers.count("transfer-encoding"), 0u);
  }
  EXPECT_EQ(ids.size(), got.size());
  for (int i : {0, 1, 2, 3, 5})
    EXPECT_TRUE(std::regex_match(got[i].headers["x-request-id"][0], uuid4))
        << got[i].headers["x-request-id"][0];

  EXPECT_EQ(got[0].status_line, "HTTP/1.1 200 OK");
  EXPECT_EQ(got[0].body, R"({"status":true})");
  EXPECT_EQ(got[1].status_line, "HTTP/1.1 200 OK");
  EXPECT_EQ(got[1].headers["content-length"], std::vector<std::string>{"15"});
  // Larger than one segment of the front's write, uncompressed without Accept-Encoding.
  EXPECT_GT(got[2].body.size(), 16u * 1024) << got[2].body.size();
  EXPECT_EQ(got[2].body.rfind(R"({"items":[)", 0), 0u);
  EXPECT_EQ(got[2].headers.count("access-control-allow-origin"), 0u);
  // Compressed, with the CORS Vary extended rather than repeated.
  EXPECT_EQ(got[3].headers["content-encoding"], std::vector<std::string>{"gzip"});
  EXPECT_EQ(got[3].headers["vary"], std::vector<std::string>{"Origin, Accept-Encoding"});
  EXPECT_LT(got[3].body.size(), got[2].body.size());
  EXPECT_EQ(got[4].status_line, "HTTP/1.1 404 Not Found");
  EXPECT_EQ(got[4].body, R"({"detail":"Not Found"})");
  EXPECT_EQ(got[4].headers["x-request-id"], std::vector<std::string>{"client-chosen.id_1"});
  EXPECT_EQ(got[4].headers["access-control-allow-origin"],
            std::vector<std::string>{"http://allowed.example"});
  EXPECT_EQ(got[4].headers["access-control-allow-credentials"], std::vector<std::string>{"true"});
  EXPECT_EQ(got[4].headers["vary"], std::vector<std::string>{"Origin"});
  ASSERT_EQ(got[5].headers["connection"].size(), 1u);
  std::string connection = got[5].headers["connection"][0];
  for (auto& ch : connection) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  EXPECT_EQ(connection, "close");
}

// A request whose body is itself a request: answered before the body is read, the body must
// never be taken for the next request (docs/security.md T51).
class Smuggling : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    host_ = StartHost({{"CORS_ALLOW_ORIGIN", "http://allowed.example"}}).release();
  }
  static void TearDownTestSuite() {
    delete host_;
    host_ = nullptr;
  }
  // Sends `first` (whose body is a hidden request for /api/version) then a plain /health with
  // Connection: close, and returns everything the host answered.
  static std::string Exchange(const std::string& first_head_lines, bool send_second = true,
                              std::string body = {}) {
    if (body.empty()) body = "GET /api/version HTTP/1.1\r\nHost: x\r\n\r\n";
    Conn c(host_->port());
    const std::string first =
        first_head_lines + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    c.Send(first +
           (send_second ? "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" : ""));
    return c.ReadAll(10s);
  }
  static inline HostProcess* host_ = nullptr;
};

TEST_F(Smuggling, BodyOfA403IsNotARequest) {
  const std::string got = Exchange("GET /api/v1/test/any HTTP/1.1\r\nHost: x\r\n");
  EXPECT_EQ(CountResponses(got), 2) << got;
  EXPECT_EQ(got.rfind("HTTP/1.1 403", 0), 0u) << got;
  EXPECT_NE(got.find(R"({"status":true})"), std::string::npos) << got;
  EXPECT_EQ(got.find("\"version\""), std::string::npos) << got;
}

TEST_F(Smuggling, BodyOfA401IsNotARequest) {
  const std::string got =
      Exchange("GET /api/v1/test/any HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nope\r\n");
  EXPECT_EQ(CountResponses(got), 2) << got;
  EXPECT_EQ(got.rfind("HTTP/1.1 401", 0), 0u) << got;
  EXPECT_EQ(got.find("\"version\""), std::string::npos) << got;
}

TEST_F(Smuggling, BodyOfAPreflightIsNotARequest) {
  const std::string got = Exchange(
      "OPTIONS /api/v1/test/echo HTTP/1.1\r\nHost: x\r\nOrigin: http://allowed.example\r\n"
      "Access-Control-Request-Method: POST\r\n");
  EXPECT_EQ(CountResponses(got), 2) << got;
  EXPECT_EQ(got.rfind("HTTP/1.1 200", 0), 0u) << got;
  EXPECT_EQ(got.find("\"version\""), std::string::npos) << got;
}

TEST_F(Smuggling, UnknownOrAmbiguousTransferEncodingIs400AndClose) {
  for (const std::string te :
       {"Transfer-Encoding: gzip\r\n", "Transfer-Encoding: chunked, gzip\r\n",
        "Transfer-Encoding: chunked\r\n"}) {
    // The last one comes with Content-Length too (Exchange adds it): ambiguous.
    const std::string got = Exchange("POST /api/v1/test/echo HTTP/1.1\r\nHost: x\r\n" + te);
    EXPECT_EQ(CountResponses(got), 1) << te << got;
    EXPECT_EQ(got.rfind("HTTP/1.1 400", 0), 0u) << got;
    EXPECT_NE(got.find("Connection: close"), std::string::npos) << got;
    EXPECT_NE(got.find("\"detail\""), std::string::npos) << got;
  }
  const std::string twice =
      Exchange("POST /api/v1/test/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n");
  EXPECT_EQ(CountResponses(twice), 1) << twice;
  EXPECT_EQ(twice.rfind("HTTP/1.1 400", 0), 0u) << twice;
}

TEST_F(Smuggling, ABodyTooBigToDrainClosesTheConnection) {
  const std::string hidden = "GET /api/version HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string body = std::string(300 * 1024, ' ') + hidden;
  const std::string got = Exchange("GET /api/v1/test/any HTTP/1.1\r\nHost: x\r\n", true, body);
  EXPECT_EQ(CountResponses(got), 1) << got.substr(0, 300);
  EXPECT_EQ(got.rfind("HTTP/1.1 403", 0), 0u);
  EXPECT_EQ(got.find("\"version\""), std::string::npos);
}

TEST_F(Smuggling, KeptConnectionsStillCarryPipelinedRequests) {
  Conn c(host_->port());
  c.Send(
      "POST /api/v1/test/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\n{\"a\":1}"
      "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const std::string got = c.ReadAll(10s);
  EXPECT_EQ(CountResponses(got), 3) << got;
  EXPECT_NE(got.find(R"({\"a\":1})"), std::string::npos) << got;
}

TEST(Front, ShutdownDeadlineEndsStreamsWithAnErrorEventAndExitsOnTime) {
  auto host = StartHost({{"WEBUI_SHUTDOWN_TIMEOUT", "2"}});
  ASSERT_TRUE(host->Running());
  Conn c(host->port());
  ASSERT_TRUE(c.Send("GET /api/v1/test/stream?n=30&delay_ms=500 HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string got = c.ReadAll(700ms);
  ASSERT_NE(got.find("data: {\"i\":0}"), std::string::npos) << got;
  const auto t0 = Clock::now();
  ::kill(host->pid(), SIGTERM);
  bool closed = false;
  got += c.ReadAll(10s, &closed);
  EXPECT_EQ(host->Stop(SIGTERM, 10s), 0);
  EXPECT_LT(Clock::now() - t0, 4s);
  EXPECT_TRUE(closed);
  const std::string error =
      R"(data: {"error":{"message":"The server is shutting down","type":"server_shutdown"}})";
  EXPECT_NE(got.find(error), std::string::npos) << got;
  EXPECT_NE(got.find("data: [DONE]"), std::string::npos) << got;
  // The chunked body is terminated: a complete response, not a cut one.
  EXPECT_EQ(got.substr(got.size() - 5), "0\r\n\r\n") << got;
}

}  // namespace
}  // namespace webui::testing
