#include "plugins/plugin_manager.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <functional>
#include <set>

#include <spdlog/spdlog.h>
#include <boost/system/system_error.hpp>

namespace webui::plugins {
namespace fs = std::filesystem;
using nlohmann::json;

const char* StateName(PluginRecord::State s) {
  switch (s) {
    case PluginRecord::State::kCandidate:
      return "candidate";
    case PluginRecord::State::kLoaded:
      return "loaded";
    case PluginRecord::State::kDisabled:
      return "disabled";
    case PluginRecord::State::kRefused:
      return "refused";
  }
  return "unknown";
}

namespace {

constexpr size_t kDescriptorV1Size = offsetof(wh_plugin_descriptor, reserved);

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  return true;
}

// dlopen's own words ("undefined symbol: foo") are the useful part of Boost's message.
std::string DlError(const std::string& what) {
  const std::string marker = "dlerror system message: ";
  const size_t at = what.find(marker);
  if (at == std::string::npos) return what;
  std::string msg = what.substr(at + marker.size());
  const size_t end = msg.rfind(")");
  if (end != std::string::npos) msg.resize(end);
  return msg;
}

}  // namespace

std::optional<std::string> CheckDescriptor(const wh_plugin_descriptor* d) {
  if (d == nullptr) return "entry function returned no descriptor";
  if (d->struct_size < offsetof(wh_plugin_descriptor, build_signature))
    return "descriptor too small (" + std::to_string(d->struct_size) + " bytes)";
  if (d->abi_major != WH_ABI_MAJOR)
    return "ABI major mismatch: plugin built for " + std::to_string(d->abi_major) + "." +
           std::to_string(d->abi_minor) + ", host speaks " + std::to_string(WH_ABI_MAJOR) + "." +
           std::to_string(WH_ABI_MINOR);
  if (d->abi_minor > WH_ABI_MINOR)
    return "plugin needs ABI " + std::to_string(d->abi_major) + "." + std::to_string(d->abi_minor) +
           ", newer than the host's " + std::to_string(WH_ABI_MAJOR) + "." +
           std::to_string(WH_ABI_MINOR);
  if (d->struct_size < kDescriptorV1Size)
    return "descriptor size " + std::to_string(d->struct_size) + " is smaller than ABI 1.0's " +
           std::to_string(kDescriptorV1Size);
  if (d->build_signature == nullptr || std::string(d->build_signature) != WH_BUILD_SIGNATURE)
    return std::string("build signature mismatch: plugin '") +
           (d->build_signature ? d->build_signature : "(none)") + "', host '" + WH_BUILD_SIGNATURE +
           "'";
  if (d->name == nullptr || !ValidName(d->name))
    return std::string("invalid plugin name '") + (d->name ? d->name : "") +
           "' (expected [a-z0-9_-]{1,64})";
  if (d->init == nullptr) return "descriptor has no init function";
  return std::nullopt;
}

PluginManager::PluginManager(HostServices& host) : host_(host) {
  host_record_.name = "host";
  host_record_.state = PluginRecord::State::kLoaded;
  host_record_.enabled = true;
  host_record_.host = &host_;
}

PluginManager::~PluginManager() {
  if (!keep_libraries_) return;
  // Unloading at exit gains nothing and costs something: a library a plugin links (the audio
  // module's codecs and recognisers) keeps what its constructors allocated in its own globals,
  // which LeakSanitizer reports as leaked once the library is unmapped, and third-party
  // destructors would run after the host's own. The handles go to a holder never destroyed.
  static auto* const kept = new std::vector<std::shared_ptr<boost::dll::shared_library>>();
  for (auto& r : records_)
    if (r->library) kept->push_back(std::move(r->library));
}

PluginRecord* PluginManager::Find(const std::string& name) const {
  for (const auto& r : records_)
    if (r->name == name && r->state != PluginRecord::State::kRefused) return r.get();
  for (const auto& r : records_)
    if (r->name == name) return r.get();
  return nullptr;
}

