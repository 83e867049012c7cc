// The speech cache: synthesised or fetched speech under CACHE_DIR/audio/speech/<key>.mp3, so a
// sentence read aloud twice reaches the engine once. Unlike Open WebUI's, it is bounded: past
// `max_bytes` the least recently used entries are deleted. Access times live in memory and are
// rebuilt from the files' modification times at start. Thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace webui::audio {

class SpeechCache {
 public:
  SpeechCache(std::filesystem::path dir, std::uint64_t max_bytes);

  // sha256 hex of the request body, the engine, the model and the base URL: the key Open WebUI
  // uses plus the provider, so two speech servers never share an entry.
  static std::string Key(std::string_view body, std::string_view engine, std::string_view model,
                         std::string_view base_url);

  // The bytes stored under `key` (and it becomes the most recently used), or nullopt.
  std::optional<std::string> Get(const std::string& key);
  // Stores `bytes` (atomically: a reader never sees half a file) and evicts down to the cap. An
  // entry larger than the whole cap is not kept.
  void Put(const std::string& key, std::string_view bytes);

  std::uint64_t total_bytes() const;
  std::size_t entries() const;

 private:
  struct Entry {
    std::uint64_t size = 0;
    std::uint64_t last_used = 0;  // a logical clock: larger is more recent
  };
  std::filesystem::path PathOf(const std::string& key) const;
  void EvictLocked(std::uint64_t budget);

  const std::filesystem::path dir_;
  const std::uint64_t max_bytes_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;
  std::uint64_t total_ = 0;
  std::uint64_t clock_ = 0;
};

}  // namespace webui::audio
