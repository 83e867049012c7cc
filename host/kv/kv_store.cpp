#include "kv/kv_store.hpp"

#include <spdlog/spdlog.h>

#include "kv/failover_store.hpp"
#include "kv/memory_store.hpp"
#include "kv/redis_url.hpp"

namespace webui::kv {

std::unique_ptr<KvStore> KvStore::Create(const KvOptions& options) {
  if (options.redis_url.empty()) {
    spdlog::info(
        "KV store: in-process (REDIS_URL is not set); state and pub/sub stay inside "
        "this process");
    return std::make_unique<MemoryStore>();
  }
  // A Redis that is configured but cannot be used would leave a multi-instance deployment without
  // shared revocations, rate limits and events, silently: refuse instead (docs/security.md T40).
  ParsedRedisUrl parsed = ParseRedisUrl(
      options.redis_url, SentinelSettings{options.sentinel_hosts, options.sentinel_port});
  if (!parsed.endpoint) {
    if (options.refuse_unusable) throw KvConfigError(parsed.error);
    spdlog::warn("KV store: {}; using the in-process store instead", parsed.error);
    return std::make_unique<MemoryStore>();
  }
  try {
    return std::make_unique<FailoverStore>(std::move(*parsed.endpoint), options);
  } catch (const RedisUnavailable& e) {  // refused at start, or an unreadable TLS CA file
    if (options.refuse_unusable) throw KvConfigError(e.what());
    spdlog::warn("KV store: {}; using the in-process store instead", e.what());
    return std::make_unique<MemoryStore>();
  }
}

}  // namespace webui::kv
