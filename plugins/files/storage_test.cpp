#include "storage.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace webui::files {
namespace {

namespace fs = std::filesystem;

class LocalStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = fs::temp_directory_path() /
            ("wh-files-storage-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(base_);
    fs::create_directories(base_);
  }
  void TearDown() override { fs::remove_all(base_); }
  fs::path base_;
};

std::string ReadAll(std::istream& in) {
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_F(LocalStorageTest, StoresPrivatelyAndReadsBack) {
  LocalStorage storage((base_ / "uploads").string());
  struct stat st {};
  ASSERT_EQ(::stat(storage.root().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  const std::string bytes("a\0b", 3);
  const std::string path = storage.PutBytes(bytes, "id_a.bin");
  EXPECT_EQ(path, storage.root() + "/id_a.bin");
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto in = storage.Open(path);
  ASSERT_NE(in, nullptr);
  EXPECT_EQ(ReadAll(*in), bytes);
  EXPECT_EQ(storage.Size(path), 3u);
  storage.Remove(path);
  EXPECT_EQ(storage.Open(path), nullptr);
  storage.Remove(path);  // already gone: fine
}

TEST_F(LocalStorageTest, MovesAFileIn) {
  LocalStorage storage((base_ / "uploads").string());
  const fs::path source = base_ / "tmp-part";
  std::ofstream(source) << "moved";
  const std::string path = storage.PutFile(source.string(), "id_m.txt");
  EXPECT_FALSE(fs::exists(source));
  EXPECT_EQ(storage.Size(path), 5u);
}

TEST_F(LocalStorageTest, APathResolvesOnlyInsideTheRoot) {
  LocalStorage storage((base_ / "uploads").string());
  std::ofstream(base_ / "secret") << "outside";
  // A row written elsewhere (Open WebUI's /app/backend/data/uploads/...) resolves by its name.
  storage.PutBytes("inside", "id_x.txt");
  auto in = storage.Open("/app/backend/data/uploads/id_x.txt");
  ASSERT_NE(in, nullptr);
  EXPECT_EQ(ReadAll(*in), "inside");
  // Nothing outside the root, whatever the row says.
  EXPECT_EQ(storage.Open((base_ / "secret").string()), nullptr);
  EXPECT_EQ(storage.Open(storage.root() + "/../secret"), nullptr);
  EXPECT_EQ(storage.Open(".."), nullptr);
  EXPECT_THROW(storage.PutBytes("x", "a/.."), std::runtime_error);
  EXPECT_TRUE(fs::exists(base_ / "secret"));
}

TEST_F(LocalStorageTest, RemoveAllEmptiesTheRootAndKeepsWhatLinksPointTo) {
  LocalStorage storage((base_ / "uploads").string());
  const std::string a = storage.PutBytes("a", "id_a.txt");
  storage.PutBytes("b", "id_b.txt");
  fs::create_directories(fs::path(storage.root()) / "dir" / "sub");
  std::ofstream(fs::path(storage.root()) / "dir" / "sub" / "f") << "f";
  // Links into the outside world go; what they point to stays.
  fs::create_directories(base_ / "outside");
  std::ofstream(base_ / "outside" / "keep") << "keep";
  fs::create_directory_symlink(base_ / "outside", fs::path(storage.root()) / "link");
  std::vector<std::string> failures;
  EXPECT_EQ(storage.RemoveAll([&](const std::string& why) { failures.push_back(why); }), 4u);
  EXPECT_TRUE(failures.empty());
  EXPECT_TRUE(fs::is_directory(storage.root()));
  EXPECT_TRUE(fs::is_empty(storage.root()));
  EXPECT_TRUE(fs::exists(base_ / "outside" / "keep"));
  EXPECT_EQ(storage.Open(a), nullptr);
  // The storage goes on: a new object is stored and read, and an empty root is no error.
  const std::string c = storage.PutBytes("c", "id_c.txt");
  EXPECT_EQ(storage.Size(c), 1u);
  EXPECT_EQ(storage.RemoveAll([](const std::string&) {}), 1u);
  EXPECT_EQ(storage.RemoveAll([](const std::string&) {}), 0u);
}

}  // namespace
}  // namespace webui::files
