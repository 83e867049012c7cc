// Typed client of the image_generation.v1 service (sdk/include/webui_host/services/
// image_generation.h). A failure throws sdk::Error carrying the status and the provider's reason.
#pragma once

#include <webui_host/services/image_generation.h>
#include <webui_host/sdk.hpp>
#include <webui_host/sdk/users.hpp>

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace webui::sdk {

// image_generation.v1: images from a prompt, stored as the user's files (images plugin).
class ImageGeneration {
 public:
  explicit ImageGeneration(const Host& host) : host_(host) {}

  // Whether a provider is offered (the images module installed and enabled).
  bool Available() const {
    for (auto& s : host_.Services(WH_SERVICE_IMAGE_GENERATION_V1))
      if (s.vtable != nullptr && s.vtable_size >= kNeeds) return true;
    return false;
  }
  // Whether generation is on and the user may use it (false when no provider is offered).
  bool Permitted(std::string_view user_id, std::string_view role) const {
    if (!Available()) return false;
    const auto s = detail::FindService(host_, WH_SERVICE_IMAGE_GENERATION_V1, kNeeds);
    const auto* vt = static_cast<const wh_image_generation_v1*>(s.vtable);
    int allowed = 0;
    detail::StatusCall("image_generation.permitted",
                       vt->permitted(s.user, ToWh(user_id), ToWh(role), &allowed));
    return allowed != 0;
  }
  // [{"url": "/api/v1/files/<id>/content"}] for `request` ({"prompt", "model"?, "size"?, "n"?,
  // "negative_prompt"?}).
  nlohmann::json Generate(std::string_view user_id, std::string_view role,
                          const nlohmann::json& request) const {
    const auto s = detail::FindService(host_, WH_SERVICE_IMAGE_GENERATION_V1, kNeeds);
    const auto* vt = static_cast<const wh_image_generation_v1*>(s.vtable);
    const std::string in = request.dump();
    std::string out;
    const wh_status st =
        vt->generate(s.user, ToWh(user_id), ToWh(role), ToWh(in), &detail::AppendSink, &out);
    if (st != WH_OK)
      throw Error(
          st, out.empty() ? "image generation failed (status " + std::to_string(st) + ")" : out);
    return nlohmann::json::parse(out);
  }

 private:
  static constexpr size_t kNeeds = offsetof(wh_image_generation_v1, generate) + sizeof(void*);
  const Host& host_;
};

}  // namespace webui::sdk
