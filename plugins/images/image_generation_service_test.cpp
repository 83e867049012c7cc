// image_generation.v1 as another plugin (the chat) sees it: the images plugin loaded into the
// SDK's fake host, called through the typed client (sdk/image_generation.hpp), the engine a
// canned OpenAI answer and files.v1 a fake that keeps what it is given.
#include <webui_host/services/files.h>
#include <webui_host/sdk/image_generation.hpp>
#include <webui_host/sdk/testing/fake_host.hpp>

#include <gtest/gtest.h>

#include "image_data.hpp"
#include "images_plugin.hpp"

namespace webui::images {
namespace {

using nlohmann::json;

const std::string kPng = std::string("\x89PNG\r\n\x1a\n", 8) + "service-image";

// files.v1 with only `store`: remembers the owner, info and bytes.
struct FakeFiles {
  std::string owner, info, bytes;
  int stored = 0;
  static wh_status Store(void* self, wh_str owner_id, wh_str info_json, wh_str bytes, wh_str,
                         wh_str_sink sink, void* sink_user) {
    auto* f = static_cast<FakeFiles*>(self);
    f->owner = sdk::FromWh(owner_id);
    f->info = sdk::FromWh(info_json);
    f->bytes = sdk::FromWh(bytes);
    const std::string row = json{{"id", "file-" + std::to_string(++f->stored)}}.dump();
    sink(sink_user, sdk::ToWh(row));
    return WH_OK;
  }
};

class ImageGenerationService : public ::testing::Test {
 protected:
  void SetUp() override {
    vt_.struct_size = sizeof vt_;
    vt_.store = &FakeFiles::Store;
    host_.SetEnv("IMAGE_GENERATION_ENGINE", "openai");
    host_.SetEnv("IMAGES_OPENAI_API_BASE_URL", "http://engine.test/v1");
    host_.SetEnv("IMAGES_OPENAI_API_KEY", "sk-test");
    sdk::testing::FakeFetchAnswer a;
    a.headers = {{"Content-Type", "application/json"}};
    a.pieces = {json{{"data", {{{"b64_json", Base64Encode(kPng)}}}}}.dump()};
    host_.AnswerFetch("http://engine.test/v1/images/generations", a);
  }
  void TearDown() override { host_.Unload(); }
  sdk::Host& Client() {
    client_ = std::make_unique<sdk::Host>(host_.api(), host_.self());
    return *client_;
  }

  FakeFiles files_;
  wh_files_v1 vt_{};
  sdk::testing::FakeHost host_;
  std::unique_ptr<sdk::Host> client_;
};

TEST_F(ImageGenerationService, OffIsDenied) {
  host_.OfferService(WH_SERVICE_FILES_V1, "files", &vt_, sizeof vt_, &files_);
  ASSERT_EQ(host_.Load<ImagesPlugin>(), WH_OK) << host_.load_error();
  sdk::ImageGeneration images(Client());
  ASSERT_TRUE(images.Available());
  EXPECT_FALSE(images.Permitted("u1", "user"));  // ENABLE_IMAGE_GENERATION defaults to false
  try {
    images.Generate("u1", "user", {{"prompt", "a cat"}});
    ADD_FAILURE() << "generated while off";
  } catch (const sdk::Error& e) {
    EXPECT_EQ(e.status(), WH_DENIED);
  }
  EXPECT_EQ(files_.stored, 0);
  EXPECT_TRUE(host_.fetches().empty());
}

TEST_F(ImageGenerationService, OnTheImageIsAFileOfTheUser) {
  host_.OfferService(WH_SERVICE_FILES_V1, "files", &vt_, sizeof vt_, &files_);
  host_.SetEnv("ENABLE_IMAGE_GENERATION", "true");
  ASSERT_EQ(host_.Load<ImagesPlugin>(), WH_OK) << host_.load_error();
  sdk::ImageGeneration on(Client());
  EXPECT_TRUE(on.Permitted("u1", "user"));
  EXPECT_EQ(on.Generate("u1", "user", {{"prompt", "a cat"}}),
            json::parse(R"([{"url": "/api/v1/files/file-1/content"}])"));
  EXPECT_EQ(files_.owner, "u1");
  EXPECT_EQ(files_.bytes, kPng);
  EXPECT_EQ(json::parse(files_.info)["filename"], "generated-image.png");
  // A bad request is WH_INVALID with the route's text.
  try {
    on.Generate("u1", "user", {{"prompt", 3}});
    ADD_FAILURE() << "a non-string prompt was taken";
  } catch (const sdk::Error& e) {
    EXPECT_EQ(e.status(), WH_INVALID);
  }
}

TEST_F(ImageGenerationService, WithoutTheFilesModuleIsUnavailableAndTheEngineIsNotAsked) {
  host_.SetEnv("ENABLE_IMAGE_GENERATION", "true");
  ASSERT_EQ(host_.Load<ImagesPlugin>(), WH_OK) << host_.load_error();
  sdk::ImageGeneration images(Client());
  try {
    images.Generate("u1", "admin", {{"prompt", "a cat"}});
    ADD_FAILURE() << "generated without files.v1";
  } catch (const sdk::Error& e) {
    EXPECT_EQ(e.status(), WH_UNAVAILABLE);
    EXPECT_NE(std::string(e.what()).find("files module"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(host_.fetches().empty());
}

}  // namespace
}  // namespace webui::images
