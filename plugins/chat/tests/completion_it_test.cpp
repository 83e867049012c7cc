// POST /api/chat/completions: SSE piece by piece, JSON, client disconnects, upstream failures,
// background tasks with Socket.IO events and the saved answer, stop, and cross-user chat ids.
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/StreamSocket.h>

#include "chat_it_support.hpp"

namespace webui::testing {
namespace {

class ChatCompletion : public ChatHost {
 protected:
  void SetUp() override {
    ChatHost::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // Users may use fake-a1 (a public override); admins see everything anyway.
    if (Get("/api/v1/models/model?id=fake-a1", As("admin", "adm")).status != 200)
      Publish("fake-a1", As("admin", "adm"));
  }

  static std::string RawRequest(const json& body, const std::string& token) {
    const std::string text = body.dump();
    return "POST /api/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
           "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(text.size()) +
           "\r\n\r\n" + text;
  }

  // The chat-events the fake emitter saw for `to`, as their `data` objects ({type, data}).
  static std::vector<json> ChatEvents(const std::string& to,
                                      const std::string& name = "chat-events") {
    std::vector<json> out;
    for (const auto& e : Events())
      if (e["to"] == to && e["event"] == name) out.push_back(e["data"]["data"]);
    return out;
  }

  static json LastCall() {
    json calls = ProviderCalls();
    return calls.empty() ? json() : calls.back();
  }

  // A chat with one user message "u1" and an empty assistant reply "a1", as the web UI saves it.
  static json ChatWithPendingReply(const HeaderList& who, const std::string& question) {
    json chat = {{"title", "New Chat"},
                 {"models", {"fake-a1"}},
                 {"history",
                  {{"messages",
                    {{"u1",
                      {{"id", "u1"},
                       {"role", "user"},
                       {"content", question},
                       {"parentId", nullptr},
                       {"childrenIds", {"a1"}}}},
                     {"a1",
                      {{"id", "a1"},
                       {"role", "assistant"},
                       {"content", ""},
                       {"parentId", "u1"},
                       {"childrenIds", json::array()},
                       {"model", "fake-a1"},
                       {"done", false}}}}},
                   {"currentId", "a1"}}},
                 {"messages", json::array()}};
    return NewChat(who, chat);
  }
};

TEST_F(ChatCompletion, StreamsEachPieceAsItArrives) {
  Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(host().port()));
  Poco::Net::HTTPRequest req("POST", "/api/chat/completions", "HTTP/1.1");
  req.set("Authorization", "Bearer user:alice");
  req.setContentType("application/json");
  const std::string body =
      json{{"model", "fake-a1"},
           {"stream", true},
           {"messages", Script({{"pieces", {"one", "two", "three", "four"}}, {"delay_ms", 300}})}}
          .dump();
  req.setContentLength(static_cast<std::streamsize>(body.size()));
  s.sendRequest(req) << body;
  Poco::Net::HTTPResponse res;
  std::istream& in = s.receiveResponse(res);
  ASSERT_EQ(res.getStatus(), 200);
  EXPECT_EQ(res.getContentType(), "text/event-stream");
  EXPECT_EQ(res.get("Cache-Control", ""), "no-cache");
  EXPECT_EQ(res.get("X-Accel-Buffering", ""), "no");
  std::vector<Clock::time_point> arrivals;
  std::vector<std::string> events;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("data: ", 0) == 0) {
      arrivals.push_back(Clock::now());
      events.push_back(line.substr(6));
    }
  }
  ASSERT_EQ(events.size(), 6u);  // 4 deltas, the finish chunk, [DONE]
  EXPECT_EQ(events.back(), "[DONE]");
  std::string text;
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    json chunk = json::parse(events[i]);
    EXPECT_EQ(chunk["object"], "chat.completion.chunk");
    EXPECT_EQ(chunk["model"], "fake-a1");
    text += chunk["choices"][0]["delta"].value("content", "");
  }
  EXPECT_EQ(text, "onetwothreefour");
  // Each piece came when it was produced, not all at the end.
  EXPECT_GE(arrivals[3] - arrivals[0], std::chrono::milliseconds(700));
  EXPECT_EQ(LastCall()["outcome"], "ok");
}

