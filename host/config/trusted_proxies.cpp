#include "config/trusted_proxies.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <iterator>
#include <optional>

#include "config/settings.hpp"

namespace webui::config {
namespace {

using Bytes = std::array<std::uint8_t, 16>;

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// An address as 16 bytes: IPv4 becomes IPv4-mapped IPv6, so "10.0.0.1" and "::ffff:10.0.0.1"
// (how a dual-stack socket reports an IPv4 peer) are the same client. `v4` tells which it was.
std::optional<Bytes> ParseAddress(std::string_view text, bool* v4 = nullptr) {
  if (text.size() > 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  const std::string s(text);
  Bytes out{};
  in_addr a4{};
  if (::inet_pton(AF_INET, s.c_str(), &a4) == 1) {
    out[10] = out[11] = 0xff;
    std::memcpy(out.data() + 12, &a4, 4);
    if (v4 != nullptr) *v4 = true;
    return out;
  }
  in6_addr a6{};
  if (::inet_pton(AF_INET6, s.c_str(), &a6) == 1) {
    std::memcpy(out.data(), &a6, 16);
    if (v4 != nullptr) *v4 = false;
    return out;
  }
  return std::nullopt;
}

bool InNetwork(const Bytes& address, const Bytes& network, int prefix) {
  int bits = prefix;
  for (std::size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    const std::uint8_t mask = bits >= 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - bits));
    if ((address[i] & mask) != (network[i] & mask)) return false;
  }
  return true;
}

// "1.2.3.4", "1.2.3.4:5678", "[::1]:5678", "::1": the address part ("" when unrecognisable).
std::string_view HostOfHop(std::string_view hop) {
  if (!hop.empty() && hop.front() == '[') {
    const std::size_t close = hop.find(']');
    return close == std::string_view::npos ? std::string_view{} : hop.substr(1, close - 1);
  }
  const std::size_t colon = hop.find(':');
  if (colon != std::string_view::npos && hop.find(':', colon + 1) == std::string_view::npos) {
    return hop.substr(0, colon);  // IPv4 with a port
  }
  return hop;
}

}  // namespace

TrustedProxies TrustedProxies::Parse(std::string_view list, std::string_view variable) {
  TrustedProxies out;
  std::size_t pos = 0;
  while (pos <= list.size()) {
    const std::size_t comma = list.find(',', pos);
    const std::string_view entry = TrimBlanks(
        list.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
    pos = comma == std::string_view::npos ? list.size() + 1 : comma + 1;
    if (entry.empty()) continue;
    if (entry == "*") {
      out.all_ = true;
      continue;
    }
    const std::size_t slash = entry.find('/');
    bool v4 = false;
    const auto address = ParseAddress(entry.substr(0, slash), &v4);
    Network network;
    bool valid = address.has_value();
    if (valid) {
      network.bytes = *address;
      network.prefix = 128;
      if (slash != std::string_view::npos) {
        const std::string_view bits = entry.substr(slash + 1);
        int n = -1;
        auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), n);
        valid =
            ec == std::errc() && end == bits.data() + bits.size() && n >= 0 && n <= (v4 ? 32 : 128);
        network.prefix = v4 ? n + 96 : n;
      }
    }
    if (!valid) {
      throw ConfigError(std::string(variable) + ": '" + std::string(entry) +
                        "' is not an IP address, a CIDR network or '*'");
    }
    out.networks_.push_back(network);
  }
  return out;
}

bool TrustedProxies::Trusts(std::string_view address) const {
  if (all_) return true;
  const auto bytes = ParseAddress(TrimBlanks(address));
  if (!bytes) return false;
  for (const Network& n : networks_)
    if (InNetwork(*bytes, n.bytes, n.prefix)) return true;
  return false;
}

std::string TrustedProxies::ClientAddress(std::string_view peer,
                                          std::string_view forwarded_for) const {
  if (TrimBlanks(forwarded_for).empty() || !Trusts(peer)) return std::string(peer);
  std::vector<std::string_view> hops;
  std::size_t pos = 0;
  while (pos <= forwarded_for.size()) {
    const std::size_t comma = forwarded_for.find(',', pos);
    hops.push_back(TrimBlanks(forwarded_for.substr(
        pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos)));
    pos = comma == std::string_view::npos ? forwarded_for.size() + 1 : comma + 1;
  }
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    const std::string_view host = HostOfHop(*it);
    if (!ParseAddress(host)) return std::string(peer);
    if (!Trusts(host) || std::next(it) == hops.rend()) return std::string(host);
  }
  return std::string(peer);
}

}  // namespace webui::config
