// The server in-process behind a real Poco HTTP server and pipeline, driven by raw sockets: the
// byte-level behaviour (frames, handshakes, limits, timers, revocation) without a Node client.
#include "realtime/socket_server.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <future>
#include <map>
#include <set>
#include <thread>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <nlohmann/json.hpp>

#include "realtime/websocket.hpp"

namespace webui::realtime {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

template <typename Pred>
bool Eventually(Pred pred, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

struct HttpReply {
  int status = 0;
  std::string body;
};

HttpReply Request(int port, const std::string& method, const std::string& uri,
                  const std::string& body = "") {
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
  session.setTimeout(Poco::Timespan(30, 0));
  Poco::Net::HTTPRequest req(method, uri, Poco::Net::HTTPMessage::HTTP_1_1);
  if (method == "POST") {
    req.setContentLength(static_cast<std::streamsize>(body.size()));
    req.setContentType("text/plain;charset=UTF-8");
  }
  session.sendRequest(req) << body;
  Poco::Net::HTTPResponse res;
  std::istream& in = session.receiveResponse(res);
  HttpReply out;
  out.status = res.getStatus();
  Poco::StreamCopier::copyToString(in, out.body);
  return out;
}

// A minimal WebSocket client speaking raw frames.
class RawWs {
 public:
  bool Connect(int port, const std::string& uri, std::string* response = nullptr) {
    sock_.connect(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)));
    const std::string req = "GET " + uri +
                            " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                            "Sec-WebSocket-Version: 13\r\n\r\n";
    sock_.sendBytes(req.data(), static_cast<int>(req.size()));
    std::string head;
    char c;
    sock_.setReceiveTimeout(Poco::Timespan(5, 0));
    while (head.find("\r\n\r\n") == std::string::npos) {
      if (sock_.receiveBytes(&c, 1) != 1) return false;
      head.push_back(c);
    }
    if (response) *response = head;
    return head.rfind("HTTP/1.1 101", 0) == 0 &&
           head.find("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") != std::string::npos;
  }
  static std::string Frame(ws::Opcode op, std::string_view payload, bool fin = true) {
    const unsigned char key[4] = {1, 2, 3, 4};
    std::string f;
    f.push_back(static_cast<char>((fin ? 0x80 : 0) | static_cast<int>(op)));
    const std::size_t n = payload.size();
    if (n < 126) {
      f.push_back(static_cast<char>(0x80 | n));
    } else {
      f.push_back(static_cast<char>(0x80 | 126));
      f.push_back(static_cast<char>(n >> 8));
      f.push_back(static_cast<char>(n & 0xFF));
    }
    f.append(reinterpret_cast<const char*>(key), 4);
    for (std::size_t i = 0; i < n; ++i) f.push_back(static_cast<char>(payload[i] ^ key[i % 4]));
    return f;
  }
  void SendRaw(const std::string& bytes) {
    sock_.sendBytes(bytes.data(), static_cast<int>(bytes.size()));
  }
  void Send(std::string_view text) { SendRaw(Frame(ws::Opcode::kText, text)); }
  // The next message; nullopt on EOF or timeout. Skips Engine.IO pings unless asked for.
  std::optional<ws::Message> Read(std::chrono::milliseconds timeout = 5s, bool keep_pings = false) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      while (!pending_.empty()) {
        ws::Message m = std::move(pending_.front());
        pending_.pop_front();
        if (!keep_pings && m.opcode == ws::Opcode::kText && m.payload == "2") continue;
        return m;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || eof_) return std::nullopt;
      sock_.setReceiveTimeout(Poco::Timespan(0, static_cast<long>(left.count()) * 1000));
      char buf[65536];
      int n = 0;
      try {
        n = sock_.receiveBytes(buf, sizeof buf);
      } catch (const Poco::TimeoutException&) {
        return std::nullopt;
      } catch (const Poco::Exception&) {
        n = 0;
      }
      if (n <= 0) {
        eof_ = true;
        return std::nullopt;
      }
      std::vector<ws::Message> out;
      parser_.Feed(buf, static_cast<std::size_t>(n), &out);
      for (auto& m : out) pending_.push_back(std::move(m));
    }
  }
  std::string ReadText(std::chrono::milliseconds timeout = 5s) {
    auto m = Read(timeout);
    return m && m->opcode == ws::Opcode::kText ? m->payload : "<none>";
  }
  // True when the server closes: a close frame (its code in *code) and/or EOF.
  bool WaitClosed(std::uint16_t* code = nullptr, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto m = Read(std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now()));
      if (!m) return eof_;
      if (m->opcode == ws::Opcode::kClose) {
        if (code && m->payload.size() >= 2)
          *code = static_cast<std::uint16_t>((static_cast<unsigned char>(m->payload[0]) << 8) |
                                             static_cast<unsigned char>(m->payload[1]));
        return true;
      }
    }
    return false;
  }
  std::vector<std::string> texts;

 private:
  Poco::Net::StreamSocket sock_;
  ws::FrameParser parser_{1 << 24, false};
  std::deque<ws::Message> pending_;
  bool eof_ = false;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(http::Pipeline& p) : p_(p) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    struct H final : Poco::Net::HTTPRequestHandler {
      explicit H(http::Pipeline& p) : p(p) {}
      void handleRequest(Poco::Net::HTTPServerRequest& req,
                         Poco::Net::HTTPServerResponse& res) override {
        p.Handle(req, res);
      }
      http::Pipeline& p;
    };
    return new H(p_);
  }

 private:
  http::Pipeline& p_;
};

