#include "host_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <gtest/gtest.h>

#include "storage/database.hpp"

extern char** environ;

namespace webui::testing {
namespace fs = std::filesystem;

namespace {
bool IEq(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}
std::string GetEnv(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}
std::string Unique() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  return std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
         std::to_string(rd() % 100000);
}
}  // namespace

std::string HttpResult::Header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (IEq(k, name)) return v;
  return "";
}

nlohmann::json HttpResult::Json() const { return nlohmann::json::parse(body, nullptr, false); }

HttpResult Http(int port, const std::string& method, const std::string& path,
                const std::string& body, const HeaderList& headers) {
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
  session.setTimeout(Poco::Timespan(30, 0));
  Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  for (const auto& [k, v] : headers) req.add(k, v);
  if (!body.empty() || method == "POST" || method == "PUT") {
    req.setContentLength(static_cast<std::streamsize>(body.size()));
    if (!req.has("Content-Type")) req.setContentType("application/json");
  }
  session.sendRequest(req) << body;
  Poco::Net::HTTPResponse res;
  std::istream& in = session.receiveResponse(res);
  HttpResult out;
  out.status = res.getStatus();
  for (const auto& [k, v] : res) out.headers.emplace_back(k, v);
  Poco::StreamCopier::copyToString(in, out.body);
  return out;
}

bool BackendUnavailable(std::string* why) {
  if (GetEnv("WEBUI_IT_BACKEND") != "postgres") return false;
  if (GetEnv("WEBUI_TEST_DATABASE_URL").empty() || GetEnv("WEBUI_TEST_REDIS_URL").empty()) {
    *why = "WEBUI_IT_BACKEND=postgres needs WEBUI_TEST_DATABASE_URL and WEBUI_TEST_REDIS_URL";
    return true;
  }
  return false;
}

Backend::Backend() {
  if (GetEnv("WEBUI_IT_BACKEND") != "postgres") return;
  postgres_ = true;
  admin_url_ = GetEnv("WEBUI_TEST_DATABASE_URL");
  redis_url_ = GetEnv("WEBUI_TEST_REDIS_URL");
  db_name_ = "wh_it_" + Unique();
  storage::DatabaseOptions o;
  o.url = admin_url_;
  o.pool_size = 1;
  storage::Database::Open(o)->Exec("CREATE DATABASE " + db_name_);
  const size_t slash = admin_url_.rfind('/');
  const size_t query = admin_url_.find('?', slash);
  database_url_ = admin_url_.substr(0, slash + 1) + db_name_ +
                  (query == std::string::npos ? "" : admin_url_.substr(query));
}

Backend::~Backend() {
  if (!postgres_) return;
  try {
    storage::DatabaseOptions o;
    o.url = admin_url_;
    o.pool_size = 1;
    storage::Database::Open(o)->Exec("DROP DATABASE IF EXISTS " + db_name_ + " WITH (FORCE)");
  } catch (...) {
  }
}

std::map<std::string, std::string> Backend::Env() const {
  std::map<std::string, std::string> env;
  if (!database_url_.empty()) env["DATABASE_URL"] = database_url_;
  if (!redis_url_.empty()) {
    env["REDIS_URL"] = redis_url_;
    // Every test gets its own key space on the shared Redis.
    env["REDIS_KEY_PREFIX"] = "it-" + db_name_;
  }
  return env;
}

std::string PluginDir(const std::string& set) {
  return std::string(WEBUI_TEST_PLUGIN_DIR) + "/" + set;
}

void DieWithParent(pid_t parent) noexcept {
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) ::_exit(125);
  // The parent may have died before the prctl: then we already belong to another process.
  if (::getppid() != parent) ::_exit(125);
}

std::string TempDir(const std::string& tag) {
  fs::path p = fs::temp_directory_path() / ("wh-it-" + tag + "-" + Unique());
  fs::create_directories(p);
  return p.string();
}

