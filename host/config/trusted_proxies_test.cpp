#include "config/trusted_proxies.hpp"

#include <gtest/gtest.h>

#include "config/settings.hpp"

namespace webui::config {
namespace {

TEST(TrustedProxies, AddressesNetworksAndEverything) {
  const auto t = TrustedProxies::Parse(" 127.0.0.1, 10.0.0.0/8 ,fd00::/8,::1");
  EXPECT_TRUE(t.Trusts("127.0.0.1"));
  EXPECT_TRUE(t.Trusts("::ffff:127.0.0.1"));  // an IPv4 peer on a dual-stack socket
  EXPECT_TRUE(t.Trusts("10.200.3.4"));
  EXPECT_TRUE(t.Trusts("fd12::5"));
  EXPECT_TRUE(t.Trusts("::1"));
  EXPECT_FALSE(t.Trusts("127.0.0.2"));
  EXPECT_FALSE(t.Trusts("11.0.0.1"));
  EXPECT_FALSE(t.Trusts("fe80::1"));
  EXPECT_FALSE(t.Trusts("not-an-ip"));
  EXPECT_FALSE(t.Trusts(""));

  EXPECT_TRUE(TrustedProxies::Parse("*").Trusts("203.0.113.9"));
  EXPECT_FALSE(TrustedProxies::Parse("").Trusts("127.0.0.1"));
  EXPECT_TRUE(TrustedProxies::Parse("0.0.0.0/0").Trusts("203.0.113.9"));
}

TEST(TrustedProxies, InvalidEntriesNameTheVariable) {
  for (const char* bad :
       {"localhost", "10.0.0.0/33", "10.0.0.1/", "::1/129", "1.2.3", "10.0.0.0/x"}) {
    try {
      TrustedProxies::Parse(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("FORWARDED_ALLOW_IPS"), std::string::npos) << bad;
    }
  }
}

TEST(TrustedProxies, ClientIsTheRightMostUntrustedHopBehindATrustedPeer) {
  const auto t = TrustedProxies::Parse("127.0.0.1,10.0.0.0/8");
  // Untrusted peer: its header is whatever it wants, so it is ignored.
  EXPECT_EQ(t.ClientAddress("198.51.100.7", "203.0.113.1"), "198.51.100.7");
  // Trusted peer without the header: the peer.
  EXPECT_EQ(t.ClientAddress("127.0.0.1", ""), "127.0.0.1");
  EXPECT_EQ(t.ClientAddress("127.0.0.1", "203.0.113.1"), "203.0.113.1");
  // A client cannot pick its address by prepending hops: the right-most untrusted one wins.
  EXPECT_EQ(t.ClientAddress("127.0.0.1", "1.1.1.1, 203.0.113.1, 10.1.2.3"), "203.0.113.1");
  // Every hop trusted: the left-most.
  EXPECT_EQ(t.ClientAddress("127.0.0.1", "10.0.0.5, 10.0.0.6"), "10.0.0.5");
  // Ports and brackets are dropped; IPv6 hops work.
  EXPECT_EQ(t.ClientAddress("127.0.0.1", "203.0.113.1:4711"), "203.0.113.1");
  EXPECT_EQ(t.ClientAddress("127.0.0.1", "[2001:db8::1]:4711"), "2001:db8::1");
  EXPECT_EQ(t.ClientAddress("127.0.0.1", "2001:db8::1"), "2001:db8::1");
  // A hop that is no address ends the walk at the peer.
  EXPECT_EQ(t.ClientAddress("127.0.0.1", "unknown"), "127.0.0.1");
  EXPECT_EQ(t.ClientAddress("127.0.0.1", "203.0.113.1, garbage"), "127.0.0.1");

  const auto all = TrustedProxies::Parse("*");
  EXPECT_EQ(all.ClientAddress("198.51.100.7", "203.0.113.1, 10.0.0.1"), "203.0.113.1");
}

}  // namespace
}  // namespace webui::config
