// The files plugin through HTTP on the real binary: uploads streamed to DATA_DIR/uploads, the
// status stream, byte-equal content (cookie or bearer), ranges, the serving rules of
// docs/security.md T12, T23, T25, T31–T33, files.v1 from another plugin, a file_processor.v1 in
// the loop, and a user's files going with the user.
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>

#include "it_support.hpp"

namespace webui::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr const char* kBoundary = "----whfiles5e3YWxkTrZu0gW";
constexpr const char* kNotFound = "We could not find what you're looking for :/";

const MultipartForm kForm(kBoundary);

HeaderList With(HeaderList h, const std::string& name, const std::string& value) {
  h.emplace_back(name, value);
  return h;
}

// Polls `done` every 20 ms until true or 30 s have passed.
bool WaitFor(const std::function<bool()>& done) {
  const auto until = Clock::now() + std::chrono::seconds(30);
  while (Clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

template <typename Suite>
class FilesSuite : public AccountsSuite<Suite> {
 protected:
  using Base = AccountsSuite<Suite>;
  using Base::Admin;
  using Base::Call;
  using Base::Port;
  static HttpResult Get(const std::string& path, const HeaderList& who) {
    return Call("GET", path, "", who);
  }
  static HttpResult Upload(const HeaderList& who, const std::string& filename,
                           const std::string& bytes,
                           const std::string& type = "application/octet-stream",
                           const std::string& query = "", const std::string& extra = "") {
    return Call("POST", "/api/v1/files/" + query,
                extra + kForm.File(filename, bytes, type) + kForm.End(),
                With(who, "Content-Type", kForm.ContentType()));
  }
  // Uploads and returns the new file's id (a test failure when the upload fails).
  static std::string UploadId(const HeaderList& who, const std::string& filename,
                              const std::string& bytes,
                              const std::string& type = "application/octet-stream") {
    auto r = Upload(who, filename, bytes, type);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? r.Json().value("id", "") : "";
  }
  // The whole status stream of `id` (it ends by itself).
  static std::vector<json> StatusStream(const std::string& id, const HeaderList& who) {
    auto r = Get("/api/v1/files/" + id + "/process/status?stream=true", who);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Header("Content-Type").rfind("text/event-stream", 0), 0u);
    return StreamEvents(r.body);
  }
  static fs::path Uploads() { return fs::path(Base::host().data_dir()) / "uploads"; }
};

// ---- with the real auth plugin: accounts, cookies, deletion ----------------------------------

class Files : public FilesSuite<Files> {
 public:
  static void Configure(HostProcess::Options& o) {
    PluginHostEnv(o, "auth,files,test_files_consumer", "it-secret-for-the-files-plugin-tests",
                  FILES_TEST_PLUGIN_DIR);
    o.env["RAG_FILE_MAX_SIZE"] = "8";
    o.env["ALLOWED_FILE_EXTENSIONS"] = "md,txt,bin,html,svg,pdf,png,dat,x";
  }
};

TEST_F(Files, AnUploadIsStoredThenItsStatusStreamCompletes) {
  const std::string text = "# Notes\n\ncaf\xc3\xa9 and more\n";
  auto r = Upload(Alice().auth(), "notes.md", text, "text/markdown", "",
                  kForm.Field("metadata", R"({"language":"en"})"));
  ASSERT_EQ(r.status, 200) << r.body;
  const json up = r.Json();
  EXPECT_EQ(up["status"], true);
  EXPECT_EQ(up["user_id"], Alice().id);
  EXPECT_EQ(up["filename"], "notes.md");
  EXPECT_EQ(up["data"]["status"], "pending");
  EXPECT_TRUE(up["hash"].is_null());
  EXPECT_EQ(up["meta"]["name"], "notes.md");
  EXPECT_EQ(up["meta"]["content_type"], "text/markdown");
  EXPECT_EQ(up["meta"]["size"], text.size());
  EXPECT_EQ(up["meta"]["data"], json({{"language", "en"}}));
  const std::string id = up["id"];
  const fs::path stored = up["path"].get<std::string>();
  EXPECT_EQ(stored.filename(), id + "_notes.md");
  EXPECT_TRUE(fs::equivalent(stored.parent_path(), Uploads())) << stored;

  const auto events = StatusStream(id, Alice().auth());
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back(), json({{"status", "completed"}}));
  for (std::size_t i = 0; i + 1 < events.size(); ++i) EXPECT_EQ(events[i]["status"], "pending");

  auto file = Get("/api/v1/files/" + id, Alice().auth());
  ASSERT_EQ(file.status, 200) << file.body;
  EXPECT_EQ(file.Json()["data"]["content"], text);
  EXPECT_EQ(file.Json()["hash"].get<std::string>().size(), 64u);
  EXPECT_EQ(Get("/api/v1/files/" + id + "/data/content", Alice().auth()).Json(),
            json({{"content", text}}));
  EXPECT_EQ(Get("/api/v1/files/" + id + "/process/status", Alice().auth()).Json(),
            json({{"status", "completed"}}));

  // The list is a bare array of the caller's files; content=false drops the text.
  auto list = Get("/api/v1/files/?content=false", Alice().auth());
  ASSERT_EQ(list.status, 200);
  bool seen = false;
  for (const auto& f : list.Json()) {
    EXPECT_EQ(f["user_id"], Alice().id);
    if (f["id"] != id) continue;
    seen = true;
    EXPECT_FALSE(f["data"].contains("content"));
  }
  EXPECT_TRUE(seen);
}

