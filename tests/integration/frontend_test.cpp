// Serving a built Open WebUI frontend: MIME types, caching, SPA fallback, API 404s, traversal.
#include <filesystem>
#include <fstream>

#include <Poco/Net/StreamSocket.h>

#include "it_support.hpp"

namespace webui::testing {
namespace {
namespace fs = std::filesystem;

std::string RawGet(int port, const std::string& raw_path) {
  Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", port));
  s.setReceiveTimeout(Poco::Timespan(5, 0));
  const std::string req = "GET " + raw_path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  s.sendBytes(req.data(), static_cast<int>(req.size()));
  std::string out;
  char buf[4096];
  int n;
  while ((n = s.receiveBytes(buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

class Frontend : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = TempDir("frontend");
    build_ = base_ + "/build";
    fs::create_directories(build_ + "/_app/immutable/chunks");
    fs::create_directories(build_ + "/static");
    std::ofstream(build_ + "/index.html") << "<!doctype html><title>Open WebUI</title>";
    std::ofstream(build_ + "/_app/immutable/chunks/app.abc.js") << "export const a = 1;";
    std::ofstream(build_ + "/_app/version.json") << R"({"version":"1"})";
    std::ofstream(build_ + "/manifest.json") << R"({"name":"Open WebUI"})";
    std::ofstream(build_ + "/favicon.png") << "PNG";
    std::ofstream(build_ + "/static/custom.css") << "body{}";
    std::ofstream(build_ + "/pyodide.wasm") << "WASM";
    std::ofstream(base_ + "/outside.txt") << "SECRET-OUTSIDE";
  }
  std::string base_, build_;
};

TEST_F(Frontend, ServesTheBuildWithTypesCachingAndSpaFallback) {
  HostProcess host({{{"FRONTEND_BUILD_DIR", build_}}, {}, ""});
  std::string why;
  ASSERT_TRUE(host.Start(&why)) << why;

  auto index = host.Get("/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.Header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(index.body.find("Open WebUI"), std::string::npos);

  auto js = host.Get("/_app/immutable/chunks/app.abc.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.Header("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_NE(js.Header("Cache-Control").find("immutable"), std::string::npos);
  EXPECT_EQ(host.Get("/manifest.json").Header("Content-Type"), "application/json");
  EXPECT_EQ(host.Get("/favicon.png").Header("Content-Type"), "image/png");
  EXPECT_EQ(host.Get("/static/custom.css").Header("Content-Type"), "text/css; charset=utf-8");
  EXPECT_EQ(host.Get("/pyodide.wasm").Header("Content-Type"), "application/wasm");
  EXPECT_EQ(host.Get("/_app/version.json").Header("Cache-Control"), "no-cache");

  // Revalidation
  auto again =
      host.Get("/_app/immutable/chunks/app.abc.js", {{"If-None-Match", js.Header("ETag")}});
  EXPECT_EQ(again.status, 304);

  // Client-side routes get index.html; missing files with an extension are 404.
  for (const char* route : {"/auth", "/c/123e4567", "/admin/settings"}) {
    auto r = host.Get(route);
    EXPECT_EQ(r.status, 200) << route;
    EXPECT_NE(r.body.find("Open WebUI"), std::string::npos) << route;
  }
  EXPECT_EQ(host.Get("/missing.js").status, 404);

  // API paths keep JSON errors; known routes still answer 405 for a wrong method.
  auto api = host.Get("/api/v1/nothing");
  EXPECT_EQ(api.status, 404);
  EXPECT_EQ(api.Json()["detail"], "Not Found");
  EXPECT_EQ(host.Post("/health", "").status, 405);
  EXPECT_EQ(host.Get("/health").status, 200);

  // Traversal, raw on the wire (a client library would normalise these).
  for (const char* p : {"/../outside.txt", "/%2e%2e/outside.txt", "/static/..%2f..%2foutside.txt",
                        "/static/%2e%2e/%2e%2e/outside.txt", "/..%5c..%5coutside.txt"}) {
    const std::string raw = RawGet(host.port(), p);
    EXPECT_EQ(raw.find("SECRET-OUTSIDE"), std::string::npos) << p << "\n" << raw;
  }
  EXPECT_EQ(host.Stop(), 0);
}

// The API prefixes come from the route table: a plugin's new prefix answers JSON 404s for unknown
// paths under it, and a prefix nobody registered stays a client-side route.
TEST_F(Frontend, UnknownPathsUnderARegisteredPrefixAreApi404s) {
  HostProcess::Options o{{{"FRONTEND_BUILD_DIR", build_}}, {}, ""};
  o.env["WEBUI_PLUGIN_PATH"] = PluginDir("prefix");
  HostProcess host(o);
  std::string why;
  ASSERT_TRUE(host.Start(&why)) << why;
  EXPECT_EQ(host.Get("/testprefix/known").status, 200);
  for (const char* p : {"/testprefix/unknown", "/testprefix/a/b", "/health/unknown"}) {
    auto r = host.Get(p);
    EXPECT_EQ(r.status, 404) << p;
    EXPECT_EQ(r.Json()["detail"], "Not Found") << p;
  }
  // No plugin registered /openai/ here: it is no longer special.
  for (const char* p : {"/openai/unknown", "/otherprefix/unknown"}) {
    auto r = host.Get(p);
    EXPECT_EQ(r.status, 200) << p;
    EXPECT_NE(r.body.find("Open WebUI"), std::string::npos) << p;
  }
  EXPECT_EQ(host.Get("/api/v1/unknown").status, 404);
  EXPECT_EQ(host.Stop(), 0);
}

TEST_F(Frontend, WithoutABuildDirTheRootExplainsHowToConfigureOne) {
  HostProcess host({{}, {}, ""});
  std::string why;
  ASSERT_TRUE(host.Start(&why)) << why;
  auto r = host.Get("/");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("FRONTEND_BUILD_DIR"), std::string::npos);
  EXPECT_EQ(host.Get("/auth").status, 404);
  EXPECT_EQ(host.Stop(), 0);
}

}  // namespace
}  // namespace webui::testing
