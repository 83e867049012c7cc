// Where an outbound request may connect. Upstreams an admin configured go wherever their name
// resolves; URLs a user, a page or an engine's answer chose (web pages to load, images to
// download) are "public only" (WH_FETCH_PUBLIC_ONLY, docs/security.md T26–T28): the name is
// resolved once, every address it has is checked, and the connection goes to a checked address,
// so neither a second parse nor a second lookup (DNS rebinding) can change the destination.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace webui::outbound {

using ResolvedAddress = std::pair<sockaddr_storage, socklen_t>;

// getaddrinfo for a TCP connection; every address it answers, in its order. Empty (and `error`
// set, naming `where` but never the URL) when the name does not resolve.
std::vector<ResolvedAddress> Resolve(const std::string& host, std::uint16_t port,
                                     std::string_view where, std::string& error);

// A public unicast address: not loopback, unspecified, private (RFC 1918), shared (RFC 6598),
// link-local, IETF-reserved, documentation, benchmarking, multicast, broadcast, unique-local,
// site-local, nor an IPv6 form that embeds an IPv4 address (mapped, NAT64, 6to4, Teredo).
bool IsPublicAddress(const sockaddr& address);
std::string AddressText(const sockaddr& address);

// WEBUI_FETCH_ALLOWED_HOSTS: the destinations an admin allows public-only requests to reach
// although they are not public. Comma-separated entries: a host name or IP address (any port),
// `host:port` / `[v6]:port`, or an IPv4/IPv6 network in CIDR form.
class AllowList {
 public:
  // Throws std::invalid_argument naming the bad entry.
  static AllowList Parse(std::string_view list);

  bool empty() const { return hosts_.empty() && networks_.empty(); }
  // The URL's host (as written, case-insensitive) and port are allowed as a whole.
  bool AllowsHost(std::string_view host, std::uint16_t port) const;
  bool AllowsAddress(const sockaddr& address) const;

 private:
  struct HostEntry {
    std::string host;        // lower case, IPv6 without brackets
    std::uint16_t port = 0;  // 0 = any
  };
  struct Network {
    std::array<std::uint8_t, 16> bytes{};  // IPv4 as IPv4-mapped IPv6
    int prefix = 128;
  };
  std::vector<HostEntry> hosts_;
  std::vector<Network> networks_;
};

// Why a public-only request may not go to a URL of this form, or nullopt: a backslash (parsers
// disagree on where it ends the host) or user info (`http://trusted@127.0.0.1/`) is refused
// before any lookup, whatever the host.
std::optional<std::string> RefuseUrlForm(std::string_view url, bool has_userinfo);

// Why a public-only request to `host`:`port` that resolved to `addresses` is refused, or nullopt
// when every address may be reached (public, or allowed by `allowed`).
std::optional<std::string> RefusePrivate(std::string_view host, std::uint16_t port,
                                         const std::vector<ResolvedAddress>& addresses,
                                         const AllowList& allowed);

}  // namespace webui::outbound