class SocketServerTest : public ::testing::Test {
 protected:
  void Start(RealtimeOptions o = {}) {
    pipeline_ = std::make_unique<http::Pipeline>(cfg_, router_);
    // "<role>:<id>" tokens; revoked ids are rejected, role overrides apply.
    pipeline_->AddAuthenticator("test", 0, [this](http::RequestContext& ctx) {
      http::AuthOutcome out;
      auto h = ctx.Header("Authorization");
      if (!h) return out;
      std::string v(h->substr(7));
      const auto colon = v.find(':');
      out.result = http::AuthOutcome::Result::kRejected;
      if (colon == std::string::npos) return out;
      const std::string id = v.substr(colon + 1);
      std::lock_guard lock(auth_mu_);
      ++auth_calls_;
      if (revoked_.count(id)) return out;
      out.result = http::AuthOutcome::Result::kOk;
      out.caller.id = id;
      out.caller.role = roles_.count(id) ? roles_[id] : v.substr(0, colon);
      out.caller.name = "User " + id;
      return out;
    });
    kv_ = kv::KvStore::Create(kv::KvOptions{});
    server_ = std::make_unique<SocketServer>(o, *pipeline_, *kv_);
    server_->RegisterRoutes(router_);
    server_->Start();
    socket_.bind(Poco::Net::SocketAddress("127.0.0.1", 0), true, false);
    socket_.listen(64);
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(32);
    http_ =
        std::make_unique<Poco::Net::HTTPServer>(new Factory(*pipeline_), pool_, socket_, params);
    http_->start();
    port_ = socket_.address().port();
  }
  void TearDown() override {
    if (server_) server_->Stop();
    if (http_) http_->stopAll(true);
    pool_.joinAll();
  }
  // Opens a WebSocket session and CONNECTs; returns the Socket.IO sid.
  std::string Connect(RawWs& ws, const std::string& token = "") {
    EXPECT_TRUE(ws.Connect(port_, "/ws/socket.io/?EIO=4&transport=websocket"));
    const std::string open = ws.ReadText();
    EXPECT_EQ(open.substr(0, 1), "0") << open;
    ws.Send(token.empty() ? "40" : "40" + json{{"token", token}}.dump());
    const std::string connected = ws.ReadText();
    EXPECT_EQ(connected.substr(0, 2), "40") << connected;
    auto j = json::parse(connected.substr(2), nullptr, false);
    return j.is_object() && j.contains("sid") ? j["sid"].get<std::string>() : "";
  }
  // A polling session CONNECTed as `token`, then a probe WebSocket answered "3probe" while a
  // poll waited (released with a noop, as a client expects before it pauses polling).
  // Returns the Socket.IO sid and leaves `uri` as the session's polling URI.
  std::string ConnectPollingThenProbe(const std::string& token, RawWs& ws, std::string& uri) {
    auto open = Request(port_, "GET", "/ws/socket.io/?EIO=4&transport=polling");
    const std::string sid = json::parse(open.body.substr(1))["sid"];
    uri = "/ws/socket.io/?EIO=4&transport=polling&sid=" + sid;
    EXPECT_EQ(Request(port_, "POST", uri, "40" + json{{"token", token}}.dump()).body, "ok");
    const std::string connected = Request(port_, "GET", uri).body;
    EXPECT_EQ(connected.substr(0, 2), "40");
    auto j = json::parse(connected.substr(2), nullptr, false);
    // A poll waits; the probe makes it return a noop.
    auto poll = std::async(std::launch::async, [&] { return Request(port_, "GET", uri); });
    std::this_thread::sleep_for(100ms);
    EXPECT_TRUE(ws.Connect(port_, "/ws/socket.io/?EIO=4&transport=websocket&sid=" + sid));
    ws.Send("2probe");
    EXPECT_EQ(ws.ReadText(), "3probe");
    EXPECT_EQ(poll.get().body, "6");
    return j.is_object() && j.contains("sid") ? j["sid"].get<std::string>() : "";
  }
  void Revoke(const std::string& id) {
    std::lock_guard lock(auth_mu_);
    revoked_.insert(id);
  }
  void SetRole(const std::string& id, const std::string& role) {
    std::lock_guard lock(auth_mu_);
    roles_[id] = role;
  }