TEST_F(Files, ContentRoundTripsByteForByte) {
  std::string bytes(5 * 1024 * 1024, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>((i * 7919) % 251);
  const std::string id = UploadId(Alice().auth(), "blob.bin", bytes);
  ASSERT_FALSE(id.empty());
  auto got = Get("/api/v1/files/" + id + "/content", Alice().auth());
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.body.size(), bytes.size());
  EXPECT_TRUE(got.body == bytes);
  EXPECT_EQ(got.Header("Content-Type"), "application/octet-stream");
  EXPECT_EQ(got.Header("Content-Disposition"), "attachment; filename*=UTF-8''blob.bin");
  // Not text: processing completes without content.
  EXPECT_EQ(StatusStream(id, Alice().auth()).back(), json({{"status", "completed"}}));
  EXPECT_FALSE(Get("/api/v1/files/" + id, Alice().auth()).Json()["data"].contains("content"));
}

TEST_F(Files, AnUploadOverTheLimitIsRefusedBeforeItsBody) {
  Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", Port()));
  s.setReceiveTimeout(Poco::Timespan(30, 0));
  const std::string head =
      "POST /api/v1/files/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + Alice().token +
      "\r\nContent-Length: " + std::to_string(16 * 1024 * 1024) +
      "\r\nContent-Type: multipart/form-data; boundary=" + kBoundary + "\r\n\r\n";
  s.sendBytes(head.data(), static_cast<int>(head.size()));
  // Not one byte of the body was sent: the answer comes from the head alone.
  std::string line;
  char c;
  while (s.receiveBytes(&c, 1) == 1 && c != '\n') line += c;
  EXPECT_EQ(line.rfind("HTTP/1.1 413", 0), 0u) << line;
}

TEST_F(Files, MalformedBodiesAndMetadataAre400) {
  const HeaderList form = With(Alice().auth(), "Content-Type", kForm.ContentType());
  // No closing delimiter.
  auto r =
      Call("POST", "/api/v1/files/",
           std::string("--") + kBoundary +
               "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nabc",
           form);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_TRUE(r.Json()["detail"].is_string());
  r = Upload(Alice().auth(), "a.txt", "abc", "text/plain", "", kForm.Field("metadata", "{bad"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Json()["detail"], "[ERROR: Invalid metadata format]");
  // No file part: FastAPI's validation answer.
  r = Call("POST", "/api/v1/files/", kForm.Field("metadata", "{}") + kForm.End(), form);
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(Get("/health", {}).status, 200);
}

TEST_F(Files, ExtensionsOffTheListAreRefusedWhenProcessing) {
  auto r = Upload(Alice().auth(), "tool.exe", "MZ");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Json()["detail"], "[ERROR: File type exe is not allowed]");
  EXPECT_EQ(
      Upload(Alice().auth(), "tool.exe", "MZ", "application/octet-stream", "?process=false").status,
      200);
}

