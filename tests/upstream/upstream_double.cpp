#include "upstream_double.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "host_process.hpp"

namespace webui::testing {

using nlohmann::json;

std::string UpstreamDouble::NodeBinary() {
  const char* v = std::getenv("WEBUI_NODE");
  return v != nullptr && *v != '\0' ? v : "node";
}

std::string UpstreamDouble::ScriptPath() { return WEBUI_UPSTREAM_SERVER_JS; }

UpstreamDouble::UpstreamDouble(std::vector<std::string> args) : args_(std::move(args)) {}

UpstreamDouble::~UpstreamDouble() {
  if (stdin_fd_ >= 0) ::close(stdin_fd_);
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 50; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

bool UpstreamDouble::Start(std::string* why) {
  int in_pipe[2], out_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0) {
    if (why) *why = std::string("pipe: ") + std::strerror(errno);
    return false;
  }
  std::vector<std::string> argv_s = {NodeBinary(), ScriptPath(), "--port", "0",
                                     "--exit-with-stdin"};
  argv_s.insert(argv_s.end(), args_.begin(), args_.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) {
    if (why) *why = std::string("fork: ") + std::strerror(errno);
    return false;
  }
  if (pid_ == 0) {
    DieWithParent(parent);
    ::dup2(in_pipe[0], 0);
    ::dup2(out_pipe[1], 1);
    ::execvp(argv[0], argv.data());
    std::fprintf(stderr, "cannot run %s: %s\n", argv[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  stdin_fd_ = in_pipe[1];
  // The first stdout line is the port.
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (line.find('\n') == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{out_pipe[0], POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    char buf[64];
    const ssize_t n = ::read(out_pipe[0], buf, sizeof buf);
    if (n <= 0) break;
    line.append(buf, static_cast<size_t>(n));
  }
  ::close(out_pipe[0]);
  try {
    port_ = std::stoi(line);
  } catch (...) {
    port_ = 0;
  }
  if (port_ <= 0) {
    if (why) *why = "the test upstream (" + NodeBinary() + " " + ScriptPath() + ") did not start";
    return false;
  }
  return true;
}

json UpstreamDouble::Log() const {
  auto r = Http(port_, "GET", "/_test/log");
  json j = json::parse(r.body, nullptr, false);
  return j.is_object() && j["requests"].is_array() ? j["requests"] : json::array();
}

std::vector<json> UpstreamDouble::Requests(const std::string& path,
                                           const std::string& model) const {
  std::vector<json> out;
  for (const auto& r : Log())
    if (r["path"] == path && (model.empty() || r["model"] == model)) out.push_back(r);
  return out;
}

json UpstreamDouble::WaitFor(const std::function<bool(const json&)>& pred,
                             std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    for (const auto& r : Log())
      if (pred(r)) return r;
    if (std::chrono::steady_clock::now() >= deadline) return nullptr;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void UpstreamDouble::Reset() const { Http(port_, "POST", "/_test/reset", "{}"); }

void UpstreamDouble::Configure(const json& c) const {
  Http(port_, "POST", "/_test/config", c.dump());
}

BlackHole::BlackHole() {
  server_.bind(Poco::Net::SocketAddress("127.0.0.1", 0), true, false);
  server_.listen(64);
  port_ = server_.address().port();
  thread_ = std::thread([this] {
    while (!stop_) {
      try {
        if (!server_.poll(Poco::Timespan(0, 100000), Poco::Net::Socket::SELECT_READ)) continue;
        Poco::Net::StreamSocket s = server_.acceptConnection();
        ++accepted_;
        std::lock_guard lock(mu_);
        held_.push_back(s);
      } catch (...) {
        if (stop_) break;
      }
    }
  });
}

BlackHole::~BlackHole() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  for (auto& s : held_) {
    try {
      s.close();
    } catch (...) {
    }
  }
  server_.close();
}

int RefusedPort() {
  Poco::Net::ServerSocket s;
  s.bind(Poco::Net::SocketAddress("127.0.0.1", 0), true, false);
  const int port = s.address().port();
  s.close();
  return port;
}

}  // namespace webui::testing
