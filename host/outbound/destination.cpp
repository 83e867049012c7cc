#include "outbound/destination.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include <webui_host/sdk/core.hpp>

namespace webui::outbound {
namespace {

struct V4Range {
  std::uint32_t network;
  int prefix;
};

// IANA's IPv4 special-purpose registry, minus nothing: none of these is a public destination.
constexpr V4Range kNotPublicV4[] = {
    {0x00000000, 8},   // "this network", 0.0.0.0
    {0x0A000000, 8},   // private
    {0x64400000, 10},  // shared address space (carrier-grade NAT)
    {0x7F000000, 8},   // loopback
    {0xA9FE0000, 16},  // link-local (cloud metadata at 169.254.169.254)
    {0xAC100000, 12},  // private
    {0xC0000000, 24},  // IETF protocol assignments
    {0xC0000200, 24},  // documentation
    {0xC0586300, 24},  // 6to4 relay anycast
    {0xC0A80000, 16},  // private
    {0xC6120000, 15},  // benchmarking
    {0xC6336400, 24},  // documentation
    {0xCB007100, 24},  // documentation
    {0xE0000000, 4},   // multicast
    {0xF0000000, 4},   // reserved, and the broadcast address
};

bool InV4(std::uint32_t address, const V4Range& range) {
  const std::uint32_t mask = range.prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - range.prefix);
  return (address & mask) == range.network;
}

bool PublicV4(std::uint32_t address) {
  for (const V4Range& range : kNotPublicV4)
    if (InV4(address, range)) return false;
  return true;
}

bool PublicV6(const std::uint8_t (&b)[16]) {
  // Only global unicast (2000::/3) is public; everything outside it (loopback, unspecified,
  // mapped and NAT64 IPv4, unique-local, link-local, site-local, multicast) is not.
  if ((b[0] & 0xE0) != 0x20) return false;
  const std::uint16_t first = static_cast<std::uint16_t>(b[0] << 8 | b[1]);
  const std::uint16_t second = static_cast<std::uint16_t>(b[2] << 8 | b[3]);
  if (first == 0x2001 && second < 0x0200) return false;   // IETF assignments, Teredo (2001::/23)
  if (first == 0x2001 && second == 0x0DB8) return false;  // documentation
  if (first == 0x2002) return false;                      // 6to4: an IPv4 address inside
  if (first == 0x3FFF && (second & 0xF000) == 0) return false;  // documentation (3fff::/20)
  return true;
}

// The address as 16 bytes (IPv4 as IPv4-mapped IPv6), for network matching.
std::optional<std::array<std::uint8_t, 16>> Bytes16(const sockaddr& address) {
  std::array<std::uint8_t, 16> out{};
  if (address.sa_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
    out[10] = out[11] = 0xFF;
    std::memcpy(out.data() + 12, &v4.sin_addr, 4);
    return out;
  }
  if (address.sa_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
    std::memcpy(out.data(), &v6.sin6_addr, 16);
    return out;
  }
  return std::nullopt;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A literal IPv4 or IPv6 address as 16 bytes, nullopt if `text` is not one.
std::optional<std::array<std::uint8_t, 16>> ParseAddress(const std::string& text) {
  sockaddr_in v4{};
  if (::inet_pton(AF_INET, text.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    return Bytes16(reinterpret_cast<const sockaddr&>(v4));
  }
  sockaddr_in6 v6{};
  if (::inet_pton(AF_INET6, text.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    return Bytes16(reinterpret_cast<const sockaddr&>(v6));
  }
  return std::nullopt;
}

}  // namespace

std::vector<ResolvedAddress> Resolve(const std::string& host, std::uint16_t port,
                                     std::string_view where, std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found);
  if (rc != 0) {
    error = "cannot resolve host of " + std::string(where) + ": " + ::gai_strerror(rc);
    return {};
  }
  std::vector<ResolvedAddress> addresses;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    if (a->ai_addrlen > sizeof(sockaddr_storage)) continue;
    sockaddr_storage storage{};
    std::memcpy(&storage, a->ai_addr, a->ai_addrlen);
    addresses.emplace_back(storage, a->ai_addrlen);
  }
  ::freeaddrinfo(found);
  if (addresses.empty()) error = "no address for " + std::string(where);
  return addresses;
}

bool IsPublicAddress(const sockaddr& address) {
  if (address.sa_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
    return PublicV4(ntohl(v4.sin_addr.s_addr));
  }
  if (address.sa_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
    return PublicV6(v6.sin6_addr.s6_addr);
  }
  return false;
}

std::string AddressText(const sockaddr& address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.sa_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(address).sin_addr, text,
                sizeof text);
  } else if (address.sa_family == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(address).sin6_addr, text,
                sizeof text);
  }
  return text;
}

