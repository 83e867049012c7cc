// Engine.IO v4 polling payloads and packets (host/realtime/engineio.*) and the Socket.IO v5
// packets they carry (host/realtime/socketio.*), decoded the way the server does: split the
// polling body on \x1e, decode each Engine.IO packet, decode each "message" as Socket.IO.
//
// Invariants: splitting loses no byte (joining the parts gives the body back); a decoded
// Engine.IO packet re-encodes to its text; a decoded Socket.IO packet has a payload of the shape
// its type requires, and encoding it is a fixed point (encode, decode, encode gives the same).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <webui_host/sdk/json.hpp>

#include "fuzz_support.hpp"
#include "realtime/engineio.hpp"
#include "realtime/socketio.hpp"

namespace {

namespace eio = webui::realtime::eio;
namespace sio = webui::realtime::sio;

// JSON numbers beyond double's range parse to +-inf, which dump() writes as null.
bool HasNonFinite(const nlohmann::json& j) {
  if (j.is_number_float()) return !std::isfinite(j.get<double>());
  if (j.is_structured()) {
    for (const auto& item : j)
      if (HasNonFinite(item)) return true;
  }
  return false;
}

void CheckSocketIo(std::string_view text) {
  // sio::Decode parses through the bounded parser (docs/security.md T53): whatever the depth of
  // the input, what it returns is shallow enough for dump() and for the dispatch to plugins.
  const auto packet = sio::Decode(text);
  if (packet) FUZZ_CHECK(webui::sdk::json::NestingDepth(packet->data.dump()) <= 128);
  if (!packet) return;
  FUZZ_CHECK(!packet->nsp.empty() && packet->nsp.front() == '/');
  FUZZ_CHECK(packet->nsp.find(',') == std::string::npos);
  if (packet->id) FUZZ_CHECK(*packet->id < 1000000000000000ULL);
  switch (packet->type) {
    case sio::PacketType::kEvent:
    case sio::PacketType::kBinaryEvent:
      FUZZ_CHECK(packet->data.is_array() && !packet->data.empty());
      break;
    case sio::PacketType::kAck:
    case sio::PacketType::kBinaryAck:
      FUZZ_CHECK(packet->data.is_array());
      break;
    case sio::PacketType::kConnect:
      FUZZ_CHECK(packet->data.is_null() || packet->data.is_object());
      break;
    case sio::PacketType::kDisconnect:
      FUZZ_CHECK(packet->data.is_null());
      break;
    case sio::PacketType::kConnectError:
      FUZZ_CHECK(packet->data.is_string() || packet->data.is_object());
      break;
  }
  const std::string encoded = sio::Encode(*packet);
  const auto again = sio::Decode(encoded);
  if (!again) {
    FUZZ_CHECK(HasNonFinite(packet->data));
    return;
  }
  FUZZ_CHECK(again->type == packet->type && again->nsp == packet->nsp && again->id == packet->id &&
             again->attachments == packet->attachments);
  FUZZ_CHECK(sio::Encode(*again) == encoded);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body = webui::fuzz::AsText(data, size);
  const std::vector<std::string_view> parts = eio::SplitPayload(body);
  FUZZ_CHECK(!parts.empty());
  std::vector<std::string> copies(parts.begin(), parts.end());
  FUZZ_CHECK(eio::JoinPayload(copies) == body);

  for (const std::string_view part : parts) {
    FUZZ_CHECK(part.find(eio::kSeparator) == std::string_view::npos);
    const auto packet = eio::Decode(part);
    if (!packet) continue;
    FUZZ_CHECK(packet->data.data() >= part.data() &&
               packet->data.data() + packet->data.size() == part.data() + part.size());
    if (packet->binary) continue;  // refused by the server
    FUZZ_CHECK(eio::Encode(packet->type, packet->data) == part);
    if (packet->type == eio::PacketType::kMessage) CheckSocketIo(packet->data);
  }
  // A WebSocket text frame carries one Engine.IO packet: the whole input, separators included.
  if (const auto packet = eio::Decode(body);
      packet && !packet->binary && packet->type == eio::PacketType::kMessage)
    CheckSocketIo(packet->data);
  return 0;
}
