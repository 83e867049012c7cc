// DOCX, XLSX and PPTX: libzip for the container, libxml2's streaming reader for the parts.
//
// Bounded before and while reading (docs/security.md T34): the entry count and the sum of the
// declared uncompressed sizes are checked before any entry is opened, and the bytes really
// inflated are counted as they are read (declared sizes lie). XML is read without entity
// substitution, network or XML_PARSE_HUGE (so libxml2's depth and size limits hold), and a part
// with a DOCTYPE is refused outright: OOXML never has one, entity bombs always do.
#include <libxml/xmlreader.h>
#include <zip.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "formats.hpp"
#include "readers.hpp"

namespace webui::rag {
namespace {

constexpr zip_int64_t kMaxEntries = 10000;

// Thrown inside a reader to end it with `message` as the user's error.
struct ExtractFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string ExpansionError(const ExtractLimits& limits) {
  return "the archive expands beyond " + SizeText(limits.expanded_bytes);
}

class Archive {
 public:
  // Takes `zip` (may be null: then the archive is not valid).
  Archive(zip_t* zip, const ExtractLimits& limits) : limits_(limits), owned_(zip), zip_(zip) {
    if (zip_ == nullptr) {
      throw ExtractFailure("the document could not be read (not a valid archive)");
    }
    const zip_int64_t entries = zip_get_num_entries(zip_, 0);
    if (entries < 0) throw ExtractFailure("the document could not be read (not a valid archive)");
    if (entries > kMaxEntries) {
      throw ExtractFailure("the archive has more than " + std::to_string(kMaxEntries) + " entries");
    }
    std::size_t declared = 0;
    for (zip_int64_t i = 0; i < entries; ++i) {
      zip_stat_t st;
      zip_stat_init(&st);
      if (zip_stat_index(zip_, static_cast<zip_uint64_t>(i), 0, &st) != 0) continue;
      if ((st.valid & ZIP_STAT_SIZE) == 0) continue;
      if (st.size > limits_.expanded_bytes || declared + st.size > limits_.expanded_bytes) {
        throw ExtractFailure(ExpansionError(limits_));
      }
      declared += static_cast<std::size_t>(st.size);
    }
  }
  Archive(const Archive&) = delete;
  Archive& operator=(const Archive&) = delete;

  bool Has(const std::string& name) const { return zip_name_locate(zip_, name.c_str(), 0) >= 0; }

  std::vector<std::string> Names() const {
    std::vector<std::string> names;
    const zip_int64_t entries = zip_get_num_entries(zip_, 0);
    for (zip_int64_t i = 0; i < entries; ++i) {
      const char* name = zip_get_name(zip_, static_cast<zip_uint64_t>(i), 0);
      if (name != nullptr) names.emplace_back(name);
    }
    return names;
  }

  // Opens an entry for reading; every byte read counts against expanded_bytes.
  zip_file_t* Open(const std::string& name) {
    zip_file_t* file = zip_fopen(zip_, name.c_str(), 0);
    if (file == nullptr) {
      const int code = zip_error_code_zip(zip_get_error(zip_));
      if (code == ZIP_ER_NOPASSWD || code == ZIP_ER_WRONGPASSWD || code == ZIP_ER_ENCRNOTSUPP) {
        throw ExtractFailure("the document is encrypted");
      }
      throw ExtractFailure("the document could not be read (" + name + " is damaged)");
    }
    return file;
  }

  // Bytes read so far would pass the limit with `n` more.
  bool Spend(std::size_t n) {
    if (n > limits_.expanded_bytes - inflated_) {
      over_budget_ = true;
      return false;
    }
    inflated_ += n;
    return true;
  }
  bool over_budget() const { return over_budget_; }
  const ExtractLimits& limits() const { return limits_; }

