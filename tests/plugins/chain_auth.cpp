// "chain_auth": two authenticators around the primary one (test_auth, order 0), to test the
// host's identity chain. X-Chain-Key is judged before the primary: "good" signs in, "bad" is
// rejected, "down" reports an outage; X-Late-Key is judged after it, so only requests the primary
// passed on (no Authorization header) reach it.
#include <webui_host/sdk.hpp>

class ChainAuth : public webui::sdk::Plugin {
 public:
  void Init(webui::sdk::Host& host) override {
    using webui::sdk::AuthnResult;
    using webui::sdk::Request;
    host.AddAuthenticator(
        [](Request& req, AuthnResult& out) {
          auto key = req.Header("X-Chain-Key");
          if (!key) return WH_AUTHN_NONE;
          if (*key == "good") return out.Accept("chain-1", "user", "chain@example.com", "Chain");
          if (*key == "down") return out.Unavailable();
          return out.Reject(401, "Invalid chain key");
        },
        -10);
    host.AddAuthenticator(
        [](Request& req, AuthnResult& out) {
          auto key = req.Header("X-Late-Key");
          if (!key || *key != "late") return WH_AUTHN_NONE;
          return out.Accept("late-1", "admin", "late@example.com", "Late");
        },
        10);
  }
};

WEBUI_HOST_PLUGIN(ChainAuth, "chain_auth", "0.1.0", "Authenticators before and after the primary")
