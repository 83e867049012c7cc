#include "kv/redis_subscriber.hpp"

#include <optional>
#include <vector>

#include <Poco/Redis/Command.h>
#include <spdlog/spdlog.h>

namespace webui::kv {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kReadSlice{100};
// A subscribe connection is silent by nature; PING it when idle so that a connection which died
// without a FIN/RST (a lost peer) is noticed and replaced instead of waiting forever.
constexpr std::chrono::seconds kIdlePing{15};

// Element `index` of a RESP array as text (bulk or simple string); "" when absent.
std::string Element(const Poco::Redis::Array& array, std::size_t index) {
  if (array.isNull() || index >= array.size()) return {};
  switch (array.getType(index)) {
    case Poco::Redis::RedisType::REDIS_BULK_STRING: {
      const auto value = array.get<Poco::Redis::BulkString>(index);
      return value.isNull() ? std::string() : value.value();
    }
    case Poco::Redis::RedisType::REDIS_SIMPLE_STRING:
      return array.get<std::string>(index);
    default:
      return {};
  }
}

}  // namespace

RedisSubscriber::RedisSubscriber(std::shared_ptr<RedisTarget> target,
                                 std::chrono::milliseconds reconnect_interval, std::string prefix,
                                 Hooks hooks)
    : target_(std::move(target)),
      timeouts_(target_->timeouts()),
      reconnect_interval_(reconnect_interval),
      prefix_(std::move(prefix)),
      hooks_(std::move(hooks)) {
  thread_ = std::thread([this] { Run(); });
}

RedisSubscriber::~RedisSubscriber() {
  cancel_ = true;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    if (connection_) connection_->Shutdown();
  }
  cv_.notify_all();
  thread_.join();
}

void RedisSubscriber::Wake() {
  { std::lock_guard lock(mu_); }  // orders the owner's state change before the wake-up
  cv_.notify_all();
}

void RedisSubscriber::SendLocked(const Poco::Redis::Array& command) {
  if (!connection_) return;  // the thread subscribes everything when it (re)connects
  try {
    connection_->Send(command);
  } catch (const RedisUnavailable& e) {
    // Let the reading thread see the failure, reconnect and re-SUBSCRIBE everything.
    spdlog::debug("Redis pub/sub: write failed ({}); reconnecting", e.what());
    connection_->Shutdown();
  }
}

std::uint64_t RedisSubscriber::Subscribe(std::string_view channel,
                                         std::shared_ptr<const MessageFn> fn) {
  const std::string full = prefix_ + std::string(channel);
  std::unique_lock lock(mu_);
  const std::uint64_t id = next_id_++;
  auto& callbacks = channels_[full];
  const bool first = callbacks.empty();
  callbacks.emplace(id, std::move(fn));
  channel_of_.emplace(id, full);
  if (first) {
    Poco::Redis::Command subscribe("SUBSCRIBE");
    subscribe << full;
    SendLocked(subscribe);
    cv_.notify_all();  // the thread may be idle, waiting for a first channel
  }
  // Never wait inside a callback: on this store's thread we would be the one that has to read
  // the confirmation, and callbacks must not block anyway.
  if (!CallbackScope::Active()) {
    const auto deadline = Clock::now() + timeouts_.connect + timeouts_.command;
    cv_.wait_until(lock, deadline, [&] {
      return stop_ || confirmed_.count(full) > 0 || !hooks_.is_up() || channel_of_.count(id) == 0;
    });
  }
  return id;
}

void RedisSubscriber::Unsubscribe(std::uint64_t id) {
  {
    std::lock_guard lock(mu_);
    const auto it = channel_of_.find(id);
    if (it == channel_of_.end()) return;
    const auto channel = channels_.find(it->second);
    if (channel != channels_.end()) {
      channel->second.erase(id);
      if (channel->second.empty()) {
        Poco::Redis::Command unsubscribe("UNSUBSCRIBE");
        unsubscribe << channel->first;
        SendLocked(unsubscribe);
        confirmed_.erase(channel->first);
        channels_.erase(channel);
      }
    }
    channel_of_.erase(it);
  }
  if (!CallbackScope::Active()) {
    std::lock_guard wait(dispatch_mu_);  // a callback running right now finishes first
  }
}

