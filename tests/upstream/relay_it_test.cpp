// Streams through the host's relay (ABI 1.1): many concurrent /openai/chat/completions streams
// cost no thread each, and a client that leaves mid-stream still closes the upstream at once
// while hundreds of other streams are running.
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

#include "providers_fixture.hpp"

namespace webui::testing {
namespace {

constexpr int kStreams = 500;
// A thread per stream would be over 500; the host's own threads plus a few workers for the
// requests being started stay far below (margin for ASan and a loaded machine).
constexpr int kMaxHostThreads = 100;

// Samples the host's thread count until stopped; keeps the highest.
class ThreadWatch {
 public:
  explicit ThreadWatch(pid_t pid)
      : thread_([this, pid] {
          while (!stop_) {
            const int n = ThreadCount(pid);
            if (n > max_) max_ = n;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
          }
        }) {}
  ~ThreadWatch() { Stop(); }
  int Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return max_;
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> max_{0};
  std::thread thread_;
};

// One raw HTTP/1.1 exchange on a non-blocking socket, driven by poll() with all the others: the
// test needs no thread per stream either.
struct RawStream {
  Clock::time_point start;  // when to connect
  int port = 0;
  int fd = -1;
  std::string out;  // request bytes not sent yet
  std::string in;   // everything received
  bool done = false;
  bool Complete() const { return in.find("\r\n0\r\n\r\n") != std::string::npos; }
};

int ConnectNonBlocking(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string RawPost(const std::string& path, const std::string& body, const HeaderList& headers) {
  std::string req = "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  return req + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// Runs every stream to its end (the chunked terminator, or the peer closing); false on timeout.
bool RunAll(std::vector<RawStream>& streams, std::chrono::seconds limit) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    std::vector<pollfd> fds;
    std::vector<RawStream*> owners;
    for (auto& s : streams) {
      if (s.done) continue;
      if (s.fd < 0) {
        if (Clock::now() < s.start) continue;
        s.fd = ConnectNonBlocking(s.port);
        if (s.fd < 0) return false;
      }
      fds.push_back(pollfd{s.fd, static_cast<short>(POLLIN | (s.out.empty() ? 0 : POLLOUT)), 0});
      owners.push_back(&s);
    }
    const bool all_done =
        std::all_of(streams.begin(), streams.end(), [](const RawStream& s) { return s.done; });
    if (all_done) return true;
    if (::poll(fds.data(), fds.size(), 5) < 0 && errno != EINTR) return false;
    for (size_t i = 0; i < fds.size(); ++i) {
      RawStream& s = *owners[i];
      if ((fds[i].revents & POLLOUT) && !s.out.empty()) {
        const ssize_t n = ::send(s.fd, s.out.data(), s.out.size(), MSG_NOSIGNAL);
        if (n > 0) s.out.erase(0, static_cast<size_t>(n));
      }
      if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
        char buf[16384];
        const ssize_t n = ::recv(s.fd, buf, sizeof buf, 0);
        if (n > 0) s.in.append(buf, static_cast<size_t>(n));
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) || s.Complete()) {
          s.done = true;
          ::close(s.fd);
          s.fd = -1;
        }
      }
    }
  }
  return false;
}

// The host log's warnings and errors, for a failure message.
std::string LogTail(const std::string& log) {
  std::string out;
  size_t pos = 0;
  while (pos < log.size() && out.size() < 4000) {
    const size_t end = std::min(log.find('\n', pos), log.size());
    const std::string line = log.substr(pos, end - pos);
    if (line.find("warn") != std::string::npos || line.find("error") != std::string::npos)
      out += line + "\n";
    pos = end + 1;
  }
  return out;
}

class RelayedStreams : public ::testing::Test {
 protected:
  void SetUp() override {
    WH_REQUIRE_BACKEND();
    // Long enough that every stream is open at once: 250 ms between the upstream's tokens.
    upstream_ =
        std::make_unique<UpstreamDouble>(std::vector<std::string>{"--models", "gpt-slow,gpt-test"});
    std::string why;
    ASSERT_TRUE(upstream_->Start(&why)) << why;
    HostProcess::Options o;
    o.env = ProviderHostEnv(backend_);
    o.env["OPENAI_API_BASE_URLS"] = upstream_->BaseUrl() + "/v1";
    o.env["ENABLE_OLLAMA_API"] = "false";
    // A loaded machine (ASan, 2 cores) may stall the upstream longer than the fixture's 2 s.
    o.env["AIOHTTP_CLIENT_TIMEOUT"] = "30";
    host_ = std::make_unique<HostProcess>(o);
    ASSERT_TRUE(host_->Start(&why)) << why;
    // The model list is cached before the streams start (its fetch runs on helper threads).
    ASSERT_EQ(host_->Get("/openai/models", As("user")).status, 200);
  }