  config::HostConfig cfg_;
  http::Router router_;
  std::unique_ptr<http::Pipeline> pipeline_;
  std::unique_ptr<kv::KvStore> kv_;
  std::unique_ptr<SocketServer> server_;
  Poco::ThreadPool pool_{2, 32};
  Poco::Net::ServerSocket socket_;
  std::unique_ptr<Poco::Net::HTTPServer> http_;
  int port_ = 0;
  std::mutex auth_mu_;
  std::set<std::string> revoked_;
  std::map<std::string, std::string> roles_;
  int auth_calls_ = 0;
};

TEST_F(SocketServerTest, PollingHandshakeConnectAndErrors) {
  Start();
  for (const std::string base : {"/ws/socket.io/", "/socket.io/"}) {
    auto open = Request(port_, "GET", base + "?EIO=4&transport=polling&t=1");
    ASSERT_EQ(open.status, 200);
    ASSERT_EQ(open.body[0], '0');
    auto hs = json::parse(open.body.substr(1));
    EXPECT_EQ(hs["upgrades"], json::array({"websocket"}));
    EXPECT_EQ(hs["pingInterval"], 25000);
    EXPECT_EQ(hs["pingTimeout"], 20000);
    EXPECT_EQ(hs["maxPayload"], 1000000);
    const std::string sid = hs["sid"];
    const std::string uri = base + "?EIO=4&transport=polling&sid=" + sid;
    EXPECT_EQ(Request(port_, "POST", uri, "40").body, "ok");
    auto got = Request(port_, "GET", uri);
    ASSERT_EQ(got.status, 200);
    ASSERT_EQ(got.body.substr(0, 2), "40");
    EXPECT_TRUE(json::parse(got.body.substr(2)).contains("sid"));
  }
  auto unknown = Request(port_, "GET", "/socket.io/?EIO=4&transport=polling&sid=nope");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(json::parse(unknown.body), json({{"code", 1}, {"message", "Session ID unknown"}}));
  auto transport = Request(port_, "GET", "/socket.io/?EIO=4&transport=carrier-pigeon");
  EXPECT_EQ(transport.status, 400);
  EXPECT_EQ(json::parse(transport.body)["code"], 0);
  auto version = Request(port_, "GET", "/socket.io/?EIO=3&transport=polling");
  EXPECT_EQ(version.status, 400);
  EXPECT_EQ(json::parse(version.body)["code"], 5);
  auto method = Request(port_, "POST", "/socket.io/?EIO=4&transport=polling", "40");
  EXPECT_EQ(method.status, 400);
  EXPECT_EQ(json::parse(method.body)["code"], 2);
}

