// The images plugin's pure parts: base64 and data URLs as engines send them, the type from the
// bytes, sizes, origins (what decides whether an image URL is fetched as the engine or through
// the SSRF guard) and ComfyUI's node substitutions.
#include <gtest/gtest.h>

#include "image_data.hpp"
#include "settings.hpp"

namespace webui::images {
namespace {

using nlohmann::json;

const std::string kPng("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);

TEST(ImagesBase64, RoundTripsEveryTailLengthAndIgnoresWhitespace) {
  for (const std::string& s : {std::string(""), std::string("a"), std::string("ab"),
                               std::string("abc"), std::string("abcd"), kPng}) {
    const std::string enc = Base64Encode(s);
    EXPECT_EQ(enc.size() % 4, 0u);
    EXPECT_EQ(Base64Decode(enc), s);
  }
  EXPECT_EQ(Base64Encode("hello"), "aGVsbG8=");
  EXPECT_EQ(Base64Decode("aGVs\nbG8="), "hello");
  EXPECT_EQ(Base64Decode("aGVsbG8"), "hello");  // padding optional
}

TEST(ImagesBase64, RefusesJunkDataAfterPaddingAndALoneSextet) {
  EXPECT_FALSE(Base64Decode("aGV*bG8="));
  EXPECT_FALSE(Base64Decode("aGVsbG8=aGVs"));
  EXPECT_FALSE(Base64Decode("aGVsb"));
  EXPECT_FALSE(Base64Decode("aGVs-G8="));  // the URL-safe alphabet is not what engines send
}

TEST(ImagesBase64, DataUrlKeepsItsTypeBareBase64IsSniffed) {
  auto a = DecodeBase64Image("data:image/webp;base64," + Base64Encode("xyz"));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->content_type, "image/webp");
  EXPECT_EQ(a->bytes, "xyz");
  auto b = DecodeBase64Image(Base64Encode("\xFF\xD8\xFF\xE0rest"));
  ASSERT_TRUE(b);
  EXPECT_EQ(b->content_type, "image/jpeg");
  auto c = DecodeBase64Image(Base64Encode("unknown bytes"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->content_type, "image/png");  // as upstream when nothing says otherwise
  EXPECT_FALSE(DecodeBase64Image("data:image/png;base64"));
  EXPECT_FALSE(DecodeBase64Image("%%%"));
}

TEST(ImagesTypes, SniffAndExtensions) {
  EXPECT_EQ(SniffImageType(kPng), "image/png");
  EXPECT_EQ(SniffImageType("GIF89a..."), "image/gif");
  EXPECT_EQ(SniffImageType(std::string("RIFF\0\0\0\0WEBPVP8 ", 16)), "image/webp");
  EXPECT_EQ(SniffImageType("<html>"), "");
  EXPECT_EQ(ExtensionFor("image/png"), ".png");
  EXPECT_EQ(ExtensionFor("image/jpeg; charset=binary"), ".jpg");
  EXPECT_EQ(ExtensionFor("text/html"), "");
}

TEST(ImagesSizes, WidthByHeightOnlyAutoOnlyWithGptImage) {
  EXPECT_EQ(ParseSize("512x768"), std::make_pair(512, 768));
  for (const char* bad : {"", "x", "512", "512x", "x512", "512X512", "-1x5", "0x512", "99999999x1",
                          "16385x16", "512x512 "})
    EXPECT_FALSE(ParseSize(bad)) << bad;
  EXPECT_TRUE(SizeAccepted("1024x1024", "dall-e-3"));
  EXPECT_TRUE(SizeAccepted("auto", "gpt-image-1"));
  EXPECT_FALSE(SizeAccepted("auto", "dall-e-3"));
}

TEST(ImagesOrigin, SchemeHostPortWithDefaultPortsFolded) {
  EXPECT_EQ(Origin("http://127.0.0.1:8188/view?x=1"), "http://127.0.0.1:8188");
  EXPECT_EQ(Origin("HTTPS://Example.COM/a"), "https://example.com");
  EXPECT_EQ(Origin("https://example.com:443/a"), "https://example.com");
  EXPECT_EQ(Origin("http://example.com:80"), "http://example.com");
  EXPECT_EQ(Origin("http://user:pw@example.com/x"), "http://example.com");
  EXPECT_EQ(Origin("http://[::1]:80/x"), "http://[::1]");
  EXPECT_NE(Origin("http://example.com:8080/"), Origin("http://example.com/"));
  EXPECT_NE(Origin("http://example.com.evil.test/"), Origin("http://example.com/"));
  EXPECT_EQ(Origin("file:///etc/passwd"), "");
  EXPECT_EQ(Origin("/relative"), "");
  EXPECT_EQ(QueryEscape("a b/c&d=é"), "a%20b%2Fc%26d%3D%C3%A9");
}

TEST(ImagesComfyUi, NodesReceiveEveryParameterUnderTheirKeysOrDefaults) {
  json wf = json::parse(DefaultComfyUiWorkflow());
  const json nodes = json::parse(R"([
    {"type": "prompt", "key": "text", "node_ids": ["6"]},
    {"type": "negative_prompt", "node_ids": "7"},
    {"type": "model", "key": "ckpt_name", "node_ids": ["4"]},
    {"type": "width", "key": "width", "node_ids": ["5"]},
    {"type": "height", "node_ids": ["5"]},
    {"type": "n", "node_ids": ["5"]},
    {"type": "steps", "key": "steps", "node_ids": ["3"]},
    {"type": "seed", "key": "seed", "node_ids": "3, 3"},
    {"key": "cfg", "node_ids": ["3"], "value": 4.5}
  ])");
  ComfyUiParams p;
  p.model = "sd15.safetensors";
  p.prompt = "a red fox";
  p.negative_prompt = "blurry";
  p.width = 640;
  p.height = 384;
  p.n = 2;
  p.steps = 12;
  p.seed = 42;
  ApplyComfyUiNodes(wf, nodes, p);
  EXPECT_EQ(wf["6"]["inputs"]["text"], "a red fox");
  EXPECT_EQ(wf["7"]["inputs"]["text"], "blurry");
  EXPECT_EQ(wf["4"]["inputs"]["ckpt_name"], "sd15.safetensors");
  EXPECT_EQ(wf["5"]["inputs"]["width"], 640);
  EXPECT_EQ(wf["5"]["inputs"]["height"], 384);
  EXPECT_EQ(wf["5"]["inputs"]["batch_size"], 2);
  EXPECT_EQ(wf["3"]["inputs"]["steps"], 12);
  EXPECT_EQ(wf["3"]["inputs"]["seed"], 42);
  EXPECT_EQ(wf["3"]["inputs"]["cfg"], 4.5);
  EXPECT_EQ(wf["6"]["inputs"]["clip"], json::parse(R"(["4", 1])"));  // links untouched
}

TEST(ImagesComfyUi, RandomSeedWithinRangeUnsetValuesLeaveTheWorkflowAndMissingNodesThrow) {
  json wf = json::parse(DefaultComfyUiWorkflow());
  ComfyUiParams p;
  p.prompt = "x";
  ApplyComfyUiNodes(wf, json::parse(R"([{"type": "seed", "key": "seed", "node_ids": ["3"]},
                                        {"type": "negative_prompt", "node_ids": ["7"]},
                                        {"type": "steps", "node_ids": ["3"]}])"),
                    p);
  ASSERT_TRUE(wf["3"]["inputs"]["seed"].is_number_integer());
  EXPECT_LE(wf["3"]["inputs"]["seed"].get<std::int64_t>(), std::int64_t{1} << 50);
  EXPECT_EQ(wf["7"]["inputs"]["text"], "");
  EXPECT_EQ(wf["3"]["inputs"]["steps"], 20);
  EXPECT_THROW(ApplyComfyUiNodes(wf, json::parse(R"([{"type": "prompt", "node_ids": ["99"]}])"), p),
               std::runtime_error);
  json not_object = json::array();
  EXPECT_THROW(ApplyComfyUiNodes(not_object, json::array(), p), std::runtime_error);
}

TEST(ImagesSettings, NodesAreAlwaysAnArrayOfObjects) {
  EXPECT_EQ(NormalizeNodes(json("COMFYUI_WORKFLOW")), json::array());
  EXPECT_EQ(NormalizeNodes(json(nullptr)), json::array());
  EXPECT_EQ(NormalizeNodes(json::parse(R"([1, {"type": "prompt"}, "x"])")),
            json::parse(R"([{"type": "prompt"}])"));
  EXPECT_TRUE(json::accept(DefaultComfyUiWorkflow()));
}

}  // namespace
}  // namespace webui::images
