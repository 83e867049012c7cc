// bcrypt ($2b$) password hashing through libcrypt (libxcrypt), compatible with the hashes
// Open WebUI stores via passlib/bcrypt. bcrypt only reads 72 bytes: callers reject longer new
// passwords instead of letting them be truncated silently.
#pragma once

#include <string>
#include <string_view>

namespace webui::auth {

inline constexpr size_t kMaxPasswordBytes = 72;
inline constexpr int kDefaultBcryptCost = 12;  // passlib's default, what Open WebUI uses

// A new "$2b$<cost>$..." hash. Throws std::runtime_error when libcrypt fails, and
// std::invalid_argument for a password bcrypt cannot represent (NUL byte, > 72 bytes).
std::string HashPassword(std::string_view password, int cost = kDefaultBcryptCost);

// True when `password` matches `hash` ($2a$/$2b$/$2y$). False for anything malformed.
// Like passlib, a password longer than 72 bytes is checked on its first 72 bytes.
bool VerifyPassword(std::string_view password, std::string_view hash);

// A well-formed "$2b$<cost>$" hash with a fresh random salt and a random digest, made without
// running bcrypt. Verifying any password against it costs exactly one bcrypt at `cost` (the work
// depends on the cost and salt only) and fails but with negligible probability: what unknown
// accounts are checked against (docs/security.md T01), without a bcrypt run at start-up.
std::string UnmatchableHash(int cost = kDefaultBcryptCost);

// True when the text looks like a bcrypt hash we can verify.
bool IsBcryptHash(std::string_view hash);

}  // namespace webui::auth