TEST_F(Files, ClientNamesNeverBecomePaths) {
  const std::string names[] = {"../../x",       "a/b",
                               "..\\..\\y.txt", std::string(4096, 'n') + ".txt",
                               "/etc/passwd",   "x./../z.md"};
  for (const std::string& name : names) {
    auto r = Upload(Alice().auth(), name, "payload", "application/octet-stream", "?process=false");
    ASSERT_EQ(r.status, 200) << name.substr(0, 40) << ": " << r.body;
    const json f = r.Json();
    const fs::path stored = f["path"].get<std::string>();
    EXPECT_TRUE(fs::equivalent(stored.parent_path(), Uploads())) << stored;
    EXPECT_TRUE(fs::exists(stored)) << stored;
    EXPECT_LE(stored.filename().string().size(), 137u);
    const std::string shown = f["filename"];
    EXPECT_EQ(shown.find('/'), std::string::npos);
    EXPECT_EQ(shown.find('\\'), std::string::npos);
    EXPECT_EQ(Get("/api/v1/files/" + f["id"].get<std::string>() + "/content", Alice().auth()).body,
              "payload");
  }
  EXPECT_FALSE(fs::exists(fs::path(Base::host().data_dir()) / "x"));
}

TEST_F(Files, AnotherUsersFileIsNotFoundEverywhere) {
  const std::string id = UploadId(Alice().auth(), "private.txt", "alice only", "text/plain");
  ASSERT_FALSE(id.empty());
  const auto bob = Bob().auth();
  const std::string base = "/api/v1/files/" + id;
  for (const auto& [method, path] : std::initializer_list<std::pair<const char*, std::string>>{
           {"GET", base},
           {"GET", base + "/data/content"},
           {"GET", base + "/content"},
           {"GET", base + "/process/status"},
           {"GET", base + "/process/status?stream=true"},
           {"POST", base + "/data/content/update"},
           {"DELETE", base}}) {
    auto r = Call(method, path, std::string(method) == "POST" ? R"({"content":"pwned"})" : "", bob);
    EXPECT_EQ(r.status, 404) << method << " " << path << ": " << r.body;
    EXPECT_EQ(r.Json()["detail"], kNotFound) << path;
  }
  for (const auto& f : Get("/api/v1/files/", bob).Json()) EXPECT_NE(f["id"], id);
  // Untouched, and the admin sees it.
  EXPECT_EQ(Get(base + "/content", Alice().auth()).body, "alice only");
  EXPECT_EQ(Get(base, Admin().auth()).status, 200);
  bool listed = false;
  for (const auto& f : Get("/api/v1/files/", Admin().auth()).Json()) listed |= f["id"] == id;
  EXPECT_TRUE(listed);
}

TEST_F(Files, ContentAcceptsTheTokenCookie) {
  const std::string id = UploadId(Alice().auth(), "cookie.txt", "via cookie", "text/plain");
  const std::string path = "/api/v1/files/" + id + "/content";
  auto r = Get(path, {{"Cookie", "token=" + Alice().token}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "via cookie");
  EXPECT_EQ(Get(path, {{"Cookie", "token=" + Bob().token}}).status, 404);
  EXPECT_EQ(Get(path, {}).status, 403);
  EXPECT_EQ(Get(path, {{"Cookie", "token=not-a-jwt"}}).status, 401);
}

TEST_F(Files, ServedTypesComeFromTheAllowList) {
  const auto a = Alice().auth();
  const std::string html = UploadId(a, "page.html", "<script>alert(1)</script>", "text/html");
  const std::string svg = UploadId(a, "pic.svg", "<svg onload=alert(1)/>", "image/svg+xml");
  const std::string lying = UploadId(a, "data.x", "<html><script>1</script>", "text/html");
  for (const std::string& id : {html, svg, lying}) {
    auto r = Get("/api/v1/files/" + id + "/content", a);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.Header("Content-Type"), "application/octet-stream") << id;
    EXPECT_EQ(r.Header("Content-Disposition").rfind("attachment; filename*=UTF-8''", 0), 0u);
    EXPECT_EQ(r.Header("X-Content-Type-Options"), "nosniff");
  }
  const std::string pdf =
      UploadId(a, "r\xc3\xa9port q.pdf", "%PDF-1.4\n", "application/x-whatever");
  auto r = Get("/api/v1/files/" + pdf + "/content", a);
  EXPECT_EQ(r.Header("Content-Type"), "application/pdf");
  EXPECT_EQ(r.Header("Content-Disposition"), "inline; filename*=UTF-8''r%C3%A9port%20q.pdf");
  EXPECT_EQ(r.Header("X-Content-Type-Options"), "nosniff");
  r = Get("/api/v1/files/" + pdf + "/content?attachment=true", a);
  EXPECT_EQ(r.Header("Content-Disposition").rfind("attachment;", 0), 0u);
  const std::string png = UploadId(a, "p.png", "\x89PNG\r\n", "image/png");
  EXPECT_EQ(Get("/api/v1/files/" + png + "/content", a).Header("Content-Type"), "image/png");
}

