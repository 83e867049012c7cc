#include "naming.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace webui::files {
namespace {

TEST(FileNaming, DisplayNameKeepsOnlyTheLastComponentWithoutControls) {
  EXPECT_EQ(DisplayName("../../etc/passwd"), "passwd");
  EXPECT_EQ(DisplayName("..\\..\\x.txt"), "x.txt");
  EXPECT_EQ(DisplayName(std::string("a\0.png", 6)), "a.png");
  EXPECT_EQ(DisplayName("a\r\nSet-Cookie: x=1.txt"), "aSet-Cookie: x=1.txt");
  EXPECT_EQ(DisplayName("caf\xc3\xa9.md"), "caf\xc3\xa9.md");
  EXPECT_EQ(DisplayName("bad\xff.txt"), "bad\xef\xbf\xbd.txt");
  EXPECT_EQ(DisplayName(""), "file");
  EXPECT_EQ(DisplayName("a/.."), "file");
  EXPECT_EQ(DisplayName(std::string(4096, 'n')).size(), 255u);
}

TEST(FileNaming, StoredNameIsNeverAPathOrHidden) {
  for (const std::string name : {"../../../../data/webui.db", "x./../y", "%2e%2e%2f", "..",
                                 "/etc/passwd", "..\\..\\x", "a/b", "\xef\xbc\x8e\xef\xbc\x8e"}) {
    const std::string stored = StoredName(DisplayName(name));
    EXPECT_EQ(stored.find('/'), std::string::npos) << name;
    EXPECT_EQ(stored.find('\\'), std::string::npos) << name;
    EXPECT_EQ(stored.find(".."), std::string::npos) << name;
    EXPECT_NE(stored.front(), '.') << name;
    EXPECT_FALSE(stored.empty()) << name;
  }
  EXPECT_EQ(StoredName("report 2024.pdf"), "report_2024.pdf");
  const std::string long_name = StoredName(std::string(500, 'a') + ".docx");
  EXPECT_EQ(long_name.size(), 100u);
  EXPECT_EQ(long_name.substr(long_name.size() - 5), ".docx");
}

TEST(FileNaming, OnlyAllowListedTypesAreServedAsThemselves) {
  EXPECT_EQ(ServedType("image/png", "a.png").content_type, "image/png");
  EXPECT_TRUE(ServedType("image/png", "a.png").inline_ok);
  // Declared HTML, SVG, XML: never echoed, downloaded.
  for (const auto& [type, name] : std::initializer_list<std::pair<const char*, const char*>>{
           {"text/html", "a.html"},
           {"image/svg+xml", "a.svg"},
           {"text/html", "a.xml"},
           {"application/x-evil", "noext"},
           {"text/html; charset=utf-8", "a.png.html"}}) {
    const Served s = ServedType(type, name);
    EXPECT_EQ(s.content_type, "application/octet-stream") << type << " " << name;
    EXPECT_FALSE(s.inline_ok);
  }
  // A wrong declaration of an allowed extension gets the extension's type, not the declared one.
  EXPECT_EQ(ServedType("text/html", "a.png").content_type, "image/png");
  EXPECT_EQ(ServedType("", "doc.PDF").content_type, "application/pdf");
  EXPECT_EQ(ServedType("text/plain", "a.txt").content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(ServedType("audio/webm", "rec.webm").content_type, "audio/webm");
}

TEST(FileNaming, DispositionIsPercentEncoded) {
  EXPECT_EQ(ContentDisposition(true, "a b.pdf"), "inline; filename*=UTF-8''a%20b.pdf");
  const std::string evil = ContentDisposition(false, "a\"\r\nSet-Cookie:x=1.txt");
  EXPECT_EQ(evil, "attachment; filename*=UTF-8''a%22%0D%0ASet-Cookie%3Ax%3D1.txt");
  EXPECT_EQ(ContentDisposition(true, "caf\xc3\xa9"), "inline; filename*=UTF-8''caf%C3%A9");
}

TEST(FileNaming, TextLikeFiles) {
  EXPECT_TRUE(IsTextLike("text/plain", "a"));
  EXPECT_TRUE(IsTextLike("application/octet-stream", "main.cpp"));
  EXPECT_TRUE(IsTextLike("application/json; charset=utf-8", "x"));
  EXPECT_FALSE(IsTextLike("application/pdf", "a.pdf"));
  EXPECT_FALSE(IsTextLike("", "noext"));
}

TEST(FileRange, SingleRangesOnly) {
  using K = ByteRange::Kind;
  auto r = ParseRange("bytes=0-9", 100);
  EXPECT_EQ(r.kind, K::kPartial);
  EXPECT_EQ(r.first, 0u);
  EXPECT_EQ(r.last, 9u);
  r = ParseRange("bytes=90-", 100);
  EXPECT_EQ(r.kind, K::kPartial);
  EXPECT_EQ(r.first, 90u);
  EXPECT_EQ(r.last, 99u);
  r = ParseRange("bytes=-10", 100);
  EXPECT_EQ(r.first, 90u);
  EXPECT_EQ(r.last, 99u);
  r = ParseRange("bytes=50-1000", 100);
  EXPECT_EQ(r.last, 99u);
  EXPECT_EQ(ParseRange("bytes=-0", 100).kind, K::kUnsatisfiable);
  EXPECT_EQ(ParseRange("bytes=999999999-", 100).kind, K::kUnsatisfiable);
  EXPECT_EQ(ParseRange("bytes=0-0", 0).kind, K::kUnsatisfiable);
  // Several ranges, bad syntax, other units: the whole file.
  std::string many = "bytes=0-0";
  for (int i = 1; i < 5000; ++i) many += "," + std::to_string(i) + "-" + std::to_string(i);
  EXPECT_EQ(ParseRange(many, 100000).kind, K::kWhole);
  EXPECT_EQ(ParseRange("bytes=0-0,1-1", 100).kind, K::kWhole);
  EXPECT_EQ(ParseRange("items=0-1", 100).kind, K::kWhole);
  EXPECT_EQ(ParseRange("bytes=5-1", 100).kind, K::kWhole);
  EXPECT_EQ(ParseRange("bytes=a-b", 100).kind, K::kWhole);
}

TEST(FileIds, Sha256AndUuid) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  std::set<std::string> ids;
  for (int i = 0; i < 100; ++i) {
    const std::string id = NewFileId();
    ASSERT_EQ(id.size(), 36u);
    EXPECT_EQ(id[14], '4');
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 100u);
}

}  // namespace
}  // namespace webui::files