void PluginManager::Refuse(PluginRecord& rec, const std::string& reason) {
  rec.state = PluginRecord::State::kRefused;
  rec.reason = reason;
  rec.enabled = false;
  spdlog::error("plugin refused: {}: {}", rec.file, reason);
}

void PluginManager::Discover() {
  std::set<std::pair<dev_t, ino_t>> seen;
  for (const auto& dir : host_.config.plugin_path) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      spdlog::warn("plugin directory {} does not exist", dir);
      continue;
    }
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir, ec))
      if (entry.path().extension() == ".so") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      struct stat st {};
      if (::stat(f.c_str(), &st) != 0) continue;
      if (!seen.insert({st.st_dev, st.st_ino}).second) continue;  // same file via another path
      Open(fs::absolute(f).lexically_normal().string());
    }
  }
}

void PluginManager::Open(const std::string& path) {
  auto rec = std::make_unique<PluginRecord>();
  rec->file = path;
  rec->host = &host_;
  rec->name = fs::path(path).stem().string();
  PluginRecord& r = *rec;
  records_.push_back(std::move(rec));

  auto lib = std::make_shared<boost::dll::shared_library>();
  try {
    // RTLD_NOW: an unresolved symbol fails here, not at first call. RTLD_LOCAL: plugin symbols
    // stay private to the plugin.
    lib->load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    std::string why = DlError(e.what());
    if (why.rfind(path + ": ", 0) == 0) why.erase(0, path.size() + 2);  // the line names it already
    Refuse(r, "cannot load: " + why);
    return;
  }
  r.library = lib;  // kept for the life of the process
  if (!lib->has(WH_PLUGIN_ENTRY_SYMBOL)) {
    Refuse(r, std::string("missing entry symbol ") + WH_PLUGIN_ENTRY_SYMBOL);
    return;
  }
  const wh_plugin_descriptor* d = nullptr;
  try {
    auto& entry = lib->get<const wh_plugin_descriptor*()>(WH_PLUGIN_ENTRY_SYMBOL);
    d = entry();
  } catch (const std::exception& e) {
    Refuse(r, std::string("entry symbol failed: ") + e.what());
    return;
  }
  if (auto why = CheckDescriptor(d)) {
    if (d != nullptr && d->struct_size >= kDescriptorV1Size && d->name && ValidName(d->name))
      r.name = d->name;
    Refuse(r, *why);
    return;
  }
  r.descriptor = d;
  r.name = d->name;
  r.version = d->version ? d->version : "";
  r.description = d->description ? d->description : "";
  r.abi = std::to_string(d->abi_major) + "." + std::to_string(d->abi_minor);
  if (d->dependencies != nullptr)
    for (const char* const* dep = d->dependencies; *dep != nullptr; ++dep)
      r.dependencies.emplace_back(*dep);
  for (const auto& other : records_) {
    if (other.get() != &r && other->name == r.name &&
        other->state != PluginRecord::State::kRefused) {
      Refuse(r, "duplicate plugin name '" + r.name + "' (already loaded from " + other->file + ")");
      return;
    }
  }
}

std::map<std::string, bool> PluginManager::StoredToggles() {
  std::map<std::string, bool> out;
  host_.db.Exec("SELECT name, enabled FROM webui_host_plugin", {}, [&](const storage::Row& row) {
    if (auto n = std::get_if<std::string>(&row.at(0))) {
      bool on = true;
      if (auto i = std::get_if<std::int64_t>(&row.at(1))) on = *i != 0;
      out[*n] = on;
    }
    return true;
  });
  return out;
}

void PluginManager::PersistToggle(const std::string& name, bool enabled) {
  const storage::Value params[] = {name, std::int64_t{enabled ? 1 : 0},
                                   static_cast<std::int64_t>(std::time(nullptr))};
  host_.db.Exec(
      "INSERT INTO webui_host_plugin (name, enabled, updated_at) VALUES (?, ?, ?) "
      "ON CONFLICT (name) DO UPDATE SET enabled = excluded.enabled, updated_at = "
      "excluded.updated_at",
      params);
}