TEST_F(ChatCompletion, StreamFalseAnswersJson) {
  for (const char* path : {"/api/chat/completions", "/api/v1/chat/completions"}) {
    auto r = Post(path,
                  {{"model", "fake-a1"},
                   {"stream", false},
                   {"messages", Script({{"pieces", {"Hi", "!"}}, {"delay_ms", 10}})}},
                  As("user", "alice"));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.Header("Content-Type").find("application/json"), std::string::npos);
    EXPECT_EQ(r.Json()["object"], "chat.completion");
    EXPECT_EQ(r.Json()["choices"][0]["message"]["content"], "Hi!");
  }
}

TEST_F(ChatCompletion, ClientThatLeavesAbortsTheProviderWithinASecond) {
  for (int delay : {20, 3000}) {  // after the first token; before the first byte
    SCOPED_TRACE(delay);
    Call("POST", std::string("/api/v1/test-provider/") + kProviderA + "/reset");
    Poco::Net::StreamSocket sock(Poco::Net::SocketAddress("127.0.0.1", host().port()));
    const std::string req =
        RawRequest({{"model", "fake-a1"},
                    {"stream", true},
                    {"messages", Script({{"pieces", {"x"}}, {"delay_ms", delay}, {"hang", true}})}},
                   "user:alice");
    sock.sendBytes(req.data(), static_cast<int>(req.size()));
    ASSERT_TRUE(WaitFor([] { return LastCall().is_object(); }));
    if (delay < 1000) {
      char buf[1024];
      sock.setReceiveTimeout(Poco::Timespan(5, 0));
      std::string got;
      while (got.find("data: ") == std::string::npos) {
        int n = sock.receiveBytes(buf, sizeof buf);
        ASSERT_GT(n, 0);
        got.append(buf, static_cast<size_t>(n));
      }
    }
    const int64_t left_ns = SteadyNowNs();
    sock.close();
    ASSERT_TRUE(WaitFor([] { return LastCall()["outcome"] != "running"; }, std::chrono::seconds(3)))
        << LastCall().dump();
    const json call = LastCall();
    EXPECT_EQ(call["outcome"], "aborted");
    EXPECT_LT(call["abort_ns"].get<int64_t>() - left_ns, 1'000'000'000) << call.dump();
  }
}

TEST_F(ChatCompletion, UpstreamDropMidStreamEndsWithAnErrorEventAndDone) {
  auto r = Post(
      "/api/chat/completions",
      {{"model", "fake-a1"},
       {"stream", true},
       {"messages", Script({{"pieces", {"a", "b", "c"}}, {"delay_ms", 10}, {"fail_after", 2}})}},
      As("user", "alice"));
  ASSERT_EQ(r.status, 200);
  std::vector<std::string> events;
  size_t pos = 0;
  while ((pos = r.body.find("data: ", pos)) != std::string::npos) {
    const size_t end = r.body.find("\n\n", pos);
    events.push_back(r.body.substr(pos + 6, end - pos - 6));
    pos = end;
  }
  ASSERT_EQ(events.size(), 4u) << r.body;
  EXPECT_EQ(json::parse(events[0])["choices"][0]["delta"]["content"], "a");
  EXPECT_EQ(json::parse(events[1])["choices"][0]["delta"]["content"], "b");
  const json error = json::parse(events[2]);
  EXPECT_EQ(error["error"]["message"], "fake upstream connection reset");
  EXPECT_EQ(events[3], "[DONE]");
}

TEST_F(ChatCompletion, UpstreamErrorsBeforeTheStreamKeepTheirStatus) {
  auto r =
      Post("/api/chat/completions",
           {{"model", "fake-a1"}, {"stream", true}, {"messages", Script({{"error_status", 429}})}},
           As("user", "alice"));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.Json()["detail"], "fake upstream error 429");
  r = Post("/api/chat/completions",
           {{"model", "fake-a1"}, {"stream", false}, {"messages", Script({{"unavailable", true}})}},
           As("user", "alice"));
  EXPECT_EQ(r.status, 502);
  r = Post("/api/chat/completions", {{"model", "no-such-model"}, {"messages", json::array()}},
           As("user", "alice"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Json()["detail"], "Model not found");
  EXPECT_EQ(Post("/api/chat/completions", json::array(), As("user", "alice")).status, 422);
}

TEST_F(ChatCompletion, AnotherUsersChatIdIs404AndNeverReachesTheModel) {
  const json chat = ChatWithPendingReply(As("user", "alice"), "alice's secret question");
  const std::string chat_id = chat["id"];
  const json before = Get("/api/v1/chats/" + chat_id, As("user", "alice")).Json();
  for (bool background : {false, true}) {
    json body = {{"model", "fake-a1"},
                 {"stream", true},
                 {"chat_id", chat_id},
                 {"messages", json::array({{{"role", "user"}, {"content", "tell me"}}})}};
    if (background) {
      body["session_id"] = "sid-bob";
      body["id"] = "a1";
    }
    auto r = Post("/api/chat/completions", body, As("user", "bob"));
    EXPECT_EQ(r.status, 404) << r.body;
    EXPECT_EQ(r.body.find("secret"), std::string::npos);
  }
  EXPECT_TRUE(ProviderCalls().empty());
  EXPECT_TRUE(Events().empty());
  EXPECT_EQ(Get("/api/v1/chats/" + chat_id, As("user", "alice")).Json(), before);
  // Without a chat id (a new conversation) bob is served.
  auto ok = Post("/api/chat/completions",
                 {{"model", "fake-a1"}, {"stream", false}, {"messages", Script({{"delay_ms", 0}})}},
                 As("user", "bob"));
  EXPECT_EQ(ok.status, 200) << ok.body;
}

TEST_F(ChatCompletion, BackgroundTaskEmitsChatEventsAndSavesTheAnswer) {
  const auto alice = As("user", "alice");
  const json chat = ChatWithPendingReply(alice, "hello?");
  const std::string chat_id = chat["id"];
  auto r = Post("/api/chat/completions",
                {{"model", "fake-a1"},
                 {"stream", true},
                 {"messages", Script({{"pieces", {"Hel", "lo", " world"}}, {"delay_ms", 150}})},
                 {"session_id", "sid-1"},
                 {"chat_id", chat_id},
                 {"id", "a1"},
                 {"model_item", {{"id", "fake-a1"}}},
                 {"background_tasks", {{"title_generation", true}, {"tags_generation", false}}}},
                alice);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["status"], true);
  const std::string task_id = r.Json()["task_id"];
  EXPECT_EQ(Get("/api/tasks/chat/" + chat_id, alice).Json()["task_ids"], json::array({task_id}));
  EXPECT_EQ(Get("/api/tasks", alice).Json()["tasks"], json::array({task_id}));
  EXPECT_TRUE(Get("/api/tasks", As("user", "bob")).Json()["tasks"].empty());
  EXPECT_TRUE(Get("/api/tasks/chat/" + chat_id, As("user", "bob")).Json()["task_ids"].empty());
  ASSERT_TRUE(
      WaitFor([&] { return Get("/api/tasks/chat/" + chat_id, alice).Json()["task_ids"].empty(); }));

  const auto events = ChatEvents("sid-1");
  std::vector<std::string> contents;
  size_t done_at = events.size(), title_at = events.size();
  for (size_t i = 0; i < events.size(); ++i) {
    const json& e = events[i];
    if (e["type"] == "chat:completion" && e["data"].contains("done"))
      done_at = i;
    else if (e["type"] == "chat:completion" && e["data"].contains("content"))
      contents.push_back(e["data"]["content"]);
    if (e["type"] == "chat:title") title_at = i;
  }
  // Cumulative content, one event per piece, then done with the whole text, then the title.
  EXPECT_EQ(contents, (std::vector<std::string>{"Hel", "Hello", "Hello world"}));
  ASSERT_LT(done_at, events.size()) << Events().dump();
  EXPECT_EQ(events[done_at]["data"]["done"], true);
  EXPECT_EQ(events[done_at]["data"]["content"], "Hello world");
  EXPECT_EQ(events[done_at]["data"]["title"], "New Chat");
  ASSERT_LT(title_at, events.size());
  EXPECT_GT(title_at, done_at);
  EXPECT_EQ(events[title_at]["data"], "Fake Title");
  for (const auto& e : Events()) {
    EXPECT_EQ(e["data"]["chat_id"], chat_id);
    EXPECT_EQ(e["data"]["message_id"], "a1");
  }
  // The same stream goes to every socket of the user, and under the newer event name.
  EXPECT_EQ(ChatEvents("user:alice").size(), events.size());
  EXPECT_EQ(ChatEvents("sid-1", "events").size(), events.size());

  const json saved = Get("/api/v1/chats/" + chat_id, alice).Json();
  const json& a1 = saved["chat"]["history"]["messages"]["a1"];
  EXPECT_EQ(a1["content"], "Hello world");
  EXPECT_EQ(a1["done"], true);
  EXPECT_EQ(a1["parentId"], "u1");
  EXPECT_EQ(saved["chat"]["history"]["messages"]["u1"]["content"], "hello?");
  EXPECT_EQ(saved["title"], "Fake Title");
  EXPECT_EQ(saved["chat"]["title"], "Fake Title");

  // The upstream request carried none of Open WebUI's own fields.
  const json calls = ProviderCalls();
  ASSERT_EQ(calls.size(), 2u);  // the answer, then the title
  for (const char* k : {"session_id", "chat_id", "id", "model_item", "background_tasks"})
    EXPECT_FALSE(calls[0]["request"].contains(k)) << k;

  auto completed =
      Post("/api/chat/completed",
           {{"model", "fake-a1"},
            {"messages",
             json::array({{{"id", "a1"}, {"role", "assistant"}, {"content", "Hello world"}}})},
            {"chat_id", chat_id},
            {"session_id", "sid-1"},
            {"id", "a1"},
            {"model_item", {{"id", "fake-a1"}}}},
           alice);
  ASSERT_EQ(completed.status, 200) << completed.body;
  EXPECT_EQ(completed.Json()["messages"][0]["content"], "Hello world");
  EXPECT_FALSE(completed.Json().contains("model_item"));
  EXPECT_EQ(
      Post("/api/chat/completed", {{"model", "nope"}, {"messages", json::array()}}, alice).status,
      400);
}

