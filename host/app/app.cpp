#include "app/app.hpp"

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <spdlog/spdlog.h>

#include "app/core_routes.hpp"
#include "config/host_config.hpp"
#include "config/persistent_config.hpp"
#include "config/settings.hpp"
#include "frontend/static_site.hpp"
#include "http/pipeline.hpp"
#include "kv/kv_store.hpp"
#include "kv/redis_url.hpp"
#include "net/http_front.hpp"
#include "plugins/host_services.hpp"
#include "plugins/plugin_manager.hpp"
#include "realtime/socket_server.hpp"
#include "storage/database.hpp"
#include "storage/private_files.hpp"

namespace webui::app {
namespace {

namespace fs = std::filesystem;

constexpr const char* kUsage = R"(Usage: webui-host [--help] [--version] [--check-config]

A plugin host that speaks the Open WebUI backend API.

  --help          show this text
  --version       print the host version, the Open WebUI API version and the plugin ABI
  --check-config  validate the configuration and the plugin set, then exit (0 = fine)

Configuration comes from environment variables (Open WebUI's names), then ./.env (or the file
named by WEBUI_ENV_FILE), then settings saved by administrators, then defaults. The main ones:
  HOST, PORT                 listen address (0.0.0.0:8080)
  DATA_DIR                   data directory (./data); SQLite lives in DATA_DIR/webui.db
  DATABASE_URL               postgresql://user:pass@host:port/db to use PostgreSQL
  REDIS_URL                  redis://host:port/db to share state between instances
  WEBUI_PLUGIN_PATH          ':'-separated plugin directories
  WEBUI_PLUGINS              comma list of plugins to load (default: all found)
  WEBUI_PLUGINS_STRICT       true: refuse to start if any plugin is refused
  WEBUI_HTTP_THREADS         requests served at once (1100)
  GLOBAL_LOG_LEVEL           DEBUG|INFO|WARNING|ERROR
See docs/configuration.md for every variable.
)";

// Migrations owned by the host itself. Table names follow Open WebUI where it has the table.
const storage::Migration kHostMigrations[] = {
    {1, "config table (Open WebUI shape) and plugin toggles",
     "CREATE TABLE IF NOT EXISTS config (id INTEGER NOT NULL PRIMARY KEY, data JSON NOT NULL, "
     "version INTEGER NOT NULL, created_at DATETIME DEFAULT (CURRENT_TIMESTAMP) NOT NULL, "
     "updated_at DATETIME DEFAULT (CURRENT_TIMESTAMP));"
     "CREATE TABLE IF NOT EXISTS webui_host_plugin (name TEXT NOT NULL PRIMARY KEY, "
     "enabled INTEGER NOT NULL, updated_at BIGINT NOT NULL);",
     "CREATE TABLE IF NOT EXISTS config (id SERIAL PRIMARY KEY, data JSON NOT NULL, "
     "version INTEGER NOT NULL, created_at TIMESTAMP NOT NULL DEFAULT now(), "
     "updated_at TIMESTAMP DEFAULT now());"
     "CREATE TABLE IF NOT EXISTS webui_host_plugin (name TEXT NOT NULL PRIMARY KEY, "
     "enabled INTEGER NOT NULL, updated_at BIGINT NOT NULL);"},
};

std::string ExecutableDir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::current_path().string() : exe.parent_path().string();
}

void ConfigureLogging(const std::string& level) {
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v");
  if (level == "DEBUG")
    spdlog::set_level(spdlog::level::debug);
  else if (level == "TRACE")
    spdlog::set_level(spdlog::level::trace);
  else if (level == "WARNING")
    spdlog::set_level(spdlog::level::warn);
  else if (level == "ERROR")
    spdlog::set_level(spdlog::level::err);
  else if (level == "CRITICAL")
    spdlog::set_level(spdlog::level::critical);
  else
    spdlog::set_level(spdlog::level::info);
}

// Idle connections cost a descriptor each: use all the descriptors the hard limit allows. Returns
// the soft limit in force.
rlim_t RaiseDescriptorLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur;
}

}  // namespace

