#include "storage.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <system_error>

namespace webui::files {

namespace fs = std::filesystem;

namespace {

std::runtime_error StorageError(const std::string& what, int err) {
  return std::runtime_error(what + ": " + std::strerror(err));
}

// Writes `bytes` to a new file `path` (mode 0600; an existing file is an error).
void WriteNew(const std::string& path, std::string_view bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw StorageError("cannot create " + path, errno);
  std::size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(path.c_str());
      throw StorageError("cannot write " + path, err);
    }
    off += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(path.c_str());
    throw StorageError("cannot write " + path, err);
  }
}

// Copies `source` to a new file `target` (mode 0600), for a move across filesystems.
void CopyNew(const std::string& source, const std::string& target) {
  std::ifstream in(source, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + source);
  const int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw StorageError("cannot create " + target, errno);
  char buf[64 * 1024];
  bool ok = true;
  while (ok && in) {
    in.read(buf, sizeof buf);
    const std::streamsize got = in.gcount();
    for (std::streamsize off = 0; ok && off < got;) {
      const ssize_t n = ::write(fd, buf + off, static_cast<std::size_t>(got - off));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) ok = false;
      off += n > 0 ? n : 0;
    }
  }
  if (in.bad()) ok = false;
  if (::close(fd) != 0) ok = false;
  if (!ok) {
    ::unlink(target.c_str());
    throw std::runtime_error("cannot copy into " + target);
  }
}

}  // namespace

LocalStorage::LocalStorage(std::string root) : root_(std::move(root)) {
  std::error_code ec;
  fs::create_directories(root_, ec);
  if (ec) throw std::runtime_error("cannot create " + root_ + ": " + ec.message());
  // Uploads are private to the service's user, like the rest of DATA_DIR.
  ::chmod(root_.c_str(), 0700);
  root_ = fs::canonical(root_, ec).string();
  if (ec) throw std::runtime_error("cannot resolve " + root_ + ": " + ec.message());
}

std::optional<std::string> LocalStorage::Resolve(std::string_view path) const {
  const std::size_t slash = path.find_last_of('/');
  const std::string_view leaf = slash == std::string_view::npos ? path : path.substr(slash + 1);
  if (leaf.empty() || leaf == "." || leaf == ".." || leaf.find('\0') != std::string_view::npos)
    return std::nullopt;
  return root_ + "/" + std::string(leaf);
}

std::string LocalStorage::PutFile(const std::string& source, const std::string& name) {
  const auto target = Resolve(name);
  if (!target) throw std::runtime_error("invalid stored name");
  if (::rename(source.c_str(), target->c_str()) == 0) return *target;
  if (errno != EXDEV) throw StorageError("cannot move the upload into " + *target, errno);
  // The upload directory is on another filesystem (a shared volume): copy, then drop the source.
  CopyNew(source, *target);
  ::unlink(source.c_str());
  return *target;
}

std::string LocalStorage::PutBytes(std::string_view bytes, const std::string& name) {
  const auto target = Resolve(name);
  if (!target) throw std::runtime_error("invalid stored name");
  WriteNew(*target, bytes);
  return *target;
}

std::unique_ptr<std::istream> LocalStorage::Open(const std::string& path) const {
  const auto p = Resolve(path);
  if (!p) return nullptr;
  auto in = std::make_unique<std::ifstream>(*p, std::ios::binary);
  if (!*in) return nullptr;
  return in;
}

std::optional<std::uint64_t> LocalStorage::Size(const std::string& path) const {
  const auto p = Resolve(path);
  if (!p) return std::nullopt;
  struct stat st {};
  if (::stat(p->c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return static_cast<std::uint64_t>(st.st_size);
}

std::optional<std::string> LocalStorage::LocalPath(const std::string& path) const {
  if (!Size(path)) return std::nullopt;
  return Resolve(path);
}

void LocalStorage::Remove(const std::string& path) {
  const auto p = Resolve(path);
  if (!p) return;
  if (::unlink(p->c_str()) != 0 && errno != ENOENT)
    throw StorageError("cannot delete " + *p, errno);
}

std::uint64_t LocalStorage::RemoveAll(const std::function<void(const std::string&)>& failed) {
  // Every entry of the root, whatever made it (Open WebUI empties UPLOAD_DIR the same way); the
  // root itself stays, so uploads go on working. Links are removed, never followed.
  std::error_code ec;
  fs::directory_iterator it(root_, ec);
  if (ec) throw std::runtime_error("cannot list " + root_ + ": " + ec.message());
  std::uint64_t removed = 0;
  for (const fs::directory_iterator end; it != end; it.increment(ec)) {
    const fs::path entry = it->path();
    std::error_code rm;
    fs::remove_all(entry, rm);
    if (rm)
      failed(entry.filename().string() + ": " + rm.message());
    else
      ++removed;
  }
  if (ec) failed(root_ + ": " + ec.message());
  return removed;
}

}  // namespace webui::files
