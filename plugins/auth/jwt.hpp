// HS256 JSON Web Tokens, byte-compatible with what Open WebUI mints through PyJWT:
//   header  {"alg":"HS256","typ":"JWT"}  (PyJWT sorts header keys, compact separators)
//   payload {"id":...,"exp":...,"jti":...} in that order, compact, exp only when set.
// Verification accepts only alg HS256 and checks the signature in constant time before it
// trusts a byte of the payload; exp and nbf are enforced like PyJWT (no leeway).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "crypto.hpp"

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

}  // namespace webui::auth
