// Settings declared by the host and by plugins, keyed by Open WebUI's dot paths
// ("ui.enable_signup"). A value comes from, in order:
//   1. the `config` table (Open WebUI's single-row JSON tree), when the key is persistent and
//      ENABLE_PERSISTENT_CONFIG is true — exactly Open WebUI's PersistentConfig rule: once an admin
//      saved a value, it wins over the environment;
//   2. the environment variable, then the .env file;
//   3. the declared default.
// Writes go to memory and, for persistent keys, to the `config` table in one transaction.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "config/settings.hpp"
#include "storage/database.hpp"

namespace webui::config {

class PersistentConfig {
 public:
  enum class Result { kOk, kConflict, kDenied, kNotFound, kInvalid };

  PersistentConfig(storage::Database& db, const Settings& settings, bool persistence_enabled);

  // Reads the stored tree (call after the host migrations). Throws StorageError.
  void Load();

  // Declares `key` for `owner`. Re-declaring by the same owner is a no-op; another owner gets
  // kConflict. An environment value that does not fit the default's type throws ConfigError
  // naming the variable.
  Result Declare(std::string_view owner, std::string_view key, std::string_view env_name,
                 std::string_view default_json, bool persistent);

  // Current value as JSON text.
  std::optional<std::string> Get(std::string_view key) const;
  // Who declared `key` (the one allowed to Set it), or nullopt.
  std::optional<std::string> OwnerOf(std::string_view key) const;
  std::optional<nlohmann::json> GetJson(std::string_view key) const;

  // Only the owner may set; kInvalid when `value_json` is not JSON. Persists persistent keys.
  Result Set(std::string_view owner, std::string_view key, std::string_view value_json);

  // Re-reads the stored tree (another instance changed it) and refreshes persistent values.
  void Reload();

  // Called after a persistent value was written (the host publishes it so that other instances
  // Reload()).
  void SetChangeHook(std::function<void(const std::string& key)> hook) {
    on_change_ = std::move(hook);
  }

 private:
  struct Entry {
    std::string owner;
    std::string env_name;
    nlohmann::json default_value;
    bool persistent = false;
    nlohmann::json value;
  };
  nlohmann::json ResolveLocked(const std::string& key, const Entry& e) const;
  nlohmann::json ReadStoredTree();
  void WriteStored(const std::string& key, const nlohmann::json& value);

  storage::Database& db_;
  const Settings& settings_;
  const bool persistence_enabled_;
  mutable std::mutex mu_;
  std::uint64_t local_writes_ = 0;  // Set() calls completed; see Reload()
  nlohmann::json stored_ = nlohmann::json::object();
  std::map<std::string, Entry, std::less<>> entries_;
  std::function<void(const std::string& key)> on_change_;
};

// "a.b.c" lookup/assignment in a JSON tree.
const nlohmann::json* FindPath(const nlohmann::json& tree, std::string_view dotted);
void SetPath(nlohmann::json& tree, std::string_view dotted, nlohmann::json value);

// Converts an environment string to JSON of the same type as `like`; throws ConfigError.
nlohmann::json EnvToJson(std::string_view env_name, const std::string& raw,
                         const nlohmann::json& like);

}  // namespace webui::config
