// HS256 JSON Web Tokens, byte-compatible with what Open WebUI mints through PyJWT:
//   header  {"alg":"HS256","typ":"JWT"}  (PyJWT sorts header keys, compact separators)
//   payload {"id":...,"exp":...,"jti":...} in that order, compact, exp only when set.
// Verification accepts only alg HS256 and checks the signature in constant time before it
// trusts a byte of the payload; exp and nbf are enforced like PyJWT (no leeway).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "crypto.hpp"
#include "expiring_cache.hpp"

namespace webui::auth {

// Longest token we even look at. Ours are ~200 bytes; PyJWT's with the same claims too.
inline constexpr size_t kMaxTokenLength = 4096;

struct TokenClaims {
  std::string id;              // "id" claim (user id)
  std::optional<int64_t> exp;  // seconds since the epoch
  std::optional<std::string> jti;
  nlohmann::json payload;  // everything, for callers that need more
};

enum class TokenError { kNone, kMalformed, kAlgorithm, kSignature, kExpired, kNotYetValid };

std::string EncodeToken(std::string_view secret, std::string_view user_id,
                        std::optional<int64_t> exp, std::string_view jti);

// nullopt (and `error`) for anything that is not a valid, current HS256 token signed with
// `secret`. Never throws.
std::optional<TokenClaims> DecodeToken(std::string_view token, std::string_view secret, int64_t now,
                                       TokenError* error = nullptr) noexcept;
// The same with the secret set up once (the authenticator's per-request check).
std::optional<TokenClaims> DecodeToken(std::string_view token, const HmacSha256Key& key,
                                       int64_t now, TokenError* error = nullptr) noexcept;

// Verifies tokens with one key and remembers those that passed. A signed-in client sends the
// same token with every request; a hit skips the HMAC, the base64 and the JSON work but still
// compares the signature in constant time and checks exp and nbf against `now`, so it accepts
// exactly what DecodeToken accepts. Revocation is not its business (the caller checks jti).
class TokenVerifier {
 public:
  // `secret` as for DecodeToken; at most `max_entries` tokens, each remembered for `max_age`.
  TokenVerifier(std::string_view secret, std::size_t max_entries,
                std::chrono::milliseconds max_age);

  std::optional<TokenClaims> Verify(std::string_view token, int64_t now,
                                    TokenError* error = nullptr) const noexcept;

 private:
  struct Verified {
    std::string signature_b64;  // the token's third part, compared on every hit
    std::optional<int64_t> nbf;
    TokenClaims claims;
  };
  HmacSha256Key key_;
  mutable ExpiringCache<Verified> verified_;  // keyed by the signing input (header.payload)
};

}  // namespace webui::auth
