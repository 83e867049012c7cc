// Small cryptographic helpers over OpenSSL's libcrypto: base64url, HMAC-SHA256, SHA-256,
// random bytes, UUIDv4 and a constant-time comparison.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <openssl/types.h>

namespace webui::auth {

std::string Base64UrlEncode(std::string_view bytes);  // no padding
// Strict: only [A-Za-z0-9_-] with optional trailing '='; nullopt for anything else.
std::optional<std::string> Base64UrlDecode(std::string_view text);
std::string Base64Encode(std::string_view bytes);  // standard alphabet, padded

std::string HmacSha256(std::string_view key, std::string_view data);  // 32 raw bytes

// HMAC-SHA256 under one fixed key, set up once: Sign() copies the keyed state, where the
// one-shot HmacSha256 looks the algorithm up and digests the key again on every call (most of
// the cost of checking a JWT). Sign() may be called from several threads at once.
class HmacSha256Key {
 public:
  explicit HmacSha256Key(std::string_view key);  // throws std::runtime_error
  ~HmacSha256Key();
  HmacSha256Key(const HmacSha256Key&) = delete;
  HmacSha256Key& operator=(const HmacSha256Key&) = delete;

  std::string Sign(std::string_view data) const;  // 32 raw bytes; throws std::runtime_error

 private:
  EVP_MAC* mac_ = nullptr;
  EVP_MAC_CTX* keyed_ = nullptr;
};
std::string Sha256Hex(std::string_view data);
std::string HexEncode(std::string_view bytes);

// Cryptographically secure random bytes; throws std::runtime_error when the RNG fails.
std::string RandomBytes(size_t n);
// "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", like Python's str(uuid.uuid4()).
std::string NewUuid4();

// Compares without an early exit (CRYPTO_memcmp); different lengths compare unequal.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace webui::auth
