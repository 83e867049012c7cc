// hello: a complete webui-host plugin, small enough to copy as the start of your own.
//
//   GET /api/v1/hello?name=Ada   anyone          {"message": "Hello, Ada"}
//   GET /api/v1/hello/me         verified users  {"message": "Hello, <name>", "id", "role"}
//
// The greeting is a setting: key "hello.greeting", environment variable HELLO_GREETING, default
// "Hello". It is persistent (a value stored in the config table wins over the environment), and
// handlers read it on every request instead of caching it in Init(), so a change applies without
// a restart.
#include "hello_plugin.hpp"

// The plugin's identity: class, unique name, its own version, description. Exactly once per
// plugin; it defines the one exported symbol, webui_host_plugin_entry.
WEBUI_HOST_PLUGIN(hello::HelloPlugin, "hello", "1.0.0", "Example plugin: a greeting endpoint")
