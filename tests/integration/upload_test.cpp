// Routes with the multipart body policy over the real binary: parts streamed to temporary files
// under DATA_DIR (never the whole body in memory), limits before the body is read, malformed
// bodies refused, and no temporary file left behind whichever way a request ends.
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "it_support.hpp"

namespace webui::testing {
namespace {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kBoundary = "----whtest7MA4YWxkTrZu0gW";

// A file part up to its first byte, for a test that streams the bytes itself.
std::string FilePartHead(const std::string& name, const std::string& filename) {
  return std::string("--") + kBoundary + "\r\nContent-Disposition: form-data; name=\"" + name +
         "\"; filename=\"" + filename + "\"\r\nContent-Type: application/octet-stream\r\n\r\n";
}
std::string FilePart(const std::string& name, const std::string& filename,
                     const std::string& bytes) {
  return FilePartHead(name, filename) + bytes + "\r\n";
}
std::string FieldPart(const std::string& name, const std::string& value) {
  return std::string("--") + kBoundary + "\r\nContent-Disposition: form-data; name=\"" + name +
         "\"\r\n\r\n" + value + "\r\n";
}
std::string End() { return std::string("--") + kBoundary + "--\r\n"; }
HeaderList FormHeaders() {
  return {{"Content-Type", std::string("multipart/form-data; boundary=") + kBoundary}};
}
// The head of a multipart POST to `path` for a raw socket; `framing` holds the header lines
// (each ending in CRLF) that tell how the body comes: Content-Length or Transfer-Encoding, and
// Expect or Connection where a test needs them.
std::string RawFormHead(const std::string& path, const std::string& framing) {
  return "POST " + path + " HTTP/1.1\r\nHost: x\r\n" + framing +
         "Content-Type: multipart/form-data; boundary=" + kBoundary + "\r\n\r\n";
}

std::string Fnv1a(const std::string& bytes) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
  return std::to_string(h);
}

// VmRSS or VmHWM of `pid`, in kB.
long StatusKb(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  return -1;
}

// The status line of what the host answered on `s` ("" if it closed without one).
std::string ReadStatusLine(Poco::Net::StreamSocket& s) {
  std::string got;
  char c;
  try {
    while (s.receiveBytes(&c, 1) == 1) {
      if (c == '\n') break;
      got += c;
    }
  } catch (const std::exception&) {
  }
  return got;
}

class Uploads : public SharedHostSuite<Uploads> {
 public:
  static void Configure(HostProcess::Options& o) { o.env["WEBUI_MAX_BODY_SIZE"] = "64k"; }

