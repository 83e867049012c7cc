#include "jwt.hpp"

#include <webui_host/sdk/json.hpp>

#include <cmath>

#include "crypto.hpp"

namespace webui::auth {
namespace {

using nlohmann::json;

// PyJWT: json.dumps(header, separators=(",", ":"), sort_keys=True).
constexpr std::string_view kHeader = R"({"alg":"HS256","typ":"JWT"})";

std::optional<int64_t> IntClaim(const json& v) {
  // PyJWT does int(payload["exp"]): integers, and floats (truncated toward zero).
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (!std::isfinite(d) || std::fabs(d) > 9.0e18) return std::nullopt;
    return static_cast<int64_t>(d);
  }
  return std::nullopt;
}

}  // namespace

std::string EncodeToken(std::string_view secret, std::string_view user_id,
                        std::optional<int64_t> exp, std::string_view jti) {
  // ordered_json keeps Open WebUI's claim order, so the bytes equal PyJWT's output.
  nlohmann::ordered_json payload;
  payload["id"] = user_id;
  if (exp) payload["exp"] = *exp;
  payload["jti"] = jti;
  const std::string signing_input =
      Base64UrlEncode(kHeader) + "." + Base64UrlEncode(payload.dump());
  return signing_input + "." + Base64UrlEncode(HmacSha256(secret, signing_input));
}

namespace {

// `sign` computes the HMAC-SHA256 of the signing input.
template <typename Sign>
std::optional<TokenClaims> Decode(std::string_view token, const Sign& sign, int64_t now,
                                  TokenError* error) noexcept {
  auto fail = [&](TokenError e) -> std::optional<TokenClaims> {
    if (error != nullptr) *error = e;
    return std::nullopt;
  };
  try {
    if (token.empty() || token.size() > kMaxTokenLength) return fail(TokenError::kMalformed);
    const size_t d1 = token.find('.');
    if (d1 == std::string_view::npos) return fail(TokenError::kMalformed);
    const size_t d2 = token.find('.', d1 + 1);
    if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos)
      return fail(TokenError::kMalformed);
    const std::string_view header_b64 = token.substr(0, d1);
    const std::string_view payload_b64 = token.substr(d1 + 1, d2 - d1 - 1);
    const std::string_view sig_b64 = token.substr(d2 + 1);

    // The header every token we and PyJWT issue carries is recognised byte for byte (the
    // signed-in hot path); anything else is parsed.
    static const std::string kHeaderB64 = Base64UrlEncode(kHeader);
    if (header_b64 != kHeaderB64) {
      auto header_text = Base64UrlDecode(header_b64);
      if (!header_text) return fail(TokenError::kMalformed);
      const json header = sdk::json::Parse(*header_text).value_or(json(json::value_t::discarded));
      if (header.is_discarded() || !header.is_object()) return fail(TokenError::kMalformed);
      // Only HS256: "none", other HMAC sizes and every asymmetric algorithm are refused, so an
      // RS/HS confusion or an unsigned token cannot get through.
      auto alg = header.find("alg");
      if (alg == header.end() || !alg->is_string() || alg->get<std::string>() != "HS256")
        return fail(TokenError::kAlgorithm);
    }

    auto sig = Base64UrlDecode(sig_b64);
    if (!sig || sig->size() != 32) return fail(TokenError::kSignature);
    const std::string signing_input(token.substr(0, d2));
    if (!ConstantTimeEquals(*sig, sign(signing_input))) return fail(TokenError::kSignature);

    auto payload_text = Base64UrlDecode(payload_b64);
    if (!payload_text) return fail(TokenError::kMalformed);
    json payload = sdk::json::Parse(*payload_text).value_or(json(json::value_t::discarded));
    if (payload.is_discarded() || !payload.is_object()) return fail(TokenError::kMalformed);

    TokenClaims claims;
    if (auto it = payload.find("exp"); it != payload.end()) {
      auto exp = IntClaim(*it);
      if (!exp) return fail(TokenError::kMalformed);
      if (*exp <= now) return fail(TokenError::kExpired);  // PyJWT: exp <= now is expired
      claims.exp = exp;
    }
    if (auto it = payload.find("nbf"); it != payload.end()) {
      auto nbf = IntClaim(*it);
      if (!nbf) return fail(TokenError::kMalformed);
      if (*nbf > now) return fail(TokenError::kNotYetValid);
    }
    if (auto it = payload.find("id"); it != payload.end() && it->is_string())
      claims.id = it->get<std::string>();
    if (auto it = payload.find("jti"); it != payload.end() && it->is_string())
      claims.jti = it->get<std::string>();
    claims.payload = std::move(payload);
    if (error != nullptr) *error = TokenError::kNone;
    return claims;
  } catch (...) {
    return fail(TokenError::kMalformed);
  }
}

}  // namespace

std::optional<TokenClaims> DecodeToken(std::string_view token, std::string_view secret, int64_t now,
                                       TokenError* error) noexcept {
  return Decode(
      token, [secret](std::string_view input) { return HmacSha256(secret, input); }, now, error);
}

std::optional<TokenClaims> DecodeToken(std::string_view token, const HmacSha256Key& key,
                                       int64_t now, TokenError* error) noexcept {
  return Decode(
      token, [&key](std::string_view input) { return key.Sign(input); }, now, error);
}

TokenVerifier::TokenVerifier(std::string_view secret, std::size_t max_entries,
                             std::chrono::milliseconds max_age)
    : key_(secret), verified_(max_entries, max_age) {}

std::optional<TokenClaims> TokenVerifier::Verify(std::string_view token, int64_t now,
                                                 TokenError* error) const noexcept {
  auto fail = [&](TokenError e) -> std::optional<TokenClaims> {
    if (error != nullptr) *error = e;
    return std::nullopt;
  };
  try {
    if (token.empty() || token.size() > kMaxTokenLength) return fail(TokenError::kMalformed);
    const size_t dot = token.rfind('.');
    if (dot == std::string_view::npos) return fail(TokenError::kMalformed);
    const std::string_view signing_input = token.substr(0, dot);
    const std::string_view signature_b64 = token.substr(dot + 1);
    if (auto hit = verified_.Get(signing_input)) {
      // Same header and payload as a token that verified: only this signature can match.
      if (!ConstantTimeEquals(hit->signature_b64, signature_b64))
        return fail(TokenError::kSignature);
      if (hit->claims.exp && *hit->claims.exp <= now) return fail(TokenError::kExpired);
      if (hit->nbf && *hit->nbf > now) return fail(TokenError::kNotYetValid);
      if (error != nullptr) *error = TokenError::kNone;
      return hit->claims;
    }
    const uint64_t epoch = verified_.Epoch();
    auto claims = DecodeToken(token, key_, now, error);
    if (!claims) return std::nullopt;
    auto entry = std::make_shared<Verified>();
    entry->signature_b64 = std::string(signature_b64);
    if (auto it = claims->payload.find("nbf"); it != claims->payload.end())
      entry->nbf = IntClaim(*it);
    entry->claims = *claims;
    verified_.Put(signing_input, std::move(entry), epoch);
    return claims;
  } catch (...) {
    return fail(TokenError::kMalformed);
  }
}

}  // namespace webui::auth
