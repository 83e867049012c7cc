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
#include <utility>
#include <vector>

#include <Poco/Net/NetException.h>
#include <Poco/Net/ServerSocket.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "app/admin_cli.hpp"
#include "app/core_routes.hpp"
#include "app/metrics_routes.hpp"
#include "app/usage_text.hpp"
#include "config/host_config.hpp"
#include "config/persistent_config.hpp"
#include "config/settings.hpp"
#include "frontend/installer.hpp"
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
  if (argc >= 2 && std::string_view(argv[1]) == "frontend") {
    const char* env_file = std::getenv("WEBUI_ENV_FILE");
    const config::Settings settings = config::Settings::Load(env_file ? env_file : ".env");
    return frontend::FrontendCommand(argc - 1, argv + 1, settings.String("DATA_DIR", "./data"),
                                     settings.String("FRONTEND_BUILD_DIR", ""));
  }
  bool check_only = false;
  std::vector<std::string> admin_args;  // an admin subcommand: no server, see admin_cli.hpp
  if (argc >= 2 && IsAdminCommand(argv[1])) admin_args.assign(argv + 1, argv + argc);
  for (int i = admin_args.empty() ? 1 : argc; i < argc; ++i) {
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
  if (!admin_args.empty()) {
    // A command's output is stdout; the host's log lines go to stderr, warnings and up.
    spdlog::set_default_logger(spdlog::stderr_color_mt("admin"));
    ConfigureLogging(settings.String("GLOBAL_LOG_LEVEL", "WARNING"));
  }
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
  // The reload handlers use `persistent`: they are gone before it is, on every way out of Run
  // (an admin command that publishes a change hears its own announcement while exiting).
  struct Subscriptions {
    kv::KvStore& kv;
    std::vector<std::uint64_t> ids;
    ~Subscriptions() {
      for (auto id : ids) kv.Unsubscribe(id);
    }
  } subscriptions{
      *kv, {kv->Subscribe(kConfigChannel, reload), kv->Subscribe(kv::kResyncChannel, reload)}};
  http::Router router;
  http::Pipeline pipeline(cfg, router);
  plugins::ServiceRegistry services;
  plugins::HostServices host{cfg, settings, persistent, *db, *kv, router, pipeline, services};
  try {
    host.fetch_allowed = outbound::AllowList::Parse(cfg.fetch_allowed_hosts);
  } catch (const std::invalid_argument& e) {
    throw config::ConfigError(e.what());
  }
  plugins::PluginManager plugin_manager(host);
  plugin_manager.KeepLibrariesLoaded();
  LateGauges late_gauges;  // filled before the front starts serving
  metrics::PluginMetrics plugin_metrics;
  std::unique_ptr<frontend::StaticSite> frontend_site;
  std::unique_ptr<realtime::SocketServer> sockets;
  if (!admin_args.empty() && !NeedsPlugins(admin_args)) {
    return RunAdminCommand(admin_args, host, plugin_manager);
  }
  try {
    persistent.Load();
    AddCoreRoutes(host, plugin_manager);
    AddMetricsRoutes(host, plugin_manager, late_gauges, plugin_metrics);
    // FRONTEND_BUILD_DIR, or else what `webui-host frontend install` put in DATA_DIR.
    std::string frontend_dir = settings.String("FRONTEND_BUILD_DIR", "");
    if (frontend_dir.empty() &&
        fs::is_regular_file(frontend::InstalledFrontendDir(cfg.data_dir) / "index.html"))
      frontend_dir = frontend::InstalledFrontendDir(cfg.data_dir).string();
    frontend_site = std::make_unique<frontend::StaticSite>(frontend_dir);
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
    // metrics.v1: plugins' own series in /metrics, each labelled with the plugin's name.
    services.Offer({WH_SERVICE_METRICS_V1, &plugin_manager.host_record(),
                    metrics::PluginMetrics::Table(), sizeof(wh_metrics_v1),
                    plugin_metrics.UserFor("host"),
                    [&plugin_metrics](const plugins::PluginRecord& consumer) {
                      return plugin_metrics.UserFor(consumer.name);
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

  if (!admin_args.empty()) {
    const int rc = RunAdminCommand(admin_args, host, plugin_manager);
    plugin_manager.ShutdownAll();
    return rc;
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
  // Plugins' own upstream exchanges (http_fetch_relay) run on the front's relay threads.
  host.front = &front;
  struct FrontGone {
    plugins::HostServices& host;
    ~FrontGone() { host.front = nullptr; }
  } front_gone{host};
  late_gauges.relayed_streams = [&front] { return front.live_relays(); };
  late_gauges.socketio_connected = [io = sockets.get()] { return io->stats().connected; };
  late_gauges.socketio_sessions = [io = sockets.get()] { return io->stats().sessions; };
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
  for (auto id : std::exchange(subscriptions.ids, {})) kv->Unsubscribe(id);
  plugin_manager.ShutdownAll();
  spdlog::info("stopped");
  return 0;
}

}  // namespace webui::app
