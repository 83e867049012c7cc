// A response that takes a whole buffered answer in one call: the status and headers already set
// on the response object, `headers`, Content-Length and `body`, written together. The
// connection front's responses implement it, so the pipeline does not copy its header list
// into POCO's header collection only to have it formatted back out.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace webui::net {

using HeaderView = std::pair<std::string_view, std::string_view>;

class WholeResponse {
 public:
  using HeaderList = std::vector<std::pair<std::string, std::string>>;
  // Sends everything (no body for a HEAD request): `headers`, except those named again in
  // `overrides`, then `overrides`. Content-Length and Transfer-Encoding among them are ignored:
  // the length is the body's. Throws, like POCO's sendBuffer, when the response cannot be
  // written; after any call the response counts as sent.
  virtual void SendWhole(const HeaderList& headers, std::span<const HeaderView> overrides,
                         std::string_view body) = 0;

 protected:
  WholeResponse() = default;
  ~WholeResponse() = default;
  WholeResponse(const WholeResponse&) = default;
  WholeResponse& operator=(const WholeResponse&) = default;
};

}  // namespace webui::net
