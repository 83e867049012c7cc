// The SDK's relayed-stream wrapper (Response::Relay, Host::RelayBlocking) against a fake host
// table: ownership of the handler, the fallback on a host without the relay, exceptions turned
// into answers, and the blocking path's outcomes and forwarding.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <webui_host/sdk.hpp>

namespace webui::sdk {
namespace {

// What the fake host saw.
struct Fake {
  const wh_relay_handler* handler = nullptr;
  wh_relay_handler handler_copy{};
  void* user = nullptr;
  wh_status relay_result = WH_OK;
  bool release_on_failure = true;
  std::vector<std::string> calls;
  // The fake http_fetch's script: head, then these pieces, then `fetch_result`.
  std::vector<std::string> pieces;
  wh_status fetch_result = WH_OK;
};
Fake* fake = nullptr;

wh_relay_host_ptr* const kRelay = reinterpret_cast<wh_relay_host_ptr*>(0x10);
wh_response_host_ptr* const kRes = reinterpret_cast<wh_response_host_ptr*>(0x20);

std::string S(wh_str s) { return std::string(FromWh(s)); }

wh_host_api MakeApi(bool with_relay) {
  wh_host_api api{};
  api.struct_size = with_relay ? sizeof(wh_host_api) : offsetof(wh_host_api, res_relay);
  api.abi_major = 1;
  api.abi_minor = with_relay ? 1 : 0;
  api.res_set_status = [](wh_response_host_ptr*, int status) {
    fake->calls.push_back("status " + std::to_string(status));
    return WH_OK;
  };
  api.res_set_header = [](wh_response_host_ptr*, wh_str name, wh_str value) {
    fake->calls.push_back("header " + S(name) + ": " + S(value));
    return WH_OK;
  };
  api.res_send = [](wh_response_host_ptr*, wh_str body) {
    fake->calls.push_back("send " + S(body));
    return WH_OK;
  };
  api.res_send_error = [](wh_response_host_ptr*, int status, wh_str detail) {
    fake->calls.push_back("error " + std::to_string(status) + " " + S(detail));
    return WH_OK;
  };
  api.res_stream_begin = [](wh_response_host_ptr*, wh_str type) {
    fake->calls.push_back("begin " + S(type));
    return WH_OK;
  };
  api.res_stream_write = [](wh_response_host_ptr*, wh_str chunk) {
    fake->calls.push_back("write " + S(chunk));
    return WH_OK;
  };
  api.res_client_connected = [](wh_response_host_ptr*) { return 1; };
  api.http_fetch = [](wh_plugin_host_ptr*, const wh_http_request*, wh_http_head_fn on_head,
                      wh_http_data_fn on_data, void* user, wh_str_sink error, void* error_user) {
    wh_header h{ToWh("Content-Type"), ToWh("text/event-stream")};
    if (on_head(user, 200, &h, 1) != 0) return WH_ABORTED;
    for (const auto& p : fake->pieces)
      if (on_data(user, ToWh(p)) != 0) return WH_ABORTED;
    if (fake->fetch_result != WH_OK) error(error_user, ToWh("reset by 10.0.0.1"));
    return fake->fetch_result;
  };
  if (with_relay) {
    api.res_relay = [](wh_response_host_ptr*, const wh_http_request*, const wh_relay_handler* h,
                       void* user) {
      fake->handler_copy = *h;
      fake->handler = &fake->handler_copy;
      fake->user = user;
      if (fake->relay_result != WH_OK && fake->release_on_failure) h->release(user);
      return fake->relay_result;
    };
    api.relay_begin_stream = [](wh_relay_host_ptr*, int status, wh_str type) {
      fake->calls.push_back("relay begin " + std::to_string(status) + " " + S(type));
      return WH_OK;
    };
    api.relay_write = [](wh_relay_host_ptr*, wh_str bytes) {
      fake->calls.push_back("relay write " + S(bytes));
      return WH_OK;
    };
    api.relay_respond = [](wh_relay_host_ptr*, int status, wh_str type, wh_str body) {
      fake->calls.push_back("relay respond " + std::to_string(status) + " [" + S(type) + "] " +
                            S(body));
      return WH_OK;
    };
  }
  return api;
}

// Streams what it gets; throws when told to; records what it saw.
class Recorder : public RelayHandler {
 public:
  explicit Recorder(bool* destroyed = nullptr) : destroyed_(destroyed) {}
  ~Recorder() override {
    if (destroyed_ != nullptr) *destroyed_ = true;
  }
  bool OnHead(Relay& r, int status, const Headers& headers) override {
    if (throw_in_head) throw HttpError(418, "teapot");
    ASSERT_HEAD(status, headers);
    r.BeginStream(200, "text/event-stream");
    return true;
  }
  bool OnData(Relay&, std::string_view chunk) override {
    seen.emplace_back(chunk);
    return chunk != "end";
  }
  void OnEnd(Relay& r, wh_status o, std::string_view message) override {
    outcome = o;
    end_message = std::string(message);
    if (o != WH_OK) r.Write("error event");
  }
  static void ASSERT_HEAD(int status, const Headers& headers) {
    EXPECT_EQ(status, 200);
    ASSERT_EQ(headers.size(), 1u);
    EXPECT_EQ(headers[0].second, "text/event-stream");
  }

  bool throw_in_head = false;
  std::vector<std::string> seen;
  wh_status outcome = WH_INVALID;
  std::string end_message;

