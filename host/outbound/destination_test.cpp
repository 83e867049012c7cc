// The public-address rule and the admin's allow-list (docs/security.md T26–T28), on addresses
// as getaddrinfo gives them.
#include "outbound/destination.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace webui::outbound {
namespace {

ResolvedAddress Literal(const std::string& text) {
  sockaddr_storage storage{};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  if (::inet_pton(AF_INET, text.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    return {storage, sizeof(sockaddr_in)};
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (::inet_pton(AF_INET6, text.c_str(), &v6->sin6_addr) != 1)
    throw std::invalid_argument("not an address: " + text);
  v6->sin6_family = AF_INET6;
  return {storage, sizeof(sockaddr_in6)};
}

bool Public(const std::string& text) {
  const ResolvedAddress a = Literal(text);
  return IsPublicAddress(reinterpret_cast<const sockaddr&>(a.first));
}

TEST(Destination, OnlyGlobalUnicastAddressesArePublic) {
  for (const char* yes :
       {"1.1.1.1", "8.8.8.8", "93.184.216.34", "100.63.255.255", "100.128.0.0", "172.15.255.255",
        "172.32.0.0", "192.167.255.255", "223.255.255.255", "2606:4700::1111", "2a00:1450:4001::1"})
    EXPECT_TRUE(Public(yes)) << yes;
  for (const char* no : {"0.0.0.0",
                         "0.1.2.3",
                         "10.0.0.1",
                         "100.64.0.1",
                         "127.0.0.1",
                         "127.255.255.254",
                         "169.254.169.254",
                         "172.16.0.1",
                         "172.31.255.255",
                         "192.0.0.8",
                         "192.0.2.1",
                         "192.88.99.1",
                         "192.168.1.1",
                         "198.18.0.1",
                         "198.51.100.7",
                         "203.0.113.9",
                         "224.0.0.1",
                         "239.255.255.250",
                         "240.0.0.1",
                         "255.255.255.255",
                         "::",
                         "::1",
                         "::ffff:127.0.0.1",
                         "::ffff:8.8.8.8",
                         "64:ff9b::7f00:1",
                         "fc00::1",
                         "fd12:3456::1",
                         "fe80::1",
                         "fec0::1",
                         "ff02::1",
                         "2001::1",
                         "2001:db8::1",
                         "2002:7f00:1::1",
                         "3fff::1",
                         "100::1"})
    EXPECT_FALSE(Public(no)) << no;
}

TEST(Destination, APrivateAddressAmongPublicOnesRefusesTheWholeName) {
  const AllowList none;
  EXPECT_FALSE(RefusePrivate("example.org", 80, {Literal("93.184.216.34")}, none));
  const auto refused =
      RefusePrivate("rebind.example", 80, {Literal("93.184.216.34"), Literal("127.0.0.1")}, none);
  ASSERT_TRUE(refused);
  EXPECT_NE(refused->find("127.0.0.1"), std::string::npos) << *refused;
}

TEST(Destination, TheAllowListNamesHostsPortsAndNetworks) {
  const AllowList allowed =
      AllowList::Parse(" intranet.local , 127.0.0.1:8081,[::1]:9000, 10.1.0.0/16,fd00::/8 ");
  const auto loopback = Literal("127.0.0.1");
  EXPECT_FALSE(RefusePrivate("Intranet.LOCAL", 443, {Literal("10.9.9.9")}, allowed));
  EXPECT_FALSE(RefusePrivate("127.0.0.1", 8081, {loopback}, allowed));
  EXPECT_TRUE(RefusePrivate("127.0.0.1", 8082, {loopback}, allowed));  // another port
  EXPECT_FALSE(RefusePrivate("::1", 9000, {Literal("::1")}, allowed));
  EXPECT_FALSE(RefusePrivate("wiki", 80, {Literal("10.1.200.3")}, allowed));
  EXPECT_TRUE(RefusePrivate("wiki", 80, {Literal("10.2.0.1")}, allowed));
  EXPECT_FALSE(RefusePrivate("v6", 80, {Literal("fd12::5")}, allowed));
  // A name that resolves to an allowed network does not make 127.0.0.1 reachable through it.
  EXPECT_TRUE(RefusePrivate("wiki", 80, {Literal("10.1.0.1"), loopback}, allowed));
  EXPECT_TRUE(AllowList::Parse("").empty());
  for (const char* bad :
       {"10.0.0.0/33", "fd00::/129", "x/8", "host:0", "host:70000", "[::1", "a@b", "h:1:2:x/3"})
    EXPECT_THROW(AllowList::Parse(bad), std::invalid_argument) << bad;
}

TEST(Destination, UrlFormsThatParsersReadDifferentlyAreRefusedBeforeAnyLookup) {
  EXPECT_TRUE(RefuseUrlForm("http://allowed.example\\@127.0.0.1/", false));
  EXPECT_TRUE(RefuseUrlForm("http://allowed.example@127.0.0.1/", true));
  EXPECT_TRUE(RefuseUrlForm("http://@127.0.0.1/", false));
  EXPECT_FALSE(RefuseUrlForm("http://example.org/a@b?c=d@e", false));
  EXPECT_FALSE(RefuseUrlForm("https://example.org:8443/path", false));
}

}  // namespace
}  // namespace webui::outbound
