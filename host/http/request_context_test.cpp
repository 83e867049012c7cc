#include "http/request_context.hpp"

#include <arpa/inet.h>

#include <random>

#include <gtest/gtest.h>

namespace webui::http {
namespace {

// The access log, the audit log, rate limits and FORWARDED_ALLOW_IPS all key on this text: it
// must be inet_ntop's, byte for byte.
TEST(IPv4Text, MatchesInetNtop) {
  std::mt19937 random(7);
  std::vector<std::uint32_t> samples = {0,           0xffffffffu, 0x7f000001u,
                                        0x0a00c805u, 0x01020304u, 0x64096309u};
  for (int i = 0; i < 10000; ++i) samples.push_back(random());
  for (std::uint32_t host_order : samples) {
    in_addr address{htonl(host_order)};
    char expected[INET_ADDRSTRLEN];
    ASSERT_NE(::inet_ntop(AF_INET, &address, expected, sizeof expected), nullptr);
    EXPECT_EQ(IPv4Text(address), expected);
  }
}

}  // namespace
}  // namespace webui::http
