#include "password.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace webui::auth
