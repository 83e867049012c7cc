// webui-host plugin SDK: a header-only C++17 kit over the C ABI in abi.h. This umbrella header
// includes every part that needs nothing beyond the C++ standard library:
//
//   sdk/core.hpp      string conversions
//   sdk/errors.hpp    HttpError and the typed errors, Open WebUI's error texts
//   sdk/fetch.hpp     outbound HTTP requests
//   sdk/http.hpp      Request, Response, relayed streams
//   sdk/db.hpp        SQL parameters, rows, migrations
//   sdk/plugin.hpp    Plugin, Host, Transaction, WEBUI_HOST_PLUGIN
//   sdk/services.hpp  typed clients of services/*.h (ModelProvider, SocketEmitter, ApiConfig)
//   sdk/tasks.hpp     the background task runner
//
// Opt-in, because they need nlohmann/json: sdk/json.hpp (bounded parsing, JsonBody, Reply,
// Setting<T>). For tests: sdk/testing/fake_host.hpp.
//
// A plugin is a class derived from webui::sdk::Plugin, declared with WEBUI_HOST_PLUGIN(...). Its
// Init() registers routes, settings, migrations and services through Host. Handlers take a
// Request and a Response; throwing HttpError (or BadRequest, NotFound, Unprocessable, ...) answers
// {"detail": ...} with its status, a host service outage (Error with WH_UNAVAILABLE, e.g. the
// database is down) answers 503, any other exception answers 500. Nothing C++ ever crosses into
// the host: every callback the host sees is a noexcept thunk defined here.
#pragma once

#include <webui_host/abi.h>
#include <webui_host/sdk/core.hpp>
#include <webui_host/sdk/db.hpp>
#include <webui_host/sdk/errors.hpp>
#include <webui_host/sdk/fetch.hpp>
#include <webui_host/sdk/http.hpp>
#include <webui_host/sdk/plugin.hpp>
#include <webui_host/sdk/services.hpp>
#include <webui_host/sdk/tasks.hpp>