  Backend backend_;
  std::unique_ptr<UpstreamDouble> upstream_;
  std::unique_ptr<HostProcess> host_;
};

TEST_F(RelayedStreams, FiveHundredConcurrentStreamsCompleteWithoutAThreadEach) {
  const int before = ThreadCount(host_->pid());
  ASSERT_GT(before, 0);
  ThreadWatch watch(host_->pid());
  const std::string request = RawPost(
      "/openai/chat/completions",
      ChatBody("gpt-slow", "one two three four five six seven eight nine ten", true), As("user"));
  // Opened over two seconds, each lasting over three: all are open at once at the end of the
  // ramp, while no burst of simultaneous requests makes the host start a worker per request.
  std::vector<RawStream> streams(kStreams);
  const auto t0 = Clock::now();
  for (size_t i = 0; i < streams.size(); ++i) {
    streams[i].start = t0 + std::chrono::milliseconds(4 * i);
    streams[i].port = host_->port();
    streams[i].out = request;
  }
  const bool finished = RunAll(streams, std::chrono::seconds(90));
  const int peak = watch.Stop();
  for (auto& s : streams)
    if (s.fd >= 0) ::close(s.fd);
  ASSERT_TRUE(finished) << "streams still open after 90 s";

  int complete = 0;
  for (const auto& s : streams) {
    const bool ok = s.in.rfind("HTTP/1.1 200", 0) == 0 &&
                    s.in.find("text/event-stream") != std::string::npos &&
                    s.in.find("data: [DONE]") != std::string::npos &&
                    s.in.find("upstream_error") == std::string::npos && s.Complete();
    if (!ok && complete == &s - streams.data())  // show the first failure only
      ADD_FAILURE() << s.in.substr(0, 600);
    if (ok) ++complete;
  }
  EXPECT_EQ(complete, kStreams) << LogTail(host_->Log());
  // Every stream was open at the same time (thirteen tokens, 250 ms apart), yet the host's
  // threads did not follow them.
  EXPECT_LT(peak, kMaxHostThreads) << "threads before: " << before;
  EXPECT_EQ(static_cast<int>(upstream_->Requests("/v1/chat/completions", "gpt-slow").size()),
            kStreams);
  EXPECT_EQ(host_->Get("/health").status, 200);
}

TEST_F(RelayedStreams, ClientLeavingMidStreamClosesTheUpstreamWithinOneSecondUnderLoad) {
  // A hundred other streams keep the relay busy meanwhile.
  const std::string request =
      RawPost("/openai/chat/completions",
              ChatBody("gpt-slow", "one two three four five six seven eight", true), As("user"));
  std::vector<RawStream> others(100);
  const auto t0 = Clock::now();
  for (size_t i = 0; i < others.size(); ++i) {
    others[i].start = t0 + std::chrono::milliseconds(4 * i);
    others[i].port = host_->port();
    others[i].out = request;
  }
  std::thread background([&others] { RunAll(others, std::chrono::seconds(60)); });
  const long long closed_at =
      PostAndLeave(host_->port(), "/openai/chat/completions",
                   ChatBody("gpt-slow", "a b c d e f g h i j k l", true), As("user"), "Hello!");
  background.join();
  for (auto& s : others)
    if (s.fd >= 0) ::close(s.fd);
  json seen = upstream_->WaitFor(
      [](const json& r) { return r["model"] == "gpt-slow" && r["closed_by_client"] == true; },
      std::chrono::seconds(3));
  ASSERT_FALSE(seen.is_null()) << upstream_->Log().dump().substr(0, 2000);
  EXPECT_LE(seen["t_closed"].get<long long>() - closed_at, 1000);
  int completed = 0;
  for (const auto& r : upstream_->Requests("/v1/chat/completions", "gpt-slow"))
    if (r["completed"] == true) ++completed;
  EXPECT_EQ(completed, 100);  // the others were not disturbed
}

}  // namespace
}  // namespace webui::testing
