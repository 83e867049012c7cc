// The stream relay against real sockets: an upstream server thread speaking HTTP/1.1 and a
// client socket reading what the relay writes.
#include "net/stream_relay.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cstdlib>
#include <filesystem>

#include "outbound/tls_test_support.hpp"

namespace webui::net {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// A listening socket on 127.0.0.1 with an ephemeral port.
int Listen(std::uint16_t& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_EQ(::listen(fd, 64), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port = ntohs(addr.sin_port);
  return fd;
}

int ConnectTo(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  return fd;
}

bool SendAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Reads the request head the relay sends.
std::string ReadHead(int fd) {
  std::string head;
  char c;
  while (head.find("\r\n\r\n") == std::string::npos && ::recv(fd, &c, 1, 0) == 1) head += c;
  return head;
}

std::string Chunk(std::string_view data) {
  char size[24];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return size + std::string(data) + "\r\n";
}

// One upstream connection served by `script` on its own thread.
class Upstream {
 public:
  explicit Upstream(std::function<void(int fd)> script) : script_(std::move(script)) {
    listen_fd_ = Listen(port_);
    thread_ = std::thread([this] {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      request_ = ReadHead(fd);
      script_(fd);
      ::close(fd);
    });
  }
  ~Upstream() {
    ::shutdown(listen_fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    ::close(listen_fd_);
  }
  std::uint16_t port() const { return port_; }
  std::string url(std::string_view path = "/v1/stream") const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  const std::string& request() const { return request_; }  // after the script ran

 private:
  std::function<void(int)> script_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::string request_;
};

// The client's connection: the relay writes to `server_fd`, the test reads `client_fd`.
class TestClient final : public RelayClient {
 public:
  TestClient(int server_fd, std::promise<bool> finished)
      : server_fd_(server_fd), finished_(std::move(finished)) {}
  ~TestClient() override { ::close(server_fd_); }
  int fd() const override { return server_fd_; }
  void Finish(bool reusable) override { finished_.set_value(reusable); }

 private:
  int server_fd_;
  std::promise<bool> finished_;
};

struct Ended {
  std::mutex mu;
  std::condition_variable cv;
  bool ended = false, released = false;
  RelayOutcome outcome = RelayOutcome::kOk;
  std::string message;
  int head_status = 0;
  std::size_t data_bytes = 0;

  bool WaitReleased(std::chrono::milliseconds within) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, within, [&] { return released; });
  }
};

// Begins an SSE stream on the upstream's head and forwards the body; or, with `respond`, keeps
// the body and answers it whole in on_end with the upstream's status.
class TestHandler final : public RelayHandler {
 public:
  explicit TestHandler(Ended& ended, bool respond = false) : ended_(ended), respond_(respond) {}
  ~TestHandler() override {
    std::lock_guard lock(ended_.mu);
    ended_.released = true;
    ended_.cv.notify_all();
  }
  bool forward_body() const override { return !respond_; }
  bool OnHead(RelayExchange& ex, int status, const RelayHeaders&) override {
    status_ = status;
    {
      std::lock_guard lock(ended_.mu);
      ended_.head_status = status;
    }
    if (!respond_) {
      EXPECT_EQ(ex.BeginStream(200, "text/event-stream"), RelayCall::kOk);
    }
    return true;
  }
  bool OnData(RelayExchange&, std::string_view chunk) override {
    kept_ += chunk;
    std::lock_guard lock(ended_.mu);
    ended_.data_bytes += chunk.size();
    return true;
  }
  void OnEnd(RelayExchange& ex, RelayOutcome outcome, std::string_view message) override {
    if (respond_ && outcome == RelayOutcome::kOk) ex.Respond(status_, "application/json", kept_);
    std::lock_guard lock(ended_.mu);
    ended_.ended = true;
    ended_.outcome = outcome;
    ended_.message = std::string(message);
  }

