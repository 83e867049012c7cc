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
    : description_(endpoint.Describe()),
      prefix_(KeyPrefix(options.key_prefix)),
      reconnect_interval_(std::max(options.reconnect_interval, std::chrono::milliseconds{10})),
      replayed_channels_(options.replayed_channels.begin(), options.replayed_channels.end()),
      journal_max_entries_(std::max<std::size_t>(options.journal_max_entries, 1)),
      journal_max_bytes_(std::max<std::size_t>(options.journal_max_bytes, 1024)),
      target_(std::make_shared<RedisTarget>(
          std::move(endpoint), RedisTimeouts{options.connect_timeout, options.command_timeout})),
      pool_(target_, options.pool_size, &stopping_) {
  // One synchronous probe so that IsShared() is right from the start; bounded by the timeouts.
  // A server that refuses us (certificate, password) is a configuration error, not an outage.
  try {
    pool_.Execute(Command("PING"));
    up_ = true;
    spdlog::info("KV store: Redis at {} (shared between host processes)", description_);
  } catch (const RedisRefused& e) {
    if (options.refuse_unusable) {
      throw RedisUnavailable(std::string("Redis at ") + description_ +
                             " refused the connection: " + e.what());
    }
    spdlog::warn("Redis at {} unreachable ({}); using the in-process store until it returns",
                 description_, e.what());
  } catch (const std::exception& e) {
    spdlog::warn("Redis at {} unreachable ({}); using the in-process store until it returns",
                 description_, e.what());
  }
  up_at_start_ = up_;
  subscriber_ = std::make_unique<RedisSubscriber>(
      target_, reconnect_interval_, prefix_,
      RedisSubscriber::Hooks{[this] { return up_.load(); },
                             [this](const std::string& reason) { MarkDown(reason); },
                             [this](bool first) {
                               if (!first || !up_at_start_) local_.Publish(kResyncChannel, "");
                             }});
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

void FailoverStore::ReplayOne(const JournalEntry& entry) {
  switch (entry.op) {
    case JournalEntry::Op::kSet: {
      std::int64_t ttl_ms = 0;
      if (entry.expires_at) {
        ttl_ms = std::chrono::ceil<std::chrono::milliseconds>(*entry.expires_at -
                                                              std::chrono::steady_clock::now())
                     .count();
        if (ttl_ms <= 0) {  // expired meanwhile: what Redis holds (if anything) is older
          Command del("DEL");
          del << Key(entry.key);
          pool_.Execute(del);
          return;
        }
      }
      Command set("SET");
      set << Key(entry.key) << entry.value;
      if (ttl_ms > 0) set << "PX" << std::to_string(ttl_ms);
      pool_.Execute(set);
      return;
    }
    case JournalEntry::Op::kDel: {
      Command del("DEL");
      del << Key(entry.key);
      pool_.Execute(del);
      return;
    }
    case JournalEntry::Op::kPublish: {
      Command publish("PUBLISH");
      publish << Key(entry.key) << entry.value;
      pool_.Execute(publish);
      return;
    }
  }
}

void FailoverStore::Recover() {
  std::size_t replayed = 0;
  while (true) {
    std::deque<JournalEntry> batch;
    {
      std::lock_guard lock(journal_mu_);
      if (journal_.empty()) {
        // Under journal_mu_: a writer that fell back either journaled before this (and was
        // replayed) or sees up_ and goes to Redis itself.
        up_ = true;
        journal_full_logged_ = false;
        break;
      }
      batch.swap(journal_);
      journal_bytes_ = 0;
    }
    while (!batch.empty()) {
      try {
        ReplayOne(batch.front());
      } catch (const RedisCommandError& e) {
        spdlog::warn("Redis replay: '{}' was refused ({}); skipped", batch.front().key, e.what());
      } catch (const RedisUnavailable&) {
        // Down again: put the rest back in front of what was journaled meanwhile.
        std::lock_guard lock(journal_mu_);
        for (auto it = batch.rbegin(); it != batch.rend(); ++it) {
          journal_bytes_ += it->Bytes();
          journal_.push_front(std::move(*it));
        }
        throw;
      }
      batch.pop_front();
      ++replayed;
    }
  }
  spdlog::info(
      "Redis at {} is reachable again; no longer using the in-process store ({} writes made "
      "meanwhile replayed)",
      description_, replayed);
  subscriber_->Wake();  // reconnect and re-SUBSCRIBE now rather than at the next attempt
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
      if (!up_) Recover();
    } catch (const std::exception& e) {
      MarkDown(e.what());
    }
    lock.lock();
  }
}

bool FailoverStore::Journal(JournalEntry entry) {
  const std::size_t bytes = entry.Bytes();
  if (journal_.size() >= journal_max_entries_ || journal_bytes_ + bytes > journal_max_bytes_) {
    if (!journal_full_logged_) {
      journal_full_logged_ = true;
      spdlog::error(
          "Redis at {} is still unreachable and {} writes ({} bytes) wait for it: further "
          "writes fail and further announcements stay on this instance until it returns",
          description_, journal_.size(), journal_bytes_);
    }
    return false;
  }
  journal_bytes_ += bytes;
  journal_.push_back(std::move(entry));
  return true;
}

template <typename OnRedis, typename Locally>
void FailoverStore::Write(OnRedis&& on_redis, Locally&& locally, JournalEntry entry) {
  for (int attempt = 0;; ++attempt) {
    if (up_) {
      try {
        on_redis();
        return;
      } catch (const RedisUnavailable& e) {
        MarkDown(e.what());
      }
    }
    std::lock_guard lock(journal_mu_);
    if (up_ && attempt == 0) continue;  // Redis came back (journal replayed) in between
    const bool publish = entry.op == JournalEntry::Op::kPublish;
    if (!Journal(std::move(entry)) && !publish) {
      throw KvUnavailable("Redis is unreachable and too many writes already wait for it");
    }
    locally();
    return;
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
  JournalEntry entry{JournalEntry::Op::kSet, std::string(key), std::string(value), std::nullopt};
  if (ttl.count() > 0) entry.expires_at = std::chrono::steady_clock::now() + ttl;
  Write(
      [&] {
        Command set("SET");
        set << Key(key) << std::string(value);
        if (ttl.count() > 0) set << "PX" << std::to_string(ttl.count());
        pool_.Execute(set);
      },
      [&] { local_.Set(key, value, ttl); }, std::move(entry));
}

void FailoverStore::Del(std::string_view key) {
  Write(
      [&] {
        Command del("DEL");
        del << Key(key);
        pool_.Execute(del);
      },
      [&] { local_.Del(key); },
      JournalEntry{JournalEntry::Op::kDel, std::string(key), std::string(), std::nullopt});
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
  const auto on_redis = [&] {
    Command publish("PUBLISH");
    publish << Key(channel) << std::string(message);
    pool_.Execute(publish);
  };
  const auto locally = [&] { local_.Publish(channel, message); };
  if (replayed_channels_.count(channel) == 0) {
    Call(on_redis, locally);
    return;
  }
  Write(on_redis, locally,
        JournalEntry{JournalEntry::Op::kPublish, std::string(channel), std::string(message),
                     std::nullopt});
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