void PluginManager::ApplyFilters() {
  const auto& allow = host_.config.plugin_allow;
  const auto toggles = StoredToggles();
  for (const auto& r : records_) {
    if (r->state != PluginRecord::State::kCandidate) continue;
    if (!allow.empty() && std::find(allow.begin(), allow.end(), r->name) == allow.end()) {
      r->state = PluginRecord::State::kDisabled;
      r->excluded = true;
      r->reason = "not listed in WEBUI_PLUGINS";
      spdlog::info("plugin {} ({}) not loaded: not listed in WEBUI_PLUGINS", r->name, r->file);
    } else if (auto it = toggles.find(r->name); it != toggles.end() && !it->second) {
      r->state = PluginRecord::State::kDisabled;
      r->reason = "disabled by an administrator";
      spdlog::info("plugin {} ({}) not loaded: disabled by an administrator", r->name, r->file);
    }
  }
  for (const auto& name : allow)
    if (!Find(name)) spdlog::warn("WEBUI_PLUGINS lists '{}' but no such plugin was found", name);
}

void PluginManager::InitInOrder() {
  // Depth-first topological order over candidates; refusals propagate to dependents.
  enum Mark { kNone, kVisiting, kDone };
  std::map<PluginRecord*, Mark> mark;
  std::vector<PluginRecord*> stack;
  std::function<bool(PluginRecord&)> visit = [&](PluginRecord& r) -> bool {
    if (r.state == PluginRecord::State::kLoaded) return true;
    if (r.state != PluginRecord::State::kCandidate) return false;
    if (mark[&r] == kDone) return r.state == PluginRecord::State::kLoaded;
    if (mark[&r] == kVisiting) {
      std::string cycle;
      auto it = std::find(stack.begin(), stack.end(), &r);
      for (; it != stack.end(); ++it) cycle += (*it)->name + " -> ";
      cycle += r.name;
      for (auto jt = std::find(stack.begin(), stack.end(), &r); jt != stack.end(); ++jt)
        if ((*jt)->state == PluginRecord::State::kCandidate)
          Refuse(**jt, "dependency cycle: " + cycle);
      return false;
    }
    mark[&r] = kVisiting;
    stack.push_back(&r);
    for (const auto& dep_name : r.dependencies) {
      PluginRecord* dep = Find(dep_name);
      std::string why;
      if (dep == nullptr) {
        why = "missing dependency '" + dep_name + "'";
      } else if (dep->state == PluginRecord::State::kDisabled) {
        why = "dependency '" + dep_name + "' is disabled (" + dep->reason + ")";
      } else if (dep->state == PluginRecord::State::kRefused) {
        why = "dependency '" + dep_name + "' was refused";
      } else if (!visit(*dep)) {
        if (r.state == PluginRecord::State::kRefused) break;  // refused as part of a cycle
        why = "dependency '" + dep_name + "' could not be loaded";
      }
      if (!why.empty()) {
        if (r.state == PluginRecord::State::kCandidate) Refuse(r, why);
        break;
      }
    }
    stack.pop_back();
    mark[&r] = kDone;
    if (r.state != PluginRecord::State::kCandidate) return false;
    return InitOne(r);
  };
  for (const auto& r : records_)
    if (r->state == PluginRecord::State::kCandidate) visit(*r);
}