 private:
  Ended& ended_;
  bool respond_;
  int status_ = 0;
  std::string kept_;
};

class StreamRelayTest : public ::testing::Test {
 protected:
  explicit StreamRelayTest(RelayOptions options = {}) : relay_(options) {}
  void SetUp() override {
    relay_.Start();
    listen_fd_ = Listen(front_port_);
  }
  void TearDown() override {
    relay_.Stop();
    if (client_fd_ >= 0) ::close(client_fd_);
    ::close(listen_fd_);
  }

  // A client connection handed to the relay with a job for `url`.
  void Relay(const std::string& url, std::unique_ptr<RelayHandler> handler,
             std::chrono::milliseconds read_timeout = 10s, std::size_t body_bytes = 0) {
    client_fd_ = ConnectTo(front_port_);
    const int server_fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    ASSERT_GE(server_fd, 0);
    std::string error;
    auto upstream =
        PrepareRelayUpstream("POST", url, {{"Authorization", "Bearer k"}},
                             std::string(body_bytes, 'b'), 2s, read_timeout, 0ms, error);
    ASSERT_TRUE(upstream) << error;
    auto job = std::make_unique<RelayJob>();
    job->upstream = std::move(*upstream);
    job->handler = std::move(handler);
    job->client_headers = {{"X-Request-ID", "rid-1"}};
    job->keep_alive = true;
    relay_.Adopt(std::make_unique<TestClient>(server_fd, std::move(finished_promise_)),
                 std::move(job));
  }

