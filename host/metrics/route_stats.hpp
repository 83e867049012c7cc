// Request counters of one route template (e.g. "GET /api/v1/chats/{id}"): how many requests
// ended with each status, and a latency histogram per status. Recorded by the pipeline at the
// end of each request when ENABLE_METRICS is on, read by the /metrics exposition. Lock-free: a
// request costs a short scan of a few slots and three atomic adds.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace webui::metrics {

// Upper bounds of the latency buckets, in seconds (Prometheus' default set).
inline constexpr std::array<double, 11> kLatencyBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                           0.5,   1,    2.5,   5,    10};

class RouteStats {
 public:
  // One status code's numbers. `buckets[i]` counts requests at or under kLatencyBuckets[i]
  // (not cumulative; the exposition sums them).
  struct Snapshot {
    int status = 0;
    std::uint64_t count = 0;
    std::array<std::uint64_t, kLatencyBuckets.size()> buckets{};
    double sum_seconds = 0;
  };

  void Record(int status, double seconds) noexcept {
    Slot& slot = SlotFor(status);
    slot.count.fetch_add(1, std::memory_order_relaxed);
    slot.sum_us.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
    for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
      if (seconds <= kLatencyBuckets[i]) {
        slot.buckets[i].fetch_add(1, std::memory_order_relaxed);
        break;
      }
    }
  }

  // Calls fn(const Snapshot&) for each status seen so far; status 0 gathers the codes that
  // found no free slot (more distinct codes than kSlots: never in practice).
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const Slot& slot : slots_) {
      const int status = slot.status.load(std::memory_order_acquire);
      if (status == kFree) continue;
      Snapshot s;
      s.status = status;
      s.count = slot.count.load(std::memory_order_relaxed);
      if (s.count == 0) continue;
      for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i)
        s.buckets[i] = slot.buckets[i].load(std::memory_order_relaxed);
      s.sum_seconds = static_cast<double>(slot.sum_us.load(std::memory_order_relaxed)) / 1e6;
      fn(s);
    }
  }

 private:
  static constexpr int kFree = -1;
  static constexpr std::size_t kSlots = 16;
  struct Slot {
    std::atomic<int> status{kFree};
    std::atomic<std::uint64_t> count{0};
    std::atomic<std::uint64_t> sum_us{0};
    std::array<std::atomic<std::uint64_t>, kLatencyBuckets.size()> buckets{};
  };

  Slot& SlotFor(int status) noexcept {
    for (std::size_t i = 0; i + 1 < kSlots; ++i) {
      Slot& slot = slots_[i];
      int seen = slot.status.load(std::memory_order_acquire);
      if (seen == status) return slot;
      if (seen == kFree &&
          (slot.status.compare_exchange_strong(seen, status, std::memory_order_acq_rel) ||
           seen == status))
        return slot;
    }
    // The last slot takes whatever did not fit, labelled 0.
    Slot& rest = slots_[kSlots - 1];
    int expected = kFree;
    rest.status.compare_exchange_strong(expected, 0, std::memory_order_acq_rel);
    return rest;
  }

  std::array<Slot, kSlots> slots_;
};

}  // namespace webui::metrics
