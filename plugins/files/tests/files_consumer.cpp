// "test_files_consumer": a plugin that stores and reads files only through files.v1
// (sdk/files.hpp), as rag, images and audio will. Bytes travel as hex in its JSON.
#include <webui_host/sdk.hpp>
#include <webui_host/sdk/files.hpp>
#include <webui_host/sdk/json.hpp>

#include <fstream>

namespace sdk = webui::sdk;
using nlohmann::json;

namespace {

std::string ToHex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 0xF];
  }
  return out;
}

std::string FromHex(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return out;
}

json Opt(const std::optional<bool>& v) { return v ? json(*v) : json(); }

}  // namespace

class FilesConsumer : public sdk::Plugin {
 public:
  void Init(sdk::Host& host) override {
    host_ = &host;
    host.Route("POST", "/api/v1/test-files/store", sdk::Auth::kVerified,
               [this](sdk::Request& req, sdk::Response& res) {
                 const auto caller = req.RequireCaller();
                 const json body = sdk::JsonBody(req);
                 json info{{"filename", body.value("filename", "")},
                           {"content_type", body.value("content_type", "")}};
                 sdk::Reply(res, sdk::Files(*host_).Store(caller.id, info,
                                                          FromHex(body.value("hex", ""))));
               });
    host.Route("GET", "/api/v1/test-files/{id}", sdk::Auth::kVerified,
               [this](sdk::Request& req, sdk::Response& res) {
                 const auto caller = req.RequireCaller();
                 const std::string id(*req.PathParam("id"));
                 const sdk::Files files(*host_);
                 const auto bytes = files.ReadAll(id);
                 const auto path = files.LocalPath(id);
                 json out{
                     {"row", files.Get(id).value_or(json())},
                     {"hex", bytes ? json(ToHex(*bytes)) : json()},
                     {"local_path_readable", path && std::ifstream(*path).good()},
                     {"readable", Opt(files.CheckAccess(caller.id, caller.role, id, "read"))},
                     {"writable", Opt(files.CheckAccess(caller.id, caller.role, id, "write"))}};
                 sdk::Reply(res, out);
               });
    host.Route("DELETE", "/api/v1/test-files/{id}", sdk::Auth::kVerified,
               [this](sdk::Request& req, sdk::Response& res) {
                 sdk::Reply(res, {{"removed", sdk::Files(*host_).Remove(*req.PathParam("id"))}});
               });
  }

 private:
  sdk::Host* host_ = nullptr;
};

WEBUI_HOST_PLUGIN_WITH_DEPS(FilesConsumer, "test_files_consumer", "0.1.0",
                            "files.v1 consumer for the files plugin's tests", "files")
