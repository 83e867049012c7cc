// webui-rag-extract <kind> <path> <time ms> <memory bytes> <expanded bytes> <text bytes> <pages>
//
// The child process that parses one uploaded file for the rag plugin (extractor.cpp starts it):
// it bounds itself first, before it opens the file, so a hostile PDF or archive meets the limits
// whatever the parser does (docs/security.md T34), then writes the documents as frames on stdout
// (protocol.hpp). By hand, pipe its output (`... | cat`): with RLIMIT_FSIZE at 0, writing to a
// regular file kills it (SIGXFSZ), which is the point.
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstring>
#include <new>
#include <string>
#include <string_view>

#include "formats.hpp"
#include "protocol.hpp"
#include "readers.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define WEBUI_RAG_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WEBUI_RAG_ASAN 1
#endif
#endif

namespace {

bool ParseSize(const char* text, std::size_t* value) {
  const std::string_view s(text);
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *value);
  return ec == std::errc() && end == s.data() + s.size();
}

void SetLimit(int resource, rlim_t soft, rlim_t hard) {
  const rlimit limit{soft, hard};
  ::setrlimit(resource, &limit);
}

void ApplyLimits(const webui::rag::ExtractLimits& limits) {
  // CPU time: the wall-clock deadline is the parent's; this one also stops a child whose parent
  // went away. Soft: SIGXCPU; hard a second later: SIGKILL.
  const auto seconds = static_cast<rlim_t>(
      std::chrono::duration_cast<std::chrono::seconds>(limits.time).count() + 1);
  SetLimit(RLIMIT_CPU, seconds, seconds + 1);
#ifndef WEBUI_RAG_ASAN
  // AddressSanitizer reserves terabytes of address space up front: no RLIMIT_AS under it.
  SetLimit(RLIMIT_AS, limits.memory_bytes, limits.memory_bytes);
#endif
  SetLimit(RLIMIT_FSIZE, 0, 0);  // writes nothing but its stdout pipe
  SetLimit(RLIMIT_CORE, 0, 0);
  SetLimit(RLIMIT_NOFILE, 32, 32);
}

bool WriteAll(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(1, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

void SilentXml(void*, const char*, ...) {}

std::string MemoryError(const webui::rag::ExtractLimits& limits) {
  return "the file needs more than " + webui::rag::SizeText(limits.memory_bytes) +
         " of memory to extract";
}

}  // namespace

int main(int argc, char** argv) {
  using webui::rag::Kind;
  webui::rag::ExtractLimits limits;
  Kind kind{};
  std::size_t time_ms = 0;
  if (argc != 8 || !webui::rag::KindFromName(argv[1], &kind) || !ParseSize(argv[3], &time_ms) ||
      !ParseSize(argv[4], &limits.memory_bytes) || !ParseSize(argv[5], &limits.expanded_bytes) ||
      !ParseSize(argv[6], &limits.text_bytes) || !ParseSize(argv[7], &limits.pages)) {
    std::fprintf(stderr,
                 "usage: webui-rag-extract text|html|pdf|ooxml <path> <time ms> <memory bytes> "
                 "<expanded bytes> <text bytes> <pages>\n");
    return 2;
  }
  limits.time = std::chrono::milliseconds(time_ms);
  ApplyLimits(limits);
  xmlSetGenericErrorFunc(nullptr, SilentXml);

  try {
    webui::rag::Extracted result;
    try {
      result = webui::rag::ReadAnyKind(kind, argv[2], limits);
    } catch (const std::bad_alloc&) {
      result.documents.clear();
      result.error = MemoryError(limits);
    }
    for (const auto& document : result.documents) {
      if (!WriteAll(webui::rag::protocol::EncodeFrame(
              {{"document", {{"text", document.text}, {"metadata", document.metadata}}}}))) {
        return 1;
      }
    }
    const nlohmann::json last =
        result.ok() ? nlohmann::json{{"done", true}} : nlohmann::json{{"error", result.error}};
    return WriteAll(webui::rag::protocol::EncodeFrame(last)) ? 0 : 1;
  } catch (const std::bad_alloc&) {
    // Documents may have been written: the error frame still ends the stream as a failure.
    WriteAll(webui::rag::protocol::EncodeFrame({{"error", MemoryError(limits)}}));
  } catch (const std::exception&) {
    WriteAll(webui::rag::protocol::EncodeFrame({{"error", "the file could not be read"}}));
  }
  return 1;
}
