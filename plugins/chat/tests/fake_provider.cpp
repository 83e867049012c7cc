// A scripted model_provider.v1 for the chat plugin's integration tests (built twice: provider "a"
// with OpenAI-style models, provider "b" with an Ollama-style one). It stands in for an upstream:
// the last user message may carry a script
//   {"script": {"pieces": [...], "delay_ms": N, "fail_after": K, "hang": true,
//               "error_status": 429, "unavailable": true}}
// A non-streamed task prompt (it quotes the chat in <chat_history>) gets a fixed JSON answer of
// the shape it asks for ("title", "tags", "follow_ups" or "queries"); see RunCompletion.
// Every call is recorded (request, outcome, steady-clock times of start, abort and end) and
// served over HTTP under /api/v1/test-provider/<name>/.
#include <webui_host/services/model_provider.h>
#include <webui_host/sdk.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

using nlohmann::json;
using webui::sdk::Auth;
using webui::sdk::Request;
using webui::sdk::Response;

namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

json DefaultModels() {
#if PROVIDER_KIND == 0
  return json::parse(R"([
    {"id":"fake-a1","name":"Fake A1","object":"model","created":1700000000,"owned_by":"openai",
     "connection_type":"external","urlIdx":0,"openai":{"id":"fake-a1"}},
    {"id":"fake-a2","name":"Fake A2","object":"model","created":1700000000,"owned_by":"openai",
     "connection_type":"external","urlIdx":0,"openai":{"id":"fake-a2"},
     "tags":[{"name":"fast"}]}])");
#else
  return json::parse(R"([
    {"id":"fake-b1:latest","name":"fake-b1:latest","object":"model","created":1700000000,
     "owned_by":"ollama","connection_type":"local","urlIdx":0,"ollama":{"name":"fake-b1:latest"}}])");
#endif
}

struct Call {
  json request;
  std::string outcome = "running";
  int64_t started_ns = 0;
  int64_t abort_ns = 0;
  int64_t ended_ns = 0;
};

struct State {
  std::mutex mu;
  json models = DefaultModels();
  std::vector<Call> calls;
  std::atomic<int> list_delay_ms{0};
  std::atomic<int> list_calls{0};
  std::atomic<int> active{0};
};

State& S() {
  static State s;
  return s;
}

void Finish(size_t index, const std::string& outcome, int64_t abort_ns = 0) {
  std::lock_guard lock(S().mu);
  Call& c = S().calls[index];
  c.outcome = outcome;
  c.abort_ns = abort_ns;
  c.ended_ns = NowNs();
}

void Sink(wh_str_sink sink, void* user, const std::string& text) {
  if (sink != nullptr) sink(user, wh_str{text.data(), text.size()});
}

wh_status ListModels(void*, int, wh_str_sink sink, void* sink_user) {
  ++S().list_calls;
  const int delay = S().list_delay_ms.load();
  if (delay > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay));
  std::string text;
  {
    std::lock_guard lock(S().mu);
    text = S().models.dump();
  }
  Sink(sink, sink_user, text);
  return WH_OK;
}

int HasModel(void*, wh_str id) {
  const std::string want(id.ptr == nullptr ? "" : id.ptr, id.len);
  std::lock_guard lock(S().mu);
  for (const auto& m : S().models)
    if (m.value("id", "") == want) return 1;
  return 0;
}

std::string LastUserText(const json& request) {
  const json& messages = request.value("messages", json::array());
  for (auto it = messages.rbegin(); it != messages.rend(); ++it)
    if (it->is_object() && it->value("role", "") == "user" && (*it)["content"].is_string())
      return (*it)["content"];
  return {};
}

json Chunk(const json& request, const json& delta, const json& finish) {
  return {{"id", "chatcmpl-fake"},
          {"object", "chat.completion.chunk"},
          {"created", 1700000000},
          {"model", request.value("model", "")},
          {"choices", json::array({{{"index", 0}, {"delta", delta}, {"finish_reason", finish}}})}};
}

