// ExtractFile on real files made here: PDFs written by hand, OOXML packages zipped with libzip,
// hostile archives and PDFs (docs/security.md T34), and extractors that crash, hang or babble.
// Each hostile case must end with an error within its budget while this process carries on.
#include "extract.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "test_files.hpp"

namespace webui::rag {
namespace {

using testing::MakePdf;
using testing::PdfWriter;
using testing::TempDir;
using testing::WordDocument;
using testing::ZipWriter;
using Clock = std::chrono::steady_clock;

// Generous: the sanitizer build on two busy cores is slow.
constexpr auto kBudget = std::chrono::seconds(60);

class ExtractFileTest : public ::testing::Test {
 protected:
  void SetUp() override { ::setenv("WEBUI_RAG_EXTRACTOR", WEBUI_RAG_EXTRACTOR_PATH, 1); }
  void TearDown() override { ::unsetenv("WEBUI_RAG_EXTRACTOR"); }

  Extracted Extract(const std::string& path, const ExtractLimits& limits = {},
                    const std::string& filename = "upload", const std::string& type = "") {
    const auto start = Clock::now();
    Extracted result = ExtractFile(path, filename, type, limits);
    elapsed_ = Clock::now() - start;
    return result;
  }

  // The extractor was reaped: no child of this process is left, zombie or running.
  static void ExpectNoChildren() {
    int status = 0;
    EXPECT_EQ(::waitpid(-1, &status, WNOHANG), -1);
    EXPECT_EQ(errno, ECHILD);
  }

  TempDir dir_;
  Clock::duration elapsed_{};
};

std::string Texts(const Extracted& extracted) {
  std::string out;
  for (const auto& d : extracted.documents) out += d.text + "|";
  return out;
}

// --- text and HTML -------------------------------------------------------------------------

TEST_F(ExtractFileTest, Latin1TextIsDecoded) {
  const auto r = Extract(dir_.Write("notes.txt", "Caf\xE9 cr\xE8me\r\nline two\r\n"), {},
                         "notes.txt", "text/plain");
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.documents.size(), 1u);
  EXPECT_EQ(r.documents[0].text, "Caf\xC3\xA9 cr\xC3\xA8me\nline two\n");
  EXPECT_EQ(r.documents[0].metadata, nlohmann::json::object());
}

TEST_F(ExtractFileTest, HtmlByMagicEvenWhenTheTypeLies) {
  const auto r =
      Extract(dir_.Write("page.bin",
                         "  <!doctype html><html><body><script>alert(1)</script>"
                         "<style>b{}</style><p>Hello <i>web</i></p><p>Second</p></body></html>"),
              {}, "page.bin", "application/octet-stream");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(Texts(r), "Hello web\n\nSecond|");
}

TEST_F(ExtractFileTest, LargeTextGoesThroughTheExtractorAndKeepsItsText) {
  std::string big;
  while (big.size() < (5u << 20)) big += "lorem ipsum dolor sit amet\n";
  const auto r = Extract(dir_.Write("big.md", big), {}, "big.md", "text/markdown");
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.documents.size(), 1u);
  EXPECT_EQ(r.documents[0].text, big);
  ExpectNoChildren();
}

TEST_F(ExtractFileTest, TextBeyondTheTextLimitIsAnError) {
  ExtractLimits limits;
  limits.text_bytes = 1000;
  const auto r = Extract(dir_.Write("a.txt", std::string(5000, 'a')), limits);
  EXPECT_EQ(r.error, "the extracted text exceeds 1000 bytes");
  EXPECT_TRUE(r.documents.empty());
}

TEST_F(ExtractFileTest, TextMentioningPdfMagicStaysText) {
  const auto r = Extract(dir_.Write("notes.md", "# Notes\nA PDF starts with %PDF-1.7.\n"), {},
                         "notes.md", "text/markdown");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(Texts(r), "# Notes\nA PDF starts with %PDF-1.7.\n|");
  // A real PDF with a few bytes of junk before its header is still one.
  const auto pdf = Extract(dir_.Write("junk.pdf", "junk\n" + MakePdf({"Late header"})), {},
                           "junk.pdf", "application/pdf");
  ASSERT_TRUE(pdf.ok()) << pdf.error;
  EXPECT_NE(pdf.documents[0].text.find("Late header"), std::string::npos);
}

