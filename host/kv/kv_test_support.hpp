// Test helpers and the API conformance suite shared by kv_test (in-process, fallback) and
// kv_redis_test (real Redis). Each binary defines MakeConformanceStore() and instantiates the
// suite with its backends.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include "kv/kv_store.hpp"

namespace webui::kv::testing {

using namespace std::chrono_literals;
constexpr auto kDeadline = 10s;  // generous: the machine is shared, nothing here is timed

// A condition that throws is not met yet: a replica still loading its first sync answers
// `-LOADING`, a server in the middle of a failover refuses commands, and Poco's client turns both
// into exceptions. The last try, at the deadline, lets the exception through, so a failure that
// lasts shows its cause.
template <typename Pred>
bool PollUntil(Pred pred, std::chrono::milliseconds timeout = kDeadline) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    try {
      if (pred()) return true;
    } catch (const std::exception&) {
    }
    std::this_thread::sleep_for(10ms);
  }
}

inline std::string RandomPrefix() {
  std::random_device device;
  std::mt19937_64 rng(device());
  return "kvtest-" + std::to_string(rng() % 1000000000000ULL);
}

inline bool ServicesRequired() {
  const char* value = std::getenv("WEBUI_TEST_REQUIRE_SERVICES");
  return value != nullptr && std::string_view(value) == "1";
}

// Collects delivered messages; every wait has a deadline. Declare it before the store (or
// unsubscribe) so that it outlives every callback into it.
class Inbox {
 public:
  MessageFn Fn() {
    return [this](std::string_view channel, std::string_view message) {
      std::lock_guard lock(mu_);
      messages_.emplace_back(std::string(channel), std::string(message));
      threads_.push_back(std::this_thread::get_id());
      cv_.notify_all();
    };
  }
  bool WaitFor(std::string_view message, std::chrono::milliseconds timeout = kDeadline) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return CountLocked(message) > 0; });
  }
  std::size_t Count(std::string_view message) {
    std::lock_guard lock(mu_);
    return CountLocked(message);
  }
  std::vector<std::pair<std::string, std::string>> Messages() {
    std::lock_guard lock(mu_);
    return messages_;
  }
  std::vector<std::thread::id> Threads() {
    std::lock_guard lock(mu_);
    return threads_;
  }

 private:
  std::size_t CountLocked(std::string_view message) const {
    std::size_t n = 0;
    for (const auto& [c, m] : messages_) n += m == message ? 1 : 0;
    return n;
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<std::string, std::string>> messages_;
  std::vector<std::thread::id> threads_;
};

// Records log lines so tests can check "exactly one warning per outage".
class LogCapture {
 public:
  LogCapture() : sink_(std::make_shared<Sink>()), previous_(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>("kv-test", sink_);
    logger->set_level(spdlog::level::debug);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  std::size_t Count(spdlog::level::level_enum level, std::string_view needle) const {
    return sink_->Count(level, needle);
  }
  std::vector<std::string> Lines() const { return sink_->Lines(); }

 private:
  class Sink : public spdlog::sinks::base_sink<std::mutex> {
   public:
    std::size_t Count(spdlog::level::level_enum level, std::string_view needle) {
      std::lock_guard lock(mutex_);
      std::size_t n = 0;
      for (const auto& [l, text] : lines_) {
        n += l == level && text.find(needle) != std::string::npos ? 1 : 0;
      }
      return n;
    }
    std::vector<std::string> Lines() {
      std::lock_guard lock(mutex_);
      std::vector<std::string> out;
      for (const auto& line : lines_) out.push_back(line.second);
      return out;
    }

   protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
      lines_.emplace_back(msg.level, std::string(msg.payload.data(), msg.payload.size()));
    }
    void flush_() override {}

   private:
    std::vector<std::pair<spdlog::level::level_enum, std::string>> lines_;
  };
  std::shared_ptr<Sink> sink_;
  std::shared_ptr<spdlog::logger> previous_;
};

// Skips the test when a service it needs is missing, or fails it when
// WEBUI_TEST_REQUIRE_SERVICES=1. FAIL is fatal, so the body does not run either way (after a
// non-fatal failure GTEST_SKIP would not stop it).
#define WEBUI_KV_REQUIRE_SERVICE(available, what)                     \
  do {                                                                \
    if (!(available)) {                                               \
      if (::webui::kv::testing::ServicesRequired()) FAIL() << (what); \
      GTEST_SKIP() << (what);                                         \
    }                                                                 \
  } while (false)

// Defined by each test binary: a fresh store for `backend`, or nullptr when the service it needs
// is not configured.
std::unique_ptr<KvStore> MakeConformanceStore(const std::string& backend);