bool PluginManager::InitOne(PluginRecord& r) {
  std::string error;
  wh_plugin_module_ptr* module = nullptr;
  r.in_init = true;
  r.enabled = true;  // routes registered during init answer as soon as init succeeds
  wh_status st = WH_ERROR;
  try {
    st = r.descriptor->init(
        HostApiTable(), reinterpret_cast<wh_plugin_host_ptr*>(&r), &module,
        [](void* user, wh_str msg) {
          static_cast<std::string*>(user)->append(msg.ptr ? msg.ptr : "", msg.len);
        },
        &error);
  } catch (...) {
    error = "init threw a C++ exception across the ABI";
    st = WH_ERROR;
  }
  r.in_init = false;
  if (st != WH_OK || !r.fatal_error.empty()) {
    if (!r.fatal_error.empty() && error.find(r.fatal_error) == std::string::npos)
      error = r.fatal_error + (error.empty() ? "" : "; " + error);
    host_.router.RemoveOwner(r.name);
    host_.services.RemoveProvider(&r);
    host_.pipeline.RemoveAuthenticators(r.name);
    if (module != nullptr && r.descriptor->shutdown != nullptr) r.descriptor->shutdown(module);
    Refuse(r, "init failed: " + (error.empty() ? "status " + std::to_string(st) : error));
    return false;
  }
  r.module = module;
  r.initialized = true;
  r.state = PluginRecord::State::kLoaded;
  r.reason.clear();
  init_order_.push_back(&r);
  spdlog::info("plugin loaded: {} {} (ABI {}) from {}, {} routes", r.name, r.version, r.abi, r.file,
               host_.router.RoutesOf(r.name).size());
  return true;
}

void PluginManager::LoadAll() {
  std::lock_guard lock(mu_);
  Discover();
  ApplyFilters();
  InitInOrder();
  for (const auto& r : records_) {
    if (!r->fatal_error.empty()) throw FatalError("plugin " + r->name + ": " + r->fatal_error);
  }
  if (host_.config.plugins_strict) {
    for (const auto& r : records_)
      if (r->state == PluginRecord::State::kRefused)
        throw FatalError("WEBUI_PLUGINS_STRICT: plugin " + r->file + " refused: " + r->reason);
  }
  spdlog::info("plugins: {} loaded, {} refused, {} disabled", loaded_count(), refused_count(),
               std::count_if(records_.begin(), records_.end(), [](const auto& r) {
                 return r->state == PluginRecord::State::kDisabled;
               }));
}

void PluginManager::ShutdownAll() {
  std::lock_guard lock(mu_);
  // Stop everything from answering first, then shut plugins down consumers-first: reverse
  // initialisation order, except that a plugin whose services another (still running) plugin
  // used, or that one depends on, waits until that one has stopped.
  for (PluginRecord* r : init_order_) r->enabled = false;
  std::vector<PluginRecord*> remaining = init_order_;
  auto needed_by_another = [&](const PluginRecord* p) {
    for (const PluginRecord* other : remaining) {
      if (other == p) continue;
      if (host_.services.Uses(other, p)) return true;
      if (std::find(other->dependencies.begin(), other->dependencies.end(), p->name) !=
          other->dependencies.end())
        return true;
    }
    return false;
  };
  while (!remaining.empty()) {
    auto pick = remaining.end() - 1;
    for (auto it = remaining.rbegin(); it != remaining.rend(); ++it) {
      if (!needed_by_another(*it)) {
        pick = std::prev(it.base());
        break;
      }
    }
    PluginRecord& r = **pick;
    remaining.erase(pick);
    if (r.initialized && r.descriptor->shutdown != nullptr) {
      try {
        r.descriptor->shutdown(r.module);
      } catch (...) {
        spdlog::error("plugin {} threw from shutdown", r.name);
      }
    }
    r.initialized = false;
    r.module = nullptr;
    spdlog::info("plugin stopped: {}", r.name);
  }
  init_order_.clear();
}

size_t PluginManager::loaded_count() const {
  std::lock_guard lock(mu_);
  return std::count_if(records_.begin(), records_.end(),
                       [](const auto& r) { return r->state == PluginRecord::State::kLoaded; });
}

size_t PluginManager::refused_count() const {
  std::lock_guard lock(mu_);
  return std::count_if(records_.begin(), records_.end(),
                       [](const auto& r) { return r->state == PluginRecord::State::kRefused; });
}

