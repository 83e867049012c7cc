// Finds, checks, orders, initialises and toggles plugins.
//
// A plugin is refused with ONE log line naming its file and the reason (ABI major mismatch, newer
// minor, bad build signature, missing entry symbol, unresolved symbol, duplicate name, missing
// dependency, dependency cycle, init failure) while the host serves the rest; with
// WEBUI_PLUGINS_STRICT any refusal stops the start. A shared object is never unmapped while the
// process runs: routes, services and in-flight requests may point into it.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <webui_host/abi.h>
#include <boost/dll/shared_library.hpp>
#include <nlohmann/json.hpp>

#include "plugins/host_services.hpp"

namespace webui::plugins {

// Stops the start: a failed migration, or a refusal in strict mode.
class FatalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct PluginRecord {
  enum class State { kCandidate, kLoaded, kDisabled, kRefused };

  std::string name, version, description, file;
  std::vector<std::string> dependencies;
  State state = State::kCandidate;
  std::string reason;     // why refused or disabled
  bool excluded = false;  // not in WEBUI_PLUGINS: cannot be enabled at runtime
  std::string abi;        // "1.0"

  std::shared_ptr<boost::dll::shared_library> library;
  const wh_plugin_descriptor* descriptor = nullptr;
  wh_plugin_module_ptr* module = nullptr;
  bool initialized = false;
  std::atomic<bool> enabled{false};
  bool in_init = false;
  std::string fatal_error;  // a failed migration or invalid setting: stops the start
  HostServices* host = nullptr;
};

const char* StateName(PluginRecord::State s);

// Checks a descriptor against this host's ABI; the reason when incompatible.
std::optional<std::string> CheckDescriptor(const wh_plugin_descriptor* d);

class PluginManager {
 public:
  enum class Toggle { kOk, kNotFound, kConflict, kFailed };

  explicit PluginManager(HostServices& host);
  ~PluginManager();
  // For the process's own manager: its destructor leaves every plugin library mapped (see the
  // destructor for why). Test fixtures that load and unload plugins do not call it.
  void KeepLibrariesLoaded() { keep_libraries_ = true; }

  // Scans WEBUI_PLUGIN_PATH, refuses what is incompatible, initialises the rest in dependency
  // order. Throws FatalError (see above).
  void LoadAll();
  // Reverse initialisation order; then no plugin code runs any more.
  void ShutdownAll();

  nlohmann::json Describe() const;
  std::optional<nlohmann::json> Describe(const std::string& name) const;
  // Persisted in webui_host_plugin; effective at once for routes and services.
  Toggle Enable(const std::string& name, std::string* message);
  Toggle Disable(const std::string& name, std::string* message);

  // The host itself as a service provider ("host"): always enabled, never listed.
  PluginRecord& host_record() { return host_record_; }

  size_t loaded_count() const;
  size_t refused_count() const;

 private:
  void Discover();
  void Open(const std::string& path);
  void ApplyFilters();
  void InitInOrder();
  bool InitOne(PluginRecord& rec);
  void Refuse(PluginRecord& rec, const std::string& reason);
  void PersistToggle(const std::string& name, bool enabled);
  std::map<std::string, bool> StoredToggles();
  PluginRecord* Find(const std::string& name) const;
  nlohmann::json DescribeOne(const PluginRecord& rec) const;

  HostServices& host_;
  mutable std::recursive_mutex mu_;
  std::vector<std::unique_ptr<PluginRecord>> records_;  // discovery order
  bool keep_libraries_ = false;
  std::vector<PluginRecord*> init_order_;
  PluginRecord host_record_;
};

}  // namespace webui::plugins
