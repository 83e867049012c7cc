#include "password.hpp"

#include <gtest/gtest.h>

#include <crypt.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <stdexcept>

namespace webui::auth {
namespace {

// Published bcrypt vectors: pyca/bcrypt's test suite ($2b$, cost 4) and OpenBSD's "U*U"
// vector (cost 5), the format Python's bcrypt/passlib write into Open WebUI's auth table.
TEST(Password, VerifiesPythonBcryptVectors) {
  EXPECT_TRUE(VerifyPassword("Kk4DQuMMfZL9o",
                             "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm"));
  EXPECT_TRUE(
      VerifyPassword("U*U", "$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"));
  EXPECT_FALSE(
      VerifyPassword("U*V", "$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"));
}

TEST(Password, HashesAndVerifies) {
  const std::string h = HashPassword("correct horse", 4);
  EXPECT_EQ(h.substr(0, 7), "$2b$04$");
  EXPECT_TRUE(IsBcryptHash(h));
  EXPECT_TRUE(VerifyPassword("correct horse", h));
  EXPECT_FALSE(VerifyPassword("correct horsE", h));
  EXPECT_NE(HashPassword("correct horse", 4), h);  // fresh salt each time
  EXPECT_EQ(HashPassword("x", kDefaultBcryptCost).substr(0, 7), "$2b$12$");
}

TEST(Password, RefusesWhatBcryptWouldTruncate) {
  EXPECT_NO_THROW(HashPassword(std::string(72, 'a'), 4));
  EXPECT_THROW(HashPassword(std::string(73, 'a'), 4), std::invalid_argument);
  EXPECT_THROW(HashPassword(std::string("a\0b", 3), 4), std::invalid_argument);
  const std::string h = HashPassword("a", 4);
  EXPECT_FALSE(VerifyPassword(std::string("a\0b", 3), h));
}

TEST(Password, MalformedHashesNeverMatch) {
  for (const char* bad : {"", "plaintext", "$1$abc$def", "$2b$04$short", "*0"})
    EXPECT_FALSE(VerifyPassword("anything", bad)) << bad;
}

// The unknown-account check (T01) must cost a real bcrypt run at the configured cost: crypt()
// has to accept the dummy as a setting (a malformed one would fail fast) and compute a full
// digest with the same salt, which must differ from the dummy's.
TEST(Password, UnmatchableHashCostsARealVerification) {
  const std::string dummy = UnmatchableHash(5);
  EXPECT_TRUE(IsBcryptHash(dummy));
  EXPECT_EQ(dummy.substr(0, 7), "$2b$05$");
  EXPECT_NE(UnmatchableHash(5), dummy);  // fresh salt and digest each time
  auto data = std::make_unique<crypt_data>();
  const char* out =
      crypt_rn("any password", dummy.c_str(), data.get(), static_cast<int>(sizeof(crypt_data)));
  ASSERT_NE(out, nullptr);
  const std::string computed(out);
  ASSERT_TRUE(IsBcryptHash(computed)) << computed;
  EXPECT_EQ(computed.substr(0, 29), dummy.substr(0, 29));  // same cost and salt: same work
  EXPECT_NE(computed, dummy);
  EXPECT_FALSE(VerifyPassword("any password", dummy));
  EXPECT_FALSE(VerifyPassword("", dummy));
  // The cost is honoured: cost 12 is far slower than cost 4 (ratio 256, asserted at 8).
  auto time = [](const std::string& hash) {
    const auto t0 = std::chrono::steady_clock::now();
    (void)VerifyPassword("x", hash);
    return std::chrono::steady_clock::now() - t0;
  };
  const std::string cheap = UnmatchableHash(4);
  auto fastest_cheap = time(cheap);
  for (int i = 0; i < 4; ++i) fastest_cheap = std::min(fastest_cheap, time(cheap));
  EXPECT_GT(time(UnmatchableHash(12)), 8 * fastest_cheap);
}

}  // namespace
}  // namespace webui::auth
