// Starting webui-rag-extract: posix_spawn (the host is multithreaded: no fork), stdin from
// /dev/null, stdout a pipe, an environment without the server's secrets, stderr inherited (parsers
// are silenced in the child, so what reaches it is a sanitizer report or a fatal error worth the
// log), every other descriptor closed. The child applies its rlimits itself before it opens the
// file (extractor_main.cpp); here the wall-clock deadline and the output cap are enforced, and the
// child is always reaped.
#include "extractor.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "protocol.hpp"
#include "readers.hpp"

extern char** environ;

namespace webui::rag {
namespace {

constexpr std::string_view kExecutable = "webui-rag-extract";

bool IsExecutable(const std::string& path) {
  struct stat st {};
  return !path.empty() && ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         ::access(path.c_str(), X_OK) == 0;
}

// WEBUI_RAG_EXTRACTOR, else next to the object holding this code (the rag plugin in a build
// tree: <build>/plugins), else the installed libexec directory relative to it
// (<prefix>/lib/webui-host/plugins -> <prefix>/libexec/webui-host).
std::string FindExecutable() {
  if (const char* configured = std::getenv("WEBUI_RAG_EXTRACTOR");
      configured != nullptr && *configured != '\0') {
    return configured;
  }
  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(&FindExecutable), &info) == 0 || info.dli_fname == nullptr) {
    return {};
  }
  std::string dir = info.dli_fname;
  const auto slash = dir.rfind('/');
  dir = slash == std::string::npos ? std::string(".") : dir.substr(0, slash);
  const std::string name(kExecutable);
  for (const std::string& candidate : {dir + "/" + name, dir + "/../libexec/webui-host/" + name,
                                       dir + "/../../../libexec/webui-host/" + name}) {
    if (IsExecutable(candidate)) return candidate;
  }
  return {};
}

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

// Reaps `pid`, killing it first when it is still running at `deadline`. Returns the wait status,
// or -1 when it could not be collected (SIGCHLD ignored by the embedding process).
int Reap(pid_t pid, std::chrono::steady_clock::time_point deadline) {
  int status = 0;
  while (true) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0 && errno != EINTR) return -1;
    if (std::chrono::steady_clock::now() >= deadline) break;
    ::usleep(2000);  // the child closed its stdout: it is exiting, not working
  }
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return status;
}

// The child's environment: only the sanitizers' options. The server's environment holds its
// secrets (WEBUI_SECRET_KEY, database and provider credentials); a parser exploited by a hostile
// file finds none of them.
std::vector<std::string> ChildEnvironment() {
  static constexpr std::string_view kKept[] = {"ASAN_OPTIONS=", "UBSAN_OPTIONS=", "LSAN_OPTIONS="};
  std::vector<std::string> out;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view variable(*entry);
    for (const std::string_view prefix : kKept) {
      if (variable.substr(0, prefix.size()) == prefix) out.emplace_back(variable);
    }
  }
  return out;
}

std::size_t SaturatingAdd(std::size_t a, std::size_t b) {
  return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

std::string Unreadable(Kind kind) {
  switch (kind) {
    case Kind::kPdf:
      return "the PDF could not be read";
    case Kind::kOoxml:
      return "the document could not be read";
    default:
      return "the file could not be read";
  }
}

std::string TooSlow(const ExtractLimits& limits) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(limits.time).count();
  return "the file took longer than " + std::to_string(seconds > 0 ? seconds : 1) + " s to extract";
}

}  // namespace

Extracted RunExtractor(const std::string& path, Kind kind, const ExtractLimits& limits) {
  Extracted result;
  const std::string executable = FindExecutable();
  if (executable.empty() || !IsExecutable(executable)) {
    result.error = "the document extractor (" + std::string(kExecutable) + ") is not installed";
    return result;
  }

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    result.error = "the document extractor could not be started";
    return result;
  }
  Fd read_end(pipe_fds[0]);
  Fd write_end(pipe_fds[1]);

  const std::vector<std::string> args = {executable,
                                         std::string(KindName(kind)),
                                         path,
                                         std::to_string(limits.time.count()),
                                         std::to_string(limits.memory_bytes),
                                         std::to_string(limits.expanded_bytes),
                                         std::to_string(limits.text_bytes),
                                         std::to_string(limits.pages)};
  std::vector<char*> argv;
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  const std::vector<std::string> environment = ChildEnvironment();
  std::vector<char*> envp;
  for (const std::string& variable : environment)
    envp.push_back(const_cast<char*>(variable.c_str()));
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawnattr_init(&attr);
  ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_adddup2(&actions, write_end.get(), 1);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  // The host's sockets and files are not the child's business (those without O_CLOEXEC too).
  ::posix_spawn_file_actions_addclosefrom_np(&actions, 3);
