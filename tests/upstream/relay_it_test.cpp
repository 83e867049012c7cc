// Streams through the host's relay (ABI 1.1): many concurrent /openai/chat/completions streams
// cost no thread each, and a client that leaves mid-stream still closes the upstream at once
// while hundreds of other streams are running. The same for the web UI's direct path
// (/api/chat/completions without a chat: chat_completion_relay). Background completions of
// /api/chat/completions (chat plugin, model_provider.v1 chat_completion_async), likewise: no
// thread per stream, the same saved answer as the blocking path, and a stop drops the upstream.
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
    o.env["WEBUI_PLUGINS"] = "chat,openai,test_auth";
    o.env["BYPASS_MODEL_ACCESS_CONTROL"] = "true";  // users reach the upstream's bare models
    o.env["OPENAI_API_BASE_URLS"] = upstream_->BaseUrl() + "/v1";
    o.env["ENABLE_OLLAMA_API"] = "false";
    // A loaded machine (ASan, 2 cores) may stall the upstream longer than the fixture's 2 s.
    o.env["AIOHTTP_CLIENT_TIMEOUT"] = "30";
    host_ = std::make_unique<HostProcess>(o);
    ASSERT_TRUE(host_->Start(&why)) << why;
    // The model list is cached before the streams start (its fetch runs on helper threads).
    ASSERT_EQ(host_->Get("/openai/models", As("user")).status, 200);
    ASSERT_EQ(host_->Get("/api/models", As("user")).status, 200);
  }

  void FiveHundredStreams(const std::string& path);
  void LeaveMidStream(const std::string& path);

  Backend backend_;
  std::unique_ptr<UpstreamDouble> upstream_;
  std::unique_ptr<HostProcess> host_;
};

// The proxy's path (openai plugin) and the web UI's direct path (chat plugin, answered by the
// provider on the relay through model_provider.v1 chat_completion_relay) alike.
constexpr const char* kProxyPath = "/openai/chat/completions";
constexpr const char* kChatPath = "/api/chat/completions";