TEST_F(ExtractFileTest, UnsupportedTypesAreNamed) {
  EXPECT_EQ(Extract(dir_.Write("x.png", "\x89PNG\r\n\x1a\n\0\0\0\rIHDR")).error,
            "unsupported file type image/png");
  std::string binary(64, '\0');
  binary += "\x01\x02\x03";
  EXPECT_EQ(Extract(dir_.Write("x.bin", binary), {}, "x.bin", "application/x-foo").error,
            "unsupported file type application/x-foo");
  EXPECT_EQ(
      Extract(dir_.Write("x.doc", "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1" + std::string(512, '\0')), {},
              "x.doc", "application/msword")
          .error,
      "unsupported file type application/msword");
  EXPECT_EQ(Extract(dir_.Path("missing")).error, "the file could not be opened");
}

TEST_F(ExtractFileTest, PasswordProtectedOfficeFilesAreNamedSo) {
  std::string ole = "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1" + std::string(2000, '\0');
  for (const char c : std::string_view("EncryptedPackage")) ole += {c, '\0'};
  ole += std::string(2000, '\0');
  EXPECT_EQ(Extract(dir_.Write("secret.docx", ole), {}, "secret.docx",
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
                .error,
            "the document is password-protected");
}

TEST_F(ExtractFileTest, ConcurrentExtractionsEachGetTheirOwnDocuments) {
  // As the files plugin runs them: several at once, each child with its own pipe (a pipe end
  // inherited by a sibling would hold its reader until the sibling exits).
  std::vector<std::string> paths;
  for (int i = 0; i < 8; ++i) {
    paths.push_back(dir_.Write("doc" + std::to_string(i) + ".pdf",
                               MakePdf({"Document " + std::to_string(i), "Second page"})));
  }
  std::vector<Extracted> results(paths.size());
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    threads.emplace_back([&results, &paths, i] {
      results[i] = ExtractFile(paths[i], "doc.pdf", "application/pdf", {});
    });
  }
  for (auto& t : threads) t.join();
  for (std::size_t i = 0; i < results.size(); ++i) {
    ASSERT_TRUE(results[i].ok()) << results[i].error;
    ASSERT_EQ(results[i].documents.size(), 2u);
    EXPECT_NE(results[i].documents[0].text.find("Document " + std::to_string(i)),
              std::string::npos);
  }
  ExpectNoChildren();
}

// --- PDF -------------------------------------------------------------------------------------

TEST_F(ExtractFileTest, PdfHasOneDocumentPerPageWithZeroBasedPages) {
  const auto r = Extract(dir_.Write("three.pdf", MakePdf({"First page", "", "Third page"})), {},
                         "three.pdf", "application/octet-stream");
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.documents.size(), 3u);  // the empty page is kept, as upstream's loader keeps it
  for (int i = 0; i < 3; ++i) EXPECT_EQ(r.documents[i].metadata, nlohmann::json({{"page", i}}));
  EXPECT_NE(r.documents[0].text.find("First page"), std::string::npos) << r.documents[0].text;
  EXPECT_EQ(r.documents[1].text.find_first_not_of(" \n"), std::string::npos);
  EXPECT_NE(r.documents[2].text.find("Third page"), std::string::npos) << r.documents[2].text;
  ExpectNoChildren();
}

TEST_F(ExtractFileTest, CyclicPageTreeIsAnErrorInTime) {
  PdfWriter pdf;
  const int catalog = pdf.Add("<< /Type /Catalog /Pages 2 0 R >>");
  pdf.Add("<< /Type /Pages /Kids [3 0 R 2 0 R] /Count 3 >>");  // the tree contains itself
  pdf.Add("<< /Type /Pages /Parent 2 0 R /Kids [2 0 R 3 0 R] /Count 2 >>");
  const auto r = Extract(dir_.Write("cyclic.pdf", pdf.Finish(catalog)));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error.rfind("the PDF could not be read", 0), 0u) << r.error;
  EXPECT_LT(elapsed_, kBudget);
  ExpectNoChildren();
}

