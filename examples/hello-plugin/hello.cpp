// hello: a complete webui-host plugin, small enough to copy as the start of your own.
//
//   GET /api/v1/hello?name=Ada   anyone          {"message": "Hello, Ada"}
//   GET /api/v1/hello/me         verified users  {"message": "Hello, <name>", "id", "role"}
//
// The greeting is a setting: key "hello.greeting", environment variable HELLO_GREETING, default
// "Hello". It is persistent (a value stored in the config table wins over the environment), and
// handlers read it on every request instead of caching it in Init(), so a change applies without
// a restart.
#include <webui_host/sdk.hpp>

#include <nlohmann/json.hpp>

#include <string>

namespace {

using nlohmann::json;
using webui::sdk::Auth;
using webui::sdk::Caller;
using webui::sdk::Host;
using webui::sdk::Request;
using webui::sdk::Response;

constexpr char kGreetingKey[] = "hello.greeting";
constexpr char kDefaultGreeting[] = R"("Hello")";  // settings are JSON text: a JSON string

// Serializes a response body. Query parameters and names come from users and may be invalid
// UTF-8: replace bad bytes instead of throwing (an escaped exception would become a 500).
std::string Body(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

class HelloPlugin : public webui::sdk::Plugin {
 public:
  // Runs once at start, before the host serves requests. Everything the plugin offers is
  // registered here; throwing refuses the plugin (the host logs the message).
  void Init(Host& host) override {
    host_ = &host;
    host.DeclareConfig(kGreetingKey, "HELLO_GREETING", kDefaultGreeting);

    // Public: the host does not even look at credentials.
    host.Route("GET", "/api/v1/hello", Auth::kPublic, [this](Request& req, Response& res) {
      const std::string name(req.Query("name").value_or("world"));
      res.Json(Body({{"message", Greeting() + ", " + name}}));
    });

    // Verified: the host answers 401/403 itself unless the caller is a signed-in "user" or
    // "admin", so the handler can rely on RequireCaller().
    host.Route("GET", "/api/v1/hello/me", Auth::kVerified, [this](Request& req, Response& res) {
      const Caller caller = req.RequireCaller();
      res.Json(Body({{"message", Greeting() + ", " + std::string(caller.name)},
                     {"id", std::string(caller.id)},
                     {"role", std::string(caller.role)}}));
    });

    host.Info("hello: ready on /api/v1/hello");
  }

 private:
  // The current greeting. Values are JSON text; the host converts HELLO_GREETING=Hi to "Hi"
  // because the default is a string. Anything else (an admin stored a number?) is shown as is.
  std::string Greeting() const {
    const std::string text = host_->ConfigJson(kGreetingKey).value_or(kDefaultGreeting);
    const json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
    return value.is_string() ? value.get<std::string>() : text;
  }

  Host* host_ = nullptr;  // owned by the SDK; valid from Init() until Shutdown()
};

}  // namespace

// The plugin's identity: class, unique name, its own version, description. Exactly once per
// plugin; it defines the one exported symbol, webui_host_plugin_entry.
WEBUI_HOST_PLUGIN(HelloPlugin, "hello", "1.0.0", "Example plugin: a greeting endpoint")
