// The models of every model_provider.v1 provider, cached with a TTL. A stale cache is served at
// once and refreshed on a background thread, so a slow or dead provider never holds a request
// (only the very first load, or ?refresh=true, waits for the providers' own list timeouts).
#pragma once

#include <webui_host/sdk.hpp>
#include <webui_host/sdk/services.hpp>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "chat_logic.hpp"

namespace webui::chat {

class ModelCatalog {
 public:
  // `ttl` is read on every call so an admin change applies at once.
  ModelCatalog(sdk::Host& host, std::function<std::chrono::milliseconds()> ttl);
  ~ModelCatalog();
  ModelCatalog(const ModelCatalog&) = delete;
  ModelCatalog& operator=(const ModelCatalog&) = delete;

  void Start();  // the background refresher
  void Stop();   // joins it

  std::vector<sdk::ModelProvider> Providers() const;
  // Provider models in load order, deduplicated by id (the first provider wins).
  std::vector<json> BaseModels(bool refresh);
  // The provider that serves `model_id` (has_model first, then the one that listed it).
  std::optional<sdk::ModelProvider> ProviderFor(const std::string& model_id);

 private:
  struct Fetched {
    std::vector<json> models;
    std::map<std::string, std::string> owner;  // model id -> provider plugin
  };
  Fetched Fetch(bool refresh) const;
  void Install(Fetched f);
  void Loop();

  sdk::Host& host_;
  std::function<std::chrono::milliseconds()> ttl_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::mutex first_load_mu_;
  bool loaded_ = false;
  std::chrono::steady_clock::time_point loaded_at_{};
  std::vector<json> models_;
  std::map<std::string, std::string> owner_;
  bool refresh_wanted_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace webui::chat