TEST_F(ExtractFileTest, FiftyThousandPagesAreRefusedByCount) {
  PdfWriter pdf;
  const int catalog = pdf.Add("<< /Type /Catalog /Pages 2 0 R >>");
  pdf.Add("");
  const int content = pdf.Add(PdfWriter::Stream("BT /F1 12 Tf 72 700 Td (p) Tj ET"));
  std::string kids;
  for (int i = 0; i < 50000; ++i) {
    kids += std::to_string(pdf.Add("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                                   "/Contents " +
                                   std::to_string(content) + " 0 R >>")) +
            " 0 R ";
  }
  pdf.Set(2, "<< /Type /Pages /Kids [" + kids + "] /Count 50000 >>");
  const auto r = Extract(dir_.Write("many.pdf", pdf.Finish(catalog)));
  EXPECT_EQ(r.error, "the PDF has 50000 pages, more than the 20000 allowed");
  EXPECT_LT(elapsed_, kBudget);
}

TEST_F(ExtractFileTest, MemoryLimitIsEnforced) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "no RLIMIT_AS under AddressSanitizer";
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  GTEST_SKIP() << "no RLIMIT_AS under AddressSanitizer";
#endif
#endif
  const std::string path = dir_.Write("small.pdf", MakePdf({"Fits in memory"}));
  ASSERT_TRUE(Extract(path).ok());
  ExtractLimits limits;
  limits.memory_bytes = 8u << 20;  // less than the extractor's libraries already map
  const auto r = Extract(path, limits);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.error == "the file needs more than 8 MB of memory to extract" ||
              r.error == "the PDF could not be read")
      << r.error;
  ExpectNoChildren();
}

TEST_F(ExtractFileTest, CorruptPdfIsAnError) {
  const auto r = Extract(dir_.Write("bad.pdf", "%PDF-1.7\n1 0 obj << /Type /Catalog garbage"));
  EXPECT_EQ(r.error.rfind("the PDF could not be read", 0), 0u) << r.error;
  std::string truncated = MakePdf({"Some text"});
  truncated.resize(truncated.size() / 2);
  EXPECT_FALSE(Extract(dir_.Write("half.pdf", truncated)).ok());
  ExpectNoChildren();
}

// RC4 (the cipher of the PDF standard security handler, revision 2), written out: OpenSSL 3 keeps
// it in the legacy provider only.
std::string Rc4(const std::string& key, const std::string& data) {
  std::array<unsigned char, 256> s{};
  for (int i = 0; i < 256; ++i) s[static_cast<std::size_t>(i)] = static_cast<unsigned char>(i);
  for (std::size_t i = 0, j = 0; i < 256; ++i) {
    j = (j + s[i] + static_cast<unsigned char>(key[i % key.size()])) & 255;
    std::swap(s[i], s[j]);
  }
  std::string out = data;
  for (std::size_t n = 0, i = 0, j = 0; n < out.size(); ++n) {
    i = (i + 1) & 255;
    j = (j + s[i]) & 255;
    std::swap(s[i], s[j]);
    out[n] = static_cast<char>(out[n] ^ s[(s[i] + s[j]) & 255]);
  }
  return out;
}

std::string Md5(const std::string& data) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), d, &n, EVP_md5(), nullptr);
  return std::string(reinterpret_cast<char*>(d), n);
}

std::string Hex(const std::string& bytes) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out.push_back(hex[b >> 4]);
    out.push_back(hex[b & 15]);
  }
  return out;
}