void RelayedStreams::FiveHundredStreams(const std::string& path) {
  const int before = ThreadCount(host_->pid());
  ASSERT_GT(before, 0);
  ThreadWatch watch(host_->pid());
  const std::string request =
      RawPost(path, ChatBody("gpt-slow", "one two three four five six seven eight nine ten", true),
              As("user"));
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

void RelayedStreams::LeaveMidStream(const std::string& path) {
  // A hundred other streams keep the relay busy meanwhile.
  const std::string request = RawPost(
      path, ChatBody("gpt-slow", "one two three four five six seven eight", true), As("user"));
  std::vector<RawStream> others(100);
  const auto t0 = Clock::now();
  for (size_t i = 0; i < others.size(); ++i) {
    others[i].start = t0 + std::chrono::milliseconds(4 * i);
    others[i].port = host_->port();
    others[i].out = request;
  }
  std::thread background([&others] { RunAll(others, std::chrono::seconds(60)); });
  const long long closed_at =
      PostAndLeave(host_->port(), path, ChatBody("gpt-slow", "a b c d e f g h i j k l", true),
                   As("user"), "Hello!");
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

TEST_F(RelayedStreams, FiveHundredConcurrentStreamsCompleteWithoutAThreadEach) {
  FiveHundredStreams(kProxyPath);
}

TEST_F(RelayedStreams, FiveHundredDirectChatCompletionsCompleteWithoutAThreadEach) {
  FiveHundredStreams(kChatPath);
}

TEST_F(RelayedStreams, ClientLeavingMidStreamClosesTheUpstreamWithinOneSecondUnderLoad) {
  LeaveMidStream(kProxyPath);
}

TEST_F(RelayedStreams, ClientLeavingADirectChatCompletionClosesTheUpstreamWithinOneSecond) {
  LeaveMidStream(kChatPath);
}

// The direct path's other answers, as the blocking path gives them: a whole completion and an
// unknown model.
TEST_F(RelayedStreams, DirectChatCompletionAnswersWholeAndErrorsLikeTheBlockingPath) {
  auto whole = host_->Post(kChatPath, ChatBody("gpt-test", "hello there", false), As("user"));
  ASSERT_EQ(whole.status, 200) << whole.body;
  EXPECT_EQ(whole.Json()["object"], "chat.completion") << whole.body;
  EXPECT_NE(whole.Json()["choices"][0]["message"]["content"].get<std::string>().find("hello"),
            std::string::npos)
      << whole.body;
  auto unknown = host_->Post(kChatPath, ChatBody("no-such-model", "x", true), As("user"));
  EXPECT_EQ(unknown.status, 400) << unknown.body;  // Open WebUI's "Model not found"
  EXPECT_TRUE(unknown.Json().contains("detail")) << unknown.body;
}

// --- the chat plugin's background completions ------------------------------------------------

// Eighty words: the slow model's answer takes over twenty seconds (a token per 250 ms).
std::string LongQuestion() {
  std::string q;
  for (int i = 0; i < 80; ++i) q += (i ? " w" : "w") + std::to_string(i);
  return q;
}

// The most requests to `path` the upstream had open at the same moment.
int MostOpenAtOnce(const std::vector<json>& requests) {
  std::vector<std::pair<long long, int>> edges;
  for (const auto& r : requests) {
    if (!r["t_received"].is_number() || !r["t_closed"].is_number()) continue;
    edges.emplace_back(r["t_received"].get<long long>(), 1);
    edges.emplace_back(r["t_closed"].get<long long>(), -1);
  }
  std::sort(edges.begin(), edges.end());  // a close before an open at the same ms
  int open = 0, most = 0;
  for (const auto& [t, d] : edges) most = std::max(most, open += d);
  return most;
}

class ChatOnTheRelay : public ::testing::Test {
 protected:
  void SetUp() override {
    WH_REQUIRE_BACKEND();
    upstream_ = std::make_unique<UpstreamDouble>(
        std::vector<std::string>{"--models", "gpt-slow,gpt-test,gpt-hang-mid"});
    std::string why;
    ASSERT_TRUE(upstream_->Start(&why)) << why;
    HostProcess::Options o;
    o.env = ProviderHostEnv(backend_);
    o.env["WEBUI_PLUGINS"] = "chat,openai,test_auth";
    o.env["OPENAI_API_BASE_URLS"] = upstream_->BaseUrl() + "/v1";
    o.env["ENABLE_OLLAMA_API"] = "false";
    o.env["AIOHTTP_CLIENT_TIMEOUT"] = "60";  // a hang lasts until somebody stops it
    host_ = std::make_unique<HostProcess>(o);
    ASSERT_TRUE(host_->Start(&why)) << why;
    ASSERT_EQ(host_->Get("/api/models", who_).status, 200);
  }

  // A chat whose assistant message "a1" waits for its answer, as the web UI creates it.
  std::string NewChat(const std::string& question) {
    const json chat = {
        {"title", "New Chat"},
        {"history",
         {{"messages",
           {{"u1",
             {{"id", "u1"}, {"role", "user"}, {"content", question}, {"childrenIds", {"a1"}}}},
            {"a1", {{"id", "a1"}, {"role", "assistant"}, {"content", ""}, {"parentId", "u1"}}}}},
          {"currentId", "a1"}}}};
    auto r = host_->Post("/api/v1/chats/new", json{{"chat", chat}}.dump(), who_);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.Json().value("id", "");
  }

  // The web UI's request for "a1" of `chat_id` ("local:..." stores nothing).
  std::string Background(const std::string& chat_id, const std::string& model,
                         const std::string& question) {
    return StartBackground(*host_, who_, chat_id, model, question);
  }

  json Answer(const std::string& chat_id) {
    return host_->Get("/api/v1/chats/" + chat_id, who_).Json()["chat"]["history"]["messages"]["a1"];
  }

  bool NoTasks(std::chrono::seconds within) {
    const auto until = Clock::now() + within;
    while (Clock::now() < until) {
      if (host_->Get("/api/tasks", who_).Json()["tasks"].empty()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  Backend backend_;
  HeaderList who_ = As("admin", "relay-admin");
  std::unique_ptr<UpstreamDouble> upstream_;
  std::unique_ptr<HostProcess> host_;
};

TEST_F(ChatOnTheRelay, FiveHundredBackgroundCompletionsHoldNoThreadEach) {
  const std::string question = LongQuestion();
  // Two of them in real chats, to compare what is saved.
  const std::vector<std::string> saved = {NewChat(question), NewChat(question)};
  const int before = ThreadCount(host_->pid());
  ASSERT_GT(before, 0);
  ThreadWatch watch(host_->pid());
  for (int i = 0; i < kStreams; ++i) {
    const std::string chat_id = i < 2 ? saved[i] : "local:bg-" + std::to_string(i);
    ASSERT_FALSE(Background(chat_id, "gpt-slow", question).empty()) << i;
  }
  // Every answer saved, the tasks gone.
  ASSERT_TRUE(NoTasks(std::chrono::seconds(120))) << LogTail(host_->Log());
  const int peak = watch.Stop();
  const auto requests = upstream_->Requests("/v1/chat/completions", "gpt-slow");
  ASSERT_EQ(static_cast<int>(requests.size()), kStreams) << LogTail(host_->Log());
  int completed = 0;
  for (const auto& r : requests)
    if (r["completed"] == true) ++completed;
  EXPECT_EQ(completed, kStreams) << LogTail(host_->Log());
  // Most streams were open together (the requests went out over a few seconds, each answer
  // lasts over twenty), yet the host's threads did not follow them.
  EXPECT_GT(MostOpenAtOnce(requests), kStreams / 2);
  EXPECT_LT(peak, kMaxHostThreads) << "threads before: " << before;

  // The saved answer is the one the blocking path streams for the same question.
  const StreamedResponse direct = PostStreaming(host_->port(), "/api/chat/completions",
                                                ChatBody("gpt-slow", question, true), who_);
  ASSERT_EQ(direct.status, 200);
  const std::string expected = SseText(direct.lines);
  ASSERT_EQ(expected.rfind("Hello! You said: w0 w1", 0), 0u) << expected;
  for (const auto& chat_id : saved) {
    const json a1 = Answer(chat_id);
    EXPECT_EQ(a1["content"], expected) << a1.dump();
    EXPECT_EQ(a1["done"], true);
    EXPECT_FALSE(a1.contains("error")) << a1.dump();
  }
  EXPECT_EQ(host_->Get("/health").status, 200);
}

TEST_F(ChatOnTheRelay, StoppingABackgroundCompletionDropsItsUpstream) {
  const std::string chat_id = NewChat("one two three");
  const std::string task_id = Background(chat_id, "gpt-hang-mid", "one two three");
  ASSERT_FALSE(task_id.empty());
  // The upstream sent its two tokens and hangs: the task is listed until stopped.
  ASSERT_FALSE(upstream_
                   ->WaitFor([](const json& q) { return q["model"] == "gpt-hang-mid"; },
                             std::chrono::seconds(10))
                   .is_null());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the tokens on their way
  const long long stopped_at = WallMs();
  auto stop = host_->Post("/api/tasks/stop/" + task_id, "", who_);
  ASSERT_EQ(stop.status, 200) << stop.body;
  // Dropped at the next silence tick (250 ms), long before the 60 s read timeout.
  ExpectClosedByClientWithinOneSecond(*upstream_, "model", "gpt-hang-mid", stopped_at);
  ASSERT_TRUE(NoTasks(std::chrono::seconds(10)));
  const json a1 = Answer(chat_id);
  ASSERT_TRUE(a1["content"].is_string()) << a1.dump();
  EXPECT_EQ(std::string("Hello! You").rfind(a1["content"].get<std::string>(), 0), 0u) << a1.dump();
  EXPECT_EQ(a1["done"], true);
  EXPECT_EQ(host_->Post("/api/tasks/stop/" + task_id, "", who_).status, 404);
}

}  // namespace
}  // namespace webui::testing
