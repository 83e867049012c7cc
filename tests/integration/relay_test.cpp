// Relayed streams (ABI 1.1 res_relay) through the real binary: the test plugin's
// /api/v1/test/relay relays an upstream served here. Hundreds of streams held open cost no
// thread each, every stream arrives byte-exact, and a client that leaves closes its upstream.
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <future>
#include <list>
#include <mutex>
#include <thread>

#include "it_support.hpp"

namespace webui::testing {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

int Connect(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
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

std::string Chunk(std::string_view data) {
  char size[24];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return size + std::string(data) + "\r\n";
}

std::string Dechunk(const std::string& response) {
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

// What the upstream streams for /s/<k>: the first event at once, the rest after Release().
std::string FirstEvent(int k) {
  return "data: {\"k\":" + std::to_string(k) + ",\"first\":true}\n\n";
}
std::string RestEvents(int k) {
  std::string rest;
  for (int i = 0; i < 20; ++i)
    rest += "data: {\"k\":" + std::to_string(k) + ",\"i\":" + std::to_string(i) + "}\n\n";
  return rest + "data: [DONE]\n\n";
}

// An SSE upstream, a thread per connection. "/s/<k>": the stream above; "/endless": a tick
// every 20 ms until the peer goes, noting when that was seen.
class Upstream {
 public:
  Upstream() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listen_fd_, 1024);
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { Accept(); });
  }
  ~Upstream() {
    Release();
    ::shutdown(listen_fd_, SHUT_RDWR);
    acceptor_.join();
    ::close(listen_fd_);
    std::lock_guard lock(mu_);
    for (auto& t : served_) t.join();
  }
  int port() const { return port_; }
  int connections() const { return connections_.load(); }
  void Release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  std::future<Clock::time_point> endless_closed() { return endless_closed_.get_future(); }

 private:
  void Accept() {
    for (;;) {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      ++connections_;
      std::lock_guard lock(mu_);
      served_.emplace_back([this, fd] {
        Serve(fd);
        ::close(fd);
      });
    }
  }
  void Serve(int fd) {
    std::string head;
    char c;
    while (head.find("\r\n\r\n") == std::string::npos && ::recv(fd, &c, 1, 0) == 1) head += c;
    SendAll(fd,
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            "Transfer-Encoding: chunked\r\n\r\n");
    if (head.rfind("GET /endless ", 0) == 0) {
      for (;;) {
        if (!SendAll(fd, Chunk("data: tick\n\n"))) break;
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 20) > 0 && ::recv(fd, &c, 1, MSG_DONTWAIT) <= 0) break;
      }
      endless_closed_.set_value(Clock::now());
      return;
    }
    const int k = std::stoi(head.substr(head.find("/s/") + 3));
    SendAll(fd, Chunk(FirstEvent(k)));
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, 120s, [&] { return released_; });
    }
    // In uneven pieces, as a model server writes them.
    const std::string rest = RestEvents(k);
    for (std::size_t at = 0; at < rest.size(); at += 37)
      if (!SendAll(fd, Chunk(std::string_view(rest).substr(at, 37)))) return;
    SendAll(fd, "0\r\n\r\n");
    ::recv(fd, &c, 1, 0);  // until the host lets go
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::thread acceptor_;
  std::atomic<int> connections_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;
  std::list<std::thread> served_;
  std::promise<Clock::time_point> endless_closed_;
};

std::unique_ptr<HostProcess> StartHost(std::map<std::string, std::string> env = {}) {
  auto host = std::make_unique<HostProcess>(HostProcess::Options{std::move(env), {}, ""});
  std::string why;
  EXPECT_TRUE(host->Start(&why)) << why;
  return host;
}

// A URL on a port nobody listens on (bind, then close).
std::string DeadUrl() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/x";
}

struct Client {
  int fd = -1;
  std::string got;
  bool closed = false;
};

// Reads whatever has arrived on every client until `done` holds for all (or `within` passes).
bool ReadUntil(std::vector<Client>& clients, std::size_t from, std::size_t to,
               const std::function<bool(const Client&)>& done, Clock::duration within) {
  const auto deadline = Clock::now() + within;
  char buf[16384];
  for (;;) {
    std::vector<pollfd> polls;
    std::vector<std::size_t> which;
    for (std::size_t i = from; i < to; ++i) {
      if (done(clients[i]) || clients[i].closed) continue;
      polls.push_back(pollfd{clients[i].fd, POLLIN, 0});
      which.push_back(i);
    }
    if (polls.empty()) break;
    if (Clock::now() >= deadline) return false;
    if (::poll(polls.data(), polls.size(), 100) <= 0) continue;
    for (std::size_t j = 0; j < polls.size(); ++j) {
      if (polls[j].revents == 0) continue;
      Client& c = clients[which[j]];
      const ssize_t n = ::recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) {
        c.got.append(buf, static_cast<std::size_t>(n));
      } else if (n == 0) {
        c.closed = true;
      }
    }
  }
  for (std::size_t i = from; i < to; ++i)
    if (!done(clients[i])) return false;
  return true;
}