 private:
  bool* destroyed_;
};

class SdkRelay : public ::testing::Test {
 protected:
  void SetUp() override { fake = &state; }
  void TearDown() override { fake = nullptr; }
  Fake state;
};

TEST_F(SdkRelay, TheHostOwnsTheHandlerUntilRelease) {
  const wh_host_api api = MakeApi(true);
  Response res(&api, kRes);
  bool destroyed = false;
  FetchRequest f;
  f.url = "http://up/x";
  ASSERT_TRUE(res.Relay(f, std::make_unique<Recorder>(&destroyed), true));
  EXPECT_TRUE(res.started());  // the route thunk must not answer any more
  ASSERT_NE(state.handler, nullptr);
  EXPECT_EQ(state.handler->forward_body, 1);
  wh_header h{ToWh("Content-Type"), ToWh("text/event-stream")};
  EXPECT_EQ(state.handler->on_head(state.user, kRelay, 200, &h, 1), 0);
  EXPECT_EQ(state.handler->on_data(state.user, kRelay, ToWh("")), 0);  // never reaches OnData
  EXPECT_EQ(state.handler->on_data(state.user, kRelay, ToWh("a")), 0);
  EXPECT_EQ(state.handler->on_data(state.user, kRelay, ToWh("end")), 1);  // complete
  state.handler->on_end(state.user, kRelay, WH_TIMEOUT, ToWh("silent"));
  EXPECT_FALSE(destroyed);
  state.handler->release(state.user);
  EXPECT_TRUE(destroyed);
  EXPECT_EQ(state.calls, (std::vector<std::string>{"relay begin 200 text/event-stream",
                                                   "relay write error event"}));
}

TEST_F(SdkRelay, AHostWithoutTheRelayRefusesAndTheHandlerIsGone) {
  const wh_host_api api = MakeApi(false);
  Response res(&api, kRes);
  bool destroyed = false;
  EXPECT_FALSE(res.Relay(FetchRequest{}, std::make_unique<Recorder>(&destroyed), true));
  EXPECT_TRUE(destroyed);
  EXPECT_FALSE(res.started());
  EXPECT_TRUE(state.calls.empty());
}

TEST_F(SdkRelay, ARefusedRelayIsReleasedByTheHostAndLeavesTheResponseFree) {
  const wh_host_api api = MakeApi(true);
  state.relay_result = WH_INVALID;
  Response res(&api, kRes);
  bool destroyed = false;
  EXPECT_FALSE(res.Relay(FetchRequest{}, std::make_unique<Recorder>(&destroyed), true));
  EXPECT_TRUE(destroyed);
  EXPECT_FALSE(res.started());
}

TEST_F(SdkRelay, AnHttpErrorInACallbackAnswersAndOnEndSeesAnError) {
  const wh_host_api api = MakeApi(true);
  Response res(&api, kRes);
  auto handler = std::make_unique<Recorder>();
  Recorder* seen = handler.get();
  seen->throw_in_head = true;
  ASSERT_TRUE(res.Relay(FetchRequest{}, std::move(handler), true));
  EXPECT_EQ(state.handler->on_head(state.user, kRelay, 200, nullptr, 0), 1);
  state.handler->on_end(state.user, kRelay, WH_OK, ToWh(""));
  EXPECT_EQ(seen->outcome, WH_ERROR);
  EXPECT_EQ(seen->end_message, "teapot");
  state.handler->release(state.user);
  EXPECT_EQ(state.calls, (std::vector<std::string>{"relay respond 418 [] teapot"}));
}

TEST_F(SdkRelay, BlockingFallbackForwardsTheBodyAndReportsABrokenUpstreamAsError) {
  const wh_host_api api = MakeApi(false);
  Host host(&api, nullptr);
  Response res(&api, kRes);
  state.pieces = {"a", "", "b"};
  state.fetch_result = WH_CLOSED;  // http_fetch: the upstream dropped the connection
  Recorder handler;
  host.RelayBlocking(res, FetchRequest{}, handler, true);
  EXPECT_EQ(handler.seen, (std::vector<std::string>{"a", "b"}));  // no silence ticks
  EXPECT_EQ(handler.outcome, WH_ERROR);
  EXPECT_EQ(handler.end_message, "reset by 10.0.0.1");
  EXPECT_EQ(state.calls, (std::vector<std::string>{"status 200", "begin text/event-stream",
                                                   "write a", "write b", "write error event"}));
}

TEST_F(SdkRelay, BlockingFallbackEndsWhenTheHandlerSaysTheAnswerIsComplete) {
  const wh_host_api api = MakeApi(false);
  Host host(&api, nullptr);
  Response res(&api, kRes);
  state.pieces = {"a", "end", "never"};
  Recorder handler;
  host.RelayBlocking(res, FetchRequest{}, handler, true);
  EXPECT_EQ(handler.outcome, WH_OK);
  EXPECT_EQ(state.calls, (std::vector<std::string>{"status 200", "begin text/event-stream",
                                                   "write a", "write end"}));
}

TEST_F(SdkRelay, BlockingFallbackAnswers502WhenTheHandlerSendsNothing) {
  struct Silent : RelayHandler {
    void OnEnd(Relay&, wh_status, std::string_view) override {}
  } handler;
  const wh_host_api api = MakeApi(false);
  Host host(&api, nullptr);
  Response res(&api, kRes);
  state.fetch_result = WH_UNAVAILABLE;
  host.RelayBlocking(res, FetchRequest{}, handler, true);
  EXPECT_EQ(state.calls, (std::vector<std::string>{"error 502 Bad Gateway"}));
}

}  // namespace
}  // namespace webui::sdk
