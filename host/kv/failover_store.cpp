#include "kv/failover_store.hpp"

#include <Poco/Redis/Command.h>
#include <spdlog/spdlog.h>

namespace webui::kv {
namespace {

using Poco::Redis::Command;
using Poco::Redis::RedisType;

// Incr with a TTL in one atomic step: the expiry is set only when INCRBY created the key, and
// because the script runs atomically no client can ever observe (or leave) that key without it.
constexpr const char* kIncrWithTtlScript =
    "local existed = redis.call('EXISTS', KEYS[1])\n"
    "local value = redis.call('INCRBY', KEYS[1], ARGV[1])\n"
    "if existed == 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end\n"
    "return value\n";

std::int64_t AsInteger(const RedisType::Ptr& reply) {
  const auto* typed = dynamic_cast<const Poco::Redis::Type<Poco::Int64>*>(reply.get());
  if (typed == nullptr) throw RedisCommandError("unexpected reply type (wanted an integer)");
  return typed->value();
}

std::optional<std::string> AsOptionalString(const RedisType::Ptr& reply) {
  if (const auto* bulk =
          dynamic_cast<const Poco::Redis::Type<Poco::Redis::BulkString>*>(reply.get())) {
    if (bulk->value().isNull()) return std::nullopt;
    return bulk->value().value();
  }
  if (const auto* simple = dynamic_cast<const Poco::Redis::Type<std::string>*>(reply.get())) {
    return simple->value();
  }
  throw RedisCommandError("unexpected reply type (wanted a string)");
}

std::string KeyPrefix(const std::string& prefix) {
  return prefix.empty() ? std::string() : prefix + ":";
}

}  // namespace

FailoverStore::FailoverStore(RedisEndpoint endpoint, const KvOptions& options)
    : endpoint_(std::move(endpoint)),
      description_(endpoint_.Describe()),
      prefix_(KeyPrefix(options.key_prefix)),
      reconnect_interval_(std::max(options.reconnect_interval, std::chrono::milliseconds{10})),
      pool_(endpoint_, RedisTimeouts{options.connect_timeout, options.command_timeout},
            options.pool_size, &stopping_) {
  // One synchronous probe so that IsShared() is right from the start; bounded by the timeouts.
  try {
    pool_.Execute(Command("PING"));
    up_ = true;
    spdlog::info("KV store: Redis at {} (shared between host processes)", description_);
  } catch (const std::exception& e) {
    spdlog::warn("Redis at {} unreachable ({}); using the in-process store until it returns",
                 description_, e.what());
  }
  subscriber_ = std::make_unique<RedisSubscriber>(
      endpoint_, RedisTimeouts{options.connect_timeout, options.command_timeout},
      reconnect_interval_, prefix_,
      RedisSubscriber::Hooks{[this] { return up_.load(); },
                             [this](const std::string& reason) { MarkDown(reason); }});
  monitor_ = std::thread([this] { Monitor(); });
}

FailoverStore::~FailoverStore() {
  {
    std::lock_guard lock(monitor_mu_);
    stopping_ = true;
  }
  monitor_cv_.notify_all();
  monitor_.join();
  subscriber_.reset();
}

std::string FailoverStore::Describe() const { return up_ ? description_ : "in-process"; }

void FailoverStore::MarkDown(const std::string& reason) {
  if (stopping_) return;
  if (up_.exchange(false)) {
    spdlog::warn("Redis at {} unreachable ({}); using the in-process store until it returns",
                 description_, reason);
  }
  pool_.Clear();  // every idle connection is as dead as the one that just failed
}

void FailoverStore::MarkUp() {
  if (!up_.exchange(true)) {
    spdlog::info("Redis at {} is reachable again; no longer using the in-process store",
                 description_);
    subscriber_->Wake();  // reconnect and re-SUBSCRIBE now rather than at the next attempt
  }
}

void FailoverStore::Monitor() {
  std::unique_lock lock(monitor_mu_);
  while (!stopping_) {
    monitor_cv_.wait_for(lock, reconnect_interval_, [this] { return stopping_.load(); });
    if (stopping_) break;
    lock.unlock();
    // Also while up: an idle process would otherwise claim IsShared() long after Redis died.
    try {
      pool_.Execute(Command("PING"));
      MarkUp();
    } catch (const std::exception& e) {
      MarkDown(e.what());
    }
    lock.lock();
  }
}

template <typename OnRedis, typename Locally>
auto FailoverStore::Call(OnRedis&& on_redis, Locally&& locally) -> decltype(locally()) {
  if (up_) {
    try {
      return on_redis();
    } catch (const RedisUnavailable& e) {
      MarkDown(e.what());
    }
  }
  return locally();
}

std::optional<std::string> FailoverStore::Get(std::string_view key) {
  return Call(
      [&] {
        Command get("GET");
        get << Key(key);
        return AsOptionalString(pool_.Execute(get));
      },
      [&] { return local_.Get(key); });
}

void FailoverStore::Set(std::string_view key, std::string_view value,
                        std::chrono::milliseconds ttl) {
  Call(
      [&] {
        Command set("SET");
        set << Key(key) << std::string(value);
        if (ttl.count() > 0) set << "PX" << std::to_string(ttl.count());
        pool_.Execute(set);
      },
      [&] { local_.Set(key, value, ttl); });
}

void FailoverStore::Del(std::string_view key) {
  Call(
      [&] {
        Command del("DEL");
        del << Key(key);
        pool_.Execute(del);
      },
      [&] { local_.Del(key); });
}

std::int64_t FailoverStore::Incr(std::string_view key, std::int64_t delta,
                                 std::chrono::milliseconds ttl) {
  return Call(
      [&] {
        if (ttl.count() <= 0) {
          Command incr("INCRBY");
          incr << Key(key) << std::to_string(delta);
          return AsInteger(pool_.Execute(incr));
        }
        Command eval("EVAL");
        eval << kIncrWithTtlScript << "1" << Key(key) << std::to_string(delta)
             << std::to_string(ttl.count());
        return AsInteger(pool_.Execute(eval));
      },
      [&] { return local_.Incr(key, delta, ttl); });
}

std::optional<std::chrono::milliseconds> FailoverStore::Ttl(std::string_view key) {
  return Call(
      [&]() -> std::optional<std::chrono::milliseconds> {
        Command pttl("PTTL");
        pttl << Key(key);
        const std::int64_t ms = AsInteger(pool_.Execute(pttl));
        if (ms == -2) return std::nullopt;
        return std::chrono::milliseconds{ms < 0 ? -1 : ms};
      },
      [&] { return local_.Ttl(key); });
}

void FailoverStore::Publish(std::string_view channel, std::string_view message) {
  Call(
      [&] {
        Command publish("PUBLISH");
        publish << Key(channel) << std::string(message);
        pool_.Execute(publish);
      },
      [&] { local_.Publish(channel, message); });
}

std::uint64_t FailoverStore::Subscribe(std::string_view channel, MessageFn fn) {
  auto shared = std::make_shared<const MessageFn>(std::move(fn));
  const std::uint64_t local_id = local_.Subscribe(
      channel, [shared](std::string_view c, std::string_view m) { (*shared)(c, m); });
  const std::uint64_t redis_id = subscriber_->Subscribe(channel, shared);
  std::lock_guard lock(subs_mu_);
  const std::uint64_t id = next_id_++;
  subs_.emplace(id, std::make_pair(local_id, redis_id));
  return id;
}

void FailoverStore::Unsubscribe(std::uint64_t id) {
  std::pair<std::uint64_t, std::uint64_t> ids;
  {
    std::lock_guard lock(subs_mu_);
    const auto it = subs_.find(id);
    if (it == subs_.end()) return;
    ids = it->second;
    subs_.erase(it);
  }
  local_.Unsubscribe(ids.first);
  subscriber_->Unsubscribe(ids.second);
}

}  // namespace webui::kv
