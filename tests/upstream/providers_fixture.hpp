// A host with the openai, ollama, test_auth and provider_probe plugins, wired to two test
// upstreams and to broken ones:
//
//   upstream A  (API key "key-a"; every behaviour model; Ollama version 0.6.5)
//   upstream B  (no key; models b-model and shared-model; Ollama version 0.5.1)
//   a black hole (accepts, never answers) and a refused port
//
//   OpenAI connections  0: A/v1 (key-a)               3: refused/v1, model_ids [refused-model]
//                       1: hole/v1, model_ids [dead-model]
//                       2: B/v1, prefix_id "b"        4: A/v1 with a wrong key, model_ids
//                                                        [wrongkey-model]
//   Ollama connections  0: A (key-a)  1: B  2: B, disabled
//
// AIOHTTP_CLIENT_TIMEOUT=2 and AIOHTTP_CLIENT_TIMEOUT_MODEL_LIST=2 keep the timeout cases short.
#pragma once

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/StreamSocket.h>

#include "it_support.hpp"
#include "upstream_double.hpp"

namespace webui::testing {

// What the test upstreams answer to the prompt "one two three".
inline const std::string kText = "Hello! You said: one two three";

using nlohmann::json;
using Clock = std::chrono::steady_clock;

inline const char* const kUpstreamAModels =
    "gpt-test,gpt-slow,gpt-hang-headers,gpt-hang-mid,gpt-reset-mid,gpt-error-500,gpt-bad-json,"
    "text-embedding-test,shared-model,llama-test,llama-slow,llama-hang-headers,llama-reset-mid,"
    "gpt-done-hang,llama-done-hang";
inline const char* const kReadTimeoutSeconds = "2";

inline std::string PluginPathWithProbe() {
  return std::string(WEBUI_PLUGIN_BUILD_DIR) + ":" + PluginDir("good") + ":" +
         WEBUI_PROBE_PLUGIN_DIR;
}

// Env for a host that loads only these plugins (another helper's plugins may sit in the same
// build dir) and ignores any provider settings of the developer's environment.
inline std::map<std::string, std::string> ProviderHostEnv(const Backend& backend) {
  auto env = backend.Env();
  env["WEBUI_PLUGINS"] = "openai,ollama,test_auth,provider_probe";
  env["WEBUI_PLUGIN_PATH"] = PluginPathWithProbe();
  env["AIOHTTP_CLIENT_TIMEOUT"] = kReadTimeoutSeconds;
  env["AIOHTTP_CLIENT_TIMEOUT_MODEL_LIST"] = "2";
  env["ENABLE_OPENAI_API"] = "true";
  env["ENABLE_OLLAMA_API"] = "true";
  for (const char* k : {"OPENAI_API_BASE_URL", "OPENAI_API_BASE_URLS", "OPENAI_API_KEY",
                        "OPENAI_API_KEYS", "OLLAMA_BASE_URL", "OLLAMA_BASE_URLS",
                        "OLLAMA_API_BASE_URL", "ENABLE_FORWARD_USER_INFO_HEADERS"})
    env[k] = "";
  env["OPENAI_API_CONFIGS"] = "{}";
  env["OLLAMA_API_CONFIGS"] = "{}";
  env["MODELS_CACHE_TTL"] = "1";
  env["ENABLE_METRICS"] = "true";  // upstream failures per connection (loopback may scrape)
  return env;
}

class ProvidersWorld {
 public:
  ProvidersWorld()
      : a({"--api-key", "key-a", "--models", kUpstreamAModels}),
        b({"--models", "b-model,shared-model", "--ollama-version", "0.5.1", "--delay-ms", "10"}) {}

