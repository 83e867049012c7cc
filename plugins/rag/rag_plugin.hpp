// The rag plugin: Open WebUI's /api/v1/retrieval and /api/v1/knowledge, and the processing of
// uploads (file_processor.v1: extract, split, embed, store). See docs/modules/rag.md.
#pragma once

#include <webui_host/sdk.hpp>
#include <webui_host/sdk/json.hpp>
#include <webui_host/sdk/tasks.hpp>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "embed/embedder.hpp"
#include "extract/extract.hpp"
#include "knowledge_store.hpp"
#include "store/vector_store.hpp"

namespace webui::rag {

// Best score per distinct text, best first, at most k (Open WebUI merges results this way).
std::vector<Hit> MergeByText(std::vector<Hit> hits, std::size_t k);

class RagPlugin : public sdk::Plugin {
 public:
  void Init(sdk::Host& host) override;
  void Shutdown() override;

 private:
  void AddConfigRoutes();
  void AddRetrievalRoutes();
  void AddKnowledgeRoutes();
  void AddWebRoutes();  // web.cpp
  void OfferFileProcessor();
  void OfferRetrieval();
  void OfferWebSearch();  // web.cpp

 public:
  // ---- processing (processing.cpp) ----
  // Extracts (or takes `content`), splits, embeds and stores `file` (a FileModel) into
  // collection file-<id>; returns once committed: {"content", "meta": {"collection_name"}}.
  // Throws std::runtime_error with the text the user sees.
  nlohmann::json ProcessFile(const nlohmann::json& file, const std::string& path,
                             const std::optional<std::string>& content,
                             const std::function<bool()>& cancelled);
  // The chunks of `text` as stored records of `collection` (metadata as Open WebUI's, vectors
  // when an engine is set). Throws std::runtime_error (EMPTY_CONTENT when there is no chunk).
  std::vector<ChunkRecord> MakeChunks(const std::vector<Document>& documents,
                                      const std::string& collection,
                                      const nlohmann::json& base_meta, const std::string& hash,
                                      const std::function<bool()>& cancelled);

  // ---- search (retrieval.cpp) ----
  struct QueryOptions {
    std::size_t k = 3, k_reranker = 3;
    double r = 0;
    bool hybrid = false;
    double bm25_weight = 0.5;
  };
  struct QueryResult {
    std::vector<Hit> hits;
    std::string mode;  // "keyword" | "vector" | "hybrid"
  };
  // Searches collections the caller was already allowed to read.
  QueryResult Query(const std::vector<std::string>& collections, const std::string& query,
                    const QueryOptions& options);

  // ---- retrieval.v1 (sources.cpp) ----
  // The sources of a chat completion's `items` for `queries`, read as `viewer` (0.6.32 shape).
  nlohmann::json Sources(Viewer& viewer, const nlohmann::json& items,
                         const std::vector<std::string>& queries);
  // ---- web search (web.cpp) ----
  // Open WebUI's process_web_search as `viewer` (/process/web/search and web_search.v1): the
  // answer of the route. Throws sdk::HttpError with the route's status and detail.
  nlohmann::json WebSearch(Viewer& viewer, const std::vector<std::string>& queries);
  // ENABLE_WEB_SEARCH is on and the viewer has features.web_search (admins always).
  bool WebSearchPermitted(const Viewer& viewer) const;

  // RAG_TEMPLATE as configured; the default when blank.
  std::string RagTemplate() const;
  sdk::Host* host() const { return host_; }

 private:
  std::vector<Document> Extract(const nlohmann::json& file, const std::string& path,
                                const std::function<bool()>& cancelled);
  std::vector<Hit> Hybrid(const std::string& collection, const std::string& query,
                          const std::vector<float>& qv, const QueryOptions& options);
  std::string ClaimWebCollection(Viewer& viewer, const std::string& preferred, bool chosen);
  void SaveWebDocuments(const std::vector<Document>& docs, const std::string& collection,
                        const nlohmann::json& base);
  std::vector<Hit> Rerank(const std::string& query, std::vector<Hit> hits,
                          const std::vector<float>& qv);
  // At most a few files are split and embedded at once (uploads queue up behind them).
  class Slot {
   public:
    Slot(RagPlugin& p, const std::function<bool()>& cancelled);
    ~Slot();
    bool acquired() const { return acquired_; }

   private:
    RagPlugin& p_;
    bool acquired_ = false;
  };

  sdk::Host* host_ = nullptr;
  std::unique_ptr<VectorStore> store_;
  std::unique_ptr<Embedder> embedder_;
  std::unique_ptr<KnowledgeRepo> repo_;
  std::atomic<bool> stopping_{false};
  std::mutex slots_mu_;
  std::condition_variable slots_cv_;
  int slots_free_ = 2;
};

}  // namespace webui::rag