wh_status RunCompletion(wh_str request_json, wh_model_chunk_fn on_piece, void* piece_user,
                        int* http_status, wh_str_sink error, void* error_user) {
  json request = json::parse(std::string_view(request_json.ptr, request_json.len), nullptr, false);
  size_t index;
  {
    std::lock_guard lock(S().mu);
    index = S().calls.size();
    S().calls.push_back(Call{request, "running", NowNs(), 0, 0});
  }
  ++S().active;
  struct ActiveGuard {
    ~ActiveGuard() { --S().active; }
  } guard;

  const std::string text = LastUserText(request);
  json script = json::object();
  json parsed = json::parse(text, nullptr, false);
  if (parsed.is_object() && parsed.contains("script")) script = parsed["script"];
  const bool stream = request.value("stream", false);

  // Waits like a silent upstream: ticks the consumer, which may abort.
  auto wait = [&](int64_t ms) -> bool {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (on_piece(piece_user, wh_str{nullptr, 0}) != 0) return false;
    }
    return true;
  };
  auto send = [&](const json& piece) {
    const std::string s = piece.dump();
    return on_piece(piece_user, wh_str{s.data(), s.size()}) == 0;
  };

  // A task prompt (title, tags, follow-ups, queries...: they quote the chat in <chat_history>)
  // gets a fixed answer in the JSON shape the prompt asks for. A chat whose text says
  // FAIL_TASK makes the task fail; GARBAGE_TASK makes it answer prose without JSON.
  if (!stream && text.find("<chat_history>") != std::string::npos) {
    if (text.find("FAIL_TASK") != std::string::npos) {
      *http_status = 500;
      Sink(error, error_user, "fake task model failure");
      Finish(index, "error");
      return WH_ERROR;
    }
    std::string answer = "{\"title\": \"Fake Title\"}";
    if (text.find("GARBAGE_TASK") != std::string::npos)
      answer = "I would rather not answer in JSON.";
    else if (text.find("\"follow_ups\"") != std::string::npos)
      answer = "{\"follow_ups\": [\"Fake follow-up one?\", \"Fake follow-up two?\"]}";
    else if (text.find("\"tags\"") != std::string::npos)
      answer = "{\"tags\": [\"Science\", \"Fake Tag\", \"none\"]}";
    else if (text.find("\"queries\"") != std::string::npos)
      answer =
          "Here are the queries:\n```json\n{\"queries\": [\"fake query one\", "
          "\"fake query two\"]}\n```";
    const json whole = {
        {"id", "chatcmpl-task"},
        {"object", "chat.completion"},
        {"model", request.value("model", "")},
        {"choices", json::array({{{"index", 0},
                                  {"message", {{"role", "assistant"}, {"content", answer}}},
                                  {"finish_reason", "stop"}}})}};
    send(whole);
    Finish(index, "ok");
    return WH_OK;
  }
  if (script.value("unavailable", false)) {
    Sink(error, error_user, "fake upstream unreachable");
    Finish(index, "error");
    return WH_UNAVAILABLE;
  }
  if (int status = script.value("error_status", 0); status > 0) {
    *http_status = status;
    Sink(error, error_user, "fake upstream error " + std::to_string(status));
    Finish(index, "error");
    return WH_ERROR;
  }
  json pieces = script.value("pieces", json::array({"Hello", " from", " " PROVIDER_NAME}));
  const int64_t delay = script.value("delay_ms", 30);
  const int fail_after = script.value("fail_after", -1);

  if (!stream) {
    if (!wait(delay)) {
      Finish(index, "aborted", NowNs());
      return WH_ABORTED;
    }
    std::string content;
    for (const auto& p : pieces) content += p.get<std::string>();
    const json whole = {
        {"id", "chatcmpl-fake"},
        {"object", "chat.completion"},
        {"created", 1700000000},
        {"model", request.value("model", "")},
        {"choices", json::array({{{"index", 0},
                                  {"message", {{"role", "assistant"}, {"content", content}}},
                                  {"finish_reason", "stop"}}})},
        {"usage", {{"prompt_tokens", 1}, {"completion_tokens", 1}}}};
    if (!send(whole)) {
      Finish(index, "aborted", NowNs());
      return WH_ABORTED;
    }
    Finish(index, "ok");
    return WH_OK;
  }

  for (int i = 0; i < static_cast<int>(pieces.size()); ++i) {
    if (!wait(delay)) {
      Finish(index, "aborted", NowNs());
      return WH_ABORTED;
    }
    if (i == fail_after) {
      Sink(error, error_user, "fake upstream connection reset");
      Finish(index, "failed");
      return WH_CLOSED;
    }
    if (!send(Chunk(request, {{"content", pieces[i]}}, nullptr))) {
      Finish(index, "aborted", NowNs());
      return WH_ABORTED;
    }
  }
  if (script.value("hang", false)) {
    wait(600000);  // until the consumer aborts
    Finish(index, "aborted", NowNs());
    return WH_ABORTED;
  }
  if (!send(Chunk(request, json::object(), "stop"))) {
    Finish(index, "aborted", NowNs());
    return WH_ABORTED;
  }
  Finish(index, "ok");
  return WH_OK;
}