TEST_F(SocketServerTest, WebSocketEventsAcksFragmentsAndRooms) {
  Start();
  std::mutex mu;
  std::vector<std::string> seen;
  server_->On("echo", [&](const SocketServer::ClientEvent& ev) {
    {
      std::lock_guard lock(mu);
      seen.push_back(std::string(ev.args_json) + "|" + (ev.caller ? ev.caller->id : "-"));
    }
    if (ev.ack) (*ev.ack)(std::string("[{\"got\":") + std::string(ev.args_json) + "}]");
  });
  RawWs a, b, anon;
  const std::string sid_a = Connect(a, "user:u1");
  Connect(b, "user:u2");
  Connect(anon);
  ASSERT_FALSE(sid_a.empty());

  a.Send("421[\"echo\",\"x\"]");
  EXPECT_EQ(a.ReadText(), "431[{\"got\":[\"x\"]}]");
  // One Engine.IO packet split over three frames, a ping frame in between.
  a.SendRaw(RawWs::Frame(ws::Opcode::kText, "42[\"ec", false));
  a.SendRaw(RawWs::Frame(ws::Opcode::kPing, "hb"));
  a.SendRaw(RawWs::Frame(ws::Opcode::kContinuation, "ho\",", false));
  a.SendRaw(RawWs::Frame(ws::Opcode::kContinuation, "7]", true));
  auto pong = a.Read();
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->opcode, ws::Opcode::kPong);
  EXPECT_EQ(pong->payload, "hb");
  ASSERT_TRUE(Eventually([&] {
    std::lock_guard lock(mu);
    return seen.size() == 2;
  }));
  EXPECT_EQ(seen[0], "[\"x\"]|u1");
  EXPECT_EQ(seen[1], "[7]|u1");

  ASSERT_TRUE(server_->Emit("user:u1", "note", "{\"n\":1}"));
  EXPECT_EQ(a.ReadText(), "42[\"note\",{\"n\":1}]");
  ASSERT_TRUE(server_->Emit(sid_a, "direct", ""));
  EXPECT_EQ(a.ReadText(), "42[\"direct\"]");
  // A list of targets: a's sid and a's room name the same socket, which gets the event once.
  ASSERT_TRUE(server_->Emit(sid_a + ", user:u1,,user:u2", "list", "0"));
  EXPECT_EQ(a.ReadText(), "42[\"list\",0]");
  EXPECT_EQ(b.ReadText(), "42[\"list\",0]");
  ASSERT_TRUE(server_->Emit("", "all", "2"));
  EXPECT_EQ(a.ReadText(), "42[\"all\",2]");
  EXPECT_EQ(b.ReadText(), "42[\"all\",2]");
  EXPECT_EQ(anon.ReadText(), "42[\"all\",2]");
  // b and the anonymous socket saw nothing before the broadcast.
  EXPECT_FALSE(server_->Emit("user:u1", "bad", "{not json"));
  EXPECT_EQ(server_->stats().connected, 3u);
}

TEST_F(SocketServerTest, UserJoinAuthenticatesAnAnonymousSocket) {
  Start();
  RawWs ws;
  Connect(ws);
  ws.Send("425[\"user-join\",{\"auth\":{\"token\":\"bogus\"}}]");
  EXPECT_EQ(ws.ReadText(), "435[]");
  ws.Send("426[\"user-join\",{\"auth\":{\"token\":\"user:u9\"}}]");
  EXPECT_EQ(ws.ReadText(), "436[{\"id\":\"u9\",\"name\":\"User u9\"}]");
  ASSERT_TRUE(server_->Emit("user:u9", "hello", "1"));
  EXPECT_EQ(ws.ReadText(), "42[\"hello\",1]");
}

TEST_F(SocketServerTest, OversizedMessageClosesWith1009BeforeBuffering) {
  RealtimeOptions o;
  o.max_payload = 4096;
  Start(o);
  RawWs ws;
  Connect(ws, "user:u1");
  // Only a header announcing 1 MB is sent; the server refuses without waiting for the payload.
  std::string h;
  h.push_back(static_cast<char>(0x81));
  h.push_back(static_cast<char>(0x80 | 127));
  for (int s = 56; s >= 0; s -= 8) h.push_back(static_cast<char>((std::uint64_t{1} << 20) >> s));
  h.append("\x01\x02\x03\x04", 4);
  ws.SendRaw(h);
  std::uint16_t code = 0;
  ASSERT_TRUE(ws.WaitClosed(&code));
  EXPECT_EQ(code, ws::kCloseTooBig);
  EXPECT_TRUE(Eventually([&] { return server_->stats().sessions == 0; }));
}

TEST_F(SocketServerTest, PollingPostOverPayloadLimitIs413) {
  RealtimeOptions o;
  o.max_payload = 2048;
  Start(o);
  auto open = Request(port_, "GET", "/socket.io/?EIO=4&transport=polling");
  const std::string sid = json::parse(open.body.substr(1))["sid"];
  auto r = Request(port_, "POST", "/socket.io/?EIO=4&transport=polling&sid=" + sid,
                   "42[\"x\",\"" + std::string(4000, 'a') + "\"]");
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(Request(port_, "GET", "/socket.io/?EIO=4&transport=polling&sid=" + sid).status, 400);
}

