// Typed client of the transcription.v1 service (sdk/include/webui_host/services/
// transcription.h). A failure throws sdk::Error carrying the status and the provider's reason.
#pragma once

#include <webui_host/services/transcription.h>
#include <webui_host/sdk.hpp>
#include <webui_host/sdk/users.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace webui::sdk {

// transcription.v1: speech to text (audio plugin).
class Transcription {
 public:
  explicit Transcription(const Host& host) : host_(host) {}

  // Whether a provider is offered (the audio module installed and enabled).
  bool Available() const {
    for (auto& s : host_.Services(WH_SERVICE_TRANSCRIPTION_V1))
      if (s.vtable != nullptr && s.vtable_size >= kNeeds) return true;
    return false;
  }
  // The text spoken in the file at `path`; `content_type` as uploaded, `language` a hint or "".
  std::string Transcribe(std::string_view path, std::string_view content_type,
                         std::string_view language = {}) const {
    const auto s = detail::FindService(host_, WH_SERVICE_TRANSCRIPTION_V1, kNeeds);
    const auto* vt = static_cast<const wh_transcription_v1*>(s.vtable);
    std::string out;
    const wh_status st = vt->transcribe(s.user, ToWh(path), ToWh(content_type), ToWh(language),
                                        &detail::AppendSink, &out);
    if (st != WH_OK)
      throw Error(st,
                  "transcription failed: " + (out.empty() ? "status " + std::to_string(st) : out));
    return out;
  }

 private:
  static constexpr size_t kNeeds = offsetof(wh_transcription_v1, transcribe) + sizeof(void*);
  const Host& host_;
};

}  // namespace webui::sdk
