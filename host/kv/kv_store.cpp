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
  ParsedRedisUrl parsed = ParseRedisUrl(options.redis_url);
  if (!parsed.endpoint) {
    spdlog::warn("KV store: {}; using the in-process store instead", parsed.error);
    return std::make_unique<MemoryStore>();
  }
  return std::make_unique<FailoverStore>(std::move(*parsed.endpoint), options);
}

}  // namespace webui::kv
