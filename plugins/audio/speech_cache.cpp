#include "speech_cache.hpp"

#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iterator>
#include <sstream>
#include <vector>

namespace webui::audio {

namespace fs = std::filesystem;

namespace {
constexpr std::string_view kSuffix = ".mp3";

bool IsKey(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}
}  // namespace

SpeechCache::SpeechCache(fs::path dir, std::uint64_t max_bytes)
    : dir_(std::move(dir)), max_bytes_(max_bytes) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  // Rebuild the index: the oldest modification time is the least recently used.
  std::vector<std::pair<fs::file_time_type, std::pair<std::string, std::uint64_t>>> found;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path p = it->path();
    const std::string name = p.filename().string();
    if (name.size() > kSuffix.size() && name.ends_with(kSuffix)) {
      const std::string key = name.substr(0, name.size() - kSuffix.size());
      std::error_code e2;
      const auto size = fs::file_size(p, e2);
      const auto time = fs::last_write_time(p, e2);
      if (!e2 && IsKey(key)) found.push_back({time, {key, size}});
    } else if (name.find(".tmp.") != std::string::npos) {
      fs::remove(p, ec);  // a write cut short by a crash
    }
  }
  std::sort(found.begin(), found.end());
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [time, entry] : found) {
    entries_[entry.first] = Entry{entry.second, ++clock_};
    total_ += entry.second;
  }
  EvictLocked(max_bytes_);
}

std::string SpeechCache::Key(std::string_view body, std::string_view engine, std::string_view model,
                             std::string_view base_url) {
  // Lengths in between: ("ab","c") and ("a","bc") must not collide.
  std::string material;
  for (std::string_view part : {body, engine, model, base_url}) {
    material += std::to_string(part.size());
    material += ':';
    material += part;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(material.data(), material.size(), digest, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

fs::path SpeechCache::PathOf(const std::string& key) const {
  return dir_ / (key + std::string(kSuffix));
}

std::optional<std::string> SpeechCache::Get(const std::string& key) {
  if (!IsKey(key)) return std::nullopt;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  std::ifstream in(PathOf(key), std::ios::binary);
  if (!in) {  // deleted behind our back
    total_ -= it->second.size;
    entries_.erase(it);
    return std::nullopt;
  }
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  it->second.last_used = ++clock_;
  return bytes;
}

void SpeechCache::Put(const std::string& key, std::string_view bytes) {
  if (!IsKey(key) || bytes.size() > max_bytes_) return;
  static std::atomic<std::uint64_t> counter{0};
  const fs::path tmp = dir_ / (key + ".tmp." + std::to_string(::getpid()) + "." +
                               std::to_string(counter.fetch_add(1)));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.good()) {
      std::error_code ec;
      fs::remove(tmp, ec);
      return;  // a full disk costs the cache, not the request
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::error_code ec;
  fs::rename(tmp, PathOf(key), ec);
  if (ec) {
    fs::remove(tmp, ec);
    return;
  }
  auto& e = entries_[key];
  total_ -= e.size;
  e.size = bytes.size();
  e.last_used = ++clock_;
  total_ += e.size;
  EvictLocked(max_bytes_);
}

void SpeechCache::EvictLocked(std::uint64_t budget) {
  while (total_ > budget && !entries_.empty()) {
    auto oldest = std::min_element(entries_.begin(), entries_.end(), [](auto& a, auto& b) {
      return a.second.last_used < b.second.last_used;
    });
    std::error_code ec;
    fs::remove(PathOf(oldest->first), ec);
    total_ -= oldest->second.size;
    entries_.erase(oldest);
  }
}

std::uint64_t SpeechCache::total_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return total_;
}

std::size_t SpeechCache::entries() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

}  // namespace webui::audio
