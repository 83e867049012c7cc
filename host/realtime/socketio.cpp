#include "realtime/socketio.hpp"

#include <webui_host/sdk/json.hpp>

#include <array>
#include <cctype>

namespace webui::realtime::sio {
namespace {

using nlohmann::json;

bool Reserved(const std::string& name) {
  static const std::array<const char*, 6> kReserved = {
      "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"};
  for (const char* r : kReserved)
    if (name == r) return true;
  return false;
}

bool ValidPayload(const Packet& p) {
  switch (p.type) {
    case PacketType::kConnect:
      return p.data.is_null() || p.data.is_object();
    case PacketType::kDisconnect:
      return p.data.is_null();
    case PacketType::kConnectError:
      return p.data.is_string() || p.data.is_object();
    case PacketType::kEvent:
    case PacketType::kBinaryEvent:
      return p.data.is_array() && !p.data.empty() &&
             (p.data[0].is_number() ||
              (p.data[0].is_string() && !Reserved(p.data[0].get<std::string>())));
    case PacketType::kAck:
    case PacketType::kBinaryAck:
      return p.data.is_array();
  }
  return false;
}

}  // namespace

std::optional<Packet> Decode(std::string_view text) {
  if (text.empty() || text[0] < '0' || text[0] > '6') return std::nullopt;
  Packet p;
  p.type = static_cast<PacketType>(text[0] - '0');
  std::size_t i = 1;
  if (p.type == PacketType::kBinaryEvent || p.type == PacketType::kBinaryAck) {
    const std::size_t dash = text.find('-', i);
    if (dash == std::string_view::npos || dash == i || dash - i > 6) return std::nullopt;
    int n = 0;
    for (std::size_t k = i; k < dash; ++k) {
      if (!std::isdigit(static_cast<unsigned char>(text[k]))) return std::nullopt;
      n = n * 10 + (text[k] - '0');
    }
    p.attachments = n;
    i = dash + 1;
  }
  if (i < text.size() && text[i] == '/') {
    const std::size_t comma = text.find(',', i);
    const std::size_t end = comma == std::string_view::npos ? text.size() : comma;
    p.nsp = std::string(text.substr(i, end - i));
    i = comma == std::string_view::npos ? text.size() : comma + 1;
  }
  if (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    std::uint64_t id = 0;
    std::size_t digits = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      if (++digits > 15) return std::nullopt;  // beyond JavaScript's safe integers
      id = id * 10 + static_cast<std::uint64_t>(text[i] - '0');
      ++i;
    }
    p.id = id;
  }
  if (i < text.size()) {
    p.data = sdk::json::Parse(text.substr(i)).value_or(json(json::value_t::discarded));
    if (p.data.is_discarded()) return std::nullopt;
  }
  if (!ValidPayload(p)) return std::nullopt;
  return p;
}

std::string Encode(const Packet& p) {
  std::string out(1, static_cast<char>('0' + static_cast<int>(p.type)));
  if (p.type == PacketType::kBinaryEvent || p.type == PacketType::kBinaryAck)
    out += std::to_string(p.attachments) + "-";
  if (p.nsp != "/") out += p.nsp + ",";
  if (p.id) out += std::to_string(*p.id);
  if (!p.data.is_null()) out += p.data.dump(-1, ' ', false, json::error_handler_t::replace);
  return out;
}

std::string EncodeEvent(std::string_view event, std::string_view data_json) {
  std::string out = "2[";
  out += json(std::string(event)).dump(-1, ' ', false, json::error_handler_t::replace);
  if (!data_json.empty()) {
    out.push_back(',');
    out.append(data_json);
  }
  out.push_back(']');
  return out;
}

}  // namespace webui::realtime::sio