#endif
  // A clean signal state: the calling thread may block signals, the host may handle some.
  sigset_t empty, defaults;
  sigemptyset(&empty);
  sigfillset(&defaults);
  sigdelset(&defaults, SIGKILL);
  sigdelset(&defaults, SIGSTOP);
  ::posix_spawnattr_setsigmask(&attr, &empty);
  ::posix_spawnattr_setsigdefault(&attr, &defaults);
  ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  pid_t pid = -1;
  const int spawned =
      ::posix_spawn(&pid, executable.c_str(), &actions, &attr, argv.data(), envp.data());
  ::posix_spawn_file_actions_destroy(&actions);
  ::posix_spawnattr_destroy(&attr);
  write_end.Reset();
  if (spawned != 0) {
    result.error = "the document extractor could not be started";
    return result;
  }

  const auto deadline = std::chrono::steady_clock::now() + limits.time;
  // JSON escaping at most doubles clean text; metadata is a few bytes per document.
  const std::size_t max_output = SaturatingAdd(
      SaturatingAdd(limits.text_bytes, limits.text_bytes),
      SaturatingAdd(limits.pages > SIZE_MAX / 64 ? SIZE_MAX : 64 * limits.pages, 1u << 20));
  protocol::FrameReader frames(max_output);
  std::size_t output = 0;
  std::size_t text = 0;
  bool finished = false;
  bool timed_out = false;
  std::string failure;
  std::vector<char> buffer(1 << 16);
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd pfd{read_end.get(), POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (ready < 0 && errno != EINTR) {
      failure = Unreadable(kind);
      break;
    }
    if (ready <= 0) continue;
    const ssize_t n = ::read(read_end.get(), buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      failure = Unreadable(kind);
      break;
    }
    if (n == 0) break;
    output += static_cast<std::size_t>(n);
    if (output > max_output) {
      failure = TextLimitError(limits);
      break;
    }
    frames.Append(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
    while (auto frame = frames.Next()) {
      if (finished) {  // nothing may follow the final frame
        if (failure.empty()) failure = Unreadable(kind);
        break;
      }
      if (const auto doc = frame->find("document"); doc != frame->end() && doc->is_object()) {
        Document document;
        if (const auto t = doc->find("text"); t != doc->end() && t->is_string()) {
          document.text = t->get<std::string>();
        }
        if (const auto m = doc->find("metadata"); m != doc->end() && m->is_object()) {
          document.metadata = *m;
        } else {
          document.metadata = nlohmann::json::object();
        }
        text += document.text.size();
        result.documents.push_back(std::move(document));
      } else if (const auto e = frame->find("error"); e != frame->end() && e->is_string()) {
        failure = e->get<std::string>();
        finished = true;
      } else if (frame->value("done", false)) {
        finished = true;
      } else {
        failure = Unreadable(kind);
        finished = true;
      }
    }
    if (frames.failed() && failure.empty()) failure = Unreadable(kind);
    if (text > limits.text_bytes && failure.empty()) failure = TextLimitError(limits);
    if (!failure.empty() && !finished) break;
  }
  read_end.Reset();
  // Past the deadline, or after a failure the child may still be working: kill it now.
  const bool stop_now = timed_out || (!failure.empty() && !finished);
  const int status =
      Reap(pid, stop_now ? std::chrono::steady_clock::now()
                         : std::chrono::steady_clock::now() + std::chrono::seconds(5));
  if (timed_out) {
    failure = TooSlow(limits);
  } else if (status != -1 && WIFSIGNALED(status) &&
             (WTERMSIG(status) == SIGXCPU || (WTERMSIG(status) == SIGKILL && !stop_now))) {
    failure = TooSlow(limits);  // the CPU rlimit (soft: SIGXCPU, hard: SIGKILL)
  } else if (failure.empty() &&
             (!finished || (status != -1 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)))) {
    failure = Unreadable(kind);  // a crash, an abort, a protocol error
  }
  if (!failure.empty()) {
    result.documents.clear();
    result.error = std::move(failure);
  }
  return result;
}

}  // namespace webui::rag