// A PDF locked with the user password `password` by the standard security handler (V1 R2,
// 40-bit RC4: PDF 1.7 §7.6.3, algorithms 2-4), so that no reader opens it without the password.
std::string MakeLockedPdf(const std::string& text, const std::string& password) {
  static const std::string pad(
      "\x28\xBF\x4E\x5E\x4E\x75\x8A\x41\x64\x00\x4E\x56\xFF\xFA\x01\x08"
      "\x2E\x2E\x00\xB6\xD0\x68\x3E\x80\x2F\x0C\xA9\xFE\x64\x53\x69\x7A",
      32);
  const auto padded = [&](const std::string& pw) { return (pw + pad).substr(0, 32); };
  const std::string id = Md5("webui-host locked pdf");
  const std::string owner = Rc4(Md5(padded("owner-" + password)).substr(0, 5), padded(password));
  const std::string perms("\xFC\xFF\xFF\xFF", 4);  // /P -4, little-endian
  const std::string key = Md5(padded(password) + owner + perms + id).substr(0, 5);
  const std::string user = Rc4(key, pad);

  PdfWriter pdf;
  const int catalog = pdf.Add("");
  const int pages = pdf.Add("");
  // The page's content stream, encrypted with its object's key (algorithm 1).
  const int content_number = 3;
  const std::string object_key = Md5(key + std::string("\x03\x00\x00\x00\x00", 5)).substr(0, 10);
  const int content =
      pdf.Add(PdfWriter::Stream(Rc4(object_key, "BT /F1 24 Tf 72 700 Td (" + text + ") Tj ET")));
  EXPECT_EQ(content, content_number);
  const int font = pdf.Add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
  const int page = pdf.Add("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents " +
                           std::to_string(content) + " 0 R /Resources << /Font << /F1 " +
                           std::to_string(font) + " 0 R >> >> >>");
  const int encrypt = pdf.Add("<< /Filter /Standard /V 1 /R 2 /O <" + Hex(owner) + "> /U <" +
                              Hex(user) + "> /P -4 >>");
  pdf.Set(catalog, "<< /Type /Catalog /Pages 2 0 R >>");
  pdf.Set(pages, "<< /Type /Pages /Kids [" + std::to_string(page) + " 0 R] /Count 1 >>");
  std::string out = pdf.Finish(catalog);
  const std::string root = "/Root " + std::to_string(catalog) + " 0 R";
  out.replace(out.rfind(root), root.size(),
              root + " /Encrypt " + std::to_string(encrypt) + " 0 R /ID [<" + Hex(id) + "> <" +
                  Hex(id) + ">]");
  return out;
}

TEST_F(ExtractFileTest, PasswordProtectedPdfIsNamedSo) {
  const std::string locked = MakeLockedPdf("Locked away", "hunter2");
  ASSERT_NE(locked.find("/Encrypt"), std::string::npos);
  const auto r = Extract(dir_.Write("locked.pdf", locked), {}, "locked.pdf", "application/pdf");
  EXPECT_EQ(r.error, "the PDF is password-protected");
  EXPECT_TRUE(r.documents.empty());
  // The same file with a lying name and type: still the PDF's own error.
  EXPECT_EQ(Extract(dir_.Write("notes.txt", locked), {}, "notes.txt", "text/plain").error,
            "the PDF is password-protected");
  ExpectNoChildren();
}

// --- OOXML -----------------------------------------------------------------------------------

TEST_F(ExtractFileTest, DocxParagraphsLinesAndTableCells) {
  const std::string path = dir_.Path("doc.docx");
  ZipWriter zip(path);
  zip.Add("[Content_Types].xml", testing::kContentTypes);
  zip.Add("word/document.xml",
          WordDocument("<w:p><w:pPr><w:tabs><w:tab w:val=\"left\" w:pos=\"720\"/></w:tabs></w:pPr>"
                       "<w:r><w:t>Hello</w:t></w:r><w:r><w:t xml:space=\"preserve\"> world"
                       "</w:t></w:r></w:p>"
                       "<w:p><w:r><w:t>A</w:t><w:tab/><w:t>B</w:t><w:br/><w:t>C &amp; D</w:t>"
                       "</w:r><w:del><w:r><w:delText>gone</w:delText></w:r></w:del></w:p>"
                       "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>r1c1</w:t></w:r></w:p>"
                       "<w:p><w:r><w:t>more</w:t></w:r></w:p></w:tc>"
                       "<w:tc><w:p><w:r><w:t>r1c2</w:t></w:r></w:p></w:tc></w:tr>"
                       "<w:tr><w:tc><w:p/></w:tc><w:tc><w:p><w:r><w:t>r2c2</w:t></w:r></w:p>"
                       "</w:tc></w:tr></w:tbl><w:p><w:r><w:t>After</w:t></w:r></w:p>"));
  zip.Add("word/footer1.xml",
          "<w:ftr xmlns:w=\"w\"><w:p><w:r><w:t>Page footer</w:t></w:r></w:p></w:ftr>");
  zip.Add("word/header1.xml",
          "<w:hdr xmlns:w=\"w\"><w:p><w:r><w:t>Page header</w:t></w:r></w:p></w:hdr>");
  zip.Close();
  const auto r = Extract(path, {}, "doc.docx", "application/octet-stream");
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.documents.size(), 1u);
  // Headers first and footers last, as upstream's docx2txt reads them.
  EXPECT_EQ(r.documents[0].text,
            "Page header\nHello world\nA\tB\nC & D\nr1c1 more\tr1c2\n\tr2c2\nAfter\nPage footer");
}

