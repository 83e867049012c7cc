#include "model_catalog.hpp"

#include <webui_host/sdk/json.hpp>

#include <set>

namespace webui::chat {

ModelCatalog::ModelCatalog(sdk::Host& host, std::function<std::chrono::milliseconds()> ttl)
    : host_(host), ttl_(std::move(ttl)) {}

ModelCatalog::~ModelCatalog() { Stop(); }

void ModelCatalog::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void ModelCatalog::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::vector<sdk::ModelProvider> ModelCatalog::Providers() const {
  return sdk::ModelProvider::All(host_);
}

ModelCatalog::Fetched ModelCatalog::Fetch(bool refresh) const {
  Fetched f;
  std::set<std::string> seen;
  for (const auto& p : Providers()) {
    std::string text;
    const wh_status st = p.ListModels(refresh, text).status;
    if (st != WH_OK) {
      host_.Warn("model provider " + p.plugin() + " could not list models (status " +
                 std::to_string(st) + ")");
      continue;
    }
    json list = sdk::json::Parse(text).value_or(json(json::value_t::discarded));
    if (list.is_object() && list.contains("data")) list = list["data"];
    if (!list.is_array()) {
      host_.Warn("model provider " + p.plugin() + " returned a model list that is not an array");
      continue;
    }
    for (auto& m : list) {
      if (!m.is_object() || !m.contains("id") || !m["id"].is_string()) continue;
      const std::string id = m["id"];
      if (!seen.insert(id).second) continue;
      if (!m.contains("name")) m["name"] = id;
      if (!m.contains("object")) m["object"] = "model";
      f.owner[id] = p.plugin();
      f.models.push_back(std::move(m));
    }
  }
  return f;
}

void ModelCatalog::Install(Fetched f) {
  std::lock_guard lock(mu_);
  models_ = std::move(f.models);
  owner_ = std::move(f.owner);
  loaded_ = true;
  loaded_at_ = std::chrono::steady_clock::now();
}

std::vector<json> ModelCatalog::BaseModels(bool refresh) {
  if (refresh) {
    Install(Fetch(true));
  } else {
    bool loaded;
    {
      std::lock_guard lock(mu_);
      loaded = loaded_;
    }
    if (!loaded) {
      // First use: wait for the providers once; concurrent first callers share the result.
      std::lock_guard first(first_load_mu_);
      bool still_missing;
      {
        std::lock_guard lock(mu_);
        still_missing = !loaded_;
      }
      if (still_missing) Install(Fetch(false));
    }
  }
  std::lock_guard lock(mu_);
  if (std::chrono::steady_clock::now() - loaded_at_ > ttl_() && !refresh_wanted_) {
    refresh_wanted_ = true;
    cv_.notify_all();
  }
  return models_;
}

std::optional<sdk::ModelProvider> ModelCatalog::ProviderFor(const std::string& model_id) {
  const auto providers = Providers();
  for (const auto& p : providers)
    if (p.HasModel(model_id)) return p;
  std::string owner;
  {
    std::lock_guard lock(mu_);
    auto it = owner_.find(model_id);
    if (it != owner_.end()) owner = it->second;
  }
  for (const auto& p : providers)
    if (p.plugin() == owner) return p;
  return std::nullopt;
}

void ModelCatalog::Loop() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stop_ || refresh_wanted_; });
    if (stop_) return;
    lock.unlock();
    Fetched f;
    try {
      f = Fetch(true);
    } catch (const std::exception& e) {
      host_.Warn(std::string("model list refresh failed: ") + e.what());
      lock.lock();
      refresh_wanted_ = false;
      loaded_at_ = std::chrono::steady_clock::now();
      continue;
    }
    lock.lock();
    if (stop_) return;
    models_ = std::move(f.models);
    owner_ = std::move(f.owner);
    loaded_ = true;
    loaded_at_ = std::chrono::steady_clock::now();
    refresh_wanted_ = false;
  }
}

}  // namespace webui::chat
