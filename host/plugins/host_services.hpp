// The host's services that plugins reach through the wh_host_api table.
#pragma once

#include <webui_host/abi.h>

#include <atomic>

#include "config/host_config.hpp"
#include "config/persistent_config.hpp"
#include "config/settings.hpp"
#include "http/pipeline.hpp"
#include "http/router.hpp"
#include "kv/kv_store.hpp"
#include "outbound/destination.hpp"
#include "plugins/service_registry.hpp"
#include "storage/database.hpp"

namespace webui::net {
class HttpFront;
}

namespace webui::plugins {

struct HostServices {
  const config::HostConfig& config;
  const config::Settings& settings;
  config::PersistentConfig& persistent;
  storage::Database& db;
  kv::KvStore& kv;
  http::Router& router;
  http::Pipeline& pipeline;
  ServiceRegistry& services;
  // The connection front once it serves (its relay threads carry http_fetch_relay); null
  // during plugin init and after the front is gone.
  std::atomic<net::HttpFront*> front{nullptr};
  // Where public-only fetches (WH_FETCH_PUBLIC_ONLY) may go although not public; set from
  // WEBUI_FETCH_ALLOWED_HOSTS before plugins load.
  outbound::AllowList fetch_allowed{};
};

// The table handed to every plugin's init (static, lives for the whole process).
const wh_host_api* HostApiTable();

}  // namespace webui::plugins