TEST_F(Files, SingleRangesAreServedAndBadOnesRefused) {
  std::string bytes;
  for (int i = 0; i < 1000; ++i) bytes += static_cast<char>('a' + i % 26);
  const std::string id = UploadId(Alice().auth(), "range.dat", bytes);
  const std::string path = "/api/v1/files/" + id + "/content";
  auto r = Get(path, With(Alice().auth(), "Range", "bytes=10-19"));
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(r.Header("Content-Range"), "bytes 10-19/1000");
  EXPECT_EQ(r.body, bytes.substr(10, 10));
  r = Get(path, With(Alice().auth(), "Range", "bytes=-5"));
  EXPECT_EQ(r.status, 206);
  EXPECT_EQ(r.body, bytes.substr(995));
  for (const char* bad : {"bytes=-0", "bytes=999999999-"}) {
    r = Get(path, With(Alice().auth(), "Range", bad));
    EXPECT_EQ(r.status, 416) << bad;
    EXPECT_EQ(r.Header("Content-Range"), "bytes */1000");
  }
  std::string many = "bytes=0-0";
  for (int i = 1; i < 300; ++i) many += "," + std::to_string(i) + "-" + std::to_string(i);
  r = Get(path, With(Alice().auth(), "Range", many));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, bytes);
}

TEST_F(Files, DeletingRemovesTheRowAndTheBytes) {
  auto up = Upload(Alice().auth(), "gone.txt", "bye", "text/plain");
  ASSERT_EQ(up.status, 200);
  const std::string id = up.Json()["id"];
  const fs::path stored = up.Json()["path"].get<std::string>();
  ASSERT_TRUE(fs::exists(stored));
  auto r = Call("DELETE", "/api/v1/files/" + id, "", Alice().auth());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json(), json({{"message", "File deleted successfully"}}));
  EXPECT_FALSE(fs::exists(stored));
  EXPECT_EQ(Get("/api/v1/files/" + id, Alice().auth()).status, 404);
  EXPECT_EQ(Get("/api/v1/files/" + id + "/process/status?stream=true", Alice().auth()).status, 404);
}

TEST_F(Files, AnotherPluginStoresAndReadsThroughFilesV1) {
  auto r = Call("POST", "/api/v1/test-files/store",
                json{{"filename", "../gen/out.bin"}, {"hex", "00ff00410a"}}.dump(), Alice().auth());
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string id = r.Json()["id"];
  EXPECT_EQ(r.Json()["user_id"], Alice().id);
  EXPECT_EQ(r.Json()["filename"], "out.bin");
  EXPECT_EQ(r.Json()["meta"]["size"], 5);
  auto got = Get("/api/v1/test-files/" + id, Alice().auth()).Json();
  EXPECT_EQ(got["hex"], "00ff00410a");
  EXPECT_EQ(got["readable"], true);
  EXPECT_EQ(got["writable"], true);
  EXPECT_EQ(got["local_path_readable"], true);
  EXPECT_EQ(got["row"]["id"], id);
  // The same bytes over HTTP; another user has no access; the admin has.
  EXPECT_EQ(Get("/api/v1/files/" + id + "/content", Alice().auth()).body,
            std::string("\x00\xff\x00\x41\x0a", 5));
  EXPECT_EQ(Get("/api/v1/test-files/" + id, Bob().auth()).Json()["readable"], false);
  EXPECT_EQ(Get("/api/v1/test-files/" + id, Admin().auth()).Json()["writable"], true);
  EXPECT_TRUE(Get("/api/v1/test-files/no-such-id", Bob().auth()).Json()["readable"].is_null());
  EXPECT_EQ(Call("DELETE", "/api/v1/test-files/" + id, "", Alice().auth()).Json()["removed"], true);
  EXPECT_EQ(Get("/api/v1/files/" + id, Alice().auth()).status, 404);
}