  // A small entry (at most `max` bytes) as a string, or nullopt when it is absent.
  std::optional<std::string> ReadSmall(const std::string& name, std::size_t max) {
    if (!Has(name)) return std::nullopt;
    zip_file_t* file = Open(name);
    std::string out;
    char buffer[4096];
    while (out.size() <= max) {
      const zip_int64_t n = zip_fread(file, buffer, sizeof buffer);
      if (n <= 0) break;
      if (!Spend(static_cast<std::size_t>(n))) break;
      out.append(buffer, static_cast<std::size_t>(n));
    }
    zip_fclose(file);
    if (over_budget_) throw ExtractFailure(ExpansionError(limits_));
    return out.substr(0, max);
  }

 private:
  struct Discard {
    void operator()(zip_t* zip) const { zip_discard(zip); }
  };

  const ExtractLimits& limits_;
  std::unique_ptr<zip_t, Discard> owned_;  // closed even when the constructor throws
  zip_t* zip_ = nullptr;
  std::size_t inflated_ = 0;
  bool over_budget_ = false;
};

// One XML part, read as a stream of nodes.
class XmlPart {
 public:
  XmlPart(Archive& archive, const std::string& name) : archive_(archive), name_(name) {
    file_ = archive.Open(name);
    reader_ = xmlReaderForIO(&XmlPart::ReadCallback, nullptr, this, nullptr, nullptr,
                             XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (reader_ == nullptr) {
      zip_fclose(file_);
      throw ExtractFailure("the document could not be read");
    }
    xmlTextReaderSetErrorHandler(reader_, &XmlPart::IgnoreError, nullptr);
  }
  XmlPart(const XmlPart&) = delete;
  XmlPart& operator=(const XmlPart&) = delete;
  ~XmlPart() {
    xmlFreeTextReader(reader_);
    zip_fclose(file_);
  }

  // The next node; false at the end of the part. A damaged part, a DOCTYPE or an archive that
  // inflates past the limit throws.
  bool Next() {
    const int r = xmlTextReaderRead(reader_);
    if (archive_.over_budget()) throw ExtractFailure(ExpansionError(archive_.limits()));
    if (doctype_ || (r == 1 && xmlTextReaderNodeType(reader_) == XML_READER_TYPE_DOCUMENT_TYPE)) {
      throw ExtractFailure("the document could not be read (" + name_ + " has a DOCTYPE)");
    }
    if (r < 0) throw ExtractFailure("the document could not be read (" + name_ + " is damaged)");
    return r == 1;
  }

  bool IsStart() const { return xmlTextReaderNodeType(reader_) == XML_READER_TYPE_ELEMENT; }
  // An end tag, or the start of an empty element (<w:tab/>), which has no end tag.
  bool IsEnd() const {
    const int type = xmlTextReaderNodeType(reader_);
    return type == XML_READER_TYPE_END_ELEMENT ||
           (type == XML_READER_TYPE_ELEMENT && xmlTextReaderIsEmptyElement(reader_) == 1);
  }
  bool IsText() const {
    const int type = xmlTextReaderNodeType(reader_);
    return type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA ||
           type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE || type == XML_READER_TYPE_WHITESPACE;
  }
  bool Is(std::string_view local_name) const {
    const xmlChar* name = xmlTextReaderConstLocalName(reader_);
    return name != nullptr && reinterpret_cast<const char*>(name) == local_name;
  }
  std::string_view Value() const {
    const xmlChar* value = xmlTextReaderConstValue(reader_);
    return value == nullptr ? std::string_view() : reinterpret_cast<const char*>(value);
  }
  // The attribute with this local name and no namespace, or "".
  std::string Attribute(std::string_view local_name) { return FindAttribute(local_name, false); }
  // The attribute with this local name in some namespace (r:id, as opposed to a plain id), or "".
  std::string NamespacedAttribute(std::string_view local_name) {
    return FindAttribute(local_name, true);
  }

 private:
  std::string FindAttribute(std::string_view local_name, bool namespaced) {
    std::string out;
    if (xmlTextReaderMoveToFirstAttribute(reader_) != 1) return out;
    do {
      const xmlChar* name = xmlTextReaderConstLocalName(reader_);
      const bool has_namespace = xmlTextReaderConstNamespaceUri(reader_) != nullptr;
      if (name != nullptr && reinterpret_cast<const char*>(name) == local_name &&
          has_namespace == namespaced) {
        out = std::string(Value());
        break;
      }
    } while (xmlTextReaderMoveToNextAttribute(reader_) == 1);
    xmlTextReaderMoveToElement(reader_);
    return out;
  }

  static int ReadCallback(void* context, char* buffer, int length) {
    auto* self = static_cast<XmlPart*>(context);
    const zip_int64_t n = zip_fread(self->file_, buffer, static_cast<zip_uint64_t>(length));
    if (n < 0) return -1;
    if (!self->archive_.Spend(static_cast<std::size_t>(n))) return -1;
    // A DOCTYPE is refused before libxml2 sees it (it would parse the entity declarations
    // first); the DOCUMENT_TYPE node check in Next() covers one hidden further in.
    if (self->prolog_.size() < kPrologBytes) {
      self->prolog_.append(buffer, static_cast<std::size_t>(n));
      if (self->prolog_.find("<!DOCTYPE") != std::string::npos) {
        self->doctype_ = true;
        return -1;
      }
    }
    return static_cast<int>(n);
  }
  static void IgnoreError(void*, const char*, xmlParserSeverities, xmlTextReaderLocatorPtr) {}

  static constexpr std::size_t kPrologBytes = 64 * 1024;

  Archive& archive_;
  std::string name_;
  zip_file_t* file_ = nullptr;
  xmlTextReaderPtr reader_ = nullptr;
  std::string prolog_;  // the first bytes of the part, searched for a DOCTYPE
  bool doctype_ = false;
};

// Text that stops growing at text_bytes.
class BoundedText {
 public:
  explicit BoundedText(const ExtractLimits& limits, std::size_t& total)
      : limits_(limits), total_(total) {}
  void Append(std::string_view s) {
    if (s.size() > limits_.text_bytes - total_) throw ExtractFailure(TextLimitError(limits_));
    total_ += s.size();
    text_.append(s);
  }
  void Append(char c) { Append(std::string_view(&c, 1)); }
  bool EndsWithBreak() const { return text_.empty() || text_.back() == '\n'; }
  std::string Take() {
    while (!text_.empty() && (text_.back() == '\n' || text_.back() == '\t')) text_.pop_back();
    return std::move(text_);
  }

