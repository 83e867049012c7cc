// The hello plugin's class: in a header so that hello_test.cpp can load it into the SDK's fake
// host; hello.cpp declares it as the plugin.
#pragma once

#include <webui_host/sdk.hpp>
#include <webui_host/sdk/json.hpp>  // JSON helpers: Reply, JsonBody, Setting<T> (nlohmann_json)

#include <string>

namespace hello {

using webui::sdk::Auth;
using webui::sdk::Caller;
using webui::sdk::Host;
using webui::sdk::Request;
using webui::sdk::Response;

inline constexpr char kGreetingKey[] = "hello.greeting";
inline constexpr char kDefaultGreeting[] = R"("Hello")";  // settings are JSON text: a JSON string

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
      // Reply serialises and sends; query parameters come from users and may be invalid UTF-8,
      // which it replaces instead of throwing.
      webui::sdk::Reply(res, {{"message", Greeting() + ", " + name}});
    });

    // Verified: the host answers 401/403 itself unless the caller is a signed-in "user" or
    // "admin", so the handler can rely on RequireCaller().
    host.Route("GET", "/api/v1/hello/me", Auth::kVerified, [this](Request& req, Response& res) {
      const Caller caller = req.RequireCaller();
      webui::sdk::Reply(res, {{"message", Greeting() + ", " + std::string(caller.name)},
                              {"id", std::string(caller.id)},
                              {"role", std::string(caller.role)}});
    });

    host.Info("hello: ready on /api/v1/hello");
  }

 private:
  // The current greeting. Values are JSON text; the host converts HELLO_GREETING=Hi to "Hi"
  // because the default is a string. Anything else (an admin stored a number?) falls back.
  std::string Greeting() const { return webui::sdk::Setting(*host_, kGreetingKey, "Hello"); }

  Host* host_ = nullptr;  // owned by the SDK; valid from Init() until Shutdown()
};

}  // namespace hello
