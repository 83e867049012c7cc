// The rag plugin: Open WebUI's /api/v1/retrieval and /api/v1/knowledge, and the processing of
// uploads (file_processor.v1: extract, split, embed, store). See docs/modules/rag.md.
#pragma once

#include <webui_host/sdk.hpp>
#include <webui_host/sdk/json.hpp>
#include <webui_host/sdk/tasks.hpp>

#include <atomic>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "embed/embedder.hpp"
#include "store/vector_store.hpp"

namespace webui::rag {

class RagPlugin : public sdk::Plugin {
 public:
  void Init(sdk::Host& host) override;
  void Shutdown() override;

 private:
  void AddConfigRoutes();
  void AddRetrievalRoutes();
  void AddKnowledgeRoutes();
  void OfferFileProcessor();

  sdk::Host* host_ = nullptr;
  std::unique_ptr<VectorStore> store_;
  std::unique_ptr<Embedder> embedder_;
  std::atomic<bool> stopping_{false};
};

}  // namespace webui::rag
