// Small cryptographic helpers over OpenSSL's libcrypto: base64url, HMAC-SHA256, SHA-256,
// random bytes, UUIDv4 and a constant-time comparison.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace webui::auth {

std::string Base64UrlEncode(std::string_view bytes);  // no padding
// Strict: only [A-Za-z0-9_-] with optional trailing '='; nullopt for anything else.
std::optional<std::string> Base64UrlDecode(std::string_view text);
std::string Base64Encode(std::string_view bytes);  // standard alphabet, padded

std::string HmacSha256(std::string_view key, std::string_view data);  // 32 raw bytes
std::string Sha256Hex(std::string_view data);
std::string HexEncode(std::string_view bytes);

// Cryptographically secure random bytes; throws std::runtime_error when the RNG fails.
std::string RandomBytes(size_t n);
// "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", like Python's str(uuid.uuid4()).
std::string NewUuid4();

// Compares without an early exit (CRYPTO_memcmp); different lengths compare unequal.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace webui::auth