  // Everything the client receives until the relay is done with the connection and `until`
  // says the response is complete (or the connection closes).
  std::string ReadResponse(const std::function<bool(const std::string&)>& complete,
                           std::chrono::milliseconds within = 10s) {
    std::string got;
    const auto deadline = Clock::now() + within;
    char buf[65536];
    while (!complete(got) && Clock::now() < deadline) {
      pollfd p{client_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const ssize_t n = ::recv(client_fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      got.append(buf, static_cast<std::size_t>(n));
    }
    return got;
  }

  static bool EndsChunked(const std::string& s) { return s.ends_with("\r\n0\r\n\r\n"); }

  // The body of a chunked response.
  static std::string Dechunk(const std::string& response) {
    std::size_t pos = response.find("\r\n\r\n");
    if (pos == std::string::npos) return "<no head>";
    pos += 4;
    std::string body;
    for (;;) {
      const std::size_t eol = response.find("\r\n", pos);
      if (eol == std::string::npos) return body + "<truncated>";
      const std::size_t size = std::stoul(response.substr(pos, eol - pos), nullptr, 16);
      if (size == 0) return body;
      body += response.substr(eol + 2, size);
      pos = eol + 2 + size + 2;
    }
  }

  StreamRelay relay_;
  int listen_fd_ = -1;
  std::uint16_t front_port_ = 0;
  int client_fd_ = -1;
  std::promise<bool> finished_promise_;
  std::future<bool> finished_ = finished_promise_.get_future();
  Ended ended_;
};

TEST_F(StreamRelayTest, PassesAChunkedEventStreamThroughByteExact) {
  std::string expected;
  for (int i = 0; i < 50; ++i) expected += "data: {\"i\":" + std::to_string(i) + "}\n\n";
  Upstream upstream([&](int fd) {
    SendAll(fd,
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            "Transfer-Encoding: chunked\r\n\r\n");
    // Uneven pieces, some split inside an event, some sent apart in time.
    std::size_t at = 0;
    for (std::size_t piece = 7; at < expected.size(); piece = piece * 3 % 97 + 1) {
      const std::size_t n = std::min(piece, expected.size() - at);
      SendAll(fd, Chunk(std::string_view(expected).substr(at, n)));
      at += n;
      if (at % 5 == 0) std::this_thread::sleep_for(2ms);
    }
    SendAll(fd, "0\r\n\r\n");
    char c;
    ::recv(fd, &c, 1, 0);  // until the relay lets go
  });
  Relay(upstream.url(), std::make_unique<TestHandler>(ended_), 10s, 100);
  const std::string response = ReadResponse(EndsChunked);
  ASSERT_EQ(finished_.wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(finished_.get()) << "a complete keep-alive response leaves the connection reusable";
  EXPECT_EQ(Dechunk(response), expected);
  EXPECT_EQ(response.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << response.substr(0, 200);
  const std::string head = response.substr(0, response.find("\r\n\r\n") + 4);
  EXPECT_NE(head.find("X-Request-ID: rid-1\r\n"), std::string::npos);
  EXPECT_NE(head.find("Content-Type: text/event-stream\r\n"), std::string::npos);
  EXPECT_NE(head.find("Cache-Control: no-cache\r\n"), std::string::npos);
  EXPECT_NE(head.find("X-Accel-Buffering: no\r\n"), std::string::npos);
  EXPECT_NE(head.find("Transfer-Encoding: chunked\r\n"), std::string::npos);
  EXPECT_EQ(head.find("Connection: close"), std::string::npos);
  ASSERT_TRUE(ended_.WaitReleased(5s));
  EXPECT_EQ(ended_.outcome, RelayOutcome::kOk);
  // The upstream got the request as prepared: head (with the caller's header) and body.
  EXPECT_EQ(upstream.request().rfind("POST /v1/stream HTTP/1.1\r\n", 0), 0u);
  EXPECT_NE(upstream.request().find("Authorization: Bearer k\r\n"), std::string::npos);
  EXPECT_NE(upstream.request().find("Content-Length: 100\r\n"), std::string::npos);
}

TEST_F(StreamRelayTest, AClientThatDoesNotReadPausesTheUpstreamAndLosesNothing) {
  constexpr std::size_t kTotal = 64u << 20;
  std::atomic<std::size_t> sent{0};
  Upstream upstream([&](int fd) {
    SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(kTotal) + "\r\n\r\n");
    std::string block(64 * 1024, '\0');
    for (std::size_t at = 0; at < kTotal; at += block.size()) {
      for (std::size_t i = 0; i < block.size(); ++i) block[i] = static_cast<char>((at + i) % 251);
      if (!SendAll(fd, block)) return;
      sent += block.size();
    }
  });
  Relay(upstream.url(), std::make_unique<TestHandler>(ended_));
  // The upstream stalls: nothing more is taken from it while the client reads nothing.
  std::size_t last = 0;
  auto stable_since = Clock::now();
  const auto give_up = Clock::now() + 30s;
  while (Clock::now() < give_up) {
    std::this_thread::sleep_for(100ms);
    const std::size_t now = sent.load();
    if (now != last) {
      last = now;
      stable_since = Clock::now();
    } else if (Clock::now() - stable_since >= 1s) {
      break;
    }
  }
  // Kernel buffers of three sockets plus the relay's 1 MiB queue; far from everything.
  EXPECT_LT(last, std::size_t{32} << 20);
  EXPECT_FALSE(ended_.ended);
  // Then every byte arrives, in order.
  std::size_t body_at = 0;
  bool in_order = true;
  const std::string response = ReadResponse(EndsChunked, 60s);
  const std::string body = Dechunk(response);
  for (; body_at < body.size(); ++body_at) {
    if (body[body_at] != static_cast<char>(body_at % 251)) {
      in_order = false;
      break;
    }
  }
  EXPECT_EQ(body.size(), kTotal);
  EXPECT_TRUE(in_order) << "first wrong byte at " << body_at;
  ASSERT_TRUE(ended_.WaitReleased(10s));
  EXPECT_EQ(ended_.outcome, RelayOutcome::kOk);
}

TEST_F(StreamRelayTest, AClientThatLeavesClosesTheUpstreamWithinASecond) {
  std::promise<Clock::time_point> upstream_saw_close;
  Upstream upstream([&](int fd) {
    SendAll(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    // An endless stream; the relay's close shows as a failed send or a readable EOF/RST.
    for (;;) {
      if (!SendAll(fd, Chunk("data: tick\n\n"))) break;
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 20) > 0) {
        char c;
        if (::recv(fd, &c, 1, MSG_DONTWAIT) <= 0) break;
      }
    }
    upstream_saw_close.set_value(Clock::now());
  });
  auto closed = upstream_saw_close.get_future();
  Relay(upstream.url(), std::make_unique<TestHandler>(ended_));
  const std::string first =
      ReadResponse([](const std::string& s) { return s.find("tick") != std::string::npos; });
  ASSERT_NE(first.find("tick"), std::string::npos);
  const auto left = Clock::now();
  ::close(client_fd_);
  client_fd_ = -1;
  ASSERT_EQ(closed.wait_for(5s), std::future_status::ready);
  EXPECT_LT(closed.get() - left, 1s);
  ASSERT_TRUE(ended_.WaitReleased(5s));
  EXPECT_EQ(ended_.outcome, RelayOutcome::kClientGone);
  ASSERT_EQ(finished_.wait_for(5s), std::future_status::ready);
  EXPECT_FALSE(finished_.get());
}

TEST_F(StreamRelayTest, ASilentUpstreamTimesOutAndTheStreamIsEnded) {
  std::promise<void> done;
  auto done_future = done.get_future();
  Upstream upstream([&](int fd) {
    SendAll(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + Chunk("data: one\n\n"));
    done_future.wait_for(10s);  // then silence
  });
  Relay(upstream.url(), std::make_unique<TestHandler>(ended_), 300ms);
  const std::string response = ReadResponse(EndsChunked);
  done.set_value();
  ASSERT_TRUE(ended_.WaitReleased(5s));
  EXPECT_EQ(ended_.outcome, RelayOutcome::kTimeout);
  EXPECT_NE(ended_.message.find("read timeout"), std::string::npos) << ended_.message;
  EXPECT_EQ(Dechunk(response), "data: one\n\n");
}

// docs/security.md T39 on the relay: an idle event stream gets comments, only between events.
class StreamRelayKeepAliveTest : public StreamRelayTest {
 protected:
  StreamRelayKeepAliveTest() : StreamRelayTest(RelayOptions{.keep_alive = 300ms}) {}
};

TEST_F(StreamRelayKeepAliveTest, AnIdleEventStreamGetsCommentsOnlyBetweenEvents) {
  std::promise<void> go_on;
  auto go_on_future = go_on.get_future();
  Upstream upstream([&](int fd) {
    SendAll(fd,
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            "Transfer-Encoding: chunked\r\n\r\n" +
                Chunk("data: one\n\n"));
    std::this_thread::sleep_for(1s);  // idle between events: comments
    SendAll(fd, Chunk("data: tw"));
    go_on_future.wait_for(10s);  // idle inside an event: none may be inserted
    SendAll(fd, Chunk("o\n\n") + "0\r\n\r\n");
    char c;
    ::recv(fd, &c, 1, 0);
  });
  Relay(upstream.url(), std::make_unique<TestHandler>(ended_), 10s);
  std::string first = ReadResponse(
      [](const std::string& got) { return got.find("data: tw") != std::string::npos; });
  std::this_thread::sleep_for(1s);
  go_on.set_value();
  const std::string response = first + ReadResponse(EndsChunked);
  const std::string body = Dechunk(response);
  ASSERT_EQ(body.rfind("data: one\n\n: keep-alive\n\n", 0), 0u) << body;
  EXPECT_TRUE(body.ends_with("\n\ndata: two\n\n")) << body;
  ASSERT_TRUE(ended_.WaitReleased(5s));
  EXPECT_EQ(ended_.outcome, RelayOutcome::kOk);
}

TEST_F(StreamRelayTest, ARefusedConnectionIsUnavailableAndTheClientGets502) {
  std::uint16_t port = 0;
  ::close(Listen(port));  // a port nobody listens on
  Relay("http://127.0.0.1:" + std::to_string(port) + "/x", std::make_unique<TestHandler>(ended_));
  const std::string response = ReadResponse([](const std::string& s) { return s.ends_with("}"); });
  ASSERT_TRUE(ended_.WaitReleased(5s));
  EXPECT_EQ(ended_.outcome, RelayOutcome::kUnavailable);
  EXPECT_NE(ended_.message.find("refused"), std::string::npos) << ended_.message;
  EXPECT_EQ(response.rfind("HTTP/1.1 502 Bad Gateway\r\n", 0), 0u) << response;
  EXPECT_NE(response.find("Content-Type: application/json\r\n"), std::string::npos);
  EXPECT_TRUE(response.ends_with("{\"detail\":\"The upstream server could not be reached\"}"))
      << response;
  ASSERT_EQ(finished_.wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(finished_.get());
}

TEST_F(StreamRelayTest, AnUpstreamErrorCanBeAnsweredWhole) {
  const std::string error = R"({"error":{"message":"no such model"}})";
  Upstream upstream([&](int fd) {
    SendAll(fd, "HTTP/1.1 404 Not Found\r\nContent-Length: " + std::to_string(error.size()) +
                    "\r\n\r\n" + error);
  });
  Relay(upstream.url(), std::make_unique<TestHandler>(ended_, /*respond=*/true));
  const std::string response =
      ReadResponse([&](const std::string& s) { return s.ends_with(error); });
  ASSERT_TRUE(ended_.WaitReleased(5s));
  EXPECT_EQ(response.rfind("HTTP/1.1 404 Not Found\r\n", 0), 0u) << response;
  EXPECT_NE(response.find("Content-Length: " + std::to_string(error.size()) + "\r\n"),
            std::string::npos);
  EXPECT_TRUE(response.ends_with(error));
}

TEST_F(StreamRelayTest, ShutdownEndsTheStreamWithAnErrorEvent) {
  std::promise<void> done;
  auto done_future = done.get_future();
  Upstream upstream([&](int fd) {
    SendAll(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + Chunk("data: one\n\n"));
    done_future.wait_for(10s);
  });
  Relay(upstream.url(), std::make_unique<TestHandler>(ended_));
  ReadResponse([](const std::string& s) { return s.find("one") != std::string::npos; });
  relay_.AbortAll();
  const std::string rest = ReadResponse(EndsChunked);
  done.set_value();
  ASSERT_TRUE(ended_.WaitReleased(5s));
  EXPECT_EQ(ended_.outcome, RelayOutcome::kAborted);
  EXPECT_NE(rest.find("\"type\":\"server_shutdown\""), std::string::npos) << rest;
  EXPECT_NE(rest.find("data: [DONE]\n\n"), std::string::npos) << rest;
  EXPECT_TRUE(EndsChunked(rest)) << rest;
}

// --- fetches without a client (http_fetch_relay) ------------------------------------------------

// Keeps the body; counts the silence ticks; stops after `stop_after_ticks` of them (0: never).
class FetchHandler final : public RelayHandler {
 public:
  FetchHandler(Ended& ended, int stop_after_ticks = 0)
      : ended_(ended), stop_after_ticks_(stop_after_ticks) {}
  ~FetchHandler() override {
    std::lock_guard lock(ended_.mu);
    ended_.released = true;
    ended_.cv.notify_all();
  }
  bool forward_body() const override { return true; }
  bool OnHead(RelayExchange& ex, int status, const RelayHeaders&) override {
    // No client: nothing can be sent to one.
    EXPECT_EQ(ex.BeginStream(200, "text/event-stream"), RelayCall::kInvalid);
    EXPECT_EQ(ex.Respond(200, "text/plain", "x"), RelayCall::kInvalid);
    std::lock_guard lock(ended_.mu);
    ended_.head_status = status;
    return true;
  }
  bool OnData(RelayExchange& ex, std::string_view chunk) override {
    EXPECT_EQ(ex.Write("x"), RelayCall::kInvalid);
    if (chunk.empty()) return stop_after_ticks_ == 0 || ++ticks_ < stop_after_ticks_;
    kept_ += chunk;
    std::lock_guard lock(ended_.mu);
    ended_.data_bytes += chunk.size();
    return true;
  }
  void OnEnd(RelayExchange&, RelayOutcome outcome, std::string_view message) override {
    std::lock_guard lock(ended_.mu);
    ended_.ended = true;
    ended_.outcome = outcome;
    ended_.message = kept_.empty() ? std::string(message) : kept_;
  }

 private:
  Ended& ended_;
  int stop_after_ticks_;
  int ticks_ = 0;
  std::string kept_;
};

std::unique_ptr<RelayJob> FetchJob(const std::string& url, std::unique_ptr<RelayHandler> handler) {
  std::string error;
  auto upstream = PrepareRelayUpstream("POST", url, {}, "{}", 2s, 10s, 0ms, error);
  EXPECT_TRUE(upstream) << error;
  auto job = std::make_unique<RelayJob>();
  if (upstream) job->upstream = std::move(*upstream);
  job->handler = std::move(handler);
  return job;
}

TEST_F(StreamRelayTest, AFetchWithoutAClientHandsTheWholeBodyToItsHandler) {
  const std::string body = "data: one\n\ndata: two\n\n";
  Upstream upstream([&](int fd) {
    SendAll(fd,
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + Chunk(body) + "0\r\n\r\n");
    char c;
    ::recv(fd, &c, 1, 0);  // until the relay lets go
  });
  relay_.Adopt(nullptr, FetchJob(upstream.url(), std::make_unique<FetchHandler>(ended_)));
  ASSERT_TRUE(ended_.WaitReleased(10s));
  EXPECT_TRUE(ended_.ended);
  EXPECT_EQ(ended_.outcome, RelayOutcome::kOk);
  EXPECT_EQ(ended_.head_status, 200);
  EXPECT_EQ(ended_.message, body);
  EXPECT_EQ(relay_.live(), 0u);  // no client's response: never counted
}

TEST_F(StreamRelayTest, ASilentFetchTicksItsHandlerWhichCanDropTheUpstream) {
  std::promise<Clock::time_point> upstream_saw_close;
  Upstream upstream([&](int fd) {
    // The head, then nothing: only the silence ticks reach the handler.
    SendAll(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    char body[2];
    ::recv(fd, body, sizeof body, MSG_WAITALL);  // the request's "{}"
    char c;
    pollfd p{fd, POLLIN, 0};
    ::poll(&p, 1, 10000);
    ::recv(fd, &c, 1, MSG_DONTWAIT);
    upstream_saw_close.set_value(Clock::now());
  });
  auto closed = upstream_saw_close.get_future();
  const auto started = Clock::now();
  relay_.Adopt(nullptr, FetchJob(upstream.url(), std::make_unique<FetchHandler>(ended_, 3)));
  ASSERT_TRUE(ended_.WaitReleased(10s));
  EXPECT_EQ(ended_.outcome, RelayOutcome::kOk);
  ASSERT_EQ(closed.wait_for(5s), std::future_status::ready);
  // Three ticks of at most 250 ms (plus the 100 ms loop), well before the 10 s read timeout.
  EXPECT_LT(closed.get() - started, 3s);
}

TEST_F(StreamRelayTest, AFetchAfterStopEndsAtOnceAsAborted) {
  relay_.Stop();
  relay_.Adopt(nullptr, FetchJob("http://127.0.0.1:9/x", std::make_unique<FetchHandler>(ended_)));
  ASSERT_TRUE(ended_.WaitReleased(1s));
  EXPECT_EQ(ended_.outcome, RelayOutcome::kAborted);
}

// --- https upstreams --------------------------------------------------------------------------

using webui::outbound::testing::WriteSelfSigned;

struct TlsFiles {
  std::string dir, trusted_cert, trusted_key, untrusted_cert, untrusted_key;
};
TlsFiles* g_tls = nullptr;

// The relay's client context loads OpenSSL's default store (SSL_CERT_FILE) when the first https
// relay starts, i.e. after this.
class TlsEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    files_.dir =
        (std::filesystem::temp_directory_path() / ("relay-tls-" + std::to_string(::getpid())))
            .string();
    std::filesystem::create_directories(files_.dir);
    files_.trusted_cert = files_.dir + "/trusted.pem";
    files_.trusted_key = files_.dir + "/trusted.key";
    files_.untrusted_cert = files_.dir + "/untrusted.pem";
    files_.untrusted_key = files_.dir + "/untrusted.key";
    WriteSelfSigned(files_.trusted_cert, files_.trusted_key, 1);
    WriteSelfSigned(files_.untrusted_cert, files_.untrusted_key, 2);
    ::setenv("SSL_CERT_FILE", files_.trusted_cert.c_str(), 1);
    g_tls = &files_;
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(files_.dir, ignored);
  }

 private:
  TlsFiles files_;
};
[[maybe_unused]] auto* const kTlsEnvironment =
    ::testing::AddGlobalTestEnvironment(new TlsEnvironment);

// One TLS connection: handshake, request head, then `body` as a chunked SSE response.
class TlsUpstream {
 public:
  TlsUpstream(const std::string& cert, const std::string& key, std::string body)
      : body_(std::move(body)) {
    ctx_ = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate_chain_file(ctx_, cert.c_str());
    SSL_CTX_use_PrivateKey_file(ctx_, key.c_str(), SSL_FILETYPE_PEM);
    listen_fd_ = Listen(port_);
    thread_ = std::thread([this] {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      SSL* ssl = SSL_new(ctx_);
      SSL_set_fd(ssl, fd);
      if (SSL_accept(ssl) == 1) {
        std::string head;
        char c;
        while (head.find("\r\n\r\n") == std::string::npos && SSL_read(ssl, &c, 1) == 1) head += c;
        const std::string response =
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: "
            "chunked\r\n\r\n" +
            Chunk(body_) + "0\r\n\r\n";
        SSL_write(ssl, response.data(), static_cast<int>(response.size()));
        SSL_read(ssl, &c, 1);  // until the relay lets go
      }
      SSL_free(ssl);
      ::close(fd);
    });
  }
  ~TlsUpstream() {
    ::shutdown(listen_fd_, SHUT_RDWR);
    thread_.join();
    ::close(listen_fd_);
    SSL_CTX_free(ctx_);
  }
  std::string url() const { return "https://localhost:" + std::to_string(port_) + "/v1/stream"; }

 private:
  std::string body_;
  SSL_CTX* ctx_ = nullptr;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

TEST_F(StreamRelayTest, AnHttpsUpstreamIsVerifiedAndRelayed) {
  const std::string body = "data: {\"secure\":true}\n\ndata: [DONE]\n\n";
  TlsUpstream upstream(g_tls->trusted_cert, g_tls->trusted_key, body);
  Relay(upstream.url(), std::make_unique<TestHandler>(ended_));
  const std::string response = ReadResponse(EndsChunked);
  ASSERT_TRUE(ended_.WaitReleased(10s));
  EXPECT_EQ(ended_.outcome, RelayOutcome::kOk) << ended_.message;
  EXPECT_EQ(Dechunk(response), body);
}

TEST_F(StreamRelayTest, AnUntrustedCertificateIsUnavailable) {
  TlsUpstream upstream(g_tls->untrusted_cert, g_tls->untrusted_key, "data: no\n\n");
  Relay(upstream.url(), std::make_unique<TestHandler>(ended_));
  const std::string response = ReadResponse([](const std::string& s) { return s.ends_with("}"); });
  ASSERT_TRUE(ended_.WaitReleased(10s));
  EXPECT_EQ(ended_.outcome, RelayOutcome::kUnavailable);
  EXPECT_NE(ended_.message.find("TLS handshake"), std::string::npos) << ended_.message;
  EXPECT_EQ(response.rfind("HTTP/1.1 502", 0), 0u) << response;
  EXPECT_EQ(ended_.data_bytes, 0u);
}

}  // namespace
}  // namespace webui::net
