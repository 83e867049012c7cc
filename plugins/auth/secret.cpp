#include "secret.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "crypto.hpp"

namespace webui::auth {
namespace {

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  return s.substr(i);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return Trim(ss.str());
}

}  // namespace

std::string LoadOrCreateSecretFile(const std::string& data_dir) {
  const std::string path = data_dir + "/.webui_secret_key";
  if (::access(path.c_str(), F_OK) == 0) {
    std::string key = ReadFile(path);
    if (key.empty())
      throw std::runtime_error(path + " is empty; delete it or set WEBUI_SECRET_KEY");
    return key;
  }
  // 32 random bytes (256 bits), written to a private temporary file and published with link(),
  // which fails if another process published first: then its key wins and we read it.
  const std::string key = Base64UrlEncode(RandomBytes(32));
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot create " + tmp + ": " + std::strerror(errno));
  const std::string line = key + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                       ::fsync(fd) == 0;
  ::close(fd);
  if (!written) {
    ::unlink(tmp.c_str());
    throw std::runtime_error("cannot write " + tmp);
  }
  const int linked = ::link(tmp.c_str(), path.c_str());
  const int link_errno = errno;
  ::unlink(tmp.c_str());
  if (linked != 0 && link_errno != EEXIST)
    throw std::runtime_error("cannot create " + path + ": " + std::strerror(link_errno));
  std::string stored = ReadFile(path);
  if (stored.empty()) throw std::runtime_error(path + " is empty");
  return stored;
}

std::string ResolveSecret(const sdk::Host& host) {
  for (const char* name : {"WEBUI_SECRET_KEY", "WEBUI_JWT_SECRET_KEY"}) {
    if (auto v = host.Env(name); v && !v->empty()) return *v;
  }
  auto data_dir = host.Env("DATA_DIR");
  return LoadOrCreateSecretFile(data_dir && !data_dir->empty() ? *data_dir : "./data");
}

}  // namespace webui::auth