TEST_F(ChatCompletion, StopCancelsTheTaskAndItsUpstream) {
  const auto alice = As("user", "alice");
  const json chat = ChatWithPendingReply(alice, "long one");
  const std::string chat_id = chat["id"];
  auto r = Post("/api/chat/completions",
                {{"model", "fake-a1"},
                 {"stream", true},
                 {"messages", Script({{"pieces", {"partial"}}, {"delay_ms", 10}, {"hang", true}})},
                 {"session_id", "sid-2"},
                 {"chat_id", chat_id},
                 {"id", "a1"}},
                alice);
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string task_id = r.Json()["task_id"];
  ASSERT_TRUE(WaitFor([&] { return ChatEvents("sid-2").size() >= 1; }));

  EXPECT_EQ(Post("/api/tasks/stop/" + task_id, json(), As("user", "bob")).status, 404);
  EXPECT_EQ(Post("/api/tasks/stop/not-a-task", json(), alice).status, 404);
  const int64_t stopped_ns = SteadyNowNs();
  auto stop = Post("/api/tasks/stop/" + task_id, json(), alice);
  ASSERT_EQ(stop.status, 200) << stop.body;
  EXPECT_EQ(stop.Json()["status"], true);
  ASSERT_TRUE(WaitFor([] { return LastCall()["outcome"] != "running"; }, std::chrono::seconds(3)));
  EXPECT_EQ(LastCall()["outcome"], "aborted");
  EXPECT_LT(LastCall()["abort_ns"].get<int64_t>() - stopped_ns, 1'000'000'000);
  ASSERT_TRUE(
      WaitFor([&] { return Get("/api/tasks/chat/" + chat_id, alice).Json()["task_ids"].empty(); }));
  EXPECT_EQ(Post("/api/tasks/stop/" + task_id, json(), alice).status, 404);

  const auto events = ChatEvents("sid-2");
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back()["type"], "chat:tasks:cancel");
  const json a1 =
      Get("/api/v1/chats/" + chat_id, alice).Json()["chat"]["history"]["messages"]["a1"];
  EXPECT_EQ(a1["content"], "partial");
  EXPECT_EQ(a1["done"], true);
}

