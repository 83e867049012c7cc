// Socket.IO protocol v5 packets, carried in Engine.IO "message" packets:
//   <type>[<attachments>-][<namespace>,][<ack id>][<JSON payload>]
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace webui::realtime::sio {

enum class PacketType {
  kConnect = 0,
  kDisconnect = 1,
  kEvent = 2,
  kAck = 3,
  kConnectError = 4,
  kBinaryEvent = 5,
  kBinaryAck = 6,
};

struct Packet {
  PacketType type = PacketType::kEvent;
  std::string nsp = "/";
  std::optional<std::uint64_t> id;  // ack id
  int attachments = 0;              // binary packets only
  nlohmann::json data;              // null when absent
};

// nullopt when malformed, including payloads of the wrong shape for the type (an EVENT must be
// a non-empty array starting with a non-reserved event name).
std::optional<Packet> Decode(std::string_view text);
std::string Encode(const Packet& packet);

// 2["event",<data_json>] (or 2["event"] when data_json is empty), without re-parsing data_json,
// which the caller has validated.
std::string EncodeEvent(std::string_view event, std::string_view data_json);

}  // namespace webui::realtime::sio
