// A streaming multipart/form-data reader for routes with the multipart body policy
// (docs/security.md T25, T31, T32): the body is parsed as it arrives, file parts (those with a
// filename) go straight to private temporary files, plain fields stay in memory under a bound,
// so an upload of any allowed size costs the host a few buffers of memory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace webui::http {

struct FormPart {
  std::string name;
  std::string filename;  // as the client sent it: display only, never used as a path
  std::string content_type;
  std::string value;           // plain fields
  std::filesystem::path file;  // file parts: the temporary file holding the bytes
  std::uint64_t size = 0;
  bool is_file = false;
};

struct MultipartLimits {
  std::size_t max_field_bytes = 1024 * 1024;  // one plain field
  std::size_t max_parts = 1000;
  std::size_t max_header_bytes = 16 * 1024;  // the headers of one part
  std::size_t max_preamble_bytes = 64 * 1024;
};

// The boundary of a `multipart/form-data` Content-Type; nullopt when the type is another one.
// An empty string when the type is multipart/form-data but the boundary is missing or invalid.
std::optional<std::string> FormDataBoundary(std::string_view content_type);

class MultipartParser {
 public:
  // File parts are written under `temp_dir` (which must exist) with random names and mode 0600;
  // an empty `temp_dir` counts file bytes without keeping them (fuzzing).
  MultipartParser(std::string boundary, std::filesystem::path temp_dir,
                  MultipartLimits limits = {});
  ~MultipartParser();  // deletes the files of parts not taken
  MultipartParser(const MultipartParser&) = delete;
  MultipartParser& operator=(const MultipartParser&) = delete;

  // Both return the reason the body is malformed, or nullopt. After an error, nothing more.
  std::optional<std::string> Feed(std::string_view data);
  std::optional<std::string> Finish();

  // The parts, complete after Finish() succeeded; the caller owns their files from then on.
  std::vector<FormPart> TakeParts();

 private:
  enum class State { kPreamble, kAfterDelimiter, kHeaders, kBody, kDone, kFailed };
  std::optional<std::string> Step(bool& progressed);
  std::optional<std::string> StartPart(std::string_view headers);
  std::optional<std::string> Emit(std::string_view bytes);
  std::optional<std::string> EndPart();
  void CloseFile();

  std::string delimiter_;  // CRLF "--" boundary
  std::filesystem::path temp_dir_;
  MultipartLimits limits_;
  State state_ = State::kPreamble;
  std::string buffer_;
  std::vector<FormPart> parts_;
  int fd_ = -1;
};

// Deletes the temporary files of `parts` that are still there (a handler may have renamed one
// away to keep it).
void RemovePartFiles(const std::vector<FormPart>& parts);

}  // namespace webui::http