 protected:
  static fs::path TempDir() { return fs::path(host().data_dir()) / "upload-tmp"; }
  // Polls until the temporary directory is empty (the host deletes as the request ends).
  static bool TempDirEmptied() {
    const auto until = Clock::now() + std::chrono::seconds(10);
    while (Clock::now() < until) {
      std::error_code ec;
      if (!fs::exists(TempDir(), ec) || fs::is_empty(TempDir(), ec)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  static Poco::Net::StreamSocket Connect() {
    Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", host().port()));
    s.setReceiveTimeout(Poco::Timespan(30, 0));
    return s;
  }
  static void SendAll(Poco::Net::StreamSocket& s, const std::string& bytes) {
    std::size_t off = 0;
    while (off < bytes.size())
      off += static_cast<std::size_t>(
          s.sendBytes(bytes.data() + off, static_cast<int>(bytes.size() - off)));
  }
};

TEST_F(Uploads, PartsArriveWholeWhateverTheyHold) {
  // Binary bytes, NULs, and lines that start like the delimiter but are not one.
  std::string tricky("\x00\x01\xff\r\n--", 7);
  tricky += std::string(kBoundary).substr(0, 20) + "\r\n--" + std::string(kBoundary).substr(0, 10);
  for (int i = 0; i < 100000; ++i) tricky += static_cast<char>(i * 31 % 256);
  const std::string body = FieldPart("metadata", R"({"a":1})") +
                           FilePart("file", "../../etc/passwd", tricky) +
                           FilePart("file2", "b.txt", "second") + End();
  auto r = host().Post("/api/v1/test/upload", body, FormHeaders());
  ASSERT_EQ(r.status, 200) << r.body;
  const auto parts = r.Json();
  ASSERT_EQ(parts.size(), 3u) << r.body;
  EXPECT_EQ(parts[0]["name"], "metadata");
  EXPECT_EQ(parts[0]["value"], R"({"a":1})");
  EXPECT_EQ(parts[1]["filename"], "../../etc/passwd");  // reported, never used as a path
  EXPECT_EQ(parts[1]["size"], tricky.size());
  EXPECT_EQ(parts[1]["read"], tricky.size());
  EXPECT_EQ(parts[1]["fnv1a"], Fnv1a(tricky));
  EXPECT_EQ(parts[2]["fnv1a"], Fnv1a("second"));
  EXPECT_TRUE(TempDirEmptied());
}

TEST_F(Uploads, AHandlerKeepsAFileByMovingIt) {
  const std::string bytes(300000, 'k');
  auto r = host().Post("/api/v1/test/upload-keep", FilePart("file", "k.bin", bytes) + End(),
                       FormHeaders());
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string kept = r.Json()[0]["kept"];
  EXPECT_EQ(fs::file_size(kept), bytes.size());
  EXPECT_TRUE(TempDirEmptied());
}

TEST_F(Uploads, ALargeUploadIsStreamedToDiskNotHeldInMemory) {
#if defined(__SANITIZE_ADDRESS__)
  const std::size_t mb = 128;  // the sanitizer build reads slower; still far above any buffer
#else
  const std::size_t mb = 500;
#endif
  const long hwm_before = StatusKb(host().pid(), "VmHWM");
  const std::string head_part = FilePartHead("file", "big.bin");
  const std::string tail = "\r\n" + End();
  const std::uint64_t size = mb << 20;
  auto s = Connect();
  SendAll(s, RawFormHead("/api/v1/test/upload",
                         "Connection: close\r\nContent-Length: " +
                             std::to_string(head_part.size() + size + tail.size()) + "\r\n") +
                 head_part);
  std::string chunk(1 << 20, 'z');
  for (std::size_t i = 0; i < mb; ++i) SendAll(s, chunk);
  SendAll(s, tail);
  std::string response;
  char buf[4096];
  int n;
  while ((n = s.receiveBytes(buf, sizeof buf)) > 0) response.append(buf, static_cast<size_t>(n));
  ASSERT_NE(response.find(" 200 "), std::string::npos) << response.substr(0, 300);
  EXPECT_NE(response.find("\"size\":" + std::to_string(size)), std::string::npos)
      << response.substr(0, 600);
  const long hwm_after = StatusKb(host().pid(), "VmHWM");
  ASSERT_GT(hwm_before, 0);
  EXPECT_LT(hwm_after - hwm_before, 32 * 1024)
      << "the peak RSS grew by " << (hwm_after - hwm_before) / 1024 << " MB for a " << mb
      << " MB upload";
  EXPECT_TRUE(TempDirEmptied());
}

TEST_F(Uploads, AnOversizedLengthIs413BeforeTheBodyIsSent) {
  // Expect: 100-continue: the host must refuse by the head, without asking for the body.
  auto s = Connect();
  SendAll(s, RawFormHead("/api/v1/test/upload-small",
                         "Expect: 100-continue\r\nContent-Length: 10485760\r\n"));
  EXPECT_NE(ReadStatusLine(s).find(" 413 "), std::string::npos);
  // And without Expect: the answer comes before the 10 MB the client announced.
  auto t = Connect();
  SendAll(t, RawFormHead("/api/v1/test/upload-small", "Content-Length: 10485760\r\n"));
  EXPECT_NE(ReadStatusLine(t).find(" 413 "), std::string::npos);
  // A multipart route may take more than WEBUI_MAX_BODY_SIZE (64k here); a buffered one not.
  const std::string big(200000, 'b');
  EXPECT_EQ(
      host().Post("/api/v1/test/upload", FilePart("f", "f", big) + End(), FormHeaders()).status,
      200);
  EXPECT_EQ(host().Post("/api/v1/test/echo", big).status, 413);
}

TEST_F(Uploads, AChunkedBodyIsCutOffAtTheLimit) {
  auto s = Connect();
  SendAll(s, RawFormHead("/api/v1/test/upload-small", "Transfer-Encoding: chunked\r\n"));
  const std::string piece = FilePart("f", "f", std::string(4000, 'c'));
  char size[16];
  std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
  try {
    SendAll(s, size + piece + "\r\n");
  } catch (const std::exception&) {
  }
  EXPECT_NE(ReadStatusLine(s).find(" 413 "), std::string::npos);
  EXPECT_TRUE(TempDirEmptied());
}

TEST_F(Uploads, MalformedBodiesAre400AndLeaveNothing) {
  const std::string good = FilePart("file", "a.bin", "abc") + End();
  // No boundary parameter; a truncated body; a part without Content-Disposition.
  auto r = host().Post("/api/v1/test/upload", good, {{"Content-Type", "multipart/form-data"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(r.Json()["detail"].is_string());
  r = host().Post("/api/v1/test/upload", good.substr(0, good.size() - 12), FormHeaders());
  EXPECT_EQ(r.status, 400);
  r = host().Post("/api/v1/test/upload",
                  std::string("--") + kBoundary + "\r\nX-Nothing: 1\r\n\r\nabc\r\n" + End(),
                  FormHeaders());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(host().Get("/health").status, 200);
  EXPECT_TRUE(TempDirEmptied());
}

TEST_F(Uploads, AClientThatLeavesMidUploadLeavesNoFile) {
  {
    auto s = Connect();
    SendAll(s, RawFormHead("/api/v1/test/upload", "Content-Length: 50000000\r\n") +
                   FilePartHead("file", "x") + std::string(2 << 20, 'q'));
    // Wait until the host has started the file, then vanish.
    const auto until = Clock::now() + std::chrono::seconds(10);
    std::error_code ec;
    while (Clock::now() < until && (!fs::exists(TempDir(), ec) || fs::is_empty(TempDir(), ec)))
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_FALSE(fs::is_empty(TempDir(), ec));
  }
  EXPECT_TRUE(TempDirEmptied());
  EXPECT_EQ(host().Get("/health").status, 200);
}

}  // namespace
}  // namespace webui::testing
