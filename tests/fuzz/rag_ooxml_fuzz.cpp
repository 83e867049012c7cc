// The OOXML readers of the rag extractor (plugins/rag/extract/ooxml.cpp) on hostile XML: the
// first byte picks the part (DOCX body, XLSX shared strings or sheet, PPTX slide or presentation),
// the rest is that part, zipped (stored) into an otherwise valid package.
//
// Invariants: nothing throws or crashes; a result is either documents or an error; the text kept
// never exceeds the text limit.
#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "extract/formats.hpp"
#include "fuzz_support.hpp"

namespace {

std::uint32_t Crc32(std::string_view data) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (const char c : data) {
    crc ^= static_cast<unsigned char>(c);
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

void Put16(std::string& out, std::uint32_t v) {
  out.push_back(static_cast<char>(v & 0xFF));
  out.push_back(static_cast<char>((v >> 8) & 0xFF));
}
void Put32(std::string& out, std::uint32_t v) {
  Put16(out, v & 0xFFFF);
  Put16(out, v >> 16);
}

// A zip of stored entries.
std::string Zip(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string out, directory;
  for (const auto& entry : entries) {
    const std::string& name = entry.first;
    const std::string& data = entry.second;
    const auto offset = static_cast<std::uint32_t>(out.size());
    const std::uint32_t crc = Crc32(data);
    Put32(out, 0x04034b50);
    Put16(out, 20), Put16(out, 0), Put16(out, 0), Put16(out, 0), Put16(out, 0x21);
    Put32(out, crc), Put32(out, static_cast<std::uint32_t>(data.size()));
    Put32(out, static_cast<std::uint32_t>(data.size()));
    Put16(out, static_cast<std::uint32_t>(name.size())), Put16(out, 0);
    out += name + data;
    Put32(directory, 0x02014b50);
    Put16(directory, 20), Put16(directory, 20), Put16(directory, 0), Put16(directory, 0);
    Put16(directory, 0), Put16(directory, 0x21);
    Put32(directory, crc), Put32(directory, static_cast<std::uint32_t>(data.size()));
    Put32(directory, static_cast<std::uint32_t>(data.size()));
    Put16(directory, static_cast<std::uint32_t>(name.size()));
    Put16(directory, 0), Put16(directory, 0), Put16(directory, 0), Put16(directory, 0);
    Put32(directory, 0), Put32(directory, offset);
    directory += name;
  }
  const auto directory_offset = static_cast<std::uint32_t>(out.size());
  out += directory;
  Put32(out, 0x06054b50);
  Put16(out, 0), Put16(out, 0);
  Put16(out, static_cast<std::uint32_t>(entries.size()));
  Put16(out, static_cast<std::uint32_t>(entries.size()));
  Put32(out, static_cast<std::uint32_t>(directory.size())), Put32(out, directory_offset);
  Put16(out, 0);
  return out;
}

constexpr const char* kTypes = "<Types/>";
constexpr const char* kWorkbook =
    "<workbook xmlns:r=\"r\"><sheets><sheet name=\"S\" r:id=\"rId1\"/></sheets></workbook>";
constexpr const char* kWorkbookRels =
    "<Relationships><Relationship Id=\"rId1\" Target=\"worksheets/sheet1.xml\"/></Relationships>";
constexpr const char* kSheet =
    "<worksheet><sheetData><row><c t=\"s\"><v>0</v></c></row></sheetData></worksheet>";
constexpr const char* kPresentation =
    "<p:presentation xmlns:p=\"p\" xmlns:r=\"r\"><p:sldIdLst><p:sldId r:id=\"rId1\"/>"
    "</p:sldIdLst></p:presentation>";
constexpr const char* kPresentationRels =
    "<Relationships><Relationship Id=\"rId1\" Target=\"slides/slide1.xml\"/></Relationships>";
constexpr const char* kSlide = "<p:sld xmlns:a=\"a\" xmlns:p=\"p\"><a:p><a:t>x</a:t></a:p></p:sld>";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string part(webui::fuzz::AsText(data + 1, size - 1));
  std::vector<std::pair<std::string, std::string>> entries = {{"[Content_Types].xml", kTypes}};
  switch (data[0] % 5) {
    case 0:
      entries.emplace_back("word/document.xml", part);
      break;
    case 1:
      entries.emplace_back("xl/workbook.xml", kWorkbook);
      entries.emplace_back("xl/_rels/workbook.xml.rels", kWorkbookRels);
      entries.emplace_back("xl/sharedStrings.xml", part);
      entries.emplace_back("xl/worksheets/sheet1.xml", kSheet);
      break;
    case 2:
      entries.emplace_back("xl/workbook.xml", kWorkbook);
      entries.emplace_back("xl/_rels/workbook.xml.rels", kWorkbookRels);
      entries.emplace_back("xl/worksheets/sheet1.xml", part);
      break;
    case 3:
      entries.emplace_back("ppt/presentation.xml", kPresentation);
      entries.emplace_back("ppt/_rels/presentation.xml.rels", kPresentationRels);
      entries.emplace_back("ppt/slides/slide1.xml", part);
      break;
    default:
      entries.emplace_back("ppt/presentation.xml", part);
      entries.emplace_back("ppt/_rels/presentation.xml.rels", kPresentationRels);
      entries.emplace_back("ppt/slides/slide1.xml", kSlide);
      break;
  }
  webui::rag::ExtractLimits limits;
  limits.text_bytes = 1u << 16;
  limits.expanded_bytes = 1u << 20;
  limits.pages = 16;
  const webui::rag::Extracted result = webui::rag::ReadOoxmlBytes(Zip(entries), limits);
  std::size_t text = 0;
  for (const auto& document : result.documents) text += document.text.size();
  FUZZ_CHECK(result.ok() || result.documents.empty());
  FUZZ_CHECK(text <= limits.text_bytes);
  return 0;
}
