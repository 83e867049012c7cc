#include "realtime/engineio.hpp"

#include <sys/random.h>

#include <stdexcept>

#include <nlohmann/json.hpp>

namespace webui::realtime::eio {

std::optional<Packet> Decode(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text[0] == 'b') return Packet{PacketType::kMessage, text.substr(1), true};
  if (text[0] < '0' || text[0] > '6') return std::nullopt;
  return Packet{static_cast<PacketType>(text[0]), text.substr(1), false};
}

std::string Encode(PacketType type, std::string_view data) {
  std::string out;
  out.reserve(data.size() + 1);
  out.push_back(static_cast<char>(type));
  out.append(data);
  return out;
}

std::vector<std::string_view> SplitPayload(std::string_view body) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t sep = body.find(kSeparator, start);
    parts.push_back(body.substr(start, sep == std::string_view::npos ? sep : sep - start));
    if (sep == std::string_view::npos) break;
    start = sep + 1;
  }
  return parts;
}

std::string JoinPayload(const std::vector<std::string>& packets) {
  std::size_t total = packets.size();
  for (const auto& p : packets) total += p.size();
  std::string out;
  out.reserve(total);
  for (std::size_t i = 0; i < packets.size(); ++i) {
    if (i) out.push_back(kSeparator);
    out.append(packets[i]);
  }
  return out;
}

std::string OpenPacket(std::string_view sid, bool websocket_upgrade,
                       std::chrono::milliseconds ping_interval,
                       std::chrono::milliseconds ping_timeout, std::size_t max_payload) {
  nlohmann::json j;
  j["sid"] = std::string(sid);
  j["upgrades"] =
      websocket_upgrade ? nlohmann::json::array({"websocket"}) : nlohmann::json::array();
  j["pingInterval"] = ping_interval.count();
  j["pingTimeout"] = ping_timeout.count();
  j["maxPayload"] = max_payload;
  return Encode(PacketType::kOpen, j.dump());
}

std::string ErrorJson(ErrorCode code, std::string_view message) {
  static const char* kMessages[] = {
      "Transport unknown", "Session ID unknown", "Bad handshake method",
      "Bad request",       "Forbidden",          "Unsupported protocol version"};
  nlohmann::json j;
  j["code"] = static_cast<int>(code);
  j["message"] =
      message.empty() ? std::string(kMessages[static_cast<int>(code)]) : std::string(message);
  return j.dump();
}

std::string NewSid() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  unsigned char raw[20];
  // Session ids are bearer capabilities for polling requests: the kernel CSPRNG.
  std::size_t got = 0;
  while (got < sizeof raw) {
    const ssize_t n = ::getrandom(raw + got, sizeof raw - got, 0);
    if (n < 0) throw std::runtime_error("getrandom failed");
    got += static_cast<std::size_t>(n);
  }
  std::string sid(sizeof raw, 'A');
  for (std::size_t i = 0; i < sizeof raw; ++i) sid[i] = kAlphabet[raw[i] & 63];
  return sid;
}

}  // namespace webui::realtime::eio