TEST_F(SocketServerTest, SilentClientIsDroppedAfterPingTimeout) {
  RealtimeOptions o;
  o.ping_interval = 150ms;
  o.ping_timeout = 150ms;
  Start(o);
  RawWs quiet, lively;
  Connect(quiet, "user:u1");
  Connect(lively, "user:u2");
  auto ping = quiet.Read(5s, true);
  ASSERT_TRUE(ping);
  EXPECT_EQ(ping->payload, "2");
  // `lively` answers every ping for a while and stays; `quiet` never does and is closed.
  const auto until = std::chrono::steady_clock::now() + 1200ms;
  while (std::chrono::steady_clock::now() < until) {
    auto m = lively.Read(200ms, true);
    if (m && m->payload == "2") lively.Send("3");
  }
  EXPECT_TRUE(quiet.WaitClosed());
  EXPECT_EQ(server_->stats().connected, 1u);
}

TEST_F(SocketServerTest, AuthChangedDisconnectsRevokedAndRefreshesRoles) {
  RealtimeOptions o;
  o.auth_cache = std::chrono::hours(1);  // only the channel can make the change visible
  Start(o);
  server_->On("whoami", [&](const SocketServer::ClientEvent& ev) {
    if (ev.ack) (*ev.ack)(json::array({ev.caller ? ev.caller->role : ""}).dump());
  });
  RawWs admin, other;
  Connect(admin, "admin:a1");
  Connect(other, "user:u2");
  admin.Send("421[\"whoami\"]");
  EXPECT_EQ(admin.ReadText(), "431[\"admin\"]");
  SetRole("a1", "user");
  admin.Send("422[\"whoami\"]");
  EXPECT_EQ(admin.ReadText(), "432[\"admin\"]");  // cached, nobody said anything changed
  kv_->Publish(kAuthChangedChannel, "a1");
  ASSERT_TRUE(Eventually([&] {
    admin.Send("423[\"whoami\"]");
    return admin.ReadText() == "433[\"user\"]";
  }));
  Revoke("a1");
  kv_->Publish(kAuthChangedChannel, "a1");
  EXPECT_EQ(admin.ReadText(), "41");  // Socket.IO DISCONNECT: the client will not reconnect
  EXPECT_TRUE(admin.WaitClosed());
  // The other user is untouched.
  other.Send("421[\"whoami\"]");
  EXPECT_EQ(other.ReadText(), "431[\"user\"]");
}

TEST_F(SocketServerTest, EveryEventRechecksTheTokenWithoutCache) {
  RealtimeOptions o;
  o.auth_cache = 0ms;
  Start(o);
  server_->On("whoami", [&](const SocketServer::ClientEvent& ev) {
    if (ev.ack) (*ev.ack)(json::array({ev.caller ? ev.caller->role : ""}).dump());
  });
  RawWs ws;
  Connect(ws, "admin:a2");
  SetRole("a2", "pending");
  ws.Send("421[\"whoami\"]");
  EXPECT_EQ(ws.ReadText(), "431[\"pending\"]");
  Revoke("a2");  // silently: no channel message
  ws.Send("422[\"whoami\"]");
  EXPECT_EQ(ws.ReadText(), "41");
  EXPECT_TRUE(ws.WaitClosed());
}

TEST_F(SocketServerTest, UpgradeFromPolling) {
  Start();
  RawWs ws;
  std::string uri;
  const std::string sio_sid = ConnectPollingThenProbe("user:u5", ws, uri);
  ws.Send("5");
  ASSERT_TRUE(Eventually([&] {
    return Request(port_, "GET", uri).status == 400;  // polling is over for this session
  }));
  ASSERT_TRUE(server_->Emit(sio_sid, "after-upgrade", "true"));
  EXPECT_EQ(ws.ReadText(), "42[\"after-upgrade\",true]");
}

TEST_F(SocketServerTest, CapsRefuseCleanly) {
  RealtimeOptions o;
  o.max_total = 2;
  o.max_per_user = 1;
  Start(o);
  RawWs a, b;
  Connect(a, "user:u1");
  ASSERT_TRUE(b.Connect(port_, "/socket.io/?EIO=4&transport=websocket"));
  EXPECT_EQ(b.ReadText().substr(0, 1), "0");
  b.Send("40{\"token\":\"user:u1\"}");
  EXPECT_EQ(b.ReadText(), "44{\"message\":\"Too many connections for this user\"}");
  EXPECT_TRUE(b.WaitClosed());  // a refused session holds no slot
  ASSERT_TRUE(Eventually([&] { return server_->stats().sessions == 1; }));
  RawWs b2;
  Connect(b2, "user:u2");
  auto third = Request(port_, "GET", "/socket.io/?EIO=4&transport=polling");
  EXPECT_EQ(third.status, 503);
  EXPECT_EQ(json::parse(third.body)["code"], 4);
  RawWs c;
  std::string head;
  EXPECT_FALSE(c.Connect(port_, "/socket.io/?EIO=4&transport=websocket", &head));
  EXPECT_EQ(head.rfind("HTTP/1.1 503", 0), 0u) << head;
}

