// The image step of POST /api/chat/completions, as Open WebUI 0.6.32's middleware
// (chat_image_generation_handler): with `features.image_generation` the last user message is
// drawn through the images module (image_generation.v1) before the model answers, the web UI
// hears status → files → status, and the model is told, in a system context line, that the user
// sees the image (or why there is none). Without the images module the toggle is ignored, as
// the web UI only offers it when the module answers.
#include <webui_host/sdk/image_generation.hpp>

#include "chat_plugin.hpp"
#include "completion_context.hpp"

namespace webui::chat {
namespace {

json Status(const char* description, bool done) {
  return {{"type", "status"},
          {"data", {{"action", "image_generation"}, {"description", description}, {"done", done}}}};
}

bool ImageToggleOn(const json& body) {
  const auto features = body.find("features");
  if (features == body.end() || !features->is_object()) return false;
  const auto on = features->find("image_generation");
  return on != features->end() && on->is_boolean() && on->get<bool>();
}

}  // namespace

json ChatPlugin::GenerateImage(const User& user, const json& body, json& payload,
                               const std::function<void(const json&)>& emit) {
  if (!ImageToggleOn(body) || !payload.contains("messages")) return json::array();
  const sdk::ImageGeneration images(*host_);
  if (!images.Available()) return json::array();
  emit(Status("Generating an image", false));
  std::string context;
  json files = json::array();
  try {
    // The permission is the server's to check (0.6.32 left it to the web UI): a user without
    // features.image_generation gets the error path, never an image.
    if (!images.Permitted(user.id, user.role))
      throw sdk::Error(WH_DENIED, "image generation is not enabled for this user");
    // ENABLE_IMAGE_PROMPT_GENERATION needs a task model: the question itself is the prompt, the
    // fallback 0.6.32 uses when prompt generation is off.
    const json urls =
        images.Generate(user.id, user.role, {{"prompt", LastUserText(payload["messages"])}});
    for (const auto& item : urls)
      if (item.is_object() && item.contains("url"))
        files.push_back({{"type", "image"}, {"url", item["url"]}});
    emit(Status("Generated an image", true));
    emit({{"type", "files"}, {"data", {{"files", files}}}});
    context =
        "<context>User is shown the generated image, tell the user that the image has been "
        "generated</context>";
  } catch (const std::exception& e) {
    host_->Warn(std::string("image generation in a chat completion failed: ") + e.what());
    emit(Status("An error occurred while generating an image", true));
    context = std::string(
                  "<context>Unable to generate an image, tell the user that an error "
                  "occurred: ") +
              e.what() + "</context>";
  }
  payload["messages"] = InjectRagContext(payload["messages"], context, false);
  return files;
}

}  // namespace webui::chat
