// Redis servers that a test starts and stops itself (plain, TLS, replica, Sentinel), so outages
// and failovers can be staged on any machine with redis-server and openssl installed. Used by
// kv_redis_test and by the host-level outage tests (tests/integration/kv_outage_test.cpp).
#pragma once

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Process.h>
#include <Poco/Timespan.h>

namespace webui::kv::testing {

inline int FreeTcpPort() {
  Poco::Net::ServerSocket socket;
  socket.bind(Poco::Net::SocketAddress("127.0.0.1", 0), true, false);
  const int port = socket.address().port();
  socket.close();
  return port;
}

inline bool ProgramOnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string_view dirs = path == nullptr ? "/usr/bin:/bin" : path;
  while (!dirs.empty()) {
    const auto colon = dirs.find(':');
    const std::string candidate = std::string(dirs.substr(0, colon)) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return true;
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return false;
}

inline bool PortAccepts(int port) {
  try {
    Poco::Net::StreamSocket socket;
    socket.connect(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)),
                   Poco::Timespan(0, 200000));
    return true;
  } catch (...) {
    return false;
  }
}

inline std::string ScratchDir(const std::string& tag) {
  std::string pattern =
      (std::filesystem::temp_directory_path() / ("kvsrv-" + tag + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

// One redis-server (or sentinel) process with its own scratch dir; stopped by the destructor.
class TestRedisServer {
 public:
  // `extra` is appended to the command line (e.g. TLS or replicaof options).
  explicit TestRedisServer(int port, std::vector<std::string> extra = {})
      : port_(port), extra_(std::move(extra)), dir_(ScratchDir(std::to_string(port))) {}
  ~TestRedisServer() {
    Stop();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  TestRedisServer(const TestRedisServer&) = delete;
  TestRedisServer& operator=(const TestRedisServer&) = delete;

  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  std::string Url(int db = 0) const {
    return "redis://127.0.0.1:" + std::to_string(port_) + "/" + std::to_string(db);
  }
  std::string Log() const {
    std::ifstream in(dir_ + "/server.log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  // Starts redis-server and waits until its port accepts connections. `more` is added to this
  // start's command line only.
  bool Start(std::vector<std::string> more = {}) {
    std::vector<std::string> head = {"--port", std::to_string(port_)};
    head.insert(head.end(), more.begin(), more.end());
    return Launch(std::move(head));
  }

  // Starts a sentinel on port() that monitors `master_port` as `master_name` with quorum 1 and
  // short timeouts, so a failover takes a few seconds.
  bool StartSentinel(const std::string& master_name, int master_port) {
    const std::string conf = dir_ + "/sentinel.conf";
    std::ofstream(conf) << "port " << port_ << "\nbind 127.0.0.1\ndir " << dir_
                        << "\nsentinel monitor " << master_name << " 127.0.0.1 " << master_port
                        << " 1\nsentinel down-after-milliseconds " << master_name
                        << " 1000\nsentinel failover-timeout " << master_name
                        << " 5000\nsentinel parallel-syncs " << master_name << " 1\n";
    return Launch({conf, "--sentinel"});
  }

  void Stop() {
    if (!handle_) return;
    ::kill(static_cast<pid_t>(handle_->id()), SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    // tryWait also reaps the process; isRunning() would report the zombie as alive.
    while (handle_->tryWait() == -1) {
      if (std::chrono::steady_clock::now() >= deadline) {
        ::kill(static_cast<pid_t>(handle_->id()), SIGKILL);
        handle_->wait();
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    handle_.reset();
  }

 private:
  bool Launch(std::vector<std::string> head) {
    Poco::Process::Args args = std::move(head);
    for (const char* option : {"--bind", "127.0.0.1", "--save", "", "--appendonly", "no"}) {
      args.push_back(option);
    }
    args.push_back("--dir");
    args.push_back(dir_);
    args.push_back("--logfile");
    args.push_back(dir_ + "/server.log");
    for (const auto& option : extra_) args.push_back(option);
    handle_ = std::make_unique<Poco::ProcessHandle>(Poco::Process::launch("redis-server", args));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (PortAccepts(port_)) return true;
      if (handle_->tryWait() != -1) {
        handle_.reset();
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  const int port_;
  const std::vector<std::string> extra_;
  const std::string dir_;
  std::unique_ptr<Poco::ProcessHandle> handle_;
};

// A throwaway CA and a server certificate for 127.0.0.1 signed by it, made with the openssl
// command-line tool; plus a second, unrelated CA that does not trust that server.
struct TestCertificates {
  std::string dir, ca, other_ca, cert, key;

  static std::unique_ptr<TestCertificates> Make() {
    auto out = std::make_unique<TestCertificates>();
    out->dir = ScratchDir("certs");
    out->ca = out->dir + "/ca.crt";
    out->other_ca = out->dir + "/other-ca.crt";
    out->cert = out->dir + "/server.crt";
    out->key = out->dir + "/server.key";
    std::ofstream(out->dir + "/ext.cnf") << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
    const std::string d = out->dir;
    const std::string quiet = " >/dev/null 2>&1";
    const std::vector<std::string> steps = {
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=kv-test-ca -keyout " + d +
            "/ca.key -out " + out->ca,
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=kv-other-ca -keyout " + d +
            "/other-ca.key -out " + out->other_ca,
        "openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout " + out->key + " -out " +
            d + "/server.csr",
        "openssl x509 -req -days 2 -in " + d + "/server.csr -CA " + out->ca + " -CAkey " + d +
            "/ca.key -CAcreateserial -extfile " + d + "/ext.cnf -out " + out->cert,
    };
    for (const auto& step : steps) {
      if (std::system((step + quiet).c_str()) != 0) return nullptr;
    }
    return out;
  }
  ~TestCertificates() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
  // redis-server options for TLS only on `port`.
  std::vector<std::string> ServerOptions(int port) const {
    return {"--port",
            "0",
            "--tls-port",
            std::to_string(port),
            "--tls-cert-file",
            cert,
            "--tls-key-file",
            key,
            "--tls-ca-cert-file",
            ca,
            "--tls-auth-clients",
            "no"};
  }
};

}  // namespace webui::kv::testing