TEST(Relay, FiveHundredStreamsHoldNoThreadEachAndArriveByteExact) {
  RaiseDescriptorLimit();
  Upstream upstream;
  auto host = StartHost();
  ASSERT_TRUE(host->Running());
  ASSERT_EQ(host->Get("/health").status, 200);
  const int threads_before = ThreadCount(host->pid());

  constexpr int kStreams = 500;
  constexpr int kBatch = 25;
  std::vector<Client> clients(kStreams);
  const auto has_first = [](const Client& c) {
    return c.got.find("\"first\":true") != std::string::npos;
  };
  // Opened in batches, each waiting for its first event: requests in progress stay few, while
  // the streams held open add up to all of them.
  for (int from = 0; from < kStreams; from += kBatch) {
    for (int k = from; k < from + kBatch; ++k) {
      clients[k].fd = Connect(host->port());
      ASSERT_GE(clients[k].fd, 0);
      ASSERT_TRUE(SendAll(clients[k].fd, "GET /api/v1/test/relay?url=http://127.0.0.1:" +
                                             std::to_string(upstream.port()) + "/s/" +
                                             std::to_string(k) + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    }
    ASSERT_TRUE(ReadUntil(clients, from, from + kBatch, has_first, 60s)) << "batch at " << from;
  }
  ASSERT_EQ(upstream.connections(), kStreams);
  const int threads_held = ThreadCount(host->pid());
  auto stats = host->Get("/api/v1/test/relay-stats").Json();
  EXPECT_EQ(stats["started"].get<int>() - stats["released"].get<int>(), kStreams) << stats.dump();
  // A thread per stream would be 500 more.
  EXPECT_LT(threads_held, 60) << "threads before: " << threads_before;

  upstream.Release();
  const auto complete = [](const Client& c) { return c.got.ends_with("\r\n0\r\n\r\n"); };
  ASSERT_TRUE(ReadUntil(clients, 0, kStreams, complete, 120s));
  int exact = 0;
  for (int k = 0; k < kStreams; ++k) {
    const std::string body = Dechunk(clients[k].got);
    if (body == FirstEvent(k) + RestEvents(k)) {
      ++exact;
    } else if (exact == k) {
      ADD_FAILURE() << "stream " << k << ": " << clients[k].got.substr(0, 600);
    }
    EXPECT_EQ(clients[k].got.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  }
  EXPECT_EQ(exact, kStreams);
  // Each connection is kept: the next request on it is served.
  ASSERT_TRUE(SendAll(clients[7].fd, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
  clients[7].got.clear();
  ASSERT_TRUE(ReadUntil(
      clients, 7, 8, [](const Client& c) { return c.got.find("\r\n\r\n") != std::string::npos; },
      10s));
  EXPECT_EQ(clients[7].got.rfind("HTTP/1.1 200", 0), 0u) << clients[7].got;
  for (auto& c : clients) ::close(c.fd);

  const auto deadline = Clock::now() + 10s;
  while (Clock::now() < deadline) {
    stats = host->Get("/api/v1/test/relay-stats").Json();
    if (stats["released"] == stats["started"]) break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(stats["ok"].get<int>(), kStreams) << stats.dump();
  EXPECT_EQ(stats["released"], stats["started"]) << stats.dump();
}

TEST(Relay, AClientThatLeavesClosesTheUpstreamWithinASecond) {
  Upstream upstream;
  auto host = StartHost();
  ASSERT_TRUE(host->Running());
  auto closed = upstream.endless_closed();
  std::vector<Client> clients(1);
  clients[0].fd = Connect(host->port());
  ASSERT_TRUE(SendAll(clients[0].fd, "GET /api/v1/test/relay?url=http://127.0.0.1:" +
                                         std::to_string(upstream.port()) +
                                         "/endless HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(ReadUntil(
      clients, 0, 1, [](const Client& c) { return c.got.find("tick") != std::string::npos; }, 10s));
  EXPECT_NE(clients[0].got.find("Content-Type: text/event-stream\r\n"), std::string::npos);
  EXPECT_NE(clients[0].got.find("X-Request-ID: "), std::string::npos);
  const auto left = Clock::now();
  ::close(clients[0].fd);
  ASSERT_EQ(closed.wait_for(10s), std::future_status::ready);
  EXPECT_LT(closed.get() - left, 1s);
  nlohmann::json stats;
  const auto deadline = Clock::now() + 5s;
  while (Clock::now() < deadline) {
    stats = host->Get("/api/v1/test/relay-stats").Json();
    if (stats["client_gone"] == 1) break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(stats["client_gone"], 1) << stats.dump();
  EXPECT_EQ(host->Get("/health").status, 200);
}

TEST(Relay, ADeadUpstreamIs502) {
  auto host = StartHost();
  ASSERT_TRUE(host->Running());
  auto r = host->Get("/api/v1/test/relay?url=" + DeadUrl());
  EXPECT_EQ(r.status, 502);
  EXPECT_EQ(r.Json()["detail"], "The upstream server could not be reached");
  // A URL the relay cannot use is the plugin's to answer (res_relay refused).
  EXPECT_EQ(host->Get("/api/v1/test/relay?url=ftp://x/").status, 400);
  EXPECT_EQ(host->Get("/health").status, 200);
}

// Streams are spread over WEBUI_RELAY_THREADS relay threads, and each still arrives whole.
TEST(Relay, StreamsAreSpreadOverTheConfiguredRelayThreads) {
  auto host = StartHost({{"WEBUI_RELAY_THREADS", "3"}});
  ASSERT_TRUE(host->Running());
  EXPECT_EQ(ThreadsNamed(host->pid(), "wh-relay"), 3);
  EXPECT_EQ(ThreadsNamed(host->pid(), "wh-front"), 1);
  Upstream upstream;
  upstream.Release();  // every stream runs to its end at once
  std::vector<std::future<HttpResult>> streams;
  for (int k = 0; k < 6; ++k)
    streams.push_back(std::async(std::launch::async, [&, k] {
      return host->Get("/api/v1/test/relay?url=http://127.0.0.1:" +
                       std::to_string(upstream.port()) + "/s/" + std::to_string(k));
    }));
  for (int k = 0; k < 6; ++k) {
    const auto r = streams[k].get();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, FirstEvent(k) + RestEvents(k));
  }
  const auto stats = host->Get("/api/v1/test/relay-stats").Json();
  EXPECT_EQ(stats["released"], 6) << stats.dump();
}

// The handler has returned before the upstream answers: the access and audit lines are written
// when the relay ends, with the status the client got (not the 200 of a handler that returned).
TEST(Relay, AccessAndAuditLinesCarryTheStatusTheClientGot) {
  auto host = StartHost({{"WEBUI_ACCESS_LOG", "true"}, {"AUDIT_LOG_LEVEL", "METADATA"}});
  ASSERT_TRUE(host->Running());
  ASSERT_EQ(host->Post("/api/v1/test/relay?url=" + DeadUrl(), "{}").status, 502);
  std::string audit;
  const auto deadline = Clock::now() + 5s;
  while (Clock::now() < deadline) {
    std::ifstream in(host->data_dir() + "/audit.log");
    audit.assign(std::istreambuf_iterator<char>(in), {});
    if (host->Log().find("POST /api/v1/test/relay 502 ") != std::string::npos && !audit.empty())
      break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_NE(host->Log().find("POST /api/v1/test/relay 502 "), std::string::npos) << host->Log();
  EXPECT_EQ(host->Log().find("POST /api/v1/test/relay 200 "), std::string::npos);
  ASSERT_FALSE(audit.empty());
  const auto line = nlohmann::json::parse(audit.substr(0, audit.find('\n')));
  EXPECT_EQ(line["verb"], "POST");
  EXPECT_EQ(line["response_status_code"], 502);
}

TEST(Relay, ShutdownDeadlineEndsRelayedStreamsWithAnErrorEventAndExitsOnTime) {
  Upstream upstream;
  auto host = std::make_unique<HostProcess>(
      HostProcess::Options{{{"WEBUI_SHUTDOWN_TIMEOUT", "2"}}, {}, ""});
  std::string why;
  ASSERT_TRUE(host->Start(&why)) << why;
  std::vector<Client> clients(1);
  clients[0].fd = Connect(host->port());
  ASSERT_TRUE(SendAll(clients[0].fd, "GET /api/v1/test/relay?url=http://127.0.0.1:" +
                                         std::to_string(upstream.port()) +
                                         "/endless HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(ReadUntil(
      clients, 0, 1, [](const Client& c) { return c.got.find("tick") != std::string::npos; }, 10s));
  const auto t0 = Clock::now();
  ::kill(host->pid(), SIGTERM);
  // The drain waits for the relayed stream (it is a request in progress), then ends it.
  ReadUntil(
      clients, 0, 1, [](const Client& c) { return c.got.ends_with("\r\n0\r\n\r\n"); }, 10s);
  EXPECT_EQ(host->Stop(SIGTERM, 10s), 0);
  EXPECT_GE(Clock::now() - t0, 1500ms);
  EXPECT_LT(Clock::now() - t0, 5s);
  const std::string& got = clients[0].got;
  const std::string error =
      R"(data: {"error":{"message":"The server is shutting down","type":"server_shutdown"}})";
  EXPECT_NE(got.find(error), std::string::npos)
      << got.substr(got.size() > 400 ? got.size() - 400 : 0);
  EXPECT_NE(got.find("data: [DONE]"), std::string::npos);
  EXPECT_TRUE(got.ends_with("\r\n0\r\n\r\n"));
  ::close(clients[0].fd);
}

}  // namespace
}  // namespace webui::testing
