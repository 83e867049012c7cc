// Starts the real webui-host binary for integration tests: its own DATA_DIR, a free port
// (PORT=0 + WEBUI_PORT_FILE), log captured to a file, and a small HTTP client.
//
// The backend comes from WEBUI_IT_BACKEND: "sqlite" (default) or "postgres", which needs
// WEBUI_TEST_DATABASE_URL (a fresh database is created per Backend) and WEBUI_TEST_REDIS_URL.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace webui::testing {

struct HttpResult {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string Header(const std::string& name) const;  // case-insensitive, "" if absent
  nlohmann::json Json() const;
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Sends one request on a fresh connection.
HttpResult Http(int port, const std::string& method, const std::string& path,
                const std::string& body = "", const HeaderList& headers = {});

// A database (and Redis) for one test. Postgres: a new database, dropped at destruction.
class Backend {
 public:
  Backend();
  ~Backend();
  bool postgres() const { return postgres_; }
  const std::string& database_url() const { return database_url_; }  // "" for SQLite
  const std::string& redis_url() const { return redis_url_; }        // "" without Redis
  // Env for a host using this backend.
  std::map<std::string, std::string> Env() const;

 private:
  bool postgres_ = false;
  std::string database_url_, redis_url_, admin_url_, db_name_;
};

// True when the postgres backend was asked for but its services are missing (skip/fail logic).
bool BackendUnavailable(std::string* why);

std::string PluginDir(const std::string& set);  // "good", "bad", "fatal"

// Threads of process `pid` now (from /proc), -1 if it is gone.
int ThreadCount(pid_t pid);
// The value of `series` (e.g. `webui_x_total{a="b"}`) in a /metrics scrape, -1 if absent.
double MetricSample(const std::string& scrape, const std::string& series);
// Threads of `pid` named `name` (the host names its own: wh-front, wh-worker, wh-relay, ...).
int ThreadsNamed(pid_t pid, const std::string& name);
// Raises this process's open-descriptor limit to the hard limit (tests holding thousands of
// connections); a gtest failure if it cannot.
void RaiseDescriptorLimit();
std::string TempDir(const std::string& tag);

// Call first thing in a child right after fork(), with the parent's pid taken before the fork:
// the child gets SIGKILL when the parent dies, so a test driver that aborts (ASan, a crash, a
// timeout's SIGKILL) leaves no host or test double running. When the parent is already gone
// (it died between fork and the prctl), the child exits at once. The signal comes when the
// forking *thread* ends, so spawn from a thread that lives as long as the child should (the
// suites spawn from the main thread). Async-signal-safe.
void DieWithParent(pid_t parent) noexcept;

class HostProcess {
 public:
  struct Options {
    std::map<std::string, std::string> env;
    std::vector<std::string> args;
    std::string data_dir;  // empty = a new temp dir
    // The process's stdin: this text (through a file), or else the test's own stdin.
    std::optional<std::string> stdin_text = std::nullopt;
  };
  explicit HostProcess(Options options);
  ~HostProcess();  // kills the process if still running

  // Starts and waits until it listens. False (with the log in `why`) if it exited or timed out.
  bool Start(std::string* why = nullptr);
  // Start in two halves, for hosts that must start together: launch each from the thread that
  // outlives them (DieWithParent), then wait for each.
  bool Launch(std::string* why = nullptr);
  bool WaitListening(std::string* why = nullptr);
  // Runs to completion (for --check-config, bad config ...). Returns the exit code.
  int RunToExit(std::chrono::seconds timeout = std::chrono::seconds(30));
  // Sends `sig` and waits; returns the exit code (128+signal if killed by a signal, -1 timeout).
  int Stop(int sig = 15, std::chrono::seconds timeout = std::chrono::seconds(30));
  bool Running();

  int port() const { return port_; }
  const std::string& data_dir() const { return data_dir_; }
  std::string Log() const;
  pid_t pid() const { return pid_; }

  HttpResult Get(const std::string& path, const HeaderList& headers = {}) const {
    return Http(port_, "GET", path, "", headers);
  }
  HttpResult Post(const std::string& path, const std::string& body,
                  const HeaderList& headers = {}) const {
    return Http(port_, "POST", path, body, headers);
  }

 private:
  bool Spawn();
  Options options_;
  std::string data_dir_, log_path_, port_file_;
  pid_t pid_ = -1;
  int port_ = 0;
  int exit_code_ = -1;
};

// Convenience headers for the test_auth plugin: "Bearer <role>:<id>".
inline HeaderList As(const std::string& role, const std::string& id = "1") {
  return {{"Authorization", "Bearer " + role + ":" + id}};
}

}  // namespace webui::testing