TEST_F(Files, DeletingAUserDeletesTheirFiles) {
  const Account carol = AddUser("carol");
  auto up = Upload(carol.auth(), "mine.txt", "carol's", "text/plain");
  ASSERT_EQ(up.status, 200) << up.body;
  const std::string id = up.Json()["id"];
  const fs::path stored = up.Json()["path"].get<std::string>();
  const std::string keep = UploadId(Alice().auth(), "keep.txt", "alice's", "text/plain");
  ASSERT_EQ(Call("DELETE", "/api/v1/users/" + carol.id, "", Admin().auth()).status, 200);
  EXPECT_TRUE(WaitFor([&] { return Get("/api/v1/files/" + id, Admin().auth()).status == 404; }));
  EXPECT_TRUE(WaitFor([&] { return !fs::exists(stored); }));
  EXPECT_EQ(Get("/api/v1/files/" + keep, Alice().auth()).status, 200);
}

TEST_F(Files, OnlyAnAdminDeletesAll) {
  const std::string id = UploadId(Alice().auth(), "last.txt", "x", "text/plain");
  EXPECT_EQ(Call("DELETE", "/api/v1/files/all", "", Alice().auth()).status, 401);
  EXPECT_EQ(Get("/api/v1/files/" + id, Alice().auth()).status, 200);
  auto r = Call("DELETE", "/api/v1/files/all", "", Admin().auth());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json(), json({{"message", "All files deleted successfully"}}));
  EXPECT_EQ(Get("/api/v1/files/", Admin().auth()).Json(), json::array());
  EXPECT_TRUE(fs::is_empty(Uploads()));
}

// ---- with a file_processor.v1: the hook rag plugs into ----------------------------------------

class FilesWithProcessor : public FilesSuite<FilesWithProcessor> {
 public:
  static void Configure(HostProcess::Options& o) {
    o.env["WEBUI_PLUGIN_PATH"] =
        std::string(WEBUI_PLUGIN_BUILD_DIR) + ":" + PluginDir("good") + ":" + FILES_TEST_PLUGIN_DIR;
    o.env["WEBUI_PLUGINS"] = "files,test_auth,test_files_processor";
    o.env["WEBUI_PLUGINS_STRICT"] = "true";
  }

 protected:
  static json Calls() { return Get("/api/v1/test-processor/calls", {}).Json(); }
  static void Release(const std::string& name) {
    ASSERT_EQ(Call("POST", "/api/v1/test-processor/release/" + name, "", {}).status, 200);
  }
};

