// "test_files_processor": a file_processor.v1 as rag will offer one. It answers "processed: "
// plus the file's name (or the text it was given), fails files named fail*, and holds files
// named held* until the test releases them, so a test can watch the status stream wait for it.
// What it saw is listed at GET /api/v1/test-processor/calls.
#include <webui_host/services/file_processor.h>
#include <webui_host/sdk.hpp>
#include <webui_host/sdk/json.hpp>

#include <chrono>
#include <mutex>
#include <set>
#include <thread>

namespace sdk = webui::sdk;
using nlohmann::json;

namespace {

std::mutex mu;
std::set<std::string> released;
json calls = json::array();
json removed = json::array();

wh_status Process(void*, wh_str file_json, wh_str path, wh_str options_json,
                  int (*cancelled)(void*), void* cancel_user, wh_str_sink sink, void* sink_user) {
  try {
    const json file = json::parse(sdk::FromWh(file_json));
    const json options = json::parse(sdk::FromWh(options_json));
    const std::string name = file["meta"]["name"];
    {
      std::lock_guard lock(mu);
      calls.push_back(
          {{"id", file["id"]}, {"path", std::string(sdk::FromWh(path))}, {"options", options}});
    }
    if (name.rfind("held", 0) == 0) {
      const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(120);
      for (;;) {
        if (cancelled(cancel_user)) return WH_ABORTED;
        {
          std::lock_guard lock(mu);
          if (released.count(name) > 0) break;
        }
        if (std::chrono::steady_clock::now() > until) return WH_TIMEOUT;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    if (name.rfind("fail", 0) == 0) {
      const std::string error = "cannot read " + name;
      sink(sink_user, sdk::ToWh(error));
      return WH_ERROR;
    }
    const std::string text =
        "processed: " +
        (options.contains("content") ? options["content"].get<std::string>() : name);
    const std::string out =
        json{{"content", text},
             {"meta", {{"collection_name", "file-" + file["id"].get<std::string>()}}}}
            .dump();
    sink(sink_user, sdk::ToWh(out));
    return WH_OK;
  } catch (...) {
    return WH_ERROR;
  }
}

void Removed(void*, wh_str file_id) {
  std::lock_guard lock(mu);
  removed.push_back(std::string(sdk::FromWh(file_id)));
}

const wh_file_processor_v1 kProcessor = {sizeof(wh_file_processor_v1), &Process, &Removed, {}};

}  // namespace

class FilesProcessor : public sdk::Plugin {
 public:
  void Init(sdk::Host& host) override {
    host.OfferService(WH_SERVICE_FILE_PROCESSOR_V1, &kProcessor);
    host.Route("POST", "/api/v1/test-processor/release/{name}", sdk::Auth::kPublic,
               [](sdk::Request& req, sdk::Response& res) {
                 std::lock_guard lock(mu);
                 released.insert(std::string(*req.PathParam("name")));
                 sdk::Reply(res, true);
               });
    host.Route("GET", "/api/v1/test-processor/calls", sdk::Auth::kPublic,
               [](sdk::Request&, sdk::Response& res) {
                 std::lock_guard lock(mu);
                 sdk::Reply(res, {{"calls", calls}, {"removed", removed}});
               });
  }
};

WEBUI_HOST_PLUGIN(FilesProcessor, "test_files_processor", "0.1.0",
                  "file_processor.v1 stand-in for the files plugin's tests")
