// Capabilities one plugin offers to others ("model_provider.v1" ...), as C vtables. Providers
// whose plugin is disabled are skipped.
#pragma once

#include <mutex>
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
  };

  void Offer(Entry entry);
  void RemoveProvider(const PluginRecord* provider);
  // Enabled providers of `name`, in the order they were offered.
  std::vector<Entry> Find(std::string_view name) const;
  std::vector<Entry> OfferedBy(const PluginRecord* provider) const;

 private:
  mutable std::mutex mu_;
  std::vector<Entry> entries_;
};

}  // namespace webui::plugins
