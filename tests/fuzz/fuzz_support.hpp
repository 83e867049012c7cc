// Shared helpers of the libFuzzer targets: an invariant check that survives NDEBUG, and
// deterministic ways to cut one input into pieces, so every target can compare "fed whole" with
// "fed in arbitrary pieces" without spending input bytes on the split points.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

// libFuzzer keeps the input of any abort() as a crash artifact.
#define FUZZ_CHECK(cond)                                                                      \
  do {                                                                                        \
    if (!(cond)) {                                                                            \
      std::fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                           \
    }                                                                                         \
  } while (0)

namespace webui::fuzz {

inline std::string_view AsText(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// FNV-1a: a seed for the split points that changes whenever the input does.
inline std::uint64_t Hash(std::string_view data) {
  std::uint64_t h = 1469598103934665603ULL;
  for (const char c : data) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

// The ways a target feeds one input: whole, one byte at a time, and in pseudo-random pieces of
// 1..max_piece bytes (empty pieces included: a read may return nothing new).
inline std::vector<std::vector<std::string_view>> Splits(std::string_view data,
                                                         std::size_t max_piece = 97) {
  std::vector<std::vector<std::string_view>> out;
  out.push_back({data});
  std::vector<std::string_view>& bytes = out.emplace_back();
  for (std::size_t i = 0; i < data.size(); ++i) bytes.push_back(data.substr(i, 1));
  std::vector<std::string_view>& pieces = out.emplace_back();
  std::uint64_t state = Hash(data) | 1;
  for (std::size_t i = 0; i < data.size();) {
    state ^= state << 13;  // xorshift64
    state ^= state >> 7;
    state ^= state << 17;
    const std::size_t n = static_cast<std::size_t>(state % (max_piece + 1));
    pieces.push_back(data.substr(i, n));
    i += n;
  }
  return out;
}

}  // namespace webui::fuzz
