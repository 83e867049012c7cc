#include "expiring_cache.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace webui::auth {
namespace {

using namespace std::chrono_literals;
using Cache = ExpiringCache<std::string>;

std::shared_ptr<const std::string> V(std::string s) {
  return std::make_shared<const std::string>(std::move(s));
}

struct FakeClock {
  Cache::Clock::time_point t{};
  Cache::Now Fn() {
    return [this] { return t; };
  }
};

TEST(ExpiringCache, KeepsWhatWasPut) {
  Cache c(8, 30s);
  EXPECT_EQ(c.Get("u1"), nullptr);
  EXPECT_TRUE(c.Put("u1", V("alice"), c.Epoch()));
  ASSERT_NE(c.Get("u1"), nullptr);
  EXPECT_EQ(*c.Get("u1"), "alice");
  EXPECT_TRUE(c.Put("u1", V("alice2"), c.Epoch()));  // replaces
  EXPECT_EQ(*c.Get("u1"), "alice2");
  EXPECT_EQ(c.Size(), 1u);
}

TEST(ExpiringCache, EraseDropsOneKeyClearDropsAll) {
  Cache c(8, 30s);
  c.Put("u1", V("a"), c.Epoch());
  c.Put("u2", V("b"), c.Epoch());
  c.Erase("u1");
  EXPECT_EQ(c.Get("u1"), nullptr);
  ASSERT_NE(c.Get("u2"), nullptr);
  c.Clear();
  EXPECT_EQ(c.Get("u2"), nullptr);
  EXPECT_EQ(c.Size(), 0u);
}

// A value read before an invalidation must not be stored after it: it may be the old row.
TEST(ExpiringCache, RefusesAValueReadBeforeAnInvalidation) {
  Cache c(8, 30s);
  const uint64_t before = c.Epoch();
  c.Erase("u1");  // e.g. the user was demoted while the row was being read
  EXPECT_FALSE(c.Put("u1", V("old role"), before));
  EXPECT_EQ(c.Get("u1"), nullptr);
  const uint64_t before_clear = c.Epoch();
  c.Clear();
  EXPECT_FALSE(c.Put("u2", V("old"), before_clear));
  EXPECT_TRUE(c.Put("u2", V("new"), c.Epoch()));
}

TEST(ExpiringCache, EntriesExpireAfterMaxAge) {
  FakeClock clock;
  Cache c(8, 30s, clock.Fn());
  c.Put("u1", V("a"), c.Epoch());
  clock.t += 29s;
  EXPECT_NE(c.Get("u1"), nullptr);
  clock.t += 1s;
  EXPECT_EQ(c.Get("u1"), nullptr);
  // Refilled: the age starts again.
  c.Put("u1", V("b"), c.Epoch());
  clock.t += 10s;
  ASSERT_NE(c.Get("u1"), nullptr);
  EXPECT_EQ(*c.Get("u1"), "b");
}

TEST(ExpiringCache, StaysWithinItsBound) {
  Cache c(4, 30s);
  for (int i = 0; i < 100; ++i) {
    c.Put("u" + std::to_string(i), V("x"), c.Epoch());
    EXPECT_LE(c.Size(), 4u);
  }
  EXPECT_NE(c.Get("u99"), nullptr);  // the newest survives the overflow
  Cache off(0, 30s);
  EXPECT_FALSE(off.Put("u1", V("x"), off.Epoch()));
  EXPECT_EQ(off.Get("u1"), nullptr);
}

// Readers, writers and invalidations at once (meaningful under TSan/ASan): no torn entry, and
// once everything is erased nothing remains.
TEST(ExpiringCache, ConcurrentUse) {
  Cache c(16, 30s);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&c, t] {
      for (int i = 0; i < 2000; ++i) {
        const std::string key = "u" + std::to_string((i + t) % 32);
        const uint64_t e = c.Epoch();
        if (auto v = c.Get(key)) {
          EXPECT_EQ(*v, key);
        }
        c.Put(key, V(key), e);
        if (i % 97 == 0) c.Erase(key);
        if (i % 501 == 0) c.Clear();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(c.Size(), 16u);
  c.Clear();
  EXPECT_EQ(c.Size(), 0u);
}

}  // namespace
}  // namespace webui::auth