TEST_F(ExtractFileTest, XlsxOneDocumentPerSheetRowsAndCells) {
  const std::string path = dir_.Path("book.xlsx");
  ZipWriter zip(path);
  zip.Add("[Content_Types].xml", testing::kContentTypes);
  zip.Add("xl/workbook.xml",
          "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
          "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
          "<sheets><sheet name=\"Prices\" sheetId=\"1\" r:id=\"rId2\"/>"
          "<sheet name=\"Notes\" sheetId=\"2\" r:id=\"rId1\"/></sheets></workbook>");
  zip.Add("xl/_rels/workbook.xml.rels",
          "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
          "<Relationship Id=\"rId1\" Target=\"worksheets/sheet2.xml\" Type=\"ws\"/>"
          "<Relationship Id=\"rId2\" Target=\"/xl/worksheets/sheet1.xml\" Type=\"ws\"/>"
          "</Relationships>");
  zip.Add("xl/sharedStrings.xml",
          "<sst><si><t>Item</t></si><si><r><t>Pri</t></r><r><t>ce</t></r></si>"
          "<si><t>Tea</t><rPh><t>reading aid</t></rPh></si></sst>");
  zip.Add("xl/worksheets/sheet1.xml",
          "<worksheet><sheetData>"
          "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v></c></row>"
          "<row r=\"2\"><c r=\"A2\" t=\"s\"><v>2</v></c><c r=\"C2\"><f>1+1</f><v>2.5</v></c>"
          "<c r=\"D2\" t=\"b\"><v>1</v></c></row>"
          "<row r=\"3\"/></sheetData></worksheet>");
  zip.Add("xl/worksheets/sheet2.xml",
          "<worksheet><sheetData><row><c t=\"inlineStr\"><is><t>inline note</t></is></c></row>"
          "</sheetData></worksheet>");
  zip.Close();
  const auto r = Extract(path, {}, "book.xlsx");
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.documents.size(), 2u);
  EXPECT_EQ(r.documents[0].text, "Item\tPrice\nTea\t\t2.5\tTRUE");
  EXPECT_EQ(r.documents[0].metadata, nlohmann::json({{"sheet", "Prices"}}));
  EXPECT_EQ(r.documents[1].text, "inline note");
  EXPECT_EQ(r.documents[1].metadata, nlohmann::json({{"sheet", "Notes"}}));
}

TEST_F(ExtractFileTest, PptxSlidesInPresentationOrder) {
  const std::string path = dir_.Path("deck.pptx");
  ZipWriter zip(path);
  zip.Add("[Content_Types].xml", testing::kContentTypes);
  zip.Add("ppt/presentation.xml",
          "<p:presentation xmlns:p=\"p\" xmlns:r=\"r\"><p:sldIdLst>"
          "<p:sldId id=\"256\" r:id=\"rId3\"/><p:sldId id=\"257\" r:id=\"rId2\"/>"
          "</p:sldIdLst></p:presentation>");
  zip.Add("ppt/_rels/presentation.xml.rels",
          "<Relationships><Relationship Id=\"rId2\" Target=\"slides/slide1.xml\"/>"
          "<Relationship Id=\"rId3\" Target=\"slides/slide2.xml\"/></Relationships>");
  auto slide = [](const std::string& body) {
    return "<p:sld xmlns:p=\"p\" xmlns:a=\"a\"><p:cSld><p:spTree><p:sp><p:txBody>" + body +
           "</p:txBody></p:sp></p:spTree></p:cSld></p:sld>";
  };
  zip.Add("ppt/slides/slide1.xml", slide("<a:p><a:r><a:t>Second shown</a:t></a:r></a:p>"));
  zip.Add("ppt/slides/slide2.xml", slide("<a:p><a:r><a:t>Title</a:t></a:r></a:p>"
                                         "<a:p><a:r><a:t>Bullet </a:t></a:r><a:r><a:t>one</a:t>"
                                         "</a:r><a:br/><a:r><a:t>next</a:t></a:r></a:p>"));
  zip.Close();
  const auto r = Extract(path, {}, "deck.pptx");
  ASSERT_TRUE(r.ok()) << r.error;
  ASSERT_EQ(r.documents.size(), 2u);
  EXPECT_EQ(r.documents[0].text, "Title\nBullet one\nnext");
  EXPECT_EQ(r.documents[0].metadata, nlohmann::json({{"slide", 1}}));
  EXPECT_EQ(r.documents[1].text, "Second shown");
  EXPECT_EQ(r.documents[1].metadata, nlohmann::json({{"slide", 2}}));
}