json PluginManager::DescribeOne(const PluginRecord& r) const {
  json j;
  j["name"] = r.name;
  j["version"] = r.version;
  j["description"] = r.description;
  j["abi"] = r.abi;
  j["file"] = r.file;
  j["dependencies"] = r.dependencies;
  const bool loaded_but_off = r.state == PluginRecord::State::kLoaded && !r.enabled.load();
  j["state"] = loaded_but_off ? "disabled" : StateName(r.state);
  j["enabled"] = r.state == PluginRecord::State::kLoaded && r.enabled.load();
  if (loaded_but_off) {
    j["reason"] = "disabled by an administrator";
  } else {
    j["reason"] = r.reason.empty() ? json(nullptr) : json(r.reason);
  }
  json routes = json::array();
  for (const auto& route : host_.router.RoutesOf(r.name))
    routes.push_back({{"method", route->method},
                      {"path", route->pattern},
                      {"auth", http::AuthLevelName(route->auth)}});
  j["routes"] = routes;
  json services = json::array();
  for (const auto& s : host_.services.OfferedBy(&r)) services.push_back(s.name);
  j["services"] = services;
  return j;
}

json PluginManager::Describe() const {
  std::lock_guard lock(mu_);
  json out = json::array();
  for (const auto& r : records_) out.push_back(DescribeOne(*r));
  return out;
}

std::optional<json> PluginManager::Describe(const std::string& name) const {
  std::lock_guard lock(mu_);
  PluginRecord* r = Find(name);
  if (r == nullptr) return std::nullopt;
  return DescribeOne(*r);
}

PluginManager::Toggle PluginManager::Enable(const std::string& name, std::string* message) {
  std::lock_guard lock(mu_);
  PluginRecord* r = Find(name);
  if (r == nullptr) return Toggle::kNotFound;
  if (r->state == PluginRecord::State::kRefused) {
    *message = "Plugin " + name + " was refused: " + r->reason;
    return Toggle::kConflict;
  }
  if (r->excluded) {
    *message = "Plugin " + name + " is not listed in WEBUI_PLUGINS";
    return Toggle::kConflict;
  }
  for (const auto& dep : r->dependencies) {
    PluginRecord* d = Find(dep);
    if (d == nullptr || d->state != PluginRecord::State::kLoaded || !d->enabled.load()) {
      *message = "Plugin " + name + " needs '" + dep + "' enabled first";
      return Toggle::kConflict;
    }
  }
  if (r->state == PluginRecord::State::kDisabled) {
    r->state = PluginRecord::State::kCandidate;
    r->reason.clear();
    if (!InitOne(*r)) {
      *message = "Plugin " + name + " failed to start: " + r->reason;
      r->fatal_error.clear();
      return Toggle::kFailed;
    }
  }
  r->enabled = true;
  PersistToggle(name, true);
  spdlog::info("plugin enabled: {}", name);
  return Toggle::kOk;
}

PluginManager::Toggle PluginManager::Disable(const std::string& name, std::string* message) {
  std::lock_guard lock(mu_);
  PluginRecord* r = Find(name);
  if (r == nullptr) return Toggle::kNotFound;
  if (r->state == PluginRecord::State::kRefused) {
    *message = "Plugin " + name + " was refused: " + r->reason;
    return Toggle::kConflict;
  }
  if (r->state == PluginRecord::State::kLoaded) {
    if (host_.pipeline.primary_authenticator_owner() == name) {
      *message =
          "Plugin " + name + " authenticates every request; disabling it would lock every user out";
      return Toggle::kConflict;
    }
    for (const auto& other : records_) {
      if (other->state != PluginRecord::State::kLoaded || !other->enabled.load()) continue;
      if (std::find(other->dependencies.begin(), other->dependencies.end(), name) !=
          other->dependencies.end()) {
        *message = "Plugin " + other->name + " depends on " + name + "; disable it first";
        return Toggle::kConflict;
      }
    }
    // Routes answer 404 from now on; requests already inside the plugin finish normally and the
    // shared object stays mapped.
    r->enabled = false;
  }
  PersistToggle(name, false);
  spdlog::info("plugin disabled: {}", name);
  return Toggle::kOk;
}

}  // namespace webui::plugins
