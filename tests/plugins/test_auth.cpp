// "test_auth": a stand-in authenticator for host tests (the real one is plugins/auth). A bearer
// token "<role>:<id>" signs in as that role; "invalid" is rejected; no header = anonymous.
#include <webui_host/sdk.hpp>

class TestAuth : public webui::sdk::Plugin {
 public:
  void Init(webui::sdk::Host& host) override {
    host.SetAuthenticator([](webui::sdk::Request& req, webui::sdk::AuthnResult& out) {
      auto h = req.Header("Authorization");
      if (!h) return WH_AUTHN_NONE;
      std::string_view v = *h;
      if (v.rfind("Bearer ", 0) != 0) return out.Reject(401, "Invalid token");
      v.remove_prefix(7);
      const size_t colon = v.find(':');
      if (colon == std::string_view::npos) return out.Reject(401, "Invalid token");
      std::string_view role = v.substr(0, colon), id = v.substr(colon + 1);
      if (role != "pending" && role != "user" && role != "admin")
        return out.Reject(401, "Invalid token");
      const std::string email = std::string(id) + "@example.com";
      return out.Accept(id, role, email, "User " + std::string(id));
    });
  }
};

WEBUI_HOST_PLUGIN(TestAuth, "test_auth", "0.1.0", "Role-in-the-token authenticator for tests")