TEST_F(ExtractFileTest, ZipBombIsRefusedBeforeInflating) {
  // 600 MB of zeros, deflated at the fastest level (quick to build) to under 3 MB.
  const std::string path = dir_.Path("bomb.docx");
  ZipWriter zip(path);
  zip.Add("[Content_Types].xml", testing::kContentTypes);
  zip.AddZeros("word/document.xml", 600ull << 20);
  zip.Close();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_LT(st.st_size, 4 << 20);  // over 200 to 1
  const auto r = Extract(path);
  EXPECT_EQ(r.error, "the archive expands beyond 512 MB");
  EXPECT_LT(elapsed_, kBudget);
  ExpectNoChildren();
}

// Rewrites every declared uncompressed size of a zip (local headers and central directory).
void DeclareSize(std::string& zip, std::uint32_t size) {
  auto put = [&](std::size_t at) {
    for (int i = 0; i < 4; ++i) zip[at + i] = static_cast<char>((size >> (8 * i)) & 0xFF);
  };
  for (std::size_t at = zip.find("PK\x03\x04"); at != std::string::npos;
       at = zip.find("PK\x03\x04", at + 4)) {
    put(at + 22);
  }
  for (std::size_t at = zip.find("PK\x01\x02"); at != std::string::npos;
       at = zip.find("PK\x01\x02", at + 4)) {
    put(at + 24);
  }
}

TEST_F(ExtractFileTest, DeclaredSizesThatLieAreCaughtWhileReading) {
  const std::string path = dir_.Path("liar.docx");
  {
    ZipWriter zip(path);
    zip.Add("word/document.xml",
            WordDocument("<w:p><w:r><w:t>" + std::string(8u << 20, 'A') + "</w:t></w:r></w:p>"));
    zip.Add("[Content_Types].xml", testing::kContentTypes);
    zip.Close();
  }
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  DeclareSize(bytes, 100);
  ExtractLimits limits;
  limits.expanded_bytes = 1u << 20;  // declared: 200 bytes in all; really: over 8 MB
  const auto r = Extract(dir_.Write("liar.docx", bytes), limits);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.documents.empty());
  EXPECT_TRUE(r.error == "the archive expands beyond 1 MB" ||
              r.error.rfind("the document could not be read", 0) == 0)
      << r.error;
}

TEST_F(ExtractFileTest, TooManyEntriesAreRefusedBeforeReading) {
  const std::string path = dir_.Path("many.xlsx");
  ZipWriter zip(path);
  zip.Add("[Content_Types].xml", testing::kContentTypes);
  for (int i = 0; i < 10001; ++i) zip.Add("xl/media/" + std::to_string(i), "");
  zip.Close();
  EXPECT_EQ(Extract(path).error, "the archive has more than 10000 entries");
}

TEST_F(ExtractFileTest, EntityBombIsRefused) {
  std::string lol = "<!DOCTYPE lolz [<!ENTITY lol \"lol\">";
  lol += "<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">";
  for (int i = 2; i < 10; ++i) {
    lol += "<!ENTITY lol" + std::to_string(i) + " \"";
    for (int k = 0; k < 10; ++k) lol += "&lol" + std::to_string(i - 1) + ";";
    lol += "\">";
  }
  lol += "]>";
  const std::string path = dir_.Path("lol.docx");
  ZipWriter zip(path);
  zip.Add("[Content_Types].xml", testing::kContentTypes);
  zip.Add("word/document.xml", "<?xml version=\"1.0\"?>" + lol +
                                   "<w:document xmlns:w=\"w\"><w:body><w:p><w:r><w:t>"
                                   "&lol9;</w:t></w:r></w:p></w:body></w:document>");
  zip.Close();
  const auto r = Extract(path);
  EXPECT_EQ(r.error, "the document could not be read (word/document.xml has a DOCTYPE)");
  EXPECT_LT(elapsed_, kBudget);
}