 private:
  const ExtractLimits& limits_;
  std::size_t& total_;
  std::string text_;
};

// "word/../media/x" -> "media/x"; a leading '/' is the package root.
std::string ResolvePart(const std::string& base_dir, const std::string& target) {
  std::string joined = !target.empty() && target[0] == '/' ? target.substr(1) : base_dir + target;
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= joined.size()) {
    const auto slash = std::min(joined.find('/', start), joined.size());
    const std::string segment = joined.substr(start, slash - start);
    if (segment == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!segment.empty() && segment != ".") {
      parts.push_back(segment);
    }
    start = slash + 1;
  }
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : "/") + part;
  return out;
}

// Relationship id -> part name, from a .rels part.
std::map<std::string, std::string> ReadRelationships(Archive& archive, const std::string& rels,
                                                     const std::string& base_dir) {
  std::map<std::string, std::string> out;
  if (!archive.Has(rels)) return out;
  XmlPart part(archive, rels);
  while (part.Next()) {
    if (part.IsStart() && part.Is("Relationship") && part.Attribute("TargetMode") != "External") {
      out[part.Attribute("Id")] = ResolvePart(base_dir, part.Attribute("Target"));
    }
  }
  return out;
}

// word/document.xml: paragraphs are lines, table cells are separated by tabs and rows by lines.
// One WordprocessingML part (the body, a header, a footer) appended to `text`.
void ReadWordPart(Archive& archive, const std::string& name, BoundedText& text) {
  XmlPart part(archive, name);
  int run_depth = 0;     // inside w:r (w:tab and w:br count only there: w:tabs holds tab stops)
  bool in_text = false;  // inside w:t
  int table_depth = 0;
  std::vector<int> cells;  // cells seen in the current row, per open table
  bool cell_paragraph_ended = false;
  while (part.Next()) {
    if (part.IsStart()) {
      if (part.Is("r")) ++run_depth;
      if (part.Is("t")) in_text = true;
      if (part.Is("tbl")) {
        if (!text.EndsWithBreak()) text.Append('\n');
        ++table_depth;
        cells.push_back(0);
      }
      if (part.Is("tr") && !cells.empty()) cells.back() = 0;
      if (part.Is("tc") && !cells.empty()) {
        if (cells.back()++ > 0) text.Append('\t');
        cell_paragraph_ended = false;
      }
      if (run_depth > 0 && (part.Is("tab") || part.Is("ptab"))) text.Append('\t');
      if (run_depth > 0 && (part.Is("br") || part.Is("cr"))) text.Append('\n');
    } else if (part.IsText() && in_text) {
      if (cell_paragraph_ended) text.Append(' ');
      cell_paragraph_ended = false;
      text.Append(part.Value());
    }
    if (part.IsEnd()) {
      if (part.Is("r") && run_depth > 0) --run_depth;
      if (part.Is("t")) in_text = false;
      if (part.Is("p")) {
        if (table_depth > 0) {
          cell_paragraph_ended = true;
        } else {
          text.Append('\n');
        }
      }
      if (part.Is("tr") && table_depth > 0) text.Append('\n');
      if (part.Is("tbl") && table_depth > 0) {
        --table_depth;
        cells.pop_back();
        cell_paragraph_ended = false;
      }
    }
  }
  if (!text.EndsWithBreak()) text.Append('\n');
}

// word/header3.xml -> 3 (word/header.xml -> 0); nullopt for any other name.
std::optional<std::size_t> PartNumber(const std::string& name, std::string_view prefix) {
  if (name.rfind(prefix, 0) != 0 || name.size() < prefix.size() + 4 ||
      name.compare(name.size() - 4, 4, ".xml") != 0) {
    return std::nullopt;
  }
  const char* begin = name.data() + prefix.size();
  const char* end = name.data() + name.size() - 4;
  std::size_t n = 0;
  if (begin == end) return n;
  const auto [stop, ec] = std::from_chars(begin, end, n);
  if (ec != std::errc() || stop != end) return std::nullopt;
  return n;
}

std::vector<std::string> NumberedParts(const Archive& archive, std::string_view prefix) {
  std::vector<std::pair<std::size_t, std::string>> numbered;
  for (const std::string& name : archive.Names()) {
    if (const auto n = PartNumber(name, prefix)) numbered.emplace_back(*n, name);
  }
  std::sort(numbered.begin(), numbered.end());
  std::vector<std::string> out;
  for (auto& entry : numbered) out.push_back(std::move(entry.second));
  return out;
}

// Headers, the body, then footers, as docx2txt (upstream's DOCX loader) reads them.
Extracted ReadDocx(Archive& archive, const ExtractLimits& limits) {
  std::size_t total = 0;
  BoundedText text(limits, total);
  for (const std::string& header : NumberedParts(archive, "word/header")) {
    ReadWordPart(archive, header, text);
  }
  ReadWordPart(archive, "word/document.xml", text);
  for (const std::string& footer : NumberedParts(archive, "word/footer")) {
    ReadWordPart(archive, footer, text);
  }
  Extracted result;
  result.documents.push_back(Document{text.Take(), nlohmann::json::object()});
  return result;
}

// "BC12" -> 54 (0-based column), or -1.
long ColumnOf(std::string_view ref) {
  long column = 0;
  std::size_t letters = 0;
  for (const char c : ref) {
    if (c >= 'A' && c <= 'Z') {
      column = column * 26 + (c - 'A' + 1);
    } else {
      break;
    }
    if (++letters > 3) return -1;
  }
  return letters == 0 ? -1 : column - 1;
}

std::vector<std::string> ReadSharedStrings(Archive& archive, std::size_t& total,
                                           const ExtractLimits& limits) {
  std::vector<std::string> strings;
  if (!archive.Has("xl/sharedStrings.xml")) return strings;
  XmlPart part(archive, "xl/sharedStrings.xml");
  bool in_text = false;
  int phonetic_depth = 0;  // rPh: reading aids for East Asian text, not the text itself
  while (part.Next()) {
    if (part.IsStart()) {
      if (part.Is("si")) strings.emplace_back();
      if (part.Is("rPh")) ++phonetic_depth;
      if (part.Is("t")) in_text = true;
    } else if (part.IsText() && in_text && phonetic_depth == 0 && !strings.empty()) {
      const std::string_view value = part.Value();
      if (value.size() > limits.text_bytes - total) throw ExtractFailure(TextLimitError(limits));
      total += value.size();
      strings.back().append(value);
    }
    if (part.IsEnd()) {
      if (part.Is("t")) in_text = false;
      if (part.Is("rPh") && phonetic_depth > 0) --phonetic_depth;
    }
  }
  return strings;
}

constexpr long kMaxColumns = 16384;  // Excel's own limit (XFD)

Extracted ReadXlsx(Archive& archive, const ExtractLimits& limits) {
  std::size_t shared_total = 0;
  const std::vector<std::string> shared = ReadSharedStrings(archive, shared_total, limits);
  const auto targets = ReadRelationships(archive, "xl/_rels/workbook.xml.rels", "xl/");

  std::vector<std::pair<std::string, std::string>> sheets;  // name, part
  {
    XmlPart workbook(archive, "xl/workbook.xml");
    while (workbook.Next()) {
      if (!workbook.IsStart() || !workbook.Is("sheet")) continue;
      const auto target = targets.find(workbook.NamespacedAttribute("id"));
      if (target == targets.end()) continue;
      sheets.emplace_back(workbook.Attribute("name"), target->second);
      if (sheets.size() > limits.pages) {
        throw ExtractFailure("the workbook has more than " + std::to_string(limits.pages) +
                             " sheets");
      }
    }
  }

  Extracted result;
  std::size_t total = 0;
  for (const auto& [name, part_name] : sheets) {
    BoundedText text(limits, total);
    if (archive.Has(part_name)) {
      XmlPart part(archive, part_name);
      std::vector<std::string> row;
      std::string value, type;
      long column = -1;
      bool in_value = false;
      while (part.Next()) {
        if (part.IsStart()) {
          if (part.Is("row")) row.clear();
          if (part.Is("c")) {
            value.clear();
            type = part.Attribute("t");
            const long at = ColumnOf(part.Attribute("r"));
            column =
                at >= 0 && at >= static_cast<long>(row.size()) ? at : static_cast<long>(row.size());
          }
          if (part.Is("v") || part.Is("t")) in_value = true;
        } else if (part.IsText() && in_value) {
          if (part.Value().size() > limits.text_bytes - value.size()) {
            throw ExtractFailure(TextLimitError(limits));
          }
          value.append(part.Value());
        }
        if (!part.IsEnd()) continue;
        if (part.Is("v") || part.Is("t")) in_value = false;
        if (part.Is("c") && column >= 0 && column < kMaxColumns) {
          if (type == "s") {
            std::size_t index = 0;
            const auto [end, ec] =
                std::from_chars(value.data(), value.data() + value.size(), index);
            value = ec == std::errc() && index < shared.size() ? shared[index] : std::string();
          } else if (type == "b") {
            value = value == "1" ? "TRUE" : "FALSE";
          }
          if (!value.empty()) {
            row.resize(static_cast<std::size_t>(column) + 1);
            row[static_cast<std::size_t>(column)] = std::move(value);
          }
          value.clear();
        }
        if (part.Is("row") && !row.empty()) {
          for (std::size_t i = 0; i < row.size(); ++i) {
            if (i > 0) text.Append('\t');
            text.Append(row[i]);
          }
          text.Append('\n');
          row.clear();
        }
      }
    }
    result.documents.push_back(Document{text.Take(), {{"sheet", name}}});
  }
  return result;
}

Extracted ReadPptx(Archive& archive, const ExtractLimits& limits) {
  // Slide order is the presentation's list; the slideN names are only a fallback.
  std::vector<std::string> slides;
  const auto targets = ReadRelationships(archive, "ppt/_rels/presentation.xml.rels", "ppt/");
  {
    XmlPart presentation(archive, "ppt/presentation.xml");
    while (presentation.Next()) {
      if (!presentation.IsStart() || !presentation.Is("sldId")) continue;
      const auto target = targets.find(presentation.NamespacedAttribute("id"));
      if (target != targets.end()) slides.push_back(target->second);
    }
  }
  if (slides.empty()) slides = NumberedParts(archive, "ppt/slides/slide");
  if (slides.size() > limits.pages) {
    throw ExtractFailure("the presentation has " + std::to_string(slides.size()) +
                         " slides, more than the " + std::to_string(limits.pages) + " allowed");
  }

  Extracted result;
  std::size_t total = 0;
  for (std::size_t i = 0; i < slides.size(); ++i) {
    BoundedText text(limits, total);
    if (archive.Has(slides[i])) {
      XmlPart part(archive, slides[i]);
      bool in_text = false;
      while (part.Next()) {
        if (part.IsStart() && part.Is("t")) in_text = true;
        if (part.IsStart() && part.Is("br")) text.Append('\n');
        if (part.IsText() && in_text) text.Append(part.Value());
        if (part.IsEnd() && part.Is("t")) in_text = false;
        if (part.IsEnd() && part.Is("p") && !text.EndsWithBreak()) text.Append('\n');
      }
    }
    result.documents.push_back(Document{text.Take(), {{"slide", i + 1}}});
  }
  return result;
}

// What a zip that is not OOXML is, for the error.
std::string ZipType(Archive& archive) {
  if (auto mimetype = archive.ReadSmall("mimetype", 100)) {
    // ODF and EPUB name themselves in a stored first entry.
    if (!mimetype->empty() && mimetype->find_first_of(" \r\n\t") == std::string::npos) {
      return *mimetype;
    }
  }
  return "application/zip";
}

Extracted ReadPackage(zip_t* zip, const ExtractLimits& limits) {
  Extracted result;
  try {
    Archive archive(zip, limits);
    if (archive.Has("[Content_Types].xml")) {
      if (archive.Has("word/document.xml")) return ReadDocx(archive, limits);
      if (archive.Has("xl/workbook.xml")) return ReadXlsx(archive, limits);
      if (archive.Has("ppt/presentation.xml")) return ReadPptx(archive, limits);
    }
    result.error = "unsupported file type " + ZipType(archive);
  } catch (const ExtractFailure& failure) {
    result.documents.clear();
    result.error = failure.what();
  }
  return result;
}

}  // namespace

Extracted ReadOoxml(const std::string& path, const ExtractLimits& limits) {
  int error = 0;
  return ReadPackage(zip_open(path.c_str(), ZIP_RDONLY, &error), limits);
}

Extracted ReadOoxmlBytes(std::string_view bytes, const ExtractLimits& limits) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
  zip_t* zip = source == nullptr ? nullptr : zip_open_from_source(source, ZIP_RDONLY, &error);
  if (zip == nullptr && source != nullptr) zip_source_free(source);
  zip_error_fini(&error);
  return ReadPackage(zip, limits);
}

}  // namespace webui::rag
