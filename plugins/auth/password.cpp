#include "password.hpp"

#include <crypt.h>

#include <memory>
#include <stdexcept>

#include "crypto.hpp"

namespace webui::auth {
namespace {

// crypt_data is ~32 KiB: keep it off the (possibly small) worker thread stack.
std::string CryptWith(const std::string& password, const std::string& setting) {
  auto data = std::make_unique<crypt_data>();
  const char* out =
      crypt_rn(password.c_str(), setting.c_str(), data.get(), static_cast<int>(sizeof(crypt_data)));
  if (out == nullptr || out[0] == '*') return {};
  return out;
}

// "$2b$<cost>$" and a fresh 22-character salt.
std::string NewSetting(int cost) {
  if (cost < 4 || cost > 31) throw std::invalid_argument("bcrypt cost out of range");
  const std::string entropy = RandomBytes(16);
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost), entropy.data(),
                       static_cast<int>(entropy.size()), setting, sizeof setting) == nullptr)
    throw std::runtime_error("crypt_gensalt_rn failed");
  return setting;
}

}  // namespace

std::string UnmatchableHash(int cost) {
  // bcrypt's base64 alphabet. The 23-byte digest's last character carries 4 of its 6 bits (the
  // low two are zero), so it is one a real digest can end with.
  static constexpr char kAlphabet[] =
      "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string hash = NewSetting(cost);
  const std::string random = RandomBytes(31);
  for (size_t i = 0; i < 30; ++i) hash += kAlphabet[static_cast<unsigned char>(random[i]) % 64];
  hash += kAlphabet[(static_cast<unsigned char>(random[30]) % 16) * 4];
  if (!IsBcryptHash(hash)) throw std::runtime_error("crypt_gensalt_rn gave an unexpected setting");
  return hash;
}

bool IsBcryptHash(std::string_view hash) {
  return hash.size() == 60 && hash[0] == '$' && hash[1] == '2' &&
         (hash[2] == 'a' || hash[2] == 'b' || hash[2] == 'y') && hash[3] == '$';
}

std::string HashPassword(std::string_view password, int cost) {
  if (password.size() > kMaxPasswordBytes)
    throw std::invalid_argument("password longer than 72 bytes");
  if (password.find('\0') != std::string_view::npos)
    throw std::invalid_argument("password contains a NUL byte");
  std::string hash = CryptWith(std::string(password), NewSetting(cost));
  if (!IsBcryptHash(hash)) throw std::runtime_error("bcrypt hashing failed");
  return hash;
}

bool VerifyPassword(std::string_view password, std::string_view hash) {
  if (!IsBcryptHash(hash)) return false;
  // A NUL would end the C string early and make "a\0b" match "a".
  if (password.find('\0') != std::string_view::npos) return false;
  if (password.size() > kMaxPasswordBytes) password = password.substr(0, kMaxPasswordBytes);
  const std::string computed = CryptWith(std::string(password), std::string(hash));
  return !computed.empty() && ConstantTimeEquals(computed, hash);
}

}  // namespace webui::auth
