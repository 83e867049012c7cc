// config/nginx/webui-host.conf in front of a real webui-host: the file passes `nginx -t`, and
// through it TLS works, plain HTTP is redirected, a streamed answer arrives piece by piece (not
// collected by the proxy), and Socket.IO gets its WebSocket.
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/WebSocket.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "it_support.hpp"

namespace webui::testing {
namespace {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void Replace(std::string& text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  ASSERT_NE(at, std::string::npos) << "the site file no longer contains: " << from;
  text.replace(at, from.size(), to);
}

int FreePort() {
  Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0));
  return s.address().port();
}

class NginxSite : public ::testing::Test {
 protected:
  void SetUp() override {
    WH_REQUIRE_BACKEND();
    if (std::system("command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx") != 0) {
      if (std::getenv("WEBUI_TEST_REQUIRE_SERVICES")) FAIL() << "nginx is not installed";
      GTEST_SKIP() << "nginx is not installed";
    }
    HostProcess::Options o;
    host_ = std::make_unique<HostProcess>(o);
    std::string why;
    ASSERT_TRUE(host_->Start(&why)) << why;

    // nginx's workers run as an unprivileged account: everything they touch is world-readable.
    work_ = TempDir("nginx");
    ::chmod(work_.c_str(), 0755);
    const std::string cert = work_ + "/cert.pem", key = work_ + "/key.pem";
    ASSERT_EQ(std::system(("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
                           "-keyout " +
                           key + " -out " + cert + " >/dev/null 2>&1")
                              .c_str()),
              0);
    ::chmod(key.c_str(), 0644);
    https_port_ = FreePort();
    http_port_ = FreePort();

    std::string site = ReadFile(std::string(WEBUI_CONFIG_DIR) + "/nginx/webui-host.conf");
    Replace(site, "server 127.0.0.1:8080;",
            "server 127.0.0.1:" + std::to_string(host_->port()) + ";");
    Replace(site, "listen 80;", "listen 127.0.0.1:" + std::to_string(http_port_) + ";");
    Replace(site, "listen [::]:80;", "");
    Replace(site, "listen 443 ssl http2;",
            "listen 127.0.0.1:" + std::to_string(https_port_) + " ssl http2;");
    Replace(site, "listen [::]:443 ssl http2;", "");
    Replace(site, "/etc/letsencrypt/live/chat.example.com/fullchain.pem", cert);
    Replace(site, "/etc/letsencrypt/live/chat.example.com/privkey.pem", key);
    std::ofstream(work_ + "/site.conf") << site;
    std::ofstream(work_ + "/nginx.conf")
        << "pid " << work_ << "/nginx.pid;\nerror_log " << work_ << "/error.log;\n"
        << "events { worker_connections 256; }\nhttp {\n  access_log off;\n"
        << "  client_body_temp_path " << work_ << "/body; proxy_temp_path " << work_ << "/proxy;\n"
        << "  fastcgi_temp_path " << work_ << "/fcgi; uwsgi_temp_path " << work_
        << "/uwsgi; scgi_temp_path " << work_ << "/scgi;\n  include " << work_
        << "/site.conf;\n}\n";
    const std::string nginx = "nginx -p " + work_ + " -c " + work_ + "/nginx.conf";
    ASSERT_EQ(std::system((nginx + " -t >" + work_ + "/t.log 2>&1").c_str()), 0)
        << ReadFile(work_ + "/t.log");
    ASSERT_EQ(std::system(nginx.c_str()), 0) << ReadFile(work_ + "/error.log");
    started_ = true;
  }
  void TearDown() override {
    if (started_) {
      const std::string pid = ReadFile(work_ + "/nginx.pid");
      if (!pid.empty()) ::kill(std::stoi(pid), SIGQUIT);
    }
    if (host_) host_->Stop();
  }

