#include "jwt.hpp"

#include <gtest/gtest.h>

#include "crypto.hpp"

namespace webui::auth {
namespace {

// Computed with Python's stdlib exactly as PyJWT 2.x serialises (header keys sorted, compact
// separators, claims in Open WebUI's order id, exp, jti):
//   h = json.dumps({"typ":"JWT","alg":"HS256"}, separators=(",",":"), sort_keys=True)
//   p = json.dumps({"id":ID,"exp":4102444800,"jti":JTI}, separators=(",",":"))
//   sig = hmac.new(b"interop-secret-0.6.32", b64u(h)+b"."+b64u(p), sha256)
constexpr const char* kSecret = "interop-secret-0.6.32";
constexpr const char* kId = "5d8c2c9e-3f5a-4c41-9b7e-1f2a3b4c5d6e";
constexpr const char* kJti = "0b9e7a52-6c3d-4e8f-a1b2-c3d4e5f60718";
constexpr const char* kPyJwtWithExp =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJpZCI6IjVkOGMyYzllLTNmNWEtNGM0MS05YjdlLTFmMmEzYjRjNWQ2ZSIsImV4cCI6NDEwMjQ0NDgwMCwianRpIjoi"
    "MGI5ZTdhNTItNmMzZC00ZThmLWExYjItYzNkNGU1ZjYwNzE4In0."
    "M_FrejUrSc5YYxqIAFxKr4gAtpD2evz8UB-vKe4XxPE";
constexpr const char* kPyJwtNoExp =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJpZCI6IjVkOGMyYzllLTNmNWEtNGM0MS05YjdlLTFmMmEzYjRjNWQ2ZSIsImp0aSI6IjBiOWU3YTUyLTZjM2QtNGU4"
    "Zi1hMWIyLWMzZDRlNWY2MDcxOCJ9."
    "6hihcHsfWK91XYBQC5EHYcQ9EwTvyHKWD-ZSXrlS-tM";
constexpr int64_t kNow = 1700000000;

std::string Sign(const std::string& header, const std::string& payload, const std::string& key) {
  const std::string in = Base64UrlEncode(header) + "." + Base64UrlEncode(payload);
  return in + "." + Base64UrlEncode(HmacSha256(key, in));
}

TEST(Jwt, EncodesByteForByteLikePyJwt) {
  EXPECT_EQ(EncodeToken(kSecret, kId, 4102444800, kJti), kPyJwtWithExp);
  EXPECT_EQ(EncodeToken(kSecret, kId, std::nullopt, kJti), kPyJwtNoExp);
}

TEST(Jwt, VerifiesPyJwtTokens) {
  auto c = DecodeToken(kPyJwtWithExp, kSecret, kNow);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->id, kId);
  EXPECT_EQ(c->exp, 4102444800);
  EXPECT_EQ(c->jti, kJti);
  auto n = DecodeToken(kPyJwtNoExp, kSecret, kNow);
  ASSERT_TRUE(n);
  EXPECT_FALSE(n->exp);
}

TEST(Jwt, RejectsWrongKeyAndTampering) {
  TokenError e{};
  EXPECT_FALSE(DecodeToken(kPyJwtWithExp, "another-secret", kNow, &e));
  EXPECT_EQ(e, TokenError::kSignature);
  // Claims changed, signature kept.
  std::string t = kPyJwtWithExp;
  const size_t d1 = t.find('.'), d2 = t.find('.', d1 + 1);
  const std::string forged =
      t.substr(0, d1 + 1) + Base64UrlEncode(R"({"id":"someone-else","exp":4102444800,"jti":"x"})") +
      t.substr(d2);
  EXPECT_FALSE(DecodeToken(forged, kSecret, kNow, &e));
  EXPECT_EQ(e, TokenError::kSignature);
  // One flipped signature character.
  std::string flipped = kPyJwtWithExp;
  flipped[flipped.size() - 3] = flipped[flipped.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(DecodeToken(flipped, kSecret, kNow));
}

TEST(Jwt, RejectsAlgNoneAndOtherAlgorithms) {
  TokenError e{};
  const std::string payload = R"({"id":"x"})";
  const std::string none =
      Base64UrlEncode(R"({"alg":"none","typ":"JWT"})") + "." + Base64UrlEncode(payload) + ".";
  EXPECT_FALSE(DecodeToken(none, kSecret, kNow, &e));
  EXPECT_EQ(e, TokenError::kAlgorithm);
  for (const char* alg : {"HS512", "RS256", "hs256", "None"}) {
    EXPECT_FALSE(DecodeToken(Sign(std::string(R"({"alg":")") + alg + "\"}", payload, kSecret),
                             kSecret, kNow, &e))
        << alg;
    EXPECT_EQ(e, TokenError::kAlgorithm) << alg;
  }
  EXPECT_TRUE(DecodeToken(Sign(R"({"alg":"HS256"})", payload, kSecret), kSecret, kNow));
}

TEST(Jwt, EnforcesExpiryAndNotBefore) {
  TokenError e{};
  EXPECT_FALSE(DecodeToken(Sign(R"({"alg":"HS256"})", R"({"id":"x","exp":1700000000})", kSecret),
                           kSecret, kNow, &e));
  EXPECT_EQ(e, TokenError::kExpired);  // exp == now is expired, as in PyJWT
  EXPECT_TRUE(DecodeToken(Sign(R"({"alg":"HS256"})", R"({"id":"x","exp":1700000001})", kSecret),
                          kSecret, kNow));
  EXPECT_FALSE(DecodeToken(Sign(R"({"alg":"HS256"})", R"({"id":"x","exp":"soon"})", kSecret),
                           kSecret, kNow, &e));
  EXPECT_EQ(e, TokenError::kMalformed);
  EXPECT_FALSE(DecodeToken(Sign(R"({"alg":"HS256"})", R"({"id":"x","nbf":1800000000})", kSecret),
                           kSecret, kNow, &e));
  EXPECT_EQ(e, TokenError::kNotYetValid);
}

// The keyed overload (the authenticator's) gives the same verdicts, on the canonical header's
// fast path and on headers that have to be parsed.
TEST(Jwt, KeyedDecodeGivesTheSameVerdicts) {
  const HmacSha256Key key(kSecret);
  auto claims = DecodeToken(kPyJwtWithExp, key, kNow);
  ASSERT_TRUE(claims);
  EXPECT_EQ(claims->id, kId);
  EXPECT_EQ(claims->jti, kJti);
  EXPECT_EQ(claims->exp, 4102444800);
  TokenError e{};
  EXPECT_FALSE(DecodeToken(kPyJwtNoExp, HmacSha256Key("another-secret"), kNow, &e));
  EXPECT_EQ(e, TokenError::kSignature);
  const std::string payload = R"({"id":"x"})";
  EXPECT_TRUE(DecodeToken(Sign(R"({"typ":"JWT","alg":"HS256"})", payload, kSecret), key, kNow));
  EXPECT_FALSE(
      DecodeToken(Sign(R"({"alg":"HS512","typ":"JWT"})", payload, kSecret), key, kNow, &e));
  EXPECT_EQ(e, TokenError::kAlgorithm);
  const std::string none =
      Base64UrlEncode(R"({"alg":"none","typ":"JWT"})") + "." + Base64UrlEncode(payload) + ".";
  EXPECT_FALSE(DecodeToken(none, key, kNow, &e));
  EXPECT_EQ(e, TokenError::kAlgorithm);
  EXPECT_FALSE(DecodeToken(Sign(R"({"alg":"HS256","typ":"JWT"})", R"({"id":"x","exp":1})", kSecret),
                           key, kNow, &e));
  EXPECT_EQ(e, TokenError::kExpired);
}

// The verifier remembers tokens that passed; a second look must give DecodeToken's verdict.
TEST(Jwt, VerifierAcceptsExactlyWhatDecodeAccepts) {
  TokenVerifier verifier(kSecret, 16, std::chrono::minutes(1));
  TokenError e = TokenError::kNone;
  for (int pass = 0; pass < 2; ++pass) {  // the first pass verifies, the second hits the cache
    auto c = verifier.Verify(kPyJwtWithExp, kNow, &e);
    ASSERT_TRUE(c) << pass;
    EXPECT_EQ(c->id, kId);
    EXPECT_EQ(c->jti, kJti);
    EXPECT_EQ(e, TokenError::kNone);
  }
  // Same header and payload as the cached token, another signature: refused.
  std::string forged = kPyJwtWithExp;
  forged.back() = forged.back() == 'E' ? 'F' : 'E';
  EXPECT_FALSE(verifier.Verify(forged, kNow, &e));
  EXPECT_EQ(e, TokenError::kSignature);
  std::string truncated = kPyJwtWithExp;
  truncated.pop_back();
  EXPECT_FALSE(verifier.Verify(truncated, kNow));
  EXPECT_TRUE(verifier.Verify(kPyJwtWithExp, kNow));  // the forgery did not evict the real one
  // Expiry and not-before are checked on every hit, against the time of that request.
  const std::string short_lived =
      Sign(R"({"alg":"HS256","typ":"JWT"})", R"({"id":"x","exp":1700000010})", kSecret);
  EXPECT_TRUE(verifier.Verify(short_lived, kNow));
  EXPECT_FALSE(verifier.Verify(short_lived, 1700000010, &e));
  EXPECT_EQ(e, TokenError::kExpired);
  const std::string later =
      Sign(R"({"alg":"HS256","typ":"JWT"})", R"({"id":"x","nbf":1700000005})", kSecret);
  EXPECT_FALSE(verifier.Verify(later, kNow, &e));
  EXPECT_EQ(e, TokenError::kNotYetValid);
  EXPECT_TRUE(verifier.Verify(later, 1700000005));
  EXPECT_FALSE(verifier.Verify(later, kNow, &e));
  EXPECT_EQ(e, TokenError::kNotYetValid);
  // Another key never accepts what this one cached.
  TokenVerifier other("another-secret", 16, std::chrono::minutes(1));
  EXPECT_FALSE(other.Verify(kPyJwtWithExp, kNow));
  EXPECT_FALSE(verifier.Verify("", kNow));
  EXPECT_FALSE(verifier.Verify("no-dots-at-all", kNow));
}

TEST(Crypto, KeyedHmacMatchesTheOneShotAndRfc4231) {
  // RFC 4231 test case 2.
  EXPECT_EQ(HexEncode(HmacSha256Key("Jefe").Sign("what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  for (const std::string& key : {std::string(), std::string("k"), std::string(64, 'x'),
                                 std::string(131, '\xaa'), std::string("a\0b", 3)}) {
    const HmacSha256Key keyed(key);
    for (const std::string& data : {std::string(), std::string("payload"), std::string(1000, 'd')})
      EXPECT_EQ(keyed.Sign(data), HmacSha256(key, data)) << key.size() << " " << data.size();
  }
}

TEST(Jwt, GarbageAndHugeInputsAreRejectedWithoutThrowing) {
  for (std::string t :
       {std::string(""), std::string("."), std::string(".."), std::string("a.b.c"),
        std::string("a.b.c.d"), std::string("€€€.€.€"), std::string(kPyJwtWithExp) + "garbage",
        std::string(kPyJwtWithExp) + ".extra", std::string(65536, 'A'),
        std::string(kPyJwtWithExp).substr(0, 40)}) {
    EXPECT_FALSE(DecodeToken(t, kSecret, kNow)) << t.substr(0, 60);
  }
  // Valid signature over a payload that is not a JSON object.
  EXPECT_FALSE(DecodeToken(Sign(R"({"alg":"HS256"})", "[1,2]", kSecret), kSecret, kNow));
  EXPECT_FALSE(DecodeToken(Sign(R"({"alg":"HS256"})", "{nope", kSecret), kSecret, kNow));
}

TEST(Crypto, Base64UrlRoundTripAndStrictness) {
  for (std::string s : {std::string(""), std::string("f"), std::string("fo"), std::string("foo"),
                        std::string("\xff\xfe\x00\x01", 4)}) {
    auto d = Base64UrlDecode(Base64UrlEncode(s));
    ASSERT_TRUE(d);
    EXPECT_EQ(*d, s);
  }
  EXPECT_FALSE(Base64UrlDecode("ab+c"));
  EXPECT_FALSE(Base64UrlDecode("abcde"));
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string u = NewUuid4();
  EXPECT_EQ(u.size(), 36u);
  EXPECT_EQ(u[14], '4');
  EXPECT_NE(NewUuid4(), u);
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
}

}  // namespace
}  // namespace webui::auth
