#include "plugins/service_registry.hpp"

#include <algorithm>

#include "plugins/plugin_manager.hpp"

namespace webui::plugins {

void ServiceRegistry::Offer(Entry entry) {
  std::lock_guard lock(mu_);
  entries_.push_back(std::move(entry));
}

void ServiceRegistry::RemoveProvider(const PluginRecord* provider) {
  std::lock_guard lock(mu_);
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                [&](const Entry& e) { return e.provider == provider; }),
                 entries_.end());
}

std::vector<ServiceRegistry::Entry> ServiceRegistry::Find(std::string_view name) const {
  std::lock_guard lock(mu_);
  std::vector<Entry> out;
  for (const auto& e : entries_)
    if (e.name == name && e.provider->enabled.load()) out.push_back(e);
  return out;
}

std::vector<ServiceRegistry::Entry> ServiceRegistry::OfferedBy(const PluginRecord* provider) const {
  std::lock_guard lock(mu_);
  std::vector<Entry> out;
  for (const auto& e : entries_)
    if (e.provider == provider) out.push_back(e);
  return out;
}

}  // namespace webui::plugins

namespace webui::plugins {

void ServiceRegistry::NoteUse(const PluginRecord* consumer, const PluginRecord* provider) {
  if (consumer == provider) return;
  std::lock_guard lock(mu_);
  uses_.emplace(consumer, provider);
}

bool ServiceRegistry::Uses(const PluginRecord* consumer, const PluginRecord* provider) const {
  std::lock_guard lock(mu_);
  return uses_.count({consumer, provider}) > 0;
}

}  // namespace webui::plugins
