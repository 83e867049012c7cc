// `webui-host frontend install|status` with archives and directories the test builds itself,
// then the host serving what was installed.
#include <Poco/Checksum.h>
#include <Poco/DateTime.h>
#include <Poco/Path.h>
#include <Poco/Zip/Compress.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "it_support.hpp"

namespace webui::testing {
namespace {
namespace fs = std::filesystem;

using Entries = std::vector<std::pair<std::string, std::string>>;  // path in the archive, bytes

// A wheel-shaped zip: what `pip download open-webui` fetches, reduced to what matters.
void WriteZip(const fs::path& file, const Entries& entries) {
  std::ofstream out(file, std::ios::binary);
  Poco::Zip::Compress zip(out, true);
  for (const auto& [name, bytes] : entries) {
    std::istringstream in(bytes);
    zip.addFile(in, Poco::DateTime(), Poco::Path(name, Poco::Path::PATH_UNIX));
  }
  zip.close();
}

// A zip written byte by byte (stored, no compression), for names POCO's writer refuses to make,
// such as one that climbs out of the target.
void WriteRawZip(const fs::path& file, const Entries& entries) {
  std::string out, central;
  auto u16 = [](std::string& s, unsigned v) {
    s += static_cast<char>(v & 0xff);
    s += static_cast<char>((v >> 8) & 0xff);
  };
  auto u32 = [&](std::string& s, std::uint32_t v) {
    u16(s, v & 0xffff);
    u16(s, v >> 16);
  };
  for (const auto& [name, bytes] : entries) {
    Poco::Checksum crc(Poco::Checksum::TYPE_CRC32);
    crc.update(bytes.data(), static_cast<unsigned>(bytes.size()));
    const auto offset = static_cast<std::uint32_t>(out.size());
    const auto size = static_cast<std::uint32_t>(bytes.size());
    u32(out, 0x04034b50), u16(out, 20), u16(out, 0), u16(out, 0), u16(out, 0), u16(out, 0);
    u32(out, crc.checksum()), u32(out, size), u32(out, size);
    u16(out, static_cast<unsigned>(name.size())), u16(out, 0);
    out += name + bytes;
    u32(central, 0x02014b50), u16(central, 20), u16(central, 20), u16(central, 0);
    u16(central, 0), u16(central, 0), u16(central, 0);
    u32(central, crc.checksum()), u32(central, size), u32(central, size);
    u16(central, static_cast<unsigned>(name.size())), u16(central, 0), u16(central, 0);
    u16(central, 0), u16(central, 0), u32(central, 0), u32(central, offset);
    central += name;
  }
  const auto central_at = static_cast<std::uint32_t>(out.size());
  out += central;
  u32(out, 0x06054b50), u16(out, 0), u16(out, 0);
  u16(out, static_cast<unsigned>(entries.size())), u16(out, static_cast<unsigned>(entries.size()));
  u32(out, static_cast<std::uint32_t>(central.size())), u32(out, central_at), u16(out, 0);
  std::ofstream(file, std::ios::binary) << out;
}

Entries Wheel(const std::string& version) {
  return {{"open_webui/__init__.py", ""},
          {"open_webui/frontend/index.html",
           "<!doctype html><title>Open WebUI " + version + "</title>"},
          {"open_webui/frontend/_app/version.json", R"({"version":"1"})"},
          {"open_webui/frontend/_app/immutable/entry/start.js", "export {};"},
          {"open_webui-" + version + ".dist-info/METADATA",
           "Metadata-Version: 2.1\nName: open-webui\nVersion: " + version + "\n\nbody\n"}};
}

// Runs `webui-host frontend <args...>` on `data_dir`; the exit code and the output.
std::pair<int, std::string> Cli(const std::string& data_dir, std::vector<std::string> args,
                                std::map<std::string, std::string> env = {}) {
  fs::create_directories(data_dir);  // the harness logs the output there
  HostProcess::Options o;
  o.env = std::move(env);
  o.data_dir = data_dir;
  o.args = {"frontend"};
  o.args.insert(o.args.end(), args.begin(), args.end());
  HostProcess p(o);
  const int rc = p.RunToExit();
  return {rc, p.Log()};
}

TEST(FrontendInstall, AWheelIsInstalledReportedAndServed) {
  const std::string base = TempDir("fe-install");
  const std::string data = base + "/data";
  WriteZip(base + "/open_webui-0.6.32-py3-none-any.whl", Wheel("0.6.32"));

  auto [none_rc, none] = Cli(data, {"status"});
  EXPECT_EQ(none_rc, 3) << none;
  EXPECT_NE(none.find("webui-host frontend install"), std::string::npos) << none;

  auto [rc, out] = Cli(data, {"install", base + "/open_webui-0.6.32-py3-none-any.whl"});
  ASSERT_EQ(rc, 0) << out;
  EXPECT_TRUE(fs::is_regular_file(data + "/frontend/index.html"));
  EXPECT_TRUE(fs::is_regular_file(data + "/frontend/_app/immutable/entry/start.js"));
  EXPECT_FALSE(fs::exists(data + "/frontend/__init__.py"));  // only the frontend is taken

  auto [st_rc, status] = Cli(data, {"status"});
  EXPECT_EQ(st_rc, 0) << status;
  EXPECT_NE(status.find("0.6.32"), std::string::npos) << status;

  // The host serves it without FRONTEND_BUILD_DIR.
  HostProcess::Options o;
  o.data_dir = data;
  HostProcess host(o);
  std::string why;
  ASSERT_TRUE(host.Start(&why)) << why;
  auto index = host.Get("/");
  EXPECT_EQ(index.status, 200);
  EXPECT_NE(index.body.find("Open WebUI 0.6.32"), std::string::npos) << index.body;
  EXPECT_EQ(host.Get("/_app/immutable/entry/start.js").status, 200);
  EXPECT_EQ(host.Stop(), 0);

  // A newer wheel replaces it whole: nothing of the old tree is left behind.
  Entries next = Wheel("0.6.33");
  next[3] = {"open_webui/frontend/_app/immutable/entry/start.abc.js", "export {};"};
  WriteZip(base + "/next.whl", next);
  ASSERT_EQ(Cli(data, {"install", base + "/next.whl"}).first, 0);
  EXPECT_FALSE(fs::exists(data + "/frontend/_app/immutable/entry/start.js"));
  EXPECT_TRUE(fs::exists(data + "/frontend/_app/immutable/entry/start.abc.js"));
  EXPECT_NE(Cli(data, {"status"}).second.find("0.6.33"), std::string::npos);
}

TEST(FrontendInstall, PackageAndBuildDirectoriesAreAccepted) {
  const std::string base = TempDir("fe-dirs");
  // site-packages/open_webui with its dist-info beside it.
  fs::create_directories(base + "/site/open_webui/frontend/_app");
  fs::create_directories(base + "/site/open_webui-0.6.30.dist-info");
  std::ofstream(base + "/site/open_webui/frontend/index.html") << "pkg";
  std::ofstream(base + "/site/open_webui-0.6.30.dist-info/METADATA") << "Version: 0.6.30\n";
  auto [rc, out] = Cli(base + "/d1", {"install", base + "/site/open_webui"});
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("0.6.30"), std::string::npos) << out;
  // A plain build directory; a link in it is not followed out of the tree.
  fs::create_directories(base + "/build/_app");
  std::ofstream(base + "/build/index.html") << "built";
  std::ofstream(base + "/secret.txt") << "SECRET";
  fs::create_symlink(base + "/secret.txt", base + "/build/leak.txt");
  ASSERT_EQ(Cli(base + "/d2", {"install", base + "/build"}).first, 0);
  EXPECT_TRUE(fs::is_regular_file(base + "/d2/frontend/index.html"));
  EXPECT_FALSE(fs::exists(base + "/d2/frontend/leak.txt"));
}

TEST(FrontendInstall, UnusableSourcesAreRefusedAndTheInstalledOneStays) {
  const std::string base = TempDir("fe-bad");
  const std::string data = base + "/data";
  WriteZip(base + "/good.whl", Wheel("0.6.32"));
  ASSERT_EQ(Cli(data, {"install", base + "/good.whl"}).first, 0);

  // No _app/: not a built frontend.
  WriteZip(base + "/no_app.whl", {{"open_webui/frontend/index.html", "x"}});
  // A path that climbs out of the target.
  WriteRawZip(base + "/escape.whl", {{"open_webui/frontend/index.html", "x"},
                                     {"open_webui/frontend/_app/a.js", "x"},
                                     {"open_webui/frontend/../../../escaped.txt", "x"}});
  std::ofstream(base + "/not_a_zip.whl") << "this is not a zip";
  fs::create_directories(base + "/empty");
  for (const std::string& src : {base + "/no_app.whl", base + "/escape.whl",
                                 base + "/not_a_zip.whl", base + "/empty", base + "/missing"}) {
    auto [rc, out] = Cli(data, {"install", src});
    EXPECT_EQ(rc, 1) << src << ": " << out;
    EXPECT_NE(out.find("webui-host frontend install: "), std::string::npos) << out;
  }
  EXPECT_FALSE(fs::exists(base + "/escaped.txt"));
  EXPECT_FALSE(fs::exists(data + "/escaped.txt"));
  EXPECT_FALSE(fs::exists(data + "/frontend.new"));
  // The good install is untouched.
  EXPECT_NE(Cli(data, {"status"}).second.find("0.6.32"), std::string::npos);
  EXPECT_EQ(Cli(data, {"bogus"}).first, 2);
}

}  // namespace
}  // namespace webui::testing