TEST_F(ChatCompletion, BackgroundUpstreamFailureIsReportedAndSaved) {
  const auto alice = As("user", "alice");
  const json chat = ChatWithPendingReply(alice, "q");
  const std::string chat_id = chat["id"];
  auto r =
      Post("/api/chat/completions",
           {{"model", "fake-a1"},
            {"stream", true},
            {"messages", Script({{"pieces", {"a", "b"}}, {"delay_ms", 10}, {"fail_after", 1}})},
            {"session_id", "sid-3"},
            {"chat_id", chat_id},
            {"id", "a1"},
            {"background_tasks", {{"title_generation", false}}}},
           alice);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(
      WaitFor([&] { return Get("/api/tasks/chat/" + chat_id, alice).Json()["task_ids"].empty(); }));
  const auto events = ChatEvents("sid-3");
  std::vector<std::string> types;
  for (const auto& e : events) {
    std::string t = e["type"];
    if (e["data"].is_object() && e["data"].contains("error")) t += "+error";
    if (e["data"].is_object() && e["data"].contains("done")) t += "+done";
    types.push_back(t);
  }
  EXPECT_EQ(types, (std::vector<std::string>{"chat:completion", "chat:completion+error",
                                             "chat:completion+done"}))
      << Events().dump();
  EXPECT_EQ(events[1]["data"]["error"]["message"], "fake upstream connection reset");
  const json saved = Get("/api/v1/chats/" + chat_id, alice).Json();
  const json& a1 = saved["chat"]["history"]["messages"]["a1"];
  EXPECT_EQ(a1["content"], "a");
  EXPECT_EQ(a1["error"]["content"], "fake upstream connection reset");
  EXPECT_EQ(a1["done"], true);
  EXPECT_EQ(saved["title"], "New Chat");  // a failed answer names nothing
}

