// Small helpers and Open WebUI's error texts shared by the rag plugin's sources (one definition:
// the plugin is also built as a unity build).
#pragma once

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include <openssl/sha.h>

namespace webui::rag {

// ERROR_MESSAGES of Open WebUI (constants.py).
inline constexpr const char* kDuplicateContent =
    "Duplicate content detected. Please provide unique content to proceed.";
inline constexpr const char* kEmptyContent =
    "The content provided is empty. Please ensure that there is text or data present before "
    "proceeding.";
inline constexpr const char* kFileNotProcessed =
    "Extracted content is not available for this file. Please ensure that the file is processed "
    "before proceeding.";
inline constexpr const char* kFileExists =
    "Uh-oh! This file is already registered. Please choose another file.";

inline int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A random (version 4 style) UUID.
inline std::string NewUuid() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* hex = "0123456789abcdef";
  std::string id(32, '0');
  for (auto& c : id) c = hex[rng() & 15];
  return id.substr(0, 8) + "-" + id.substr(8, 4) + "-4" + id.substr(13, 3) + "-a" +
         id.substr(17, 3) + "-" + id.substr(20, 12);
}

inline std::string Sha256Hex(std::string_view bytes) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), d);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : d) {
    out.push_back(hex[b >> 4]);
    out.push_back(hex[b & 15]);
  }
  return out;
}

// RFC 3986 percent-encoding of everything but the unreserved characters (header values, query
// parameters).
inline std::string PercentEncode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

inline std::string TrimSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace webui::rag
