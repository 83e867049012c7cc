#include <gtest/gtest.h>

#include "extract.hpp"
#include "utf8.hpp"

namespace webui::rag {
namespace {

using namespace std::string_literals;

TEST(DecodeText, Utf8IsKeptAndItsBomDropped) {
  EXPECT_EQ(utf8::DecodeText("\xEF\xBB\xBF"
                             "caf\xC3\xA9"),
            "caf\xC3\xA9");
}

TEST(DecodeText, InvalidUtf8IsReadAsWindows1252) {
  EXPECT_EQ(utf8::DecodeText("caf\xE9"), "caf\xC3\xA9");
  EXPECT_EQ(utf8::DecodeText("\x93quoted\x94 \x80"), "\xE2\x80\x9Cquoted\xE2\x80\x9D \xE2\x82\xAC");
}

TEST(DecodeText, Utf16WithBom) {
  EXPECT_EQ(utf8::DecodeText("\xFF\xFEh\0i\0\xE9\0"s), "hi\xC3\xA9");
  EXPECT_EQ(utf8::DecodeText("\xFE\xFF\0h\xD8\x3D\xDE\x00"s), "h\xF0\x9F\x98\x80");
}

TEST(DecodeText, LineEndsAndNulBytes) { EXPECT_EQ(utf8::DecodeText("a\r\nb\rc\0d"s), "a\nb\ncd"); }

TEST(Utf8, StripIsPythonsStrip) {
  EXPECT_EQ(utf8::Strip(" \t\xC2\xA0 text \xE3\x80\x80\n"), "text");
  EXPECT_EQ(utf8::Strip("\xC3\xA9"), "\xC3\xA9");
  EXPECT_EQ(utf8::CodePoints("h\xC3\xA9\xF0\x9F\x98\x80"), 3u);
}

TEST(HtmlToText, ScriptsAndStylesAreDroppedBlocksBreakLines) {
  const std::string html =
      "<!DOCTYPE html><html><head><title>The title</title><style>p{color:red}</style>"
      "<script>var x = '<p>not text</p>';</script></head><body>"
      "<h1>Heading</h1><p>First   paragraph\n with <b>bold</b> text.</p>"
      "<div>line one</div><div>line two</div>"
      "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>"
      "<noscript>enable js</noscript><pre>keep   this\n  layout</pre>"
      "<p>caf&eacute; &amp; more</p></body></html>";
  EXPECT_EQ(HtmlToText(html),
            "The title\n\nHeading\n\nFirst paragraph with bold text.\n\nline one\nline two\n\n"
            "a\tb\nc\td\n\nkeep   this\n  layout\n\ncaf\xC3\xA9 & more");
}

TEST(HtmlToText, Latin1Bytes) { EXPECT_EQ(HtmlToText("<p>caf\xE9</p>"), "caf\xC3\xA9"); }

TEST(HtmlToText, DeepNestingAndGarbageDoNotCrash) {
  auto nested = [](int depth) {
    std::string html;
    for (int i = 0; i < depth; ++i) html += "<div><span>";
    return html + "deep";
  };
  EXPECT_EQ(HtmlToText(nested(100)), "deep");
  // libxml2 stops at its depth limit (no HTML_PARSE_HUGE): the text is lost, the caller is not.
  EXPECT_LT(HtmlToText(nested(100000)).size(), 5u);
  EXPECT_EQ(HtmlToText(""), "");
  EXPECT_NE(HtmlToText("<<<>>></p></div>&&&;").find("&&&;"), std::string::npos);
}

}  // namespace
}  // namespace webui::rag
