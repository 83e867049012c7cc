#include "storage/private_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

#include "storage/database.hpp"

namespace webui::storage {
namespace {

[[noreturn]] void Fail(const char* what, const std::filesystem::path& path, int error) {
  throw StorageError(std::string("cannot ") + what + " " + path.string() + ": " +
                     std::strerror(error));
}

}  // namespace

bool CreatePrivateDirectory(const std::filesystem::path& dir) {
  const std::filesystem::path parent = dir.parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) Fail("create directory", parent, ec.value());
  }
  if (::mkdir(dir.c_str(), 0700) != 0) {
    const int error = errno;
    struct stat st {};
    if (error == EEXIST && ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return false;
    Fail("create directory", dir, error);
  }
  // mkdir's mode is masked by the umask; the result must be exactly 0700 (an umask such as 0177
  // would otherwise leave a directory its owner cannot enter).
  if (::chmod(dir.c_str(), 0700) != 0) Fail("set the mode of", dir, errno);
  return true;
}

bool CreatePrivateFile(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return false;
    Fail("create", file, errno);
  }
  const int chmod_result = ::fchmod(fd, 0600);
  const int error = errno;
  ::close(fd);
  if (chmod_result != 0) Fail("set the mode of", file, error);
  return true;
}

bool SharedWithOthers(const std::filesystem::path& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0;
}

}  // namespace webui::storage