// The issue this guards: anonymous sockets used to count against the total cap only, so enough
// of them locked signed-in users out. They now have their own cap, at most half the total.
TEST_F(SocketServerTest, AnonymousSocketsCannotLockSignedInUsersOut) {
  RealtimeOptions o;
  o.max_total = 8;
  o.max_anonymous = 100;  // more than the total allows: 4 (half) is what applies
  Start(o);
  std::vector<std::unique_ptr<RawWs>> anon;
  for (int i = 0; i < 4; ++i) {
    anon.push_back(std::make_unique<RawWs>());
    ASSERT_FALSE(Connect(*anon.back()).empty()) << i;
  }
  EXPECT_EQ(server_->stats().anonymous, 4u);
  // The fifth anonymous CONNECT is refused and its session closed at once (no slot held).
  RawWs refused;
  ASSERT_TRUE(refused.Connect(port_, "/socket.io/?EIO=4&transport=websocket"));
  EXPECT_EQ(refused.ReadText().substr(0, 1), "0");
  refused.Send("40");
  EXPECT_EQ(refused.ReadText(), "44{\"message\":\"Too many anonymous connections\"}");
  EXPECT_TRUE(refused.WaitClosed());
  ASSERT_TRUE(Eventually([&] { return server_->stats().sessions == 4; }));
  // Signed-in users still get in, on both transports, and receive events.
  RawWs user;
  const std::string sid = Connect(user, "user:u1");
  ASSERT_FALSE(sid.empty());
  auto open = Request(port_, "GET", "/socket.io/?EIO=4&transport=polling");
  ASSERT_EQ(open.status, 200);
  const std::string uri = "/socket.io/?EIO=4&transport=polling&sid=" +
                          json::parse(open.body.substr(1))["sid"].get<std::string>();
  ASSERT_EQ(Request(port_, "POST", uri, "40{\"token\":\"user:u2\"}").body, "ok");
  ASSERT_EQ(Request(port_, "GET", uri).body.substr(0, 2), "40");
  ASSERT_TRUE(server_->Emit("user:u1,user:u2", "hello", "1"));
  EXPECT_EQ(user.ReadText(), "42[\"hello\",1]");
  EXPECT_EQ(Request(port_, "GET", uri).body, "42[\"hello\",1]");
  // An anonymous socket that signs in (user-join) frees its anonymous slot.
  anon[0]->Send("421[\"user-join\",{\"auth\":{\"token\":\"user:u3\"}}]");
  EXPECT_EQ(anon[0]->ReadText(), "431[{\"id\":\"u3\",\"name\":\"User u3\"}]");
  EXPECT_EQ(server_->stats().anonymous, 3u);
  RawWs another;
  EXPECT_FALSE(Connect(another).empty());
  EXPECT_EQ(server_->stats().anonymous, 4u);
  // Closing an anonymous socket frees its slot too.
  anon[1].reset();
  ASSERT_TRUE(Eventually([&] { return server_->stats().anonymous == 3u; }));
}

TEST_F(SocketServerTest, SessionsWithoutConnectAreClosedAtTheDeadline) {
  RealtimeOptions o;
  o.connect_timeout = 300ms;
  Start(o);
  const auto start = std::chrono::steady_clock::now();
  RawWs idle;
  ASSERT_TRUE(idle.Connect(port_, "/socket.io/?EIO=4&transport=websocket"));
  EXPECT_EQ(idle.ReadText().substr(0, 1), "0");
  // A polling session that is never polled and never sends CONNECT.
  auto open = Request(port_, "GET", "/socket.io/?EIO=4&transport=polling");
  const std::string sid = json::parse(open.body.substr(1))["sid"];
  EXPECT_EQ(server_->stats().sessions, 2u);
  EXPECT_TRUE(idle.WaitClosed(nullptr, 10s));
  ASSERT_TRUE(Eventually([&] { return server_->stats().sessions == 0; }));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 300ms);
  EXPECT_EQ(Request(port_, "GET", "/socket.io/?EIO=4&transport=polling&sid=" + sid).status, 400);
}