  bool Start(std::string* why) {
    if (!a.Start(why) || !b.Start(why)) return false;
    refused_port = RefusedPort();
    const std::string refused = "http://127.0.0.1:" + std::to_string(refused_port);
    HostProcess::Options o;
    o.env = ProviderHostEnv(backend);
    o.env["OPENAI_API_BASE_URLS"] = a.BaseUrl() + "/v1;" + hole.BaseUrl() + "/v1;" + b.BaseUrl() +
                                    "/v1;" + refused + "/v1;" + a.BaseUrl() + "/v1";
    o.env["OPENAI_API_KEYS"] = "key-a;;;;wrong-key";
    o.env["OPENAI_API_CONFIGS"] = json{{"1", {{"model_ids", {"dead-model"}}}},
                                       {"2", {{"prefix_id", "b"}}},
                                       {"3", {{"model_ids", {"refused-model"}}}},
                                       {"4", {{"model_ids", {"wrongkey-model"}}}}}
                                      .dump();
    o.env["OLLAMA_BASE_URLS"] = a.BaseUrl() + ";" + b.BaseUrl() + ";" + b.BaseUrl();
    o.env["OLLAMA_API_CONFIGS"] =
        json{{"0", {{"key", "key-a"}}}, {"2", {{"enable", false}}}}.dump();
    host = std::make_unique<HostProcess>(o);
    return host->Start(why);
  }

  Backend backend;
  UpstreamDouble a, b;
  BlackHole hole;
  int refused_port = 0;
  std::unique_ptr<HostProcess> host;
};

// For a test that needs a host of its own (settings that survive a restart): two upstreams with
// server.js options `a_args` and `b_args`, and a provider host's options over the backend, with
// no connection set yet.
struct OwnProviderHost {
  OwnProviderHost(std::vector<std::string> a_args, std::vector<std::string> b_args)
      : a(std::move(a_args)), b(std::move(b_args)) {
    options.env = ProviderHostEnv(backend);
  }
  bool StartUpstreams(std::string* why) { return a.Start(why) && b.Start(why); }

  Backend backend;
  UpstreamDouble a, b;
  HostProcess::Options options;
};

// One world per test suite, shared by its tests (CTest runs a suite at a time: webui_add_suites).
class ProvidersTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string why;
    if (BackendUnavailable(&why)) return;
    world_ = new ProvidersWorld();
    if (!world_->Start(&why)) error_ = new std::string(why);
  }
  static void TearDownTestSuite() {
    delete world_;
    delete error_;
    world_ = nullptr;
    error_ = nullptr;
  }
  void SetUp() override {
    WH_REQUIRE_BACKEND();
    ASSERT_EQ(error_, nullptr) << *error_;
    world_->a.Reset();
    world_->b.Reset();
  }
  static ProvidersWorld& world() { return *world_; }
  static HostProcess& host() { return *world_->host; }
  static UpstreamDouble& a() { return world_->a; }
  static UpstreamDouble& b() { return world_->b; }

  static inline ProvidersWorld* world_ = nullptr;
  static inline std::string* error_ = nullptr;
};

// Refused for lack of rights: 401 or 403 (the host's auth levels follow Open WebUI: 403 for a
// missing token, 401 for a user on an admin route).
inline bool Denied(const HttpResult& r) { return r.status == 401 || r.status == 403; }

inline long long WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline std::string ChatBody(const std::string& model, const std::string& text, bool stream) {
  return json{
      {"model", model}, {"stream", stream}, {"messages", {{{"role", "user"}, {"content", text}}}}}
      .dump();
}

// A streamed response read line by line, with the arrival time of each line.
struct StreamedResponse {
  int status = 0;
  std::string content_type, cache_control, accel_buffering;
  std::vector<std::string> lines;  // non-empty lines
  std::vector<Clock::time_point> arrivals;
};

inline StreamedResponse PostStreaming(int port, const std::string& path, const std::string& body,
                                      const HeaderList& headers) {
  Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(port));
  s.setTimeout(Poco::Timespan(30, 0));
  Poco::Net::HTTPRequest req("POST", path, Poco::Net::HTTPMessage::HTTP_1_1);
  for (const auto& [k, v] : headers) req.add(k, v);
  req.setContentType("application/json");
  req.setContentLength(static_cast<std::streamsize>(body.size()));
  s.sendRequest(req) << body;
  Poco::Net::HTTPResponse res;
  std::istream& in = s.receiveResponse(res);
  StreamedResponse out;
  out.status = res.getStatus();
  out.content_type = res.getContentType();
  out.cache_control = res.get("Cache-Control", "");
  out.accel_buffering = res.get("X-Accel-Buffering", "");
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    out.lines.push_back(line);
    out.arrivals.push_back(Clock::now());
  }
  return out;
}