// Without a Socket.IO server nobody hears the events, but the answer is still saved.
class ChatCompletionNoEmitter : public ChatHostT<false> {};

TEST_F(ChatCompletionNoEmitter, BackgroundAnswerIsSavedWithoutAnyEmitter) {
  const auto admin = As("admin", "carol");
  json chat = {{"title", "T"},
               {"history",
                {{"messages", {{"a1", {{"id", "a1"}, {"role", "assistant"}, {"content", ""}}}}},
                 {"currentId", "a1"}}}};
  const std::string chat_id = NewChat(admin, chat)["id"];
  auto r = Post("/api/chat/completions",
                {{"model", "fake-b1:latest"},
                 {"stream", true},
                 {"messages", Script({{"pieces", {"saved", " anyway"}}, {"delay_ms", 10}})},
                 {"session_id", "sid"},
                 {"chat_id", chat_id},
                 {"id", "a1"}},
                admin);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(WaitFor([&] {
    return Get("/api/v1/chats/" + chat_id, admin)
        .Json()["chat"]["history"]["messages"]["a1"]
        .value("done", false);
  }));
  const json a1 =
      Get("/api/v1/chats/" + chat_id, admin).Json()["chat"]["history"]["messages"]["a1"];
  EXPECT_EQ(a1["content"], "saved anyway");
  EXPECT_EQ(ProviderCalls(kProviderB).size(), 1u);
  EXPECT_TRUE(ProviderCalls(kProviderA).empty());
}

// SIGTERM while a background completion hangs: the task is cancelled, its thread joined, and
// the host exits cleanly well within its drain timeout.
class ChatShutdown : public ChatHostT<false> {};

TEST_F(ChatShutdown, RunningTasksAreCancelledAndJoinedAtShutdown) {
  const auto admin = As("admin", "carol");
  const std::string chat_id = NewChat(admin, {{"title", "T"}})["id"];
  auto r = Post("/api/chat/completions",
                {{"model", "fake-a1"},
                 {"stream", true},
                 {"messages", Script({{"pieces", {"x"}}, {"delay_ms", 10}, {"hang", true}})},
                 {"session_id", "sid"},
                 {"chat_id", chat_id},
                 {"id", "a1"}},
                admin);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(WaitFor([] { return ProviderCalls().size() == 1; }));
  const auto t0 = Clock::now();
  EXPECT_EQ(host().Stop(15, std::chrono::seconds(20)), 0) << host().Log();
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(5));
}

}  // namespace
}  // namespace webui::testing
