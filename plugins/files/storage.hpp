// Where the bytes of uploaded files live. A small interface so another backend (an object store)
// can take the place of the local directory without touching the routes; LocalStorage, a
// directory (DATA_DIR/uploads, or a shared volume mounted on every instance), is the only one now.
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace webui::files {

class Storage {
 public:
  virtual ~Storage() = default;
  // Takes `source` away from the caller (renamed, or copied then deleted across filesystems)
  // and stores it as `name` (already a safe name: naming.hpp StoredName). Returns the path kept
  // in the row's `path` column.
  virtual std::string PutFile(const std::string& source, const std::string& name) = 0;
  // Stores `bytes` as `name`; returns the row's path.
  virtual std::string PutBytes(std::string_view bytes, const std::string& name) = 0;
  // The stored object of a row's `path`, open for reading; nullptr when it is missing.
  virtual std::unique_ptr<std::istream> Open(const std::string& path) const = 0;
  // Its size, nullopt when missing.
  virtual std::optional<std::uint64_t> Size(const std::string& path) const = 0;
  // A local file path of it (for processors that want a path), nullopt when missing.
  virtual std::optional<std::string> LocalPath(const std::string& path) const = 0;
  // Deletes it; a missing object is not an error.
  virtual void Remove(const std::string& path) = 0;
  // Deletes every stored object (and anything else in the storage), keeping the storage itself
  // usable for new files. Returns how many went; an object that cannot be deleted goes to
  // `failed` (its name and why) and the rest go on. Throws when the storage cannot be listed.
  virtual std::uint64_t RemoveAll(const std::function<void(const std::string&)>& failed) = 0;
};

// A directory. Rows keep the full path (as Open WebUI does: `{UPLOAD_DIR}/{id}_{name}`), but a
// path is only ever resolved as its last component inside the root, so a row written by another
// installation (another mount point) still works and nothing outside the root is ever opened
// (docs/security.md T25).
class LocalStorage : public Storage {
 public:
  // Creates `root` (mode 0700) when missing; throws when it cannot.
  explicit LocalStorage(std::string root);
  const std::string& root() const { return root_; }

  std::string PutFile(const std::string& source, const std::string& name) override;
  std::string PutBytes(std::string_view bytes, const std::string& name) override;
  std::unique_ptr<std::istream> Open(const std::string& path) const override;
  std::optional<std::uint64_t> Size(const std::string& path) const override;
  std::optional<std::string> LocalPath(const std::string& path) const override;
  void Remove(const std::string& path) override;
  std::uint64_t RemoveAll(const std::function<void(const std::string&)>& failed) override;

 private:
  // root/<last component of path>, or nullopt when that component cannot be a stored name.
  std::optional<std::string> Resolve(std::string_view path) const;
  std::string root_;
};

}  // namespace webui::files
