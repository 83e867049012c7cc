#include "frontend/static_site.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace webui::frontend {
namespace {
namespace fs = std::filesystem;

class StaticSiteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() / ("wh-site-" + std::to_string(::getpid()));
    fs::remove_all(base_);
    root_ = base_ / "build";
    fs::create_directories(root_ / "_app/immutable");
    fs::create_directories(root_ / "static");
    std::ofstream(root_ / "index.html") << "<html>index</html>";
    std::ofstream(root_ / "_app/immutable/app.js") << "console.log(1)";
    std::ofstream(root_ / "static/favicon.png") << "png";
    std::ofstream(root_ / ".env") << "SECRET=1";
    std::ofstream(base_ / "secret.txt") << "outside";
    fs::create_symlink(base_ / "secret.txt", root_ / "link.txt");
  }
  void TearDown() override { fs::remove_all(base_); }
  fs::path base_, root_;
};

TEST_F(StaticSiteTest, ResolvesFilesInsideTheRoot) {
  StaticSite site(root_.string());
  auto js = site.Resolve("/_app/immutable/app.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->filename(), "app.js");
  EXPECT_TRUE(site.Resolve("/static/favicon.png"));
  EXPECT_TRUE(site.Resolve("/index.html"));
}

TEST_F(StaticSiteTest, TraversalIsImpossible) {
  StaticSite site(root_.string());
  for (const char* p : {"/../secret.txt", "/%2e%2e/secret.txt", "/static/..%2F..%2Fsecret.txt",
                        "/static/%2e%2e/%2e%2e/secret.txt", "/.env", "/%2eenv", "/link.txt",
                        "/static/favicon.png%00.js", "/..", "/_app/../../secret.txt",
                        "/static\\..\\..\\secret.txt"})
    EXPECT_FALSE(site.Resolve(p)) << p;
}

TEST_F(StaticSiteTest, MimeTypes) {
  EXPECT_EQ(StaticSite::MimeType("a.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(StaticSite::MimeType("a.mjs"), "text/javascript; charset=utf-8");
  EXPECT_EQ(StaticSite::MimeType("a.CSS"), "text/css; charset=utf-8");
  EXPECT_EQ(StaticSite::MimeType("a.wasm"), "application/wasm");
  EXPECT_EQ(StaticSite::MimeType("a.json"), "application/json");
  EXPECT_EQ(StaticSite::MimeType("a.ttf"), "font/ttf");
  EXPECT_EQ(StaticSite::MimeType("a.woff2"), "font/woff2");
  EXPECT_EQ(StaticSite::MimeType("a.png"), "image/png");
  EXPECT_EQ(StaticSite::MimeType("a.svg"), "image/svg+xml");
  EXPECT_EQ(StaticSite::MimeType("a.unknown"), "application/octet-stream");
}

TEST_F(StaticSiteTest, DisabledWithoutABuildDir) {
  StaticSite site("");
  EXPECT_FALSE(site.Resolve("/index.html"));
  StaticSite missing((base_ / "nope").string());
  EXPECT_FALSE(missing.Resolve("/index.html"));
}

}  // namespace
}  // namespace webui::frontend