TEST(RealtimeOptionsTest, AnonymousCapsAndAShortConnectDeadline) {
  const auto defaults = RealtimeOptions::FromSettings(config::Settings::FromMap({}));
  EXPECT_EQ(defaults.connect_timeout, 5000ms);  // Open WebUI's client CONNECTs at once
  EXPECT_EQ(defaults.max_anonymous, 100u);
  EXPECT_EQ(defaults.max_anonymous_per_ip, 0u);
  const auto set = RealtimeOptions::FromSettings(
      config::Settings::FromMap({{"WEBUI_SOCKET_MAX_ANONYMOUS", "16"},
                                 {"WEBUI_SOCKET_MAX_ANONYMOUS_PER_IP", "4"},
                                 {"WEBUI_SOCKET_CONNECT_TIMEOUT_MS", "2000"}}));
  EXPECT_EQ(set.max_anonymous, 16u);
  EXPECT_EQ(set.max_anonymous_per_ip, 4u);
  EXPECT_EQ(set.connect_timeout, 2000ms);
  EXPECT_THROW(RealtimeOptions::FromSettings(
                   config::Settings::FromMap({{"WEBUI_SOCKET_MAX_ANONYMOUS", "-1"}})),
               config::ConfigError);
}

TEST_F(SocketServerTest, UnauthenticatedSessionsPerAddressAreCapped) {
  RealtimeOptions o;
  o.max_anonymous_per_ip = 2;
  Start(o);
  RawWs a, b;
  ASSERT_TRUE(a.Connect(port_, "/socket.io/?EIO=4&transport=websocket"));
  EXPECT_EQ(a.ReadText().substr(0, 1), "0");
  ASSERT_TRUE(b.Connect(port_, "/socket.io/?EIO=4&transport=websocket"));
  EXPECT_EQ(b.ReadText().substr(0, 1), "0");
  auto third = Request(port_, "GET", "/socket.io/?EIO=4&transport=polling");
  EXPECT_EQ(third.status, 503);
  EXPECT_EQ(json::parse(third.body)["code"], 4);
  // A session that signs in stops counting against its address.
  a.Send("40{\"token\":\"user:u1\"}");
  EXPECT_EQ(a.ReadText().substr(0, 2), "40");
  EXPECT_EQ(Request(port_, "GET", "/socket.io/?EIO=4&transport=polling").status, 200);
  EXPECT_EQ(Request(port_, "GET", "/socket.io/?EIO=4&transport=polling").status, 503);
}

// socket_emitter.v1 through a plugin's own handle: its handlers go quiet while the plugin is
// disabled and hear again once it is enabled.
TEST_F(SocketServerTest, HandlersOfADisabledPluginReceiveNothing) {
  Start();
  struct Probe {
    std::mutex mu;
    std::vector<std::string> seen;
  } probe;
  std::atomic<bool> enabled{true};
  void* user = server_->EmitterUserFor("probe", [&] { return enabled.load(); });
  EXPECT_EQ(user, server_->EmitterUserFor("probe", [] { return true; }));  // one per owner
  const wh_socket_emitter_v1* vt = server_->emitter();
  std::uint64_t id = 0;
  auto fn = [](void* u, wh_str, const wh_caller*, wh_str, wh_str data, wh_str_sink ack,
               void* ack_user) {
    auto* p = static_cast<Probe*>(u);
    {
      std::lock_guard lock(p->mu);
      p->seen.emplace_back(data.ptr, data.len);
    }
    if (ack) ack(ack_user, wh_str{"[1]", 3});
  };
  ASSERT_EQ(vt->on(user, wh_str{"ev", 2}, fn, &probe, &id), WH_OK);
  // The host's own handle is always enabled.
  std::atomic<int> host_calls{0};
  server_->On("ev", [&](const SocketServer::ClientEvent&) { ++host_calls; });
  RawWs ws;
  Connect(ws, "user:u1");
  ws.Send("421[\"ev\",\"before\"]");
  EXPECT_EQ(ws.ReadText(), "431[1]");
  enabled = false;
  ws.Send("422[\"ev\",\"during\"]");
  ws.Send("42[\"ev\",\"during-no-ack\"]");
  // The host's handler runs after the plugin's for each event: once it saw both, they are over.
  ASSERT_TRUE(Eventually([&] { return host_calls.load() == 3; }));
  enabled = true;
  ws.Send("423[\"ev\",\"after\"]");
  // Events run in order per socket: once "after" is answered, "during" was skipped, not late.
  EXPECT_EQ(ws.ReadText(), "433[1]");
  {
    std::lock_guard lock(probe.mu);
    EXPECT_EQ(probe.seen, (std::vector<std::string>{"[\"before\"]", "[\"after\"]"}));
  }
  EXPECT_TRUE(Eventually([&] { return host_calls.load() == 4; }));
  EXPECT_EQ(vt->off(user, id), WH_OK);
}

