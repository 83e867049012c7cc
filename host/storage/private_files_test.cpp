#include "storage/private_files.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "storage/database.hpp"

namespace webui::storage {
namespace {

mode_t ModeOf(const std::filesystem::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

class PrivateFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "wh-private-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    old_umask_ = ::umask(022);  // the usual umask, which gives 0755 / 0644
  }
  void TearDown() override {
    ::umask(old_umask_);
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::filesystem::path dir_;
  mode_t old_umask_ = 0;
};

TEST_F(PrivateFiles, CreatedOwnerOnlyWhateverTheUmask) {
  EXPECT_TRUE(CreatePrivateDirectory(dir_ / "a" / "data"));
  EXPECT_EQ(ModeOf(dir_ / "a" / "data"), 0700u);
  EXPECT_TRUE(CreatePrivateFile(dir_ / "a" / "data" / "f"));
  EXPECT_EQ(ModeOf(dir_ / "a" / "data" / "f"), 0600u);

  // An umask that would take the owner's own bits away does not either.
  ::umask(0377);
  EXPECT_TRUE(CreatePrivateDirectory(dir_ / "b"));
  EXPECT_EQ(ModeOf(dir_ / "b"), 0700u);
  EXPECT_TRUE(CreatePrivateFile(dir_ / "b" / "f"));
  EXPECT_EQ(ModeOf(dir_ / "b" / "f"), 0600u);
}

TEST_F(PrivateFiles, ExistingPathsKeepTheirModeAndContent) {
  std::filesystem::create_directory(dir_ / "shared");
  ::chmod((dir_ / "shared").c_str(), 0750);
  EXPECT_FALSE(CreatePrivateDirectory(dir_ / "shared"));
  EXPECT_EQ(ModeOf(dir_ / "shared"), 0750u);
  EXPECT_TRUE(SharedWithOthers(dir_ / "shared"));

  { std::ofstream(dir_ / "log") << "kept\n"; }
  ::chmod((dir_ / "log").c_str(), 0640);
  EXPECT_FALSE(CreatePrivateFile(dir_ / "log"));
  EXPECT_EQ(ModeOf(dir_ / "log"), 0640u);
  std::ifstream in(dir_ / "log");
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "kept");

  EXPECT_FALSE(SharedWithOthers(dir_ / "missing"));
  { std::ofstream(dir_ / "file") << "x"; }
  EXPECT_THROW(CreatePrivateDirectory(dir_ / "file"), StorageError);  // a file in the way
}

// SQLite creates its file 0644 and the -wal/-shm files with the database file's mode.
TEST_F(PrivateFiles, SqliteDatabaseAndItsWalFilesAreOwnerOnly) {
  DatabaseOptions options;
  options.sqlite_path = (dir_ / "data" / "webui.db").string();
  auto db = Database::Open(options);
  db->Exec("CREATE TABLE t (x INTEGER)");
  db->Exec("INSERT INTO t (x) VALUES (1)");
  EXPECT_EQ(ModeOf(dir_ / "data"), 0700u);
  EXPECT_EQ(ModeOf(dir_ / "data" / "webui.db"), 0600u);
  ASSERT_TRUE(std::filesystem::exists(dir_ / "data" / "webui.db-wal"));
  EXPECT_EQ(ModeOf(dir_ / "data" / "webui.db-wal"), 0600u);
  ASSERT_TRUE(std::filesystem::exists(dir_ / "data" / "webui.db-shm"));
  EXPECT_EQ(ModeOf(dir_ / "data" / "webui.db-shm"), 0600u);
}

}  // namespace
}  // namespace webui::storage