AllowList AllowList::Parse(std::string_view list) {
  AllowList out;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    const std::string_view raw = Trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    if (raw.empty()) continue;
    const std::string entry(raw);
    const auto bad = [&] {
      return std::invalid_argument("WEBUI_FETCH_ALLOWED_HOSTS: '" + entry +
                                   "' is neither a host[:port] nor an address/prefix");
    };
    if (const std::size_t slash = entry.find('/'); slash != std::string::npos) {
      const auto bytes = ParseAddress(entry.substr(0, slash));
      const std::string bits = entry.substr(slash + 1);
      if (!bytes || bits.empty() || bits.size() > 3 ||
          bits.find_first_not_of("0123456789") != std::string::npos)
        throw bad();
      int prefix = std::stoi(bits);
      const bool v4 = entry.find(':') == std::string::npos;
      if (prefix > (v4 ? 32 : 128)) throw bad();
      out.networks_.push_back(Network{*bytes, v4 ? prefix + 96 : prefix});
      continue;
    }
    HostEntry host;
    std::string name = entry;
    std::string port;
    if (name.front() == '[') {  // [v6] or [v6]:port
      const std::size_t close = name.find(']');
      if (close == std::string::npos) throw bad();
      if (close + 1 < name.size()) {
        if (name[close + 1] != ':') throw bad();
        port = name.substr(close + 2);
      }
      name = name.substr(1, close - 1);
    } else if (std::count(name.begin(), name.end(), ':') == 1) {
      port = name.substr(name.find(':') + 1);
      name = name.substr(0, name.find(':'));
    }
    if (name.empty() || name.find_first_of(" \t@\\#?") != std::string::npos) throw bad();
    if (!port.empty()) {
      if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
          std::stoi(port) == 0 || std::stoi(port) > 65535)
        throw bad();
      host.port = static_cast<std::uint16_t>(std::stoi(port));
    }
    host.host = sdk::LowerAscii(name);
    out.hosts_.push_back(std::move(host));
  }
  return out;
}

bool AllowList::AllowsHost(std::string_view host, std::uint16_t port) const {
  const std::string name = sdk::LowerAscii(host);
  for (const HostEntry& entry : hosts_)
    if (entry.host == name && (entry.port == 0 || entry.port == port)) return true;
  return false;
}

bool AllowList::AllowsAddress(const sockaddr& address) const {
  const auto bytes = Bytes16(address);
  if (!bytes) return false;
  for (const Network& net : networks_) {
    int bits = net.prefix;
    bool match = true;
    for (std::size_t i = 0; i < 16 && bits > 0 && match; ++i, bits -= 8) {
      const std::uint8_t mask = bits >= 8 ? 0xFF : static_cast<std::uint8_t>(0xFF << (8 - bits));
      match = ((*bytes)[i] & mask) == (net.bytes[i] & mask);
    }
    if (match) return true;
  }
  return false;
}

std::optional<std::string> RefuseUrlForm(std::string_view url, bool has_userinfo) {
  if (url.find('\\') != std::string_view::npos) return "a URL with a backslash is not fetched";
  const std::size_t authority = url.find("://");
  const std::size_t end =
      url.find_first_of("/?#", authority == std::string_view::npos ? 0 : authority + 3);
  if (has_userinfo || url.substr(0, end).find('@') != std::string_view::npos)
    return "a URL with user info is not fetched";
  return std::nullopt;
}

std::optional<std::string> RefusePrivate(std::string_view host, std::uint16_t port,
                                         const std::vector<ResolvedAddress>& addresses,
                                         const AllowList& allowed) {
  if (allowed.AllowsHost(host, port)) return std::nullopt;
  for (const auto& [storage, length] : addresses) {
    const auto& address = reinterpret_cast<const sockaddr&>(storage);
    if (IsPublicAddress(address) || allowed.AllowsAddress(address)) continue;
    return "the destination address " + AddressText(address) +
           " is not a public address (allow it in WEBUI_FETCH_ALLOWED_HOSTS)";
  }
  return std::nullopt;
}

}  // namespace webui::outbound
