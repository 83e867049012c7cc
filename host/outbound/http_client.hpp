// Outbound HTTP(S) for plugins: blocking on the caller's thread, body delivered piece by piece as
// it arrives (an SSE or NDJSON stream is never buffered), bounded by connect/read/total timeouts,
// and abortable from the callbacks (also during upstream silence, via empty "tick" calls).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "outbound/destination.hpp"

namespace webui::outbound {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method = "GET";
  std::string url;  // http:// or https://
  Headers headers;
  std::string body;
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds read_timeout{300000};  // longest silence between bytes
  std::chrono::milliseconds total_timeout{0};      // 0 = unbounded
  // Only public addresses (destination.hpp), except what `allowed` names; the connection goes
  // to the address that was checked.
  bool public_only = false;
  const AllowList* allowed = nullptr;
};

struct Callbacks {
  // Status line and headers arrived. Return false to abort.
  std::function<bool(int status, const Headers& headers)> on_head;
  // A piece of body as read from the socket (de-chunked). Called with an empty view at least
  // every 250 ms while the upstream is silent (also before on_head, while the request is sent
  // and the response awaited). Return false to abort (socket closed at once).
  std::function<bool(std::string_view chunk)> on_data;
};

enum class Outcome {
  kOk,             // the whole body was delivered
  kAborted,        // a callback returned false
  kTimeout,        // connect, read or total timeout
  kConnectError,   // DNS, refused, TLS handshake ...
  kInvalid,        // bad URL/method/header/timeout value
  kProtocolError,  // malformed response, connection reset mid-body
  kRefused,        // public_only and the destination is not public (nothing was sent)
};

struct Result {
  Outcome outcome = Outcome::kOk;
  std::string message;  // human readable, no secrets (no Authorization values)
};

Result Fetch(const Request& request, const Callbacks& callbacks);

}  // namespace webui::outbound
