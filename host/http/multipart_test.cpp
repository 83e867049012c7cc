#include "http/multipart.hpp"

#include <sys/stat.h>

#include <fstream>
#include <random>
#include <sstream>

#include <gtest/gtest.h>

namespace webui::http {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() / ("multipart_test_" + std::to_string(::getpid()) + "_" +
                                         std::to_string(std::random_device{}()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }
  std::size_t Count() const {
    return static_cast<std::size_t>(
        std::distance(fs::directory_iterator(path_), fs::directory_iterator()));
  }

 private:
  fs::path path_;
};

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

const std::string kBoundary = "----webuiB0undary";

std::string Body(const std::string& file_bytes) {
  return "--" + kBoundary +
         "\r\n"
         "Content-Disposition: form-data; name=\"metadata\"\r\n\r\n"
         "{\"a\":1}\r\n"
         "--" +
         kBoundary +
         "\r\n"
         "Content-Disposition: form-data; name=\"file\"; filename=\"../../etc/x.bin\"\r\n"
         "Content-Type: application/octet-stream\r\n\r\n" +
         file_bytes + "\r\n--" + kBoundary + "--\r\n";
}

// Feeds `body` in pieces of `step` bytes; returns the first error.
std::optional<std::string> FeedAll(MultipartParser& parser, std::string_view body,
                                   std::size_t step) {
  for (std::size_t i = 0; i < body.size(); i += step)
    if (auto error = parser.Feed(body.substr(i, step))) return error;
  return parser.Finish();
}

TEST(FormDataBoundary, ReadsTheBoundaryOfFormDataOnly) {
  EXPECT_EQ(FormDataBoundary("multipart/form-data; boundary=abc"), "abc");
  EXPECT_EQ(FormDataBoundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b\""), "a b");
  EXPECT_EQ(FormDataBoundary("multipart/form-data"), "");
  EXPECT_EQ(FormDataBoundary("multipart/form-data; boundary=" + std::string(71, 'x')), "");
  EXPECT_EQ(FormDataBoundary("application/json"), std::nullopt);
  EXPECT_EQ(FormDataBoundary(""), std::nullopt);
}

