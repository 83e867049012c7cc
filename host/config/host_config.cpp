#include "config/host_config.hpp"

namespace webui::config {

HostConfig HostConfig::FromSettings(const Settings& s, const std::string& default_plugin_dir) {
  HostConfig c;
  c.host = s.String("HOST", c.host);
  c.port = static_cast<int>(s.Int("PORT", c.port, 0, 65535));
  c.http_threads = static_cast<int>(s.Int("WEBUI_HTTP_THREADS", c.http_threads, 2, 100000));
  c.relay_threads = static_cast<int>(s.Int("WEBUI_RELAY_THREADS", c.relay_threads, 0, 64));
  c.http_queue = static_cast<int>(s.Int("WEBUI_HTTP_QUEUE", c.http_queue, 1, 1000000));
  c.keep_alive_timeout_s =
      static_cast<int>(s.Int("WEBUI_KEEPALIVE_TIMEOUT", c.keep_alive_timeout_s, 1, 3600));
  c.header_timeout_s =
      static_cast<int>(s.Int("WEBUI_HTTP_HEADER_TIMEOUT", c.header_timeout_s, 1, 3600));
  c.body_timeout_s = static_cast<int>(s.Int("WEBUI_HTTP_BODY_TIMEOUT", c.body_timeout_s, 1, 86400));
  c.max_connections =
      static_cast<int>(s.Int("WEBUI_HTTP_MAX_CONNECTIONS", c.max_connections, 0, 10000000));
  c.max_connections_per_ip = static_cast<int>(
      s.Int("WEBUI_HTTP_MAX_CONNECTIONS_PER_IP", c.max_connections_per_ip, 0, 10000000));
  c.shutdown_timeout_s =
      static_cast<int>(s.Int("WEBUI_SHUTDOWN_TIMEOUT", c.shutdown_timeout_s, 0, 3600));
  c.max_body_bytes = s.Bytes("WEBUI_MAX_BODY_SIZE", c.max_body_bytes);

  c.data_dir = s.String("DATA_DIR", c.data_dir);
  if (c.data_dir.empty()) throw ConfigError("DATA_DIR: must not be empty");
  c.database_url = s.String("DATABASE_URL", "");
  if (!c.database_url.empty() && c.database_url.rfind("sqlite://", 0) != 0 &&
      c.database_url.rfind("postgresql://", 0) != 0 && c.database_url.rfind("postgres://", 0) != 0)
    throw ConfigError("DATABASE_URL: expected sqlite:///path or postgresql://..., got a '" +
                      c.database_url.substr(0, c.database_url.find(':')) + "' URL");
  c.database_pool_size =
      static_cast<int>(s.Int("DATABASE_POOL_SIZE", c.database_pool_size, 1, 1000));

  c.redis_url = s.String("REDIS_URL", "");
  c.redis_key_prefix = s.String("REDIS_KEY_PREFIX", c.redis_key_prefix);
  c.redis_timeout_ms = static_cast<int>(s.Int("REDIS_TIMEOUT_MS", c.redis_timeout_ms, 50, 600000));
  c.redis_pool_size = static_cast<int>(s.Int("REDIS_POOL_SIZE", c.redis_pool_size, 1, 1000));

  c.plugin_path = s.List("WEBUI_PLUGIN_PATH", ':');
  if (c.plugin_path.empty()) c.plugin_path.push_back(default_plugin_dir);
  c.plugin_allow = s.List("WEBUI_PLUGINS", ',');
  c.plugins_strict = s.Bool("WEBUI_PLUGINS_STRICT", false);

  if (auto cors = s.Get("CORS_ALLOW_ORIGIN")) c.cors_allow_origin = SplitTrim(*cors, ';');
  c.compression = s.Bool("ENABLE_COMPRESSION_MIDDLEWARE", c.compression);
  const std::string audit =
      s.OneOf("AUDIT_LOG_LEVEL", "NONE", {"NONE", "METADATA", "REQUEST", "REQUEST_RESPONSE"});
  c.audit_level = audit == "METADATA"           ? AuditLevel::kMetadata
                  : audit == "REQUEST"          ? AuditLevel::kRequest
                  : audit == "REQUEST_RESPONSE" ? AuditLevel::kRequestResponse
                                                : AuditLevel::kNone;
  c.audit_log_path = s.String("AUDIT_LOGS_FILE_PATH", c.data_dir + "/audit.log");
  c.audit_max_body = s.Int("AUDIT_LOG_MAX_BODY_SIZE", c.audit_max_body, 0, 1 << 30);
  c.audit_excluded_paths = s.List("AUDIT_EXCLUDED_PATHS", ',');
  c.access_log = s.Bool("WEBUI_ACCESS_LOG", c.access_log);
  c.forwarded_allow_ips = TrustedProxies::Parse(s.String("FORWARDED_ALLOW_IPS", "127.0.0.1"));
  c.metrics_enabled = s.Bool("ENABLE_METRICS", false);
  c.metrics_allow = TrustedProxies::Parse(s.String("WEBUI_METRICS_ALLOW", "127.0.0.1,::1"),
                                          "WEBUI_METRICS_ALLOW");
  c.metrics_token = s.String("WEBUI_METRICS_TOKEN", "");
  c.fetch_allowed_hosts = s.String("WEBUI_FETCH_ALLOWED_HOSTS", "");
  c.log_level = s.OneOf("GLOBAL_LOG_LEVEL", c.log_level,
                        {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", "TRACE"});

  c.x_frame_options = s.String("XFRAME_OPTIONS", c.x_frame_options);
  c.hsts = s.String("HSTS", c.hsts);
  c.content_security_policy = s.String("CONTENT_SECURITY_POLICY", c.content_security_policy);
  c.referrer_policy = s.String("REFERRER_POLICY", c.referrer_policy);
  c.permissions_policy = s.String("PERMISSIONS_POLICY", c.permissions_policy);

  c.persistent_config = s.Bool("ENABLE_PERSISTENT_CONFIG", c.persistent_config);
  c.webui_name = s.String("WEBUI_NAME", c.webui_name);
  return c;
}

}  // namespace webui::config