TEST_F(FilesWithProcessor, TheStatusStreamWaitsForTheProcessor) {
  const std::string id = UploadId(As("user", "u1"), "held-1.txt", "raw");
  ASSERT_FALSE(id.empty());
  std::vector<json> events;
  std::thread watcher([&] { events = StatusStream(id, As("user", "u1")); });
  // While the processor holds the file, it stays pending (the processor was called).
  EXPECT_TRUE(WaitFor([&] {
    const json calls = Calls()["calls"];
    for (const auto& c : calls)
      if (c["id"] == id) return true;
    return false;
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  EXPECT_EQ(Get("/api/v1/files/" + id + "/process/status", As("user", "u1")).Json()["status"],
            "pending");
  Release("held-1.txt");
  watcher.join();
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events.front()["status"], "pending");
  EXPECT_EQ(events.back(), json({{"status", "completed"}}));
  const json f = Get("/api/v1/files/" + id, As("user", "u1")).Json();
  EXPECT_EQ(f["data"]["content"], "processed: held-1.txt");
  EXPECT_EQ(f["meta"]["collection_name"], "file-" + id);
  EXPECT_EQ(f["hash"].get<std::string>().size(), 64u);
  const json calls = Calls()["calls"];
  for (const auto& c : calls) {
    if (c["id"] == id) {
      EXPECT_TRUE(fs::exists(c["path"].get<std::string>()));
    }
  }
}

TEST_F(FilesWithProcessor, AFailedProcessingEndsTheStreamWithItsError) {
  const std::string id = UploadId(As("user", "u1"), "fail-1.txt", "raw");
  const auto events = StatusStream(id, As("user", "u1"));
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back(), json({{"status", "failed"}, {"error", "cannot read fail-1.txt"}}));
}

TEST_F(FilesWithProcessor, AStreamOfADeletedFileSaysNotFound) {
  const std::string id = UploadId(As("user", "u1"), "held-2.txt", "raw");
  std::vector<json> events;
  std::thread watcher([&] { events = StatusStream(id, As("user", "u1")); });
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  EXPECT_EQ(Call("DELETE", "/api/v1/files/" + id, "", As("user", "u1")).status, 200);
  watcher.join();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back(), json({{"status", "not_found"}}));
  const json removed = Calls()["removed"];
  EXPECT_NE(std::find(removed.begin(), removed.end(), id), removed.end()) << removed;
}

TEST_F(FilesWithProcessor, NewContentIsProcessedAgain) {
  const std::string id = UploadId(As("user", "u1"), "doc.txt", "raw");
  EXPECT_EQ(StatusStream(id, As("user", "u1")).back()["status"], "completed");
  auto r = Call("POST", "/api/v1/files/" + id + "/data/content/update",
                R"({"content":"edited text"})", As("user", "u1"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json(), json({{"content", "processed: edited text"}}));
  EXPECT_EQ(Get("/api/v1/files/" + id + "/data/content", As("user", "u1")).Json()["content"],
            "processed: edited text");
  // Someone else may not, and the content stays.
  EXPECT_EQ(Call("POST", "/api/v1/files/" + id + "/data/content/update", R"({"content":"x"})",
                 As("user", "u2"))
                .status,
            404);
}

// A shutdown ends every file still processing or waiting for its turn as failed, so no status
// stream waits for work nobody will do after the restart.
TEST(FilesRestart, AShutdownLeavesNoFilePending) {
  WH_REQUIRE_BACKEND();
  Backend backend;
  HostProcess::Options o;
  o.env = backend.Env();
  o.env["WEBUI_PLUGIN_PATH"] =
      std::string(WEBUI_PLUGIN_BUILD_DIR) + ":" + PluginDir("good") + ":" + FILES_TEST_PLUGIN_DIR;
  o.env["WEBUI_PLUGINS"] = "files,test_auth,test_files_processor";
  o.data_dir = TempDir("files-restart");
  const auto upload = [](int port, const std::string& name) {
    auto r = Http(port, "POST", "/api/v1/files/", kForm.File(name, "raw") + kForm.End(),
                  With(As("user", "u1"), "Content-Type", kForm.ContentType()));
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? r.Json().value("id", "") : "";
  };
  std::vector<std::string> ids;
  {
    HostProcess first(o);
    std::string why;
    ASSERT_TRUE(first.Start(&why)) << why;
    // Four held files take every processing slot; the fifth waits for one.
    for (int i = 0; i < 5; ++i) ids.push_back(upload(first.port(), "held-r" + std::to_string(i)));
    ASSERT_TRUE(WaitFor([&] {
      return Http(first.port(), "GET", "/api/v1/test-processor/calls").Json()["calls"].size() >= 4;
    }));
    EXPECT_EQ(first.Stop(), 0);
  }
  HostProcess second(o);
  std::string why;
  ASSERT_TRUE(second.Start(&why)) << why;
  for (const auto& id : ids) {
    auto r = Http(second.port(), "GET", "/api/v1/files/" + id, "", As("user", "u1"));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["data"]["status"], "failed") << r.body;
    EXPECT_EQ(r.Json()["data"]["error"], "Processing was interrupted; upload the file again.");
  }
}

}  // namespace
}  // namespace webui::testing