wh_status ChatCompletion(void*, wh_str request_json, wh_model_chunk_fn on_piece, void* piece_user,
                         int* http_status, wh_str_sink error, void* error_user) {
  try {
    return RunCompletion(request_json, on_piece, piece_user, http_status, error, error_user);
  } catch (const std::exception& e) {
    Sink(error, error_user, std::string("fake provider: ") + e.what());
    return WH_ERROR;
  }
}

wh_status Embeddings(void*, wh_str, wh_str_sink, void*, int*, wh_str_sink, void*) {
  return WH_NOT_FOUND;
}

class FakeProvider : public webui::sdk::Plugin {
 public:
  void Init(webui::sdk::Host& host) override {
    host.OfferService(WH_SERVICE_MODEL_PROVIDER_V1, &vtable_);
    const std::string base = std::string("/api/v1/test-provider/") + PROVIDER_NAME;
    host.Route("GET", base + "/calls", Auth::kPublic, [](Request&, Response& res) {
      json out = json::array();
      std::lock_guard lock(S().mu);
      for (const auto& c : S().calls)
        out.push_back({{"request", c.request},
                       {"outcome", c.outcome},
                       {"started_ns", c.started_ns},
                       {"abort_ns", c.abort_ns},
                       {"ended_ns", c.ended_ns}});
      res.Json(out.dump());
    });
    host.Route("POST", base + "/reset", Auth::kPublic, [](Request&, Response& res) {
      std::lock_guard lock(S().mu);
      S().calls.clear();
      S().models = DefaultModels();
      S().list_delay_ms = 0;
      res.Json("true");
    });
    host.Route("POST", base + "/models", Auth::kPublic, [](Request& req, Response& res) {
      json models = json::parse(req.Body(), nullptr, false);
      if (!models.is_array()) throw webui::sdk::HttpError(422, "expected an array");
      std::lock_guard lock(S().mu);
      S().models = models;
      res.Json("true");
    });
    host.Route("POST", base + "/list-delay", Auth::kPublic, [](Request& req, Response& res) {
      S().list_delay_ms = std::stoi(std::string(req.Query("ms").value_or("0")));
      res.Json("true");
    });
    host.Route("GET", base + "/stats", Auth::kPublic, [](Request&, Response& res) {
      res.Json(json{{"active", S().active.load()}, {"list_calls", S().list_calls.load()}}.dump());
    });
  }

 private:
  wh_model_provider_v1 vtable_{
      sizeof(wh_model_provider_v1),         &ListModels, &HasModel, &ChatCompletion, &Embeddings,
      {nullptr, nullptr, nullptr, nullptr}, nullptr,     nullptr};  // no chat_completion_async nor
  // chat_completion_relay: the chat plugin's fallbacks (a thread per task, a worker per stream)
};

}  // namespace

WEBUI_HOST_PLUGIN(FakeProvider, PROVIDER_NAME, "0.1.0", "Scripted model provider for chat tests")
