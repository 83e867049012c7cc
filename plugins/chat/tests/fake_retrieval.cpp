// A recording retrieval.v1 for the chat plugin's integration tests (the rag plugin's part): it
// answers one source per query ("doc for <query>") and keeps every request, served over HTTP
// under /api/v1/test-retrieval/, so a test sees which queries the chat plugin retrieved with.
#include <webui_host/services/retrieval.h>
#include <webui_host/sdk.hpp>

#include <mutex>

#include <nlohmann/json.hpp>

using nlohmann::json;
using webui::sdk::Auth;
using webui::sdk::Request;
using webui::sdk::Response;

namespace {

struct State {
  std::mutex mu;
  json calls = json::array();
};

State& S() {
  static State s;
  return s;
}

wh_status Retrieve(void*, wh_str user_id, wh_str, wh_str request_json, wh_str_sink sink,
                   void* sink_user) {
  const json request =
      json::parse(std::string_view(request_json.ptr, request_json.len), nullptr, false);
  if (!request.is_object()) return WH_INVALID;
  {
    std::lock_guard lock(S().mu);
    S().calls.push_back({{"user_id", std::string(user_id.ptr, user_id.len)}, {"request", request}});
  }
  json sources = json::array();
  for (const auto& q : request.value("queries", json::array()))
    sources.push_back({{"source", {{"id", "file-" + q.get<std::string>()}, {"name", "doc.txt"}}},
                       {"document", json::array({"doc for " + q.get<std::string>()})},
                       {"metadata", json::array({{{"source", "doc.txt"}}})}});
  const std::string out =
      json{{"sources", sources}, {"template", "CONTEXT {{CONTEXT}} QUERY {{QUERY}}"}}.dump();
  sink(sink_user, wh_str{out.data(), out.size()});
  return WH_OK;
}

class FakeRetrieval : public webui::sdk::Plugin {
 public:
  void Init(webui::sdk::Host& host) override {
    host.OfferService(WH_SERVICE_RETRIEVAL_V1, &vtable_);
    host.Route("GET", "/api/v1/test-retrieval/calls", Auth::kPublic, [](Request&, Response& res) {
      std::lock_guard lock(S().mu);
      res.Json(S().calls.dump());
    });
    host.Route("POST", "/api/v1/test-retrieval/reset", Auth::kPublic, [](Request&, Response& res) {
      std::lock_guard lock(S().mu);
      S().calls = json::array();
      res.Json("true");
    });
  }

 private:
  wh_retrieval_v1 vtable_{sizeof(wh_retrieval_v1), &Retrieve, {nullptr, nullptr, nullptr, nullptr}};
};

}  // namespace

WEBUI_HOST_PLUGIN(FakeRetrieval, "test_chat_retrieval", "0.1.0",
                  "Recording retrieval.v1 for chat tests")