class KvConformance : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    store_ = MakeConformanceStore(GetParam());
    ASSERT_FALSE(HasFailure());
    WEBUI_KV_REQUIRE_SERVICE(store_ != nullptr, "backend " + GetParam() + " is not configured");
  }
  std::unique_ptr<KvStore> store_;
};

TEST_P(KvConformance, GetSetDelRoundTrip) {
  EXPECT_EQ(store_->Get("missing"), std::nullopt);
  store_->Set("k", "v1");
  EXPECT_EQ(store_->Get("k"), "v1");
  store_->Set("k", "v2");
  EXPECT_EQ(store_->Get("k"), "v2");
  const std::string binary("a\0b\r\nc", 6);
  store_->Set("bin", binary);
  EXPECT_EQ(store_->Get("bin"), binary);
  store_->Set("empty", "");
  EXPECT_EQ(store_->Get("empty"), "");
  store_->Del("k");
  EXPECT_EQ(store_->Get("k"), std::nullopt);
  store_->Del("k");  // deleting a missing key is fine
  EXPECT_EQ(store_->Get("bin"), binary);
}

TEST_P(KvConformance, SetWithTtlExpires) {
  store_->Set("short", "v", 150ms);
  const auto ttl = store_->Ttl("short");
  ASSERT_TRUE(ttl.has_value());
  EXPECT_LE(ttl->count(), 150);
  EXPECT_GE(ttl->count(), 0);
  EXPECT_TRUE(PollUntil([&] { return !store_->Get("short").has_value(); }));
  EXPECT_EQ(store_->Ttl("short"), std::nullopt);
}

TEST_P(KvConformance, TtlOfMissingAndPersistentKeys) {
  EXPECT_EQ(store_->Ttl("nothing"), std::nullopt);
  store_->Set("forever", "v");
  EXPECT_EQ(store_->Ttl("forever"), std::chrono::milliseconds{-1});
  store_->Set("forever", "v", 60s);
  const auto ttl = store_->Ttl("forever");
  ASSERT_TRUE(ttl.has_value());
  EXPECT_GT(ttl->count(), 0);
  EXPECT_LE(ttl->count(), 60000);
  store_->Set("forever", "v");  // a plain SET makes the key persistent again
  EXPECT_EQ(store_->Ttl("forever"), std::chrono::milliseconds{-1});
}

TEST_P(KvConformance, IncrCreatesAddsAndSubtracts) {
  EXPECT_EQ(store_->Incr("n", 5), 5);
  EXPECT_EQ(store_->Incr("n", 2), 7);
  EXPECT_EQ(store_->Incr("n", -10), -3);
  EXPECT_EQ(store_->Get("n"), "-3");
  EXPECT_EQ(store_->Ttl("n"), std::chrono::milliseconds{-1});
  store_->Set("text", "12");
  EXPECT_EQ(store_->Incr("text", 1), 13);
}

TEST_P(KvConformance, IncrOfNonIntegerThrows) {
  store_->Set("word", "abc");
  EXPECT_THROW(store_->Incr("word", 1), std::runtime_error);
  EXPECT_EQ(store_->Get("word"), "abc");
}

TEST_P(KvConformance, IncrFromEightThreadsSumsExactly) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 250;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        try {
          store_->Incr("counter", 1, 60s);
        } catch (...) {
          ++failures;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(store_->Get("counter"), std::to_string(kThreads * kPerThread));
  EXPECT_EQ(store_->Incr("counter", 0), kThreads * kPerThread);
}

TEST_P(KvConformance, IncrSetsTtlOnlyWhenCreatingTheKey) {
  EXPECT_EQ(store_->Incr("window", 1, 2000ms), 1);
  const auto first = store_->Ttl("window");
  ASSERT_TRUE(first.has_value());
  EXPECT_GT(first->count(), 0);
  EXPECT_LE(first->count(), 2000);
  // A later, longer TTL must not extend the fixed window, and no TTL must not remove it.
  EXPECT_EQ(store_->Incr("window", 1, 60s), 2);
  EXPECT_EQ(store_->Incr("window", 1), 3);
  const auto second = store_->Ttl("window");
  ASSERT_TRUE(second.has_value());
  EXPECT_GT(second->count(), 0);
  EXPECT_LE(second->count(), 2000);
  // A key that exists without expiry keeps having none.
  store_->Set("plain", "1");
  EXPECT_EQ(store_->Incr("plain", 1, 60s), 2);
  EXPECT_EQ(store_->Ttl("plain"), std::chrono::milliseconds{-1});
}

