#include "http/multipart.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <system_error>

namespace webui::http {
namespace {

bool IEq(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if (std::tolower(x) != std::tolower(y)) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits `type; a=b; c="d"` into the type and its parameters (names lower-cased). Quoted values
// may escape a character with a backslash.
std::pair<std::string, std::vector<std::pair<std::string, std::string>>> ParseParams(
    std::string_view header) {
  std::vector<std::pair<std::string, std::string>> params;
  std::size_t i = header.find(';');
  std::string type(Trim(header.substr(0, i)));
  while (i != std::string_view::npos && i < header.size()) {
    ++i;  // past ';'
    while (i < header.size() && (header[i] == ' ' || header[i] == '\t')) ++i;
    const std::size_t eq = header.find_first_of("=;", i);
    if (eq == std::string_view::npos || header[eq] == ';') {
      i = eq;
      continue;
    }
    std::string name(Trim(header.substr(i, eq - i)));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value;
    i = eq + 1;
    while (i < header.size() && (header[i] == ' ' || header[i] == '\t')) ++i;
    if (i < header.size() && header[i] == '"') {
      ++i;
      while (i < header.size() && header[i] != '"') {
        if (header[i] == '\\' && i + 1 < header.size()) ++i;
        value.push_back(header[i++]);
      }
      if (i < header.size()) ++i;  // closing quote
      i = header.find(';', i);
    } else {
      const std::size_t end = header.find(';', i);
      value = std::string(Trim(header.substr(i, end == std::string_view::npos ? end : end - i)));
      i = end;
    }
    params.emplace_back(std::move(name), std::move(value));
  }
  return {std::move(type), std::move(params)};
}

std::string RandomName() {
  std::array<unsigned char, 16> bytes{};
  std::size_t filled = 0;
  while (filled < bytes.size()) {
    const ssize_t n = ::getrandom(bytes.data() + filled, bytes.size() - filled, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::system_error(errno, std::generic_category(), "getrandom");
    filled += static_cast<std::size_t>(n);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string name = "upload-";
  for (unsigned char b : bytes) {
    name.push_back(kHex[b >> 4]);
    name.push_back(kHex[b & 15]);
  }
  return name;
}

}  // namespace

std::optional<std::string> FormDataBoundary(std::string_view content_type) {
  auto [type, params] = ParseParams(content_type);
  if (!IEq(type, "multipart/form-data")) return std::nullopt;
  for (const auto& [name, value] : params) {
    if (name != "boundary") continue;
    // RFC 2046: 1 to 70 characters, not ending in a space.
    if (value.empty() || value.size() > 70 || value.back() == ' ') return std::string();
    for (char c : value)
      if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e)
        return std::string();
    return value;
  }
  return std::string();
}

MultipartParser::MultipartParser(std::string boundary, std::filesystem::path temp_dir,
                                 MultipartLimits limits)
    : delimiter_("\r\n--" + boundary), temp_dir_(std::move(temp_dir)), limits_(limits) {
  // The first delimiter may start the body: the CRLF that belongs to it is implied.
  buffer_ = "\r\n";
}

MultipartParser::~MultipartParser() {
  CloseFile();
  RemovePartFiles(parts_);
}

void MultipartParser::CloseFile() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::vector<FormPart> MultipartParser::TakeParts() {
  std::vector<FormPart> out;
  out.swap(parts_);
  return out;
}

std::optional<std::string> MultipartParser::Feed(std::string_view data) {
  if (state_ == State::kFailed) return "Malformed multipart body";
  if (state_ == State::kDone) return std::nullopt;  // the epilogue is ignored
  buffer_.append(data);
  bool progressed = true;
  while (progressed && state_ != State::kDone) {
    progressed = false;
    if (auto error = Step(progressed)) {
      state_ = State::kFailed;
      CloseFile();
      return error;
    }
  }
  if (state_ == State::kDone) buffer_.clear();
  return std::nullopt;
}

std::optional<std::string> MultipartParser::Finish() {
  if (state_ == State::kDone) return std::nullopt;
  if (state_ != State::kFailed) {
    state_ = State::kFailed;
    CloseFile();
  }
  return parts_.empty() && buffer_.size() <= 2 ? "Empty multipart body"
                                               : "Truncated multipart body";
}

std::optional<std::string> MultipartParser::Step(bool& progressed) {
  std::string_view buf(buffer_);
  switch (state_) {
    case State::kPreamble: {
      // The preamble is what precedes the first delimiter, however the reads cut the body:
      // while the delimiter is not in sight, the buffer's last bytes may be its beginning and
      // do not count yet, so the same body is accepted or refused whatever the cut.
      const std::size_t at = buf.find(delimiter_);
      if (at == std::string_view::npos) {
        const std::size_t maybe_delimiter = std::min(buffer_.size(), delimiter_.size() - 1);
        if (buffer_.size() - maybe_delimiter > limits_.max_preamble_bytes)
          return "Multipart boundary not found";
        return std::nullopt;
      }
      if (at > limits_.max_preamble_bytes) return "Multipart boundary not found";
      buffer_.erase(0, at + delimiter_.size());
      state_ = State::kAfterDelimiter;
      progressed = true;
      return std::nullopt;
    }
    case State::kAfterDelimiter: {
      // Transport padding (spaces, tabs) may follow a delimiter before its CRLF.
      std::size_t i = 0;
      while (i < buf.size() && (buf[i] == ' ' || buf[i] == '\t')) ++i;
      if (i > 256) return "Malformed multipart delimiter";
      if (buf.size() - i < 2) return std::nullopt;
      if (i == 0 && buf.substr(0, 2) == "--") {
        state_ = State::kDone;
        progressed = true;
        return std::nullopt;
      }
      if (buf.substr(i, 2) != "\r\n") return "Malformed multipart delimiter";
      buffer_.erase(0, i + 2);
      state_ = State::kHeaders;
      progressed = true;
      return std::nullopt;
    }
    case State::kHeaders: {
      std::size_t end = 0;
      if (buf.substr(0, 2) == "\r\n") {
        end = 0;
      } else {
        const std::size_t at = buf.find("\r\n\r\n");
        if (at == std::string_view::npos || at + 4 > limits_.max_header_bytes) {
          if (buf.size() > limits_.max_header_bytes) return "Multipart part header too long";
          return std::nullopt;
        }
        end = at + 2;
      }
      if (auto error = StartPart(buf.substr(0, end))) return error;
      buffer_.erase(0, end + 2);
      state_ = State::kBody;
      progressed = true;
      return std::nullopt;
    }
    case State::kBody: {
      const std::size_t at = buf.find(delimiter_);
      if (at != std::string_view::npos) {
        if (auto error = Emit(buf.substr(0, at))) return error;
        if (auto error = EndPart()) return error;
        buffer_.erase(0, at + delimiter_.size());
        state_ = State::kAfterDelimiter;
        progressed = true;
        return std::nullopt;
      }
      // Keep what could still be the start of a delimiter; the rest is the part's.
      if (buf.size() >= delimiter_.size()) {
        const std::size_t safe = buf.size() - (delimiter_.size() - 1);
        if (auto error = Emit(buf.substr(0, safe))) return error;
        buffer_.erase(0, safe);
      }
      return std::nullopt;
    }
    case State::kDone:
    case State::kFailed:
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<std::string> MultipartParser::StartPart(std::string_view headers) {
  if (parts_.size() >= limits_.max_parts) return "Too many multipart parts";
  FormPart part;
  bool has_disposition = false;
  while (!headers.empty()) {
    const std::size_t eol = headers.find("\r\n");
    std::string_view line = headers.substr(0, eol);
    headers = eol == std::string_view::npos ? std::string_view() : headers.substr(eol + 2);
    if (line.empty()) continue;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return "Malformed multipart part header";
    const std::string_view name = Trim(line.substr(0, colon));
    const std::string_view value = Trim(line.substr(colon + 1));
    if (IEq(name, "Content-Disposition")) {
      auto [type, params] = ParseParams(value);
      if (!IEq(type, "form-data")) return "Multipart part is not form-data";
      has_disposition = true;
      for (auto& [pname, pvalue] : params) {
        if (pname == "name") part.name = std::move(pvalue);
        if (pname == "filename") {
          part.filename = std::move(pvalue);
          part.is_file = true;
        }
      }
    } else if (IEq(name, "Content-Type")) {
      part.content_type = std::string(value);
    }
  }
  if (!has_disposition) return "Multipart part without Content-Disposition";
  if (part.is_file && !temp_dir_.empty()) {
    part.file = temp_dir_ / RandomName();
    fd_ = ::open(part.file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd_ < 0)
      throw std::system_error(errno, std::generic_category(), "cannot create an upload file");
  }
  parts_.push_back(std::move(part));
  return std::nullopt;
}

std::optional<std::string> MultipartParser::Emit(std::string_view bytes) {
  if (bytes.empty()) return std::nullopt;
  FormPart& part = parts_.back();
  part.size += bytes.size();
  if (!part.is_file) {
    if (part.value.size() + bytes.size() > limits_.max_field_bytes)
      return "Multipart field too large";
    part.value.append(bytes);
    return std::nullopt;
  }
  while (fd_ >= 0 && !bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::system_error(errno, std::generic_category(), "cannot write an upload");
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return std::nullopt;
}

std::optional<std::string> MultipartParser::EndPart() {
  if (fd_ >= 0 && ::close(fd_) != 0) {
    fd_ = -1;
    throw std::system_error(errno, std::generic_category(), "cannot write an upload");
  }
  fd_ = -1;
  return std::nullopt;
}

void RemovePartFiles(const std::vector<FormPart>& parts) {
  for (const auto& part : parts) {
    if (part.file.empty()) continue;
    std::error_code ignored;
    std::filesystem::remove(part.file, ignored);
  }
}

}  // namespace webui::http
