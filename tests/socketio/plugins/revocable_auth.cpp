// "revocable_auth": the test authenticator for Socket.IO tests. A bearer token "<role>:<id>" signs
// in as that role (like tests/plugins/test_auth); routes revoke a user (signed out / deleted) or
// change their role. The state lives in the KV store, so every instance sharing a Redis agrees,
// and each change is published on "webui-host:auth-changed" as the auth plugin does (unless
// ?silent=1, to test the per-event re-check alone).
#include <webui_host/sdk.hpp>

#include <atomic>

#include <nlohmann/json.hpp>

namespace {

using webui::sdk::Auth;
constexpr const char* kChannel = WH_CHANNEL_AUTH_CHANGED;

class RevocableAuth : public webui::sdk::Plugin {
 public:
  void Init(webui::sdk::Host& host) override {
    host_ = &host;
    host.SetAuthenticator([this](webui::sdk::Request& req, webui::sdk::AuthnResult& out) {
      auto h = req.Header("Authorization");
      if (!h) return WH_AUTHN_NONE;
      std::string_view v = *h;
      if (v.rfind("Bearer ", 0) != 0) return out.Reject(401, "Invalid token");
      v.remove_prefix(7);
      const size_t colon = v.find(':');
      if (colon == std::string_view::npos) return out.Reject(401, "Invalid token");
      std::string role(v.substr(0, colon));
      const std::string id(v.substr(colon + 1));
      if (role != "pending" && role != "user" && role != "admin")
        return out.Reject(401, "Invalid token");
      ++calls_;
      if (host_->KvGet("testauth:revoked:" + id)) return out.Reject(401, "Invalid token");
      if (auto r = host_->KvGet("testauth:role:" + id)) role = *r;
      return out.Accept(id, role, id + "@example.com", "User " + id);
    });
    host.Route("POST", "/api/test/auth/revoke/{id}", Auth::kPublic,
               [this](webui::sdk::Request& req, webui::sdk::Response& res) {
                 const std::string id(*req.PathParam("id"));
                 host_->KvSet("testauth:revoked:" + id, "1");
                 Changed(req, id);
                 res.Json("{}");
               });
    host.Route("POST", "/api/test/auth/role/{id}", Auth::kPublic,
               [this](webui::sdk::Request& req, webui::sdk::Response& res) {
                 const std::string id(*req.PathParam("id"));
                 host_->KvSet("testauth:role:" + id,
                              std::string(req.Query("role").value_or("user")));
                 Changed(req, id);
                 res.Json("{}");
               });
    host.Route("POST", "/api/test/auth/restore/{id}", Auth::kPublic,
               [this](webui::sdk::Request& req, webui::sdk::Response& res) {
                 const std::string id(*req.PathParam("id"));
                 host_->KvDel("testauth:revoked:" + id);
                 host_->KvDel("testauth:role:" + id);
                 Changed(req, id);
                 res.Json("{}");
               });
    host.Route("GET", "/api/test/auth/calls", Auth::kPublic,
               [this](webui::sdk::Request&, webui::sdk::Response& res) {
                 res.Json(nlohmann::json{{"calls", calls_.load()}}.dump());
               });
  }

 private:
  void Changed(webui::sdk::Request& req, const std::string& id) {
    if (req.Query("silent").value_or("") != "1") host_->Publish(kChannel, id);
  }
  webui::sdk::Host* host_ = nullptr;
  std::atomic<long> calls_{0};
};

}  // namespace

WEBUI_HOST_PLUGIN(RevocableAuth, "revocable_auth", "0.1.0",
                  "Role-in-the-token authenticator with revocation (Socket.IO tests)")
