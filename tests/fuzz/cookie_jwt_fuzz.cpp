// Cookie header parsing (RequestContext::Cookie, host/http/request_context.*) and HS256 JWT
// decoding (plugins/auth/jwt.*) with a fixed key: the path a session cookie takes to a user id.
//
// The input is used three ways: as a Cookie header (whose "token" cookie is then decoded, as
// plugins/auth does); as a token itself; and, split at the first newline into header and
// payload JSON, signed with the key, so the fuzzer reaches the claim checks behind the signature.
//
// Invariants: a Cookie header cut at a ';' into two headers yields the same cookies; cookie
// values never contain ';'; DecodeToken never throws, reports kNone exactly when it succeeds,
// accepts only HS256 signed with the key, and never accepts an expired or not-yet-valid token;
// EncodeToken's tokens decode back to their claims.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "crypto.hpp"
#include "fuzz_support.hpp"
#include "http/request_context.hpp"
#include "jwt.hpp"

namespace {

using webui::auth::DecodeToken;
using webui::auth::TokenError;

constexpr std::string_view kSecret = "fuzz-secret-key";
constexpr std::int64_t kNow = 1750000000;

std::optional<std::string> CookieOf(std::vector<std::pair<std::string, std::string>> headers,
                                    std::string_view name) {
  webui::http::RequestContext ctx("GET", "/", std::move(headers));
  const auto value = ctx.Cookie(name);
  if (!value) return std::nullopt;
  FUZZ_CHECK(value->find(';') == std::string_view::npos);
  return std::string(*value);
}

// Decodes and checks what every outcome promises.
std::optional<webui::auth::TokenClaims> Decode(std::string_view token, std::string_view secret) {
  TokenError error = TokenError::kNone;
  auto claims = DecodeToken(token, secret, kNow, &error);
  FUZZ_CHECK(claims.has_value() == (error == TokenError::kNone));
  if (!claims) return claims;
  FUZZ_CHECK(token.size() <= webui::auth::kMaxTokenLength);
  FUZZ_CHECK(claims->payload.is_object());
  if (claims->exp) FUZZ_CHECK(*claims->exp > kNow);
  // The signature was checked: the key and the signing input give the same last part.
  const std::size_t last_dot = token.rfind('.');
  FUZZ_CHECK(last_dot != std::string_view::npos);
  const auto sig = webui::auth::Base64UrlDecode(token.substr(last_dot + 1));
  FUZZ_CHECK(sig && *sig == webui::auth::HmacSha256(secret, token.substr(0, last_dot)));
  // And the header said HS256.
  const auto header = webui::auth::Base64UrlDecode(token.substr(0, token.find('.')));
  FUZZ_CHECK(header);
  const auto header_json = nlohmann::json::parse(*header, nullptr, false);
  FUZZ_CHECK(header_json.is_object() && header_json.value("alg", "") == "HS256");
  return claims;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = webui::fuzz::AsText(data, size);

  // 1. Cookie header.
  const std::string header(input);
  const auto token = CookieOf({{"Cookie", header}}, "token");
  if (const std::size_t semi = header.find(';'); semi != std::string::npos) {
    const auto split = CookieOf(
        {{"Cookie", header.substr(0, semi)}, {"cookie", header.substr(semi + 1)}}, "token");
    FUZZ_CHECK(split == token);
  }
  if (token) Decode(*token, kSecret);

  // 2. The input as a token.
  Decode(input, kSecret);

  // 3. Header and payload JSON of the input, correctly signed.
  const std::size_t nl = input.find('\n');
  const std::string_view header_json =
      nl == std::string_view::npos ? R"({"alg":"HS256","typ":"JWT"})" : input.substr(0, nl);
  const std::string_view payload_json = nl == std::string_view::npos ? input : input.substr(nl + 1);
  const std::string signing_input =
      webui::auth::Base64UrlEncode(header_json) + "." + webui::auth::Base64UrlEncode(payload_json);
  const std::string signed_token =
      signing_input + "." +
      webui::auth::Base64UrlEncode(webui::auth::HmacSha256(kSecret, signing_input));
  if (const auto claims = Decode(signed_token, kSecret)) {
    const auto payload = nlohmann::json::parse(payload_json, nullptr, false);
    FUZZ_CHECK(payload.is_object());
    if (const auto id = payload.find("id"); id != payload.end() && id->is_string())
      FUZZ_CHECK(claims->id == id->get<std::string>());
  }
  // Signed with another key, it never verifies.
  FUZZ_CHECK(!DecodeToken(signed_token, "another-key", kNow).has_value());

  // 4. Round trip of what the auth plugin mints.
  const std::string_view user_id = input.substr(0, std::min<std::size_t>(input.size(), 64));
  std::string minted;
  try {
    minted = webui::auth::EncodeToken(kSecret, user_id, kNow + 3600, "jti-1");
  } catch (const nlohmann::json::exception&) {
    return 0;  // not UTF-8: user ids are UUIDs the plugin creates, never client bytes
  }
  const auto claims = Decode(minted, kSecret);
  FUZZ_CHECK(claims && claims->id == user_id && claims->jti == "jti-1" &&
             claims->exp == kNow + 3600);
  FUZZ_CHECK(!DecodeToken(webui::auth::EncodeToken(kSecret, "u", kNow, "j"), kSecret, kNow));
  return 0;
}
