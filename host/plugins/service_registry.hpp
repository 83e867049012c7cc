// Capabilities one plugin offers to others ("model_provider.v1" ...), as C vtables. Providers
// whose plugin is disabled are skipped.
#pragma once

#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace webui::plugins {

struct PluginRecord;

class ServiceRegistry {
 public:
  struct Entry {
    std::string name;
    PluginRecord* provider;
    const void* vtable;
    size_t vtable_size;
    void* user;
    // When set, each consumer gets its own service_user from it instead of `user`: for a
    // provider that must tell its consumers apart (the host's socket_emitter.v1 stops calling a
    // disabled plugin's event handlers).
    std::function<void*(const PluginRecord& consumer)> user_for;
  };

  void Offer(Entry entry);
  void RemoveProvider(const PluginRecord* provider);
  // Enabled providers of `name`, in the order they were offered.
  std::vector<Entry> Find(std::string_view name) const;
  std::vector<Entry> OfferedBy(const PluginRecord* provider) const;

  // Remembers that `consumer` looked up and got `provider`'s service, so shutdown can stop
  // consumers before the providers they may still be calling.
  void NoteUse(const PluginRecord* consumer, const PluginRecord* provider);
  bool Uses(const PluginRecord* consumer, const PluginRecord* provider) const;

 private:
  mutable std::mutex mu_;
  std::vector<Entry> entries_;
  std::set<std::pair<const PluginRecord*, const PluginRecord*>> uses_;
};

}  // namespace webui::plugins