HostProcess::HostProcess(Options options) : options_(std::move(options)) {
  data_dir_ = options_.data_dir.empty() ? TempDir("data") : options_.data_dir;
  log_path_ = data_dir_ + "/host-" + Unique() + ".log";
  port_file_ = data_dir_ + "/port-" + Unique();
}

HostProcess::~HostProcess() {
  if (pid_ > 0 && Running()) Stop(SIGKILL, std::chrono::seconds(5));
}

bool HostProcess::Spawn() {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    const size_t eq = kv.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = kv.substr(0, eq);
    // The host's configuration comes only from what the test says.
    static const char* kDrop[] = {
        "DATABASE_URL", "REDIS_URL", "WEBUI_PLUGINS",     "PORT",
        "HOST",         "DATA_DIR",  "WEBUI_PLUGIN_PATH", "WEBUI_SECRET_KEY"};
    bool drop = false;
    for (const char* d : kDrop) drop = drop || key == d;
    if (!drop) env[key] = kv.substr(eq + 1);
  }
  env["HOST"] = "127.0.0.1";
  env["PORT"] = "0";
  env["DATA_DIR"] = data_dir_;
  env["WEBUI_PORT_FILE"] = port_file_;
  env["WEBUI_PLUGIN_PATH"] = PluginDir("good");
  env["WEBUI_ENV_FILE"] = data_dir_ + "/.env";
  env["WEBUI_SHUTDOWN_TIMEOUT"] = "10";
  for (const auto& [k, v] : options_.env) env[k] = v;

  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args{WEBUI_HOST_BINARY};
  args.insert(args.end(), options_.args.begin(), options_.args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::string stdin_path;
  if (options_.stdin_text) {
    stdin_path = log_path_ + ".stdin";
    std::ofstream(stdin_path, std::ios::binary | std::ios::trunc) << *options_.stdin_text;
  }

  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) return false;
  if (pid_ == 0) {
    DieWithParent(parent);
    if (!stdin_path.empty()) {
      const int in = ::open(stdin_path.c_str(), O_RDONLY);
      if (in < 0) ::_exit(126);
      ::dup2(in, 0);
    }
    int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  return true;
}

bool HostProcess::Running() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  if (r == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    pid_ = -1;
  }
  return false;
}

bool HostProcess::Start(std::string* why) { return Launch(why) && WaitListening(why); }

bool HostProcess::Launch(std::string* why) {
  if (Spawn()) return true;
  if (why) *why = "fork failed";
  return false;
}

bool HostProcess::WaitListening(std::string* why) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(port_file_);
    if (in >> port_ && port_ > 0) return true;
    if (!Running()) {
      if (why) *why = "exited with " + std::to_string(exit_code_) + ":\n" + Log();
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (why) *why = "did not listen within 60 s:\n" + Log();
  return false;
}

int HostProcess::RunToExit(std::chrono::seconds timeout) {
  if (!Spawn()) return -1;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!Running()) return exit_code_;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Stop(SIGKILL, std::chrono::seconds(5));
  return -1;
}

int HostProcess::Stop(int sig, std::chrono::seconds timeout) {
  if (pid_ <= 0) return exit_code_;
  ::kill(pid_, sig);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!Running()) return exit_code_;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
  return -1;
}

std::string HostProcess::Log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

double MetricSample(const std::string& scrape, const std::string& series) {
  const std::string needle = "\n" + series + " ";
  const auto at = scrape.find(needle);
  if (at == std::string::npos) return -1;
  return std::stod(scrape.substr(at + needle.size()));
}

int ThreadCount(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  return -1;
}

int ThreadsNamed(pid_t pid, const std::string& name) {
  int n = 0;
  std::error_code ec;
  for (const auto& task :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream in(task.path() / "comm");
    std::string comm;
    if (std::getline(in, comm) && comm == name) ++n;
  }
  return n;
}

void RaiseDescriptorLimit() {
  rlimit limit{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  limit.rlim_cur = limit.rlim_max;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &limit), 0);
}

}  // namespace webui::testing