// Engine.IO's maxHttpBufferSize: the host answers 413 from the headers alone, without waiting
// for (or buffering) the body, and the session is over.
TEST_F(SocketServerTest, OversizedPollingPostIsRefusedBeforeItsBodyIsRead) {
  RealtimeOptions o;
  o.max_payload = 2048;
  Start(o);
  auto open = Request(port_, "GET", "/socket.io/?EIO=4&transport=polling");
  const std::string sid = json::parse(open.body.substr(1))["sid"];
  Poco::Net::StreamSocket sock;
  sock.connect(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port_)));
  const std::string head = "POST /socket.io/?EIO=4&transport=polling&sid=" + sid +
                           " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
                           "Content-Length: 4096\r\n\r\n";
  sock.sendBytes(head.data(), static_cast<int>(head.size()));
  sock.setReceiveTimeout(Poco::Timespan(10, 0));
  std::string reply;
  char buf[4096];
  try {
    while (reply.find("\r\n\r\n") == std::string::npos) {
      const int n = sock.receiveBytes(buf, sizeof buf);
      if (n <= 0) break;
      reply.append(buf, static_cast<std::size_t>(n));
    }
  } catch (const Poco::TimeoutException&) {
  }
  EXPECT_EQ(reply.rfind("HTTP/1.1 413", 0), 0u) << reply;
  EXPECT_EQ(Request(port_, "GET", "/socket.io/?EIO=4&transport=polling&sid=" + sid).status, 400);
  // A chunked body (no length announced) is cut off at the limit as well.
  auto open2 = Request(port_, "GET", "/socket.io/?EIO=4&transport=polling");
  const std::string sid2 = json::parse(open2.body.substr(1))["sid"];
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port_));
  session.setTimeout(Poco::Timespan(10, 0));
  Poco::Net::HTTPRequest req("POST", "/socket.io/?EIO=4&transport=polling&sid=" + sid2,
                             Poco::Net::HTTPMessage::HTTP_1_1);
  req.setChunkedTransferEncoding(true);
  session.sendRequest(req) << "42[\"x\",\"" << std::string(3000, 'a') << "\"]";
  Poco::Net::HTTPResponse res;
  session.receiveResponse(res);
  EXPECT_EQ(res.getStatus(), 413);
  EXPECT_EQ(Request(port_, "GET", "/socket.io/?EIO=4&transport=polling&sid=" + sid2).status, 400);
}

TEST_F(SocketServerTest, StopClosesEverySocket) {
  Start();
  RawWs a, b;
  Connect(a, "user:u1");
  Connect(b);
  auto open = Request(port_, "GET", "/socket.io/?EIO=4&transport=polling");
  const std::string sid = json::parse(open.body.substr(1))["sid"];
  auto poll = std::async(std::launch::async, [&] {
    return Request(port_, "GET", "/socket.io/?EIO=4&transport=polling&sid=" + sid);
  });
  std::this_thread::sleep_for(100ms);
  server_->Stop();
  EXPECT_EQ(a.ReadText(), "1");
  std::uint16_t code = 0;
  EXPECT_TRUE(a.WaitClosed(&code));
  EXPECT_EQ(code, ws::kCloseGoingAway);
  EXPECT_TRUE(b.WaitClosed());
  EXPECT_EQ(poll.get().body, "1");
  EXPECT_EQ(server_->stats().websockets, 0u);
}

// A client that has read "3probe" pauses polling and only speaks on the probe until its "5":
// a stop in that window must reach it there, or it hangs until its ping timeout (engine.io-client
// never polls again after a failed probe while paused).
TEST_F(SocketServerTest, StopDuringAnUpgradeReachesTheClientOnTheProbe) {
  Start();
  RawWs ws;
  std::string uri;
  ConnectPollingThenProbe("user:u6", ws, uri);  // the client pauses polling now
  auto stopped = std::async(std::launch::async, [&] { server_->Stop(); });
  std::this_thread::sleep_for(50ms);
  ws.Send("5");
  EXPECT_EQ(ws.ReadText(), "1");
  std::uint16_t code = 0;
  EXPECT_TRUE(ws.WaitClosed(&code));
  EXPECT_EQ(code, ws::kCloseGoingAway);
  stopped.get();
}

}  // namespace
}  // namespace webui::realtime
