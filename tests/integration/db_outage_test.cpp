// GET /health/ready through a database outage: the real binary on PostgreSQL, reached through a
// TCP relay this test owns. Cutting the relay drops every open connection and refuses new ones,
// which is what the host sees when the database goes away; restoring it is the database coming
// back. Ready must follow (503 while cut, 200 again after), /health must stay 200 (the process is
// up: a load balancer takes the instance out of rotation instead of restarting it), and the
// server must keep answering.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "host_process.hpp"
#include "it_support.hpp"

namespace webui::testing {
namespace {

using namespace std::chrono_literals;

template <typename Pred>
bool PollUntil(Pred pred, std::chrono::milliseconds timeout = 60s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(100ms);
  }
  return true;
}

// 127.0.0.1:<port()> relayed to `target_port` on 127.0.0.1, one thread per connection.
class TcpRelay {
 public:
  explicit TcpRelay(int target_port) : target_port_(target_port) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 ||
        ::listen(listen_fd_, 64) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
      throw std::runtime_error("cannot listen for the relay");
    port_ = ntohs(a.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }
  ~TcpRelay() {
    stopping_ = true;
    Cut();
    acceptor_.join();
    ::close(listen_fd_);
    // A pump takes mu_ on its way out: join them without it.
    std::vector<std::thread> pumps;
    {
      std::lock_guard lock(mu_);
      pumps.swap(pumps_);
    }
    for (auto& t : pumps) t.join();
  }
  int port() const { return port_; }

  // The outage: every relayed connection is shut down, new ones are closed at once.
  void Cut() {
    up_ = false;
    std::lock_guard lock(mu_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  void Restore() { up_ = true; }

 private:
  void AcceptLoop() {
    while (!stopping_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      if (!up_) {
        ::close(client);
        continue;
      }
      const int server = ConnectTarget();
      if (server < 0) {
        ::close(client);
        continue;
      }
      std::lock_guard lock(mu_);
      open_fds_.push_back(client);
      open_fds_.push_back(server);
      pumps_.emplace_back([this, client, server] { Pump(client, server); });
    }
  }
  int ConnectTarget() const {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(target_port_));
    if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) return fd;
    if (fd >= 0) ::close(fd);
    return -1;
  }
  // Copies both ways until either side ends (or Cut() shuts both down).
  void Pump(int a, int b) {
    char buf[16384];
    pollfd p[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
    bool open = true;
    while (open) {
      if (::poll(p, 2, 200) < 0) break;
      for (int i = 0; i < 2 && open; ++i) {
        if (p[i].revents == 0) continue;
        const ssize_t n = ::read(p[i].fd, buf, sizeof buf);
        if (n <= 0) {
          open = false;
          break;
        }
        for (ssize_t done = 0; done < n;) {
          const ssize_t w = ::write(p[1 - i].fd, buf + done, static_cast<size_t>(n - done));
          if (w <= 0) {
            open = false;
            break;
          }
          done += w;
        }
      }
    }
    std::lock_guard lock(mu_);
    std::erase_if(open_fds_, [&](int fd) { return fd == a || fd == b; });
    ::close(a);
    ::close(b);
  }

  int target_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> up_{true};
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<int> open_fds_;
  std::vector<std::thread> pumps_;
};

// postgresql://user@127.0.0.1:<port>/db -> the port, and the URL with `port` in its place.
bool SplitPort(const std::string& url, int* port, std::string* with, int new_port) {
  const auto at = url.find('@');
  const auto colon = url.find(':', at == std::string::npos ? 0 : at);
  const auto slash = url.find('/', colon == std::string::npos ? 0 : colon);
  if (at == std::string::npos || colon == std::string::npos || slash == std::string::npos ||
      url.compare(at + 1, colon - at - 1, "127.0.0.1") != 0)
    return false;
  *port = std::stoi(url.substr(colon + 1, slash - colon - 1));
  *with = url.substr(0, colon + 1) + std::to_string(new_port) + url.substr(slash);
  return true;
}

TEST(DatabaseOutage, ReadyAnswers503WhileTheDatabaseIsGoneAndRecovers) {
  WH_REQUIRE_BACKEND();
  Backend backend;
  if (!backend.postgres()) GTEST_SKIP() << "needs the pg backend (a TCP path the test can cut)";
  int pg_port = 0;
  std::string ignored;
  ASSERT_TRUE(SplitPort(backend.database_url(), &pg_port, &ignored, 0))
      << "WEBUI_TEST_DATABASE_URL must name 127.0.0.1:<port>: " << backend.database_url();
  TcpRelay relay(pg_port);
  std::string relayed_url;
  ASSERT_TRUE(SplitPort(backend.database_url(), &pg_port, &relayed_url, relay.port()));

  HostProcess::Options o;
  o.env = backend.Env();
  o.env["DATABASE_URL"] = relayed_url;
  HostProcess host(o);
  std::string why;
  ASSERT_TRUE(host.Start(&why)) << why;
  ASSERT_EQ(host.Get("/health/ready").status, 200);

  relay.Cut();
  ASSERT_TRUE(PollUntil([&] { return host.Get("/health/ready").status == 503; })) << host.Log();
  const auto ready = host.Get("/health/ready");
  EXPECT_EQ(ready.status, 503);
  EXPECT_TRUE(ready.Json()["detail"].is_string()) << ready.body;
  EXPECT_EQ(host.Get("/health").status, 200);
  EXPECT_EQ(host.Get("/health/db").status, 500);  // Open WebUI's answer when SELECT 1 fails
  EXPECT_TRUE(host.Running());

  relay.Restore();
  EXPECT_TRUE(PollUntil([&] { return host.Get("/health/ready").status == 200; })) << host.Log();
  EXPECT_EQ(host.Get("/health/db").status, 200);
  EXPECT_EQ(host.Get("/health").status, 200);
  EXPECT_EQ(host.Stop(), 0) << host.Log();
}

}  // namespace
}  // namespace webui::testing