// Sends a request on a raw socket, waits until `until` appears in what came back (empty: do not
// wait), then closes the connection. Returns the wall-clock ms of the close.
inline long long PostAndLeave(int port, const std::string& path, const std::string& body,
                              const HeaderList& headers, const std::string& until,
                              std::chrono::milliseconds wait_before_close = {}) {
  Poco::Net::StreamSocket sock(Poco::Net::SocketAddress("127.0.0.1", port));
  std::string req = "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  sock.sendBytes(req.data(), static_cast<int>(req.size()));
  sock.setReceiveTimeout(Poco::Timespan(10, 0));
  std::string got;
  while (!until.empty() && got.find(until) == std::string::npos) {
    char buf[4096];
    const int n = sock.receiveBytes(buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  std::this_thread::sleep_for(wait_before_close);
  const long long t = WallMs();
  sock.close();
  return t;
}

// The upstream's log entry of the request whose `field` is `value`, once the client closed it
// (3 s at the most); null when it did not.
inline json WaitClosedByClient(UpstreamDouble& upstream, const char* field,
                               const std::string& value) {
  return upstream.WaitFor(
      [&](const json& r) {
        return r.value(field, json()) == value && r.value("closed_by_client", false);
      },
      std::chrono::seconds(3));
}

// The upstream's log shows the request whose `field` is `value` closed by the client (3 s at the
// most) within a second of `closed_at`, the wall-clock ms the client left.
inline void ExpectClosedByClientWithinOneSecond(UpstreamDouble& upstream, const char* field,
                                                const std::string& value, long long closed_at) {
  json seen = WaitClosedByClient(upstream, field, value);
  ASSERT_FALSE(seen.is_null()) << upstream.Log().dump();
  EXPECT_LE(seen["t_closed"].get<long long>() - closed_at, 1000);
}

// A client that leaves once "Hello!" streamed by: the upstream sees its request closed soon.
inline void ExpectLeavingMidStreamClosesTheUpstream(int port, UpstreamDouble& upstream,
                                                    const std::string& path,
                                                    const std::string& body,
                                                    const HeaderList& headers, const char* field,
                                                    const std::string& value) {
  const long long closed_at = PostAndLeave(port, path, body, headers, "Hello!");
  ExpectClosedByClientWithinOneSecond(upstream, field, value, closed_at);
}

// A stream whose upstream stays open after its end marker ("data: [DONE]", a "done": true
// line): the client's stream carried `text` (kText), ended with the marker (`ends_with_marker`)
// and no error, and the relay dropped the upstream connection to `upstream_path` itself.
inline void ExpectEndedByItsMarker(const StreamedResponse& r, const std::string& text,
                                   bool ends_with_marker, UpstreamDouble& upstream,
                                   const std::string& upstream_path) {
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(text, kText);
  EXPECT_TRUE(ends_with_marker) << (r.lines.empty() ? "(no lines)" : r.lines.back());
  for (const auto& l : r.lines) EXPECT_EQ(l.find("error"), std::string::npos) << l;
  EXPECT_FALSE(WaitClosedByClient(upstream, "path", upstream_path).is_null())
      << upstream.Log().dump();
}

// Concatenated delta contents of OpenAI SSE lines.
inline std::string SseText(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& l : lines) {
    if (l.rfind("data: ", 0) != 0 || l == "data: [DONE]") continue;
    json j = json::parse(l.substr(6), nullptr, false);
    if (j.is_discarded() || !j.contains("choices")) continue;
    for (const auto& c : j["choices"])
      if (c.contains("delta") && c["delta"].contains("content") &&
          c["delta"]["content"].is_string())
        text += c["delta"]["content"].get<std::string>();
  }
  return text;
}

// Starts the web UI's background completion of "a1"; returns the task id.
inline std::string StartBackground(HostProcess& host, const HeaderList& who,
                                   const std::string& chat_id, const std::string& model,
                                   const std::string& question) {
  const json body = {{"model", model},
                     {"stream", true},
                     {"messages", {{{"role", "user"}, {"content", question}}}},
                     {"session_id", "sid-1"},
                     {"chat_id", chat_id},
                     {"id", "a1"},
                     {"background_tasks", {{"title_generation", false}}}};
  auto r = host.Post("/api/chat/completions", body.dump(), who);
  EXPECT_EQ(r.status, 200) << r.body;
  return r.Json().value("task_id", "");
}

}  // namespace webui::testing
