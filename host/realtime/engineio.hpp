// Engine.IO protocol v4 packets: "<type digit><data>", joined by \x1e in a polling payload.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace webui::realtime::eio {

enum class PacketType : char {
  kOpen = '0',
  kClose = '1',
  kPing = '2',
  kPong = '3',
  kMessage = '4',
  kUpgrade = '5',
  kNoop = '6',
};

struct Packet {
  PacketType type;
  std::string_view data;  // points into the decoded text
  bool binary = false;    // "b<base64>" on polling: binary data, which this server refuses
};

inline constexpr char kSeparator = '\x1e';

// nullopt for an empty or unknown packet.
std::optional<Packet> Decode(std::string_view text);
std::string Encode(PacketType type, std::string_view data = {});

// Splits a polling body into packets (empty parts are kept so Decode can reject them).
std::vector<std::string_view> SplitPayload(std::string_view body);
std::string JoinPayload(const std::vector<std::string>& packets);

// The open packet: 0{"sid","upgrades","pingInterval","pingTimeout","maxPayload"}.
std::string OpenPacket(std::string_view sid, bool websocket_upgrade,
                       std::chrono::milliseconds ping_interval,
                       std::chrono::milliseconds ping_timeout, std::size_t max_payload);

// Engine.IO's HTTP error codes, answered as 400 {"code":N,"message":"..."}.
enum class ErrorCode {
  kTransportUnknown = 0,
  kSessionIdUnknown = 1,
  kBadHandshakeMethod = 2,
  kBadRequest = 3,
  kForbidden = 4,
  kUnsupportedProtocolVersion = 5,
};
std::string ErrorJson(ErrorCode code, std::string_view message = {});

// 20 random URL-safe characters (120 bits), for Engine.IO and Socket.IO session ids.
std::string NewSid();

}  // namespace webui::realtime::eio