int Run(int argc, char** argv) {
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (arg == "--version") {
      std::cout << "webui-host " << WEBUI_HOST_VERSION << " (Open WebUI API " << CompatVersion()
                << ", plugin ABI " << WH_ABI_MAJOR << "." << WH_ABI_MINOR << ")\n";
      return 0;
    }
    if (arg == "--check-config") {
      check_only = true;
      continue;
    }
    std::cerr << "webui-host: unknown argument '" << arg << "' (see --help)\n";
    return 2;
  }

  // Signals are handled by sigwait() below; block them before any thread starts so no worker
  // thread ever receives them. A closed client socket must not kill the process.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  const char* env_file = std::getenv("WEBUI_ENV_FILE");
  const config::Settings settings = config::Settings::Load(env_file ? env_file : ".env");
  config::HostConfig cfg;
  try {
    cfg =
        config::HostConfig::FromSettings(settings, ExecutableDir() + "/../lib/webui-host/plugins");
  } catch (const config::ConfigError& e) {
    std::cerr << "webui-host: invalid configuration: " << e.what() << "\n";
    return 1;
  }
  ConfigureLogging(cfg.log_level);
  // Plugins read the effective data directory (for files such as a generated secret key)
  // through env_get; make the default visible to them too. No thread runs yet.
  ::setenv("DATA_DIR", cfg.data_dir.c_str(), 1);

  std::unique_ptr<storage::Database> db;
  try {
    // DATA_DIR holds the database, the secret key, uploads: owner-only when we create it. An
    // existing directory keeps its mode (the operator may share it with a backup group on
    // purpose), but a readable one is worth a warning.
    if (!storage::CreatePrivateDirectory(cfg.data_dir) && storage::SharedWithOthers(cfg.data_dir))
      spdlog::warn("DATA_DIR {} is accessible to other local accounts; chmod 700 it", cfg.data_dir);
    storage::DatabaseOptions dbo;
    dbo.url = cfg.database_url;
    dbo.sqlite_path = cfg.SqlitePath();
    dbo.pool_size = static_cast<size_t>(cfg.database_pool_size);
    db = storage::Database::Open(dbo);
    db->Migrate("host", kHostMigrations);
  } catch (const std::exception& e) {
    spdlog::critical("cannot start: database: {}", e.what());
    return 1;
  }
  spdlog::info("database: {}", db->Describe());

  // An admin change saved by any instance is re-read by every instance (through Redis when
  // present; within this process otherwise). Revocations and settings announced while Redis is
  // down are journaled and replayed when it returns; each instance also re-reads its settings
  // after every Redis reconnect, in case announcements were missed (docs/security.md T40, T42).
  constexpr const char* kConfigChannel = "webui-host:config-changed";
  constexpr const char* kAuthChangedChannel = WH_CHANNEL_AUTH_CHANGED;
  kv::KvOptions kvo;
  kvo.redis_url = cfg.redis_url;
  kvo.key_prefix = cfg.redis_key_prefix;
  kvo.connect_timeout = kvo.command_timeout = std::chrono::milliseconds(cfg.redis_timeout_ms);
  kvo.pool_size = static_cast<size_t>(cfg.redis_pool_size);
  kvo.replayed_channels = {kConfigChannel, kAuthChangedChannel};
  kvo.refuse_unusable = true;
  std::unique_ptr<kv::KvStore> kv;
  try {
    kvo.sentinel_hosts = settings.String("REDIS_SENTINEL_HOSTS", "");
    kvo.sentinel_port = static_cast<int>(settings.Int("REDIS_SENTINEL_PORT", 26379, 1, 65535));
    kv = kv::KvStore::Create(kvo);
    // Socket.IO's own store (WEBSOCKET_MANAGER=redis) must not fall back silently either.
    const std::string ws_url = settings.String("WEBSOCKET_REDIS_URL", cfg.redis_url);
    if (settings.String("WEBSOCKET_MANAGER", "") == "redis" && !ws_url.empty()) {
      if (auto parsed = kv::ParseRedisUrl(ws_url); !parsed.endpoint) {
        throw kv::KvConfigError("WEBSOCKET_REDIS_URL: " + parsed.error);
      }
    }
  } catch (const std::exception& e) {
    spdlog::critical("cannot start: Redis (REDIS_URL): {}", e.what());
    return 1;
  }

  config::PersistentConfig persistent(*db, settings, cfg.persistent_config);
  persistent.SetChangeHook([&kv](const std::string& key) { kv->Publish(kConfigChannel, key); });
  const auto reload = [&persistent](auto, auto) {
    try {
      persistent.Reload();
    } catch (const std::exception& e) {
      spdlog::warn("could not reload settings after a change elsewhere: {}", e.what());
    }
  };
  const auto config_subscription = kv->Subscribe(kConfigChannel, reload);
  const auto resync_subscription = kv->Subscribe(kv::kResyncChannel, reload);
  http::Router router;
  http::Pipeline pipeline(cfg, router);
  plugins::ServiceRegistry services;
  plugins::HostServices host{cfg, settings, persistent, *db, *kv, router, pipeline, services};
  plugins::PluginManager plugin_manager(host);
  std::unique_ptr<frontend::StaticSite> frontend_site;
  std::unique_ptr<realtime::SocketServer> sockets;
  try {
    persistent.Load();
    AddCoreRoutes(host, plugin_manager);
    frontend_site =
        std::make_unique<frontend::StaticSite>(settings.String("FRONTEND_BUILD_DIR", ""));
    frontend_site->Install(router);
    // Socket.IO: its routes, and socket_emitter.v1 offered before plugins initialise.
    sockets = std::make_unique<realtime::SocketServer>(
        realtime::RealtimeOptions::FromSettings(settings), pipeline, *kv);
    sockets->RegisterRoutes(router);
    // Each plugin gets its own handle, so its event handlers go quiet while it is disabled.
    realtime::SocketServer* io = sockets.get();
    services.Offer({WH_SERVICE_SOCKET_EMITTER_V1, &plugin_manager.host_record(), sockets->emitter(),
                    sizeof(wh_socket_emitter_v1), io->emitter_user(),
                    [io](const plugins::PluginRecord& consumer) {
                      const plugins::PluginRecord* rec = &consumer;
                      return io->EmitterUserFor(consumer.name,
                                                [rec] { return rec->enabled.load(); });
                    }});
    plugin_manager.LoadAll();
  } catch (const config::ConfigError& e) {
    spdlog::critical("cannot start: invalid configuration: {}", e.what());
    return 1;
  } catch (const std::exception& e) {
    spdlog::critical("cannot start: {}", e.what());
    plugin_manager.ShutdownAll();
    return 1;
  }

  if (check_only) {
    std::cout << "configuration OK: database " << db->Describe() << ", key-value store "
              << kv->Describe() << ", " << plugin_manager.loaded_count() << " plugins loaded, "
              << plugin_manager.refused_count() << " refused\n";
    plugin_manager.ShutdownAll();
    return plugin_manager.refused_count() == 0 ? 0 : 3;
  }

  // Bind without SO_REUSEPORT: a second instance on a busy port must fail, not share it.
  Poco::Net::ServerSocket socket;
  try {
    socket.bind(Poco::Net::SocketAddress(cfg.host, static_cast<Poco::UInt16>(cfg.port)), true,
                false);
    socket.listen(1024);
  } catch (const Poco::Exception& e) {
    spdlog::critical("cannot listen on {}:{}: {}", cfg.host, cfg.port, e.displayText());
    plugin_manager.ShutdownAll();
    return 1;
  }

  net::FrontOptions front_options;
  front_options.max_workers = cfg.http_threads;
  front_options.max_queued = cfg.http_queue;
  front_options.relay_threads = cfg.relay_threads;
  front_options.keep_alive_timeout = std::chrono::seconds(cfg.keep_alive_timeout_s);
  front_options.header_timeout = std::chrono::seconds(cfg.header_timeout_s);
  front_options.body_timeout = std::chrono::seconds(cfg.body_timeout_s);
  // Descriptors beyond the connection cap stay free for the database, Redis, plugins, files
  // and upgraded WebSockets.
  const rlim_t descriptors = RaiseDescriptorLimit();
  front_options.max_connections =
      cfg.max_connections > 0 ? static_cast<size_t>(cfg.max_connections)
      : descriptors == RLIM_INFINITY || descriptors > 1000000
          ? 1000000
          : static_cast<size_t>(std::max<rlim_t>(64, descriptors - descriptors / 8));
  front_options.max_connections_per_address = static_cast<size_t>(cfg.max_connections_per_ip);
  net::HttpFront front(
      socket, front_options,
      [&pipeline](Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& res,
                  net::WholeResponse& whole) { pipeline.Handle(req, res, &whole); });
  sockets->Start();  // reactor, dispatch threads, subscriptions
  front.Start();
  const int port = socket.address().port();
  spdlog::info("webui-host {} listening on http://{}:{} ({} threads max, {} connections max)",
               WEBUI_HOST_VERSION, cfg.host, port, cfg.http_threads, front_options.max_connections);
  if (const char* port_file = std::getenv("WEBUI_PORT_FILE")) {
    std::ofstream(std::string(port_file) + ".tmp") << port << "\n";
    fs::rename(std::string(port_file) + ".tmp", port_file);
  }

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("received {}, draining (up to {} s)", sig == SIGTERM ? "SIGTERM" : "SIGINT",
               cfg.shutdown_timeout_s);

  // Stop accepting; connections close after their current request; wait for the rest.
  pipeline.BeginDrain();
  // Close every socket first, so no long-poll holds the drain.
  sockets->Stop();
  front.BeginShutdown();
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(cfg.shutdown_timeout_s);
  // Relayed streams are requests in progress too, though no worker holds them.
  auto wait_for_requests = [&pipeline, &front](std::chrono::steady_clock::time_point until) {
    const auto busy = [&] { return pipeline.inflight() > 0 || front.live_relays() > 0; };
    while (busy() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return !busy();
  };
  if (!wait_for_requests(deadline)) {
    // Streams get a last event saying why they end, then a moment to return.
    front.AbortRelays();
    const size_t ended =
        pipeline.AbortStreams("The server is shutting down", std::chrono::milliseconds(500));
    if (!wait_for_requests(std::chrono::steady_clock::now() + std::chrono::milliseconds(500))) {
      spdlog::warn(
          "{} requests and {} relayed streams still running after {} s ({} streams ended); "
          "exiting anyway",
          pipeline.inflight(), front.live_relays(), cfg.shutdown_timeout_s, ended);
      spdlog::shutdown();
      std::_Exit(0);
    }
  }
  front.Stop();
  kv->Unsubscribe(config_subscription);
  kv->Unsubscribe(resync_subscription);
  plugin_manager.ShutdownAll();
  spdlog::info("stopped");
  return 0;
}

}  // namespace webui::app
