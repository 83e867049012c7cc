// Test documents made by the tests themselves: hand-written PDFs, OOXML packages zipped with
// libzip, and a scratch directory that cleans up after itself.
#pragma once

#include <zip.h>

#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace webui::rag::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "rag-extract-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }

  std::string Write(const std::string& name, const std::string& bytes) const {
    const std::string path = (path_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  std::string Path(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// A PDF written object by object with a correct cross-reference table. Objects are numbered from
// 1 in the order they are added.
class PdfWriter {
 public:
  int Add(const std::string& body) {
    objects_.push_back(body);
    return static_cast<int>(objects_.size());
  }
  void Set(int number, const std::string& body) {
    objects_[static_cast<std::size_t>(number - 1)] = body;
  }
  static std::string Stream(const std::string& data) {
    return "<< /Length " + std::to_string(data.size()) + " >>\nstream\n" + data + "\nendstream";
  }

  std::string Finish(int root) const {
    std::string out = "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n";
    std::vector<std::size_t> offsets;
    for (std::size_t i = 0; i < objects_.size(); ++i) {
      offsets.push_back(out.size());
      out += std::to_string(i + 1) + " 0 obj\n" + objects_[i] + "\nendobj\n";
    }
    const std::size_t xref = out.size();
    out += "xref\n0 " + std::to_string(objects_.size() + 1) + "\n0000000000 65535 f \n";
    for (const std::size_t offset : offsets) {
      std::string number = std::to_string(offset);
      out += std::string(10 - number.size(), '0') + number + " 00000 n \n";
    }
    out += "trailer\n<< /Size " + std::to_string(objects_.size() + 1) + " /Root " +
           std::to_string(root) + " 0 R >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
    return out;
  }

 private:
  std::vector<std::string> objects_;
};

// A PDF with one page per text ("" makes a page without text).
inline std::string MakePdf(const std::vector<std::string>& page_texts) {
  PdfWriter pdf;
  const int catalog = pdf.Add("");
  const int pages = pdf.Add("");
  const int font = pdf.Add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
  std::string kids;
  for (const std::string& text : page_texts) {
    const int content = pdf.Add(
        PdfWriter::Stream(text.empty() ? "" : "BT /F1 24 Tf 72 700 Td (" + text + ") Tj ET"));
    const int page =
        pdf.Add("<< /Type /Page /Parent " + std::to_string(pages) +
                " 0 R /MediaBox [0 0 612 792] /Contents " + std::to_string(content) +
                " 0 R /Resources << /Font << /F1 " + std::to_string(font) + " 0 R >> >> >>");
    kids += std::to_string(page) + " 0 R ";
  }
  pdf.Set(catalog, "<< /Type /Catalog /Pages " + std::to_string(pages) + " 0 R >>");
  pdf.Set(pages, "<< /Type /Pages /Kids [" + kids + "] /Count " +
                     std::to_string(page_texts.size()) + " >>");
  return pdf.Finish(catalog);
}

// A zip written with libzip; entries are deflated.
class ZipWriter {
 public:
  explicit ZipWriter(const std::string& path) {
    int error = 0;
    zip_ = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
    if (zip_ == nullptr) throw std::runtime_error("zip_open failed");
  }
  ZipWriter(const ZipWriter&) = delete;
  ZipWriter& operator=(const ZipWriter&) = delete;
  ~ZipWriter() {
    if (zip_ != nullptr) zip_discard(zip_);
  }

  void Add(const std::string& name, std::string data) {
    const std::string& kept = buffers_.emplace_back(std::move(data));
    zip_source_t* source = zip_source_buffer(zip_, kept.data(), kept.size(), 0);
    AddSource(name, source, 1);
  }

  // An entry of `size` zero bytes produced as libzip asks for them (never held in memory).
  void AddZeros(const std::string& name, zip_uint64_t size) {
    auto& state = zeros_.emplace_back(Zeros{size, 0});
    zip_source_t* source = zip_source_function(zip_, &ZipWriter::ZeroSource, &state);
    AddSource(name, source, 1);
  }

  void Close() {
    if (zip_close(zip_) != 0) throw std::runtime_error("zip_close failed");
    zip_ = nullptr;
  }

 private:
  struct Zeros {
    zip_uint64_t size;
    zip_uint64_t done;
  };

  void AddSource(const std::string& name, zip_source_t* source, zip_uint32_t level) {
    const zip_int64_t index = zip_file_add(zip_, name.c_str(), source, ZIP_FL_OVERWRITE);
    if (index < 0) throw std::runtime_error("zip_file_add failed");
    zip_set_file_compression(zip_, static_cast<zip_uint64_t>(index), ZIP_CM_DEFLATE, level);
  }

  static zip_int64_t ZeroSource(void* user, void* data, zip_uint64_t length, zip_source_cmd_t cmd) {
    auto* state = static_cast<Zeros*>(user);
    switch (cmd) {
      case ZIP_SOURCE_OPEN:
        state->done = 0;
        return 0;
      case ZIP_SOURCE_READ: {
        const zip_uint64_t n = std::min(length, state->size - state->done);
        std::fill_n(static_cast<char*>(data), n, '\0');
        state->done += n;
        return static_cast<zip_int64_t>(n);
      }
      case ZIP_SOURCE_CLOSE:
        return 0;
      case ZIP_SOURCE_STAT: {
        auto* st = static_cast<zip_stat_t*>(data);
        zip_stat_init(st);
        st->size = state->size;
        st->valid |= ZIP_STAT_SIZE;
        return sizeof(zip_stat_t);
      }
      case ZIP_SOURCE_ERROR:
        return 2 * sizeof(int);
      case ZIP_SOURCE_FREE:
        return 0;
      case ZIP_SOURCE_SUPPORTS:
        return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE,
                                              ZIP_SOURCE_STAT, ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE,
                                              -1);
      default:
        return -1;
    }
  }

  zip_t* zip_ = nullptr;
  std::deque<std::string> buffers_;
  std::deque<Zeros> zeros_;
};

constexpr const char* kContentTypes =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>";

inline std::string WordDocument(const std::string& body) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>"
         "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">"
         "<w:body>" +
         body + "</w:body></w:document>";
}

}  // namespace webui::rag::testing