  std::unique_ptr<Poco::Net::HTTPSClientSession> Session() const {
    auto ctx = Poco::Net::Context::Ptr(new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE,
                                                              "", Poco::Net::Context::VERIFY_NONE));
    auto s = std::make_unique<Poco::Net::HTTPSClientSession>("127.0.0.1", https_port_, ctx);
    s->setTimeout(Poco::Timespan(10, 0));
    return s;
  }

  std::unique_ptr<HostProcess> host_;
  std::string work_;
  int https_port_ = 0, http_port_ = 0;
  bool started_ = false;
};

TEST_F(NginxSite, TlsAndTheRedirectFromPlainHttp) {
  auto s = Session();
  Poco::Net::HTTPRequest req("GET", "/health", Poco::Net::HTTPMessage::HTTP_1_1);
  req.setHost("chat.example.com");
  s->sendRequest(req);
  Poco::Net::HTTPResponse res;
  std::istream& body = s->receiveResponse(res);
  EXPECT_EQ(res.getStatus(), 200);
  std::string text(std::istreambuf_iterator<char>(body), {});
  EXPECT_EQ(text, R"({"status":true})");

  auto plain = Http(http_port_, "GET", "/anything", "", {{"Host", "chat.example.com"}});
  EXPECT_EQ(plain.status, 301);
  EXPECT_EQ(plain.Header("Location"), "https://chat.example.com/anything");
}

TEST_F(NginxSite, AStreamedAnswerIsPassedOnPieceByPiece) {
  auto s = Session();
  // Five events, 300 ms apart: a buffering proxy would deliver them all at the end. (Two guards
  // stand against that: the site's proxy_buffering off, and the host's X-Accel-Buffering: no on
  // event streams; this checks the outcome.)
  Poco::Net::HTTPRequest req("GET", "/api/v1/test/stream?n=5&delay_ms=300",
                             Poco::Net::HTTPMessage::HTTP_1_1);
  const auto start = Clock::now();
  s->sendRequest(req);
  Poco::Net::HTTPResponse res;
  std::istream& body = s->receiveResponse(res);
  ASSERT_EQ(res.getStatus(), 200);
  EXPECT_EQ(res.getContentType(), "text/event-stream");
  std::string line;
  std::optional<Clock::time_point> first;
  int events = 0;
  while (std::getline(body, line)) {
    if (line.rfind("data: ", 0) != 0) continue;
    if (!first) first = Clock::now();
    ++events;
  }
  const auto end = Clock::now();
  EXPECT_EQ(events, 6);  // five and [DONE]
  ASSERT_TRUE(first);
  EXPECT_GE(end - *first, std::chrono::milliseconds(900))
      << "the first event arrived only "
      << std::chrono::duration_cast<std::chrono::milliseconds>(end - *first).count()
      << " ms before the end (total "
      << std::chrono::duration_cast<std::chrono::milliseconds>(end - start).count() << " ms)";
}

TEST_F(NginxSite, SocketIoGetsItsWebSocket) {
  auto s = Session();
  Poco::Net::HTTPRequest req("GET", "/ws/socket.io/?EIO=4&transport=websocket",
                             Poco::Net::HTTPMessage::HTTP_1_1);
  Poco::Net::HTTPResponse res;
  Poco::Net::WebSocket ws(*s, req, res);
  ws.setReceiveTimeout(Poco::Timespan(10, 0));
  EXPECT_EQ(res.getStatus(), 101);
  char buf[4096];
  int flags = 0;
  int n = ws.receiveFrame(buf, sizeof buf, flags);
  ASSERT_GT(n, 0);
  const std::string open(buf, static_cast<size_t>(n));
  EXPECT_EQ(open.rfind("0{", 0), 0u) << open;  // Engine.IO open packet
  EXPECT_NE(open.find("\"sid\""), std::string::npos) << open;
  ws.sendFrame("40", 2);  // Socket.IO CONNECT (anonymous)
  n = ws.receiveFrame(buf, sizeof buf, flags);
  ASSERT_GT(n, 0);
  const std::string answer(buf, static_cast<size_t>(n));
  EXPECT_TRUE(answer.rfind("40", 0) == 0 || answer.rfind("44", 0) == 0) << answer;
  ws.close();
}

}  // namespace
}  // namespace webui::testing