TEST_F(ExtractFileTest, OtherZipsAndDamagedPackages) {
  {
    const std::string path = dir_.Path("plain.zip");
    ZipWriter zip(path);
    zip.Add("readme.txt", "hello");
    zip.Close();
    EXPECT_EQ(Extract(path, {}, "plain.zip").error, "unsupported file type application/zip");
  }
  {
    const std::string path = dir_.Path("book.odt");
    ZipWriter zip(path);
    zip.Add("mimetype", "application/vnd.oasis.opendocument.text");
    zip.Add("content.xml", "<office:document-content/>");
    zip.Close();
    EXPECT_EQ(Extract(path).error, "unsupported file type application/vnd.oasis.opendocument.text");
  }
  {
    const std::string path = dir_.Path("broken.docx");
    ZipWriter zip(path);
    zip.Add("[Content_Types].xml", testing::kContentTypes);
    zip.Add("word/document.xml", "<w:document><w:body><w:p>unclosed");
    zip.Close();
    EXPECT_EQ(Extract(path).error, "the document could not be read (word/document.xml is damaged)");
  }
  EXPECT_EQ(Extract(dir_.Write("trunc.docx", std::string("PK\x03\x04", 4) + "garbage")).error,
            "the document could not be read (not a valid archive)");
}

// --- the child process itself ------------------------------------------------------------------

class FakeExtractorTest : public ExtractFileTest {
 protected:
  // An "extractor" that runs `script` instead of reading anything.
  void UseScript(const std::string& script) {
    const std::string path = dir_.Write("fake-extractor", "#!/bin/sh\n" + script + "\n");
    ::chmod(path.c_str(), 0700);
    ::setenv("WEBUI_RAG_EXTRACTOR", path.c_str(), 1);
  }
  Extracted ExtractPdf(const ExtractLimits& limits = {}) {
    return Extract(dir_.Write("some.pdf", MakePdf({"x"})), limits);
  }
};

TEST_F(FakeExtractorTest, CrashIsAnError) {
  UseScript("kill -SEGV $$");
  EXPECT_EQ(ExtractPdf().error, "the PDF could not be read");
  ExpectNoChildren();
}

TEST_F(FakeExtractorTest, HangIsKilledAtTheDeadline) {
  UseScript("exec sleep 300");
  ExtractLimits limits;
  limits.time = std::chrono::milliseconds(300);
  EXPECT_EQ(ExtractPdf(limits).error, "the file took longer than 1 s to extract");
  EXPECT_LT(elapsed_, kBudget);
  ExpectNoChildren();
}

TEST_F(FakeExtractorTest, GarbageAndFloodsAreErrors) {
  UseScript("echo 'not a frame'");
  EXPECT_EQ(ExtractPdf().error, "the PDF could not be read");
  UseScript("printf '5\\n[1,2]'");
  EXPECT_EQ(ExtractPdf().error, "the PDF could not be read");
  UseScript("printf '9999999999999\\n'; exec cat /dev/zero");
  EXPECT_EQ(ExtractPdf().error, "the PDF could not be read");
  // Valid frames, without end: more text than allowed.
  UseScript("while :; do printf '36\\n{\"document\":{\"text\":\"aaaaaaaaaaaa\"}}'; done");
  ExtractLimits limits;
  limits.text_bytes = 4096;
  EXPECT_EQ(ExtractPdf(limits).error, "the extracted text exceeds 4 KB");
  // Documents, then an exit without the final frame: the child died midway.
  UseScript("printf '36\\n{\"document\":{\"text\":\"aaaaaaaaaaaa\"}}'");
  EXPECT_EQ(ExtractPdf().error, "the PDF could not be read");
  ExpectNoChildren();
}

TEST_F(FakeExtractorTest, TheServersSecretsStayOutOfTheChild) {
  ::setenv("WEBUI_SECRET_KEY", "do-not-leak", 1);
  ::setenv("ASAN_OPTIONS", "detect_leaks=1", 0);
  UseScript(
      "test -z \"$WEBUI_SECRET_KEY\" && test -n \"$ASAN_OPTIONS\" || kill -SEGV $$\n"
      "printf '13\\n{\"done\":true}'");
  const auto r = ExtractPdf();
  ::unsetenv("WEBUI_SECRET_KEY");
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_TRUE(r.documents.empty());
}

TEST_F(FakeExtractorTest, MissingExtractorIsAClearError) {
  ::setenv("WEBUI_RAG_EXTRACTOR", dir_.Path("nowhere").c_str(), 1);
  EXPECT_EQ(ExtractPdf().error, "the document extractor (webui-rag-extract) is not installed");
}

}  // namespace
}  // namespace webui::rag
