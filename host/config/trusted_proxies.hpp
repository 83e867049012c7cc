// FORWARDED_ALLOW_IPS (uvicorn's option, which Open WebUI deployments set): the proxies whose
// X-Forwarded-For header is believed. A request from anyone else is its own client, whatever
// it claims; this address is what sign-in limits, the access log and the audit log use.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace webui::config {

class TrustedProxies {
 public:
  // A comma list of IPv4/IPv6 addresses and CIDR networks, or "*" for every peer. Throws
  // ConfigError naming `variable` on an entry that is neither. (Also the address list of
  // WEBUI_METRICS_ALLOW: the same rules, another name.)
  static TrustedProxies Parse(std::string_view list,
                              std::string_view variable = "FORWARDED_ALLOW_IPS");

  bool Trusts(std::string_view address) const;

  // The client of a request from `peer` carrying `forwarded_for` (every X-Forwarded-For value
  // joined with commas, "" when absent). From an untrusted peer: the peer. From a trusted one:
  // the right-most hop that is not itself a trusted proxy (hops are appended by each proxy, so
  // only those right of the first untrusted hop are vouched for), or the left-most hop when
  // all are trusted. A hop that is not an IP address ends the walk at the peer.
  std::string ClientAddress(std::string_view peer, std::string_view forwarded_for) const;

 private:
  struct Network {
    std::array<std::uint8_t, 16> bytes{};  // IPv4 as IPv4-mapped IPv6
    int prefix = 128;
  };
  bool all_ = false;
  std::vector<Network> networks_;
};

}  // namespace webui::config
