// ExtractFile: sniff, then read small text and HTML here, and everything else in the extractor
// child process (extractor.cpp), where a hostile file meets rlimits and a deadline.
#include "extract.hpp"

#include <fstream>
#include <iterator>

#include "extractor.hpp"
#include "readers.hpp"
#include "sniff.hpp"

namespace webui::rag {
namespace {

// Text and HTML up to this size are read in the calling process: linear, bounded work.
constexpr std::size_t kInProcessBytes = 4u << 20;

// Office stores a password-protected DOCX/XLSX/PPTX as an OLE2 container holding a stream named
// "EncryptedPackage" (UTF-16 in the container's directory). Looked for in the first MiB.
bool IsEncryptedOffice(std::ifstream& in) {
  static constexpr std::string_view kOle2 = "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
  std::string bytes(1u << 20, '\0');
  in.clear();
  in.seekg(0);
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  if (bytes.compare(0, kOle2.size(), kOle2) != 0) return false;
  std::string name;
  for (const char c : std::string_view("EncryptedPackage")) name += {c, '\0'};
  return bytes.find(name) != std::string::npos;
}

}  // namespace

Extracted ExtractFile(const std::string& path, const std::string& filename,
                      const std::string& content_type, const ExtractLimits& limits) {
  Extracted result;
  try {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      result.error = "the file could not be opened";
      return result;
    }
    std::string head(8192, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<std::size_t>(in.gcount()));
    in.clear();
    in.seekg(0, std::ios::end);
    const auto size = static_cast<std::size_t>(in.tellg());

    const Sniffed sniffed = Sniff(head, filename, content_type);
    if (sniffed.kind == Kind::kUnsupported && IsEncryptedOffice(in)) {
      result.error = "the document is password-protected";
      return result;
    }
    if (sniffed.kind == Kind::kUnsupported) {
      result.error = "unsupported file type " + sniffed.type;
      return result;
    }
    if ((sniffed.kind == Kind::kText || sniffed.kind == Kind::kHtml) && size <= kInProcessBytes) {
      in.seekg(0);
      const std::string bytes((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
      return ReadTextOrHtml(bytes, sniffed.kind, limits);
    }
    return RunExtractor(path, sniffed.kind, limits);
  } catch (const std::bad_alloc&) {
    result.documents.clear();
    result.error = "the file is too large to extract";
  } catch (const std::exception&) {
    result.documents.clear();
    result.error = "the file could not be read";
  }
  return result;
}

}  // namespace webui::rag
