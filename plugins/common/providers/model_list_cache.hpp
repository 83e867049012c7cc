// The merged model list of a provider plugin (openai, ollama), cached per settings fingerprint.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace webui::providers {

// `Set` has `std::string fingerprint` (of the settings it was built from) and
// `std::chrono::steady_clock::time_point started` (when building began).
template <typename Set>
class ModelListCache {
 public:
  using Clock = std::chrono::steady_clock;
  // kAnyAge is what routing uses: the model-to-connection map only changes with the settings
  // (which the fingerprint tracks) or the upstreams.
  enum class Freshness { kWithinTtl, kAnyAge, kRefresh };

  // The cached set when it fits `want`, else one built by `build()`. Concurrent callers that all
  // need a new list wait for one build instead of each building their own.
  template <typename Build>
  std::shared_ptr<const Set> Get(const std::string& fingerprint, Freshness want,
                                 std::optional<int> ttl_s, Build&& build) {
    const auto now = Clock::now();
    auto usable = [&](const std::shared_ptr<const Set>& s) {
      if (!s || s->fingerprint != fingerprint) return false;
      if (want == Freshness::kAnyAge) return true;
      if (want == Freshness::kRefresh) return false;
      return !ttl_s || now - s->started < std::chrono::seconds(*ttl_s);
    };
    auto current = Current();
    if (usable(current)) return current;
    std::lock_guard refresh(refresh_mu_);
    current = Current();
    // Somebody built a list after we asked: as fresh as we need.
    if (current && current->fingerprint == fingerprint && current->started >= now) return current;
    if (usable(current)) return current;
    std::shared_ptr<const Set> built = build();
    std::lock_guard lock(mu_);
    cache_ = built;
    return built;
  }

  std::shared_ptr<const Set> Current() const {
    std::lock_guard lock(mu_);
    return cache_;
  }

  void Invalidate() {
    std::lock_guard lock(mu_);
    cache_.reset();
  }

 private:
  mutable std::mutex mu_;
  std::mutex refresh_mu_;
  std::shared_ptr<const Set> cache_;
};

}  // namespace webui::providers
