// The host's own settings, read once at start. Names are Open WebUI's where Open WebUI has one.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "config/settings.hpp"
#include "config/trusted_proxies.hpp"

namespace webui::config {

enum class AuditLevel { kNone, kMetadata, kRequest, kRequestResponse };

struct HostConfig {
  // Network
  std::string host = "0.0.0.0";   // HOST
  int port = 8080;                // PORT
  int http_threads = 1100;        // WEBUI_HTTP_THREADS (requests served at once)
  int relay_threads = 0;          // WEBUI_RELAY_THREADS (stream relay threads; 0 = per core, max 4)
  int http_queue = 1024;          // WEBUI_HTTP_QUEUE (complete requests waiting for a thread)
  int keep_alive_timeout_s = 10;  // WEBUI_KEEPALIVE_TIMEOUT
  int header_timeout_s = 10;      // WEBUI_HTTP_HEADER_TIMEOUT (first byte to complete head)
  int body_timeout_s = 60;        // WEBUI_HTTP_BODY_TIMEOUT (complete head to complete body)
  int max_connections = 0;        // WEBUI_HTTP_MAX_CONNECTIONS (0 = from the descriptor limit)
  int max_connections_per_ip = 0;  // WEBUI_HTTP_MAX_CONNECTIONS_PER_IP (0 = no cap)
  int shutdown_timeout_s = 15;     // WEBUI_SHUTDOWN_TIMEOUT (drain in-flight requests)
  std::int64_t max_body_bytes = 8 * 1024 * 1024;  // WEBUI_MAX_BODY_SIZE

  // Storage
  std::string data_dir = "./data";  // DATA_DIR
  std::string database_url;         // DATABASE_URL ("" = SQLite in DATA_DIR/webui.db)
  int database_pool_size = 10;      // DATABASE_POOL_SIZE

  // Redis
  std::string redis_url;                        // REDIS_URL
  std::string redis_key_prefix = "open-webui";  // REDIS_KEY_PREFIX
  int redis_timeout_ms = 2000;                  // REDIS_TIMEOUT_MS (connect and command)
  int redis_pool_size = 8;                      // REDIS_POOL_SIZE

  // Plugins
  std::vector<std::string> plugin_path;   // WEBUI_PLUGIN_PATH (':'-separated)
  std::vector<std::string> plugin_allow;  // WEBUI_PLUGINS (comma list; empty = all found)
  bool plugins_strict = false;            // WEBUI_PLUGINS_STRICT

  // Middleware
  std::vector<std::string> cors_allow_origin{"*"};  // CORS_ALLOW_ORIGIN (';'-separated)
  bool compression = true;                          // ENABLE_COMPRESSION_MIDDLEWARE
  AuditLevel audit_level = AuditLevel::kNone;       // AUDIT_LOG_LEVEL
  std::string audit_log_path;          // AUDIT_LOGS_FILE_PATH (default DATA_DIR/audit.log)
  std::int64_t audit_max_body = 2048;  // AUDIT_LOG_MAX_BODY_SIZE
  std::vector<std::string> audit_excluded_paths;  // AUDIT_EXCLUDED_PATHS (comma list, prefixes)
  bool access_log = false;                        // WEBUI_ACCESS_LOG (one info line per request)
  std::string log_level = "INFO";                 // GLOBAL_LOG_LEVEL
  // FORWARDED_ALLOW_IPS (uvicorn's; same default): whose X-Forwarded-For names the client.
  TrustedProxies forwarded_allow_ips = TrustedProxies::Parse("127.0.0.1");

  // Security headers (Open WebUI names); empty = our default / not sent.
  std::string x_frame_options = "SAMEORIGIN";                       // XFRAME_OPTIONS
  std::string hsts;                                                 // HSTS
  std::string content_security_policy;                              // CONTENT_SECURITY_POLICY
  std::string referrer_policy = "strict-origin-when-cross-origin";  // REFERRER_POLICY
  std::string permissions_policy;                                   // PERMISSIONS_POLICY

  // Prometheus /metrics: off by default; when on, answered to peers in `metrics_allow` or to a
  // bearer of `metrics_token` (docs/configuration.md).
  bool metrics_enabled = false;  // ENABLE_METRICS
  TrustedProxies metrics_allow = TrustedProxies::Parse("127.0.0.1,::1", "WEBUI_METRICS_ALLOW");
  std::string metrics_token;  // WEBUI_METRICS_TOKEN
  // WEBUI_FETCH_ALLOWED_HOSTS: non-public destinations plugins' public-only fetches may reach
  // (parsed by outbound::AllowList when the host starts).
  std::string fetch_allowed_hosts;

  // Persistent config
  bool persistent_config = true;  // ENABLE_PERSISTENT_CONFIG

  // Identity shown by /api/config
  std::string webui_name = "Open WebUI";  // WEBUI_NAME

  // Reads every field; throws ConfigError naming the first invalid variable.
  static HostConfig FromSettings(const Settings& settings, const std::string& default_plugin_dir);
  std::string SqlitePath() const { return data_dir + "/webui.db"; }
};

}  // namespace webui::config