void RedisSubscriber::Handle(const Poco::Redis::RedisType::Ptr& reply) {
  const auto* typed = dynamic_cast<const Poco::Redis::Type<Poco::Redis::Array>*>(reply.get());
  if (typed == nullptr) return;  // e.g. an error reply: nothing to dispatch
  const Poco::Redis::Array& array = typed->value();
  const std::string kind = Element(array, 0);
  const std::string channel = Element(array, 1);

  if (kind == "subscribe" || kind == "unsubscribe") {
    bool announce = false;
    bool first = false;
    {
      std::lock_guard lock(mu_);
      if (kind == "subscribe" && channels_.count(channel) > 0) {
        confirmed_.insert(channel);
      } else if (kind == "unsubscribe") {
        confirmed_.erase(channel);
      }
      // One SUBSCRIBE names every channel and Redis runs it at once, so the first confirmation
      // means this connection hears everything published from now on.
      if (kind == "subscribe" && announce_) {
        announce = true;
        announce_ = false;
        first = connections_made_ == 1;
      }
    }
    cv_.notify_all();
    if (announce && hooks_.on_subscribed) hooks_.on_subscribed(first);
    return;
  }
  if (kind != "message") return;

  const std::string message = Element(array, 2);
  std::lock_guard dispatching(dispatch_mu_);
  std::vector<std::shared_ptr<const MessageFn>> targets;
  {
    std::lock_guard lock(mu_);
    const auto it = channels_.find(channel);
    if (it == channels_.end()) return;
    for (const auto& [id, fn] : it->second) targets.push_back(fn);
  }
  std::string_view local_channel = channel;
  if (local_channel.substr(0, prefix_.size()) == prefix_)
    local_channel.remove_prefix(prefix_.size());
  const CallbackScope in_callback;
  for (const auto& fn : targets) {
    try {
      (*fn)(local_channel, message);
    } catch (const std::exception& e) {
      spdlog::warn("Redis pub/sub: subscriber of '{}' threw: {}", local_channel, e.what());
    } catch (...) {
      spdlog::warn("Redis pub/sub: subscriber of '{}' threw", local_channel);
    }
  }
}

void RedisSubscriber::Run() {
  auto next_attempt = Clock::now();
  auto last_traffic = Clock::now();
  // Set while a PING waits for its answer. (A plain time_point + flag: GCC 12 -O3 reports a
  // false maybe-uninitialized on std::optional<time_point> here.)
  Clock::time_point ping_deadline{};
  bool ping_pending = false;
  std::unique_lock lock(mu_);
  while (!stop_) {
    if (!connection_) {
      if (channels_.empty() || !hooks_.is_up()) {
        cv_.wait(lock);
        continue;
      }
      if (Clock::now() < next_attempt) {
        cv_.wait_until(lock, next_attempt);
        continue;
      }
      // A connection that dies right after connecting must not turn into a busy loop.
      next_attempt = Clock::now() + reconnect_interval_;
      lock.unlock();
      std::unique_ptr<RedisConnection> fresh;
      std::string error;
      try {
        fresh = target_->Connect(&cancel_);
      } catch (const std::exception& e) {
        error = e.what();
      }
      if (!fresh) {
        if (!cancel_) hooks_.on_unavailable(error);
        lock.lock();
        cv_.notify_all();  // Subscribe() callers waiting for a confirmation re-check is_up
        continue;
      }
      lock.lock();
      if (stop_) break;
      connection_ = std::move(fresh);
      confirmed_.clear();
      ++connections_made_;
      announce_ = true;
      last_traffic = Clock::now();
      ping_pending = false;
      if (!channels_.empty()) {
        Poco::Redis::Command subscribe("SUBSCRIBE");
        for (const auto& [channel, callbacks] : channels_) subscribe << channel;
        SendLocked(subscribe);
      }
      continue;
    }

    RedisConnection* connection = connection_.get();
    lock.unlock();
    Poco::Redis::RedisType::Ptr reply;
    std::string error;
    try {
      if (connection->WaitReadable(kReadSlice)) reply = connection->Read();
    } catch (const std::exception& e) {
      error = e.what();
    }
    if (!reply.isNull()) Handle(reply);
    lock.lock();
    const auto now = Clock::now();
    if (!reply.isNull()) {
      last_traffic = now;
      ping_pending = false;
    } else if (error.empty() && ping_pending && now > ping_deadline) {
      error = "no answer to PING within " + std::to_string(timeouts_.command.count()) + " ms";
    } else if (error.empty() && !ping_pending && now - last_traffic >= kIdlePing) {
      SendLocked(Poco::Redis::Command("PING"));  // answered as ["pong", ""]: Handle ignores it
      ping_deadline = now + timeouts_.command;
      ping_pending = true;
    }
    if (!error.empty()) {
      // Losing just this connection is not an outage yet: reconnect (right away unless the
      // last attempt was recent); only a failed reconnect reports Redis as down.
      if (!stop_) spdlog::debug("Redis pub/sub connection lost ({}); reconnecting", error);
      target_->Invalidate();
      connection_.reset();
      confirmed_.clear();
    }
  }
  connection_.reset();
}

}  // namespace webui::kv