TEST(MultipartParser, SplitsFieldsAndFilesWhateverTheChunking) {
  // Binary bytes, and a sequence that looks like the boundary without being a delimiter.
  std::string file_bytes = "\x00\x01\xff\r\n--" + kBoundary.substr(0, 8) + "\r\n--x";
  file_bytes.push_back('\0');
  file_bytes += "--" + kBoundary + "x";  // not preceded by CRLF: file content
  for (std::size_t step : {1u, 3u, 7u, 64u, 100000u}) {
    TempDir dir;
    MultipartParser parser(kBoundary, dir.path());
    ASSERT_EQ(FeedAll(parser, Body(file_bytes), step), std::nullopt) << step;
    auto parts = parser.TakeParts();
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_EQ(parts[0].name, "metadata");
    EXPECT_FALSE(parts[0].is_file);
    EXPECT_EQ(parts[0].value, "{\"a\":1}");
    EXPECT_EQ(parts[1].name, "file");
    EXPECT_EQ(parts[1].filename, "../../etc/x.bin");
    EXPECT_EQ(parts[1].content_type, "application/octet-stream");
    ASSERT_TRUE(parts[1].is_file);
    EXPECT_EQ(parts[1].size, file_bytes.size());
    EXPECT_EQ(ReadAll(parts[1].file), file_bytes);
    // A random name inside the temp dir, never the client's, readable by the owner only.
    EXPECT_EQ(parts[1].file.parent_path(), dir.path());
    EXPECT_EQ(parts[1].file.filename().string().find("x.bin"), std::string::npos);
    struct stat st {};
    ASSERT_EQ(::stat(parts[1].file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    RemovePartFiles(parts);
    EXPECT_EQ(dir.Count(), 0u);
  }
}

TEST(MultipartParser, MalformedBodiesAreRefusedAndLeaveNoFile) {
  const std::string good = Body(std::string(5000, 'z'));
  const std::vector<std::string> bad = {
      good.substr(0, good.size() - 10),  // truncated in the last part
      good.substr(0, 3000),              // truncated in the file
      "no boundary here at all",         // nothing
      "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"a\"\r\n",  // no header end
      "--" + kBoundary + "\r\nX-Other: 1\r\n\r\nv\r\n--" + kBoundary + "--",    // no disposition
      "--" + kBoundary + "\r\nbroken header line\r\n\r\nv\r\n--" + kBoundary + "--",
      "--" + kBoundary + "junk\r\n",  // a delimiter followed by neither CRLF nor "--"
      "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"a\"\r\n" +
          std::string(20000, 'h') + "\r\n\r\n",  // header too long
  };
  for (const auto& body : bad) {
    TempDir dir;
    {
      MultipartParser parser(kBoundary, dir.path());
      EXPECT_NE(FeedAll(parser, body, 1000), std::nullopt) << body.substr(0, 80);
    }
    EXPECT_EQ(dir.Count(), 0u);
  }
}

TEST(MultipartParser, BoundsFieldsAndParts) {
  TempDir dir;
  MultipartLimits limits;
  limits.max_field_bytes = 10;
  limits.max_parts = 2;
  {
    MultipartParser parser(kBoundary, dir.path(), limits);
    const std::string body = "--" + kBoundary +
                             "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n" +
                             std::string(11, 'v') + "\r\n--" + kBoundary + "--";
    EXPECT_EQ(FeedAll(parser, body, 4), "Multipart field too large");
  }
  {
    MultipartParser parser(kBoundary, dir.path(), limits);
    std::string body;
    for (int i = 0; i < 3; ++i)
      body += "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"f\"; filename=\"f\"" +
              "\r\n\r\nx\r\n";
    body += "--" + kBoundary + "--";
    EXPECT_EQ(FeedAll(parser, body, 4), "Too many multipart parts");
  }
  EXPECT_EQ(dir.Count(), 0u);
}

// The preamble limit is about the bytes before the first delimiter, whatever the reads: the
// same body is accepted or refused whether it comes whole or in pieces of any size.
TEST(MultipartParser, ThePreambleLimitDoesNotDependOnHowTheBodyIsCut) {
  TempDir dir;
  MultipartLimits limits;
  limits.max_preamble_bytes = 16;
  for (std::size_t preamble = 0; preamble < 40; ++preamble) {
    const std::string body = std::string(preamble, 'p') + "\r\n--" + kBoundary +
                             "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--" +
                             kBoundary + "--";
    std::optional<std::optional<std::string>> whole;
    for (std::size_t step : {body.size(), std::size_t{1}, std::size_t{2}, std::size_t{5},
                             std::size_t{13}, std::size_t{preamble + 3}}) {
      MultipartParser parser(kBoundary, dir.path(), limits);
      const auto outcome = FeedAll(parser, body, step);
      if (!whole) {
        whole = outcome;
        // Short preambles pass, long ones are refused.
        if (preamble <= 8) {
          EXPECT_EQ(outcome, std::nullopt) << preamble;
        }
        if (preamble >= 20) {
          EXPECT_EQ(outcome, "Multipart boundary not found") << preamble;
        }
      } else {
        EXPECT_EQ(outcome, *whole) << "preamble " << preamble << ", step " << step;
      }
    }
  }
}

TEST(MultipartParser, AnEmptyPartAndTheEpilogueAreFine) {
  TempDir dir;
  MultipartParser parser(kBoundary, dir.path());
  const std::string body = "preamble\r\n--" + kBoundary +
                           "\r\nContent-Disposition: form-data; name=\"f\"; filename=\"\"\r\n\r\n"
                           "\r\n--" +
                           kBoundary + "--\r\nepilogue";
  ASSERT_EQ(FeedAll(parser, body, 5), std::nullopt);
  auto parts = parser.TakeParts();
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_TRUE(parts[0].is_file);
  EXPECT_EQ(parts[0].size, 0u);
  EXPECT_TRUE(fs::exists(parts[0].file));
  RemovePartFiles(parts);
}

}  // namespace
}  // namespace webui::http
