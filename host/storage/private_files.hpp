// Files that hold secrets (the database with password and API-key hashes, every chat; the audit
// log) are created readable by their owner only, whatever the process umask: the directory 0700,
// the files 0600. Existing paths keep their mode; an operator may have widened it on purpose.
#pragma once

#include <filesystem>

namespace webui::storage {

// Creates `dir` with mode 0700 (missing parents with the usual mode, like `mkdir -p`). Returns
// true when it created `dir`, false when it existed. Throws StorageError when it cannot.
bool CreatePrivateDirectory(const std::filesystem::path& dir);

// Creates `file` empty with mode 0600 unless it exists. Returns true when it created it. Throws
// StorageError when it cannot.
bool CreatePrivateFile(const std::filesystem::path& file);

// True when group or others have any access to `path` (false when it does not exist).
bool SharedWithOthers(const std::filesystem::path& path);

}  // namespace webui::storage