TEST_P(KvConformance, IncrStartsANewWindowAfterExpiry) {
  EXPECT_EQ(store_->Incr("rate", 1, 150ms), 1);
  EXPECT_EQ(store_->Incr("rate", 1, 150ms), 2);
  EXPECT_TRUE(PollUntil([&] { return !store_->Get("rate").has_value(); }));
  EXPECT_EQ(store_->Incr("rate", 1, 60s), 1);
  const auto ttl = store_->Ttl("rate");
  ASSERT_TRUE(ttl.has_value());
  EXPECT_GT(ttl->count(), 150);
}

TEST_P(KvConformance, PublishReachesSubscribersWithTheirChannelName) {
  Inbox inbox;
  const auto id = store_->Subscribe("news", inbox.Fn());
  EXPECT_GT(id, 0u);
  store_->Publish("other", "not for us");
  store_->Publish("news", "hello");
  ASSERT_TRUE(inbox.WaitFor("hello"));
  const auto messages = inbox.Messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].first, "news");
  EXPECT_EQ(messages[0].second, "hello");
  store_->Unsubscribe(id);
}

TEST_P(KvConformance, UnsubscribeStopsDelivery) {
  Inbox stopped;
  Inbox sentinel;
  const auto stopped_id = store_->Subscribe("a", stopped.Fn());
  const auto sentinel_id = store_->Subscribe("b", sentinel.Fn());
  store_->Publish("a", "first");
  ASSERT_TRUE(stopped.WaitFor("first"));
  store_->Unsubscribe(stopped_id);
  store_->Unsubscribe(stopped_id);  // twice is harmless
  store_->Publish("a", "second");
  store_->Publish("b", "marker");
  // Delivery is in publish order, so once the marker arrived "second" would have too.
  ASSERT_TRUE(sentinel.WaitFor("marker"));
  EXPECT_EQ(stopped.Count("second"), 0u);
  EXPECT_EQ(stopped.Messages().size(), 1u);
  store_->Unsubscribe(sentinel_id);
}

TEST_P(KvConformance, EverySubscriberGetsExactlyOneCopy) {
  Inbox one;
  Inbox two;
  const auto id_one = store_->Subscribe("fan", one.Fn());
  const auto id_two = store_->Subscribe("fan", two.Fn());
  store_->Publish("fan", "m");
  ASSERT_TRUE(one.WaitFor("m"));
  ASSERT_TRUE(two.WaitFor("m"));
  store_->Unsubscribe(id_one);
  store_->Publish("fan", "after");
  ASSERT_TRUE(two.WaitFor("after"));
  store_->Publish("fan", "end");
  ASSERT_TRUE(two.WaitFor("end"));
  EXPECT_EQ(one.Count("m"), 1u);
  EXPECT_EQ(two.Count("m"), 1u);
  EXPECT_EQ(two.Count("after"), 1u);
  EXPECT_EQ(one.Count("after"), 0u);
  store_->Unsubscribe(id_two);
}

TEST_P(KvConformance, CallbacksRunOffThePublishersThreadAndMayUseTheStore) {
  Inbox pongs;
  std::atomic<std::uint64_t> ping_id{0};
  const auto pong_id = store_->Subscribe("pong", pongs.Fn());
  // The ping callback publishes, and unsubscribes itself: neither may deadlock.
  ping_id = store_->Subscribe("ping", [&](std::string_view, std::string_view message) {
    store_->Publish("pong", std::string(message) + "-reply");
    store_->Unsubscribe(ping_id.load());
  });
  store_->Publish("ping", "p1");
  ASSERT_TRUE(pongs.WaitFor("p1-reply"));
  store_->Publish("ping", "p2");
  store_->Publish("pong", "marker");
  ASSERT_TRUE(pongs.WaitFor("marker"));
  EXPECT_EQ(pongs.Count("p2-reply"), 0u);
  for (const auto& id : pongs.Threads()) EXPECT_NE(id, std::this_thread::get_id());
  store_->Unsubscribe(pong_id);
}

TEST_P(KvConformance, UnsubscribedCallbackIsNotRunningAfterUnsubscribeReturns) {
  std::atomic<bool> unsubscribed{false};
  std::atomic<int> late_calls{0};
  Inbox started;
  auto started_fn = started.Fn();
  const auto id = store_->Subscribe("slow", [&](std::string_view c, std::string_view m) {
    started_fn(c, m);
    std::this_thread::sleep_for(100ms);  // still running while Unsubscribe is called
    if (unsubscribed) ++late_calls;
  });
  store_->Publish("slow", "go");
  ASSERT_TRUE(started.WaitFor("go"));
  store_->Unsubscribe(id);
  unsubscribed = true;
  EXPECT_EQ(late_calls.load(), 0);
}

}  // namespace webui::kv::testing
