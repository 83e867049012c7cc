// C++ side of the test upstream (tests/upstream/server.js): starts it as a child process on a
// free port, reads what it received, and a "black hole" upstream that accepts connections and
// never answers. For integration tests of the openai/ollama/chat plugins.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <nlohmann/json.hpp>

namespace webui::testing {

// The Node.js test double. Exits with this object (and with the test process: its stdin is a
// pipe we hold).
class UpstreamDouble {
 public:
  // `args` are server.js options, e.g. {"--api-key", "k", "--models", "a,b"}.
  explicit UpstreamDouble(std::vector<std::string> args = {});
  ~UpstreamDouble();
  UpstreamDouble(const UpstreamDouble&) = delete;
  UpstreamDouble& operator=(const UpstreamDouble&) = delete;

  // Starts it; false (with the reason) when node or the script is missing or it did not listen.
  bool Start(std::string* why = nullptr);
  int port() const { return port_; }
  std::string BaseUrl() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // GET /_test/log -> the "requests" array.
  nlohmann::json Log() const;
  // Requests whose path is `path` (and model `model` when not empty).
  std::vector<nlohmann::json> Requests(const std::string& path,
                                       const std::string& model = "") const;
  // Polls the log until `pred` holds for some request, or the deadline passes; returns it or null.
  nlohmann::json WaitFor(const std::function<bool(const nlohmann::json&)>& pred,
                         std::chrono::milliseconds timeout) const;
  void Reset() const;                             // POST /_test/reset
  void Configure(const nlohmann::json& c) const;  // POST /_test/config

  static std::string NodeBinary();  // $WEBUI_NODE or "node"
  static std::string ScriptPath();  // tests/upstream/server.js

 private:
  std::vector<std::string> args_;
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int port_ = 0;
};

// Accepts TCP connections and never answers: a hung upstream (SYN-ACKed, then silence).
class BlackHole {
 public:
  BlackHole();
  ~BlackHole();
  int port() const { return port_; }
  std::string BaseUrl() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int accepted() const { return accepted_.load(); }

 private:
  Poco::Net::ServerSocket server_;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::mutex mu_;
  std::vector<Poco::Net::StreamSocket> held_;
  std::thread thread_;
};

// A port on 127.0.0.1 where nothing listens (connection refused).
int RefusedPort();

}  // namespace webui::testing
