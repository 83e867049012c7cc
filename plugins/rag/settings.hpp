// The rag plugin's settings: Open WebUI's PersistentConfig paths and env names (config.py), so a
// database made by Open WebUI keeps its document settings, read through the host (the env on
// first start, the saved value after, unless ENABLE_PERSISTENT_CONFIG is off). The admin pages
// Documents and Web Search read and write them through /api/v1/retrieval/config and /embedding.
#pragma once

#include <webui_host/sdk.hpp>

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace webui::rag {

// The JSON type a key accepts from /config/update (a wrong one is answered 422).
enum class KeyType { kBool, kInt, kNumber, kOptInt, kOptNumber, kString, kStringList, kObject };

struct ConfigKey {
  const char* form_key;  // the key of GET /config, as the admin page names it
  const char* path;      // the PersistentConfig path
  const char* env;       // the environment variable ("" when none)
  const char* default_json;
  KeyType type;
};

// Every flat key of GET /config except `status` and `web`.
const std::vector<ConfigKey>& ConfigKeys();

namespace keys {
inline constexpr const char* kEmbeddingEngine = "rag.embedding_engine";
inline constexpr const char* kEmbeddingModel = "rag.embedding_model";
inline constexpr const char* kEmbeddingBatchSize = "rag.embedding_batch_size";
inline constexpr const char* kOpenAiUrl = "rag.openai_api_base_url";
inline constexpr const char* kOpenAiKey = "rag.openai_api_key";
inline constexpr const char* kOllamaUrl = "rag.ollama.url";
inline constexpr const char* kOllamaKey = "rag.ollama.key";
inline constexpr const char* kAzureUrl = "rag.azure_openai.base_url";
inline constexpr const char* kAzureKey = "rag.azure_openai.api_key";
inline constexpr const char* kAzureVersion = "rag.azure_openai.api_version";
inline constexpr const char* kTemplate = "rag.template";
inline constexpr const char* kTopK = "rag.top_k";
inline constexpr const char* kTopKReranker = "rag.top_k_reranker";
inline constexpr const char* kRelevanceThreshold = "rag.relevance_threshold";
inline constexpr const char* kHybridBm25Weight = "rag.hybrid_bm25_weight";
inline constexpr const char* kHybrid = "rag.enable_hybrid_search";
inline constexpr const char* kFullContext = "rag.full_context";
inline constexpr const char* kBypass = "rag.bypass_embedding_and_retrieval";
inline constexpr const char* kRerankingEngine = "rag.reranking_engine";
inline constexpr const char* kRerankingModel = "rag.reranking_model";
inline constexpr const char* kRerankerUrl = "rag.external_reranker_url";
inline constexpr const char* kRerankerKey = "rag.external_reranker_api_key";
inline constexpr const char* kTextSplitter = "rag.text_splitter";
inline constexpr const char* kChunkSize = "rag.chunk_size";
inline constexpr const char* kChunkOverlap = "rag.chunk_overlap";
inline constexpr const char* kExtractionEngine = "rag.CONTENT_EXTRACTION_ENGINE";
inline constexpr const char* kTikaUrl = "rag.tika_server_url";
inline constexpr const char* kExternalLoaderUrl = "rag.external_document_loader_url";
inline constexpr const char* kExternalLoaderKey = "rag.external_document_loader_api_key";
inline constexpr const char* kFileMaxSize = "rag.file.max_size";
inline constexpr const char* kFileMaxCount = "rag.file.max_count";
inline constexpr const char* kImageWidth = "file.image_compression_width";
inline constexpr const char* kImageHeight = "file.image_compression_height";
inline constexpr const char* kAllowedExtensions = "rag.file.allowed_extensions";
// The Web Search page's keys, one object (web.cpp and web_search.cpp read them through WebForm).
inline constexpr const char* kWeb = "rag.web_form";
// Environment only.
inline constexpr const char* kHnswMinChunks = "rag.hnsw_min_chunks";
inline constexpr const char* kEmbeddingConcurrency = "rag.embedding_concurrency";
}  // namespace keys

void DeclareSettings(sdk::Host& host);

// The current value of a key (null when undeclared or unparsable).
nlohmann::json Read(const sdk::Host& host, const char* path);
std::string ReadString(const sdk::Host& host, const char* path, const char* fallback = "");
int64_t ReadInt(const sdk::Host& host, const char* path, int64_t fallback);
double ReadNumber(const sdk::Host& host, const char* path, double fallback);
bool ReadBool(const sdk::Host& host, const char* path, bool fallback);

// GET /api/v1/retrieval/config: status, every ConfigKeys() key and `web`.
nlohmann::json ConfigForm(const sdk::Host& host);
// The Web Search page's keys (`web` of GET /config): saved values over the environment's.
nlohmann::json WebForm(const sdk::Host& host);
// POST /api/v1/retrieval/config/update: checks every key's type first (422 naming the field, and
// nothing saved), then saves the keys present and not null.
void SaveConfigForm(sdk::Host& host, const nlohmann::json& form);

// GET /api/v1/retrieval/embedding.
nlohmann::json EmbeddingForm(const sdk::Host& host);
// POST /api/v1/retrieval/embedding/update (the URL, key and batch size only for remote engines).
void SaveEmbeddingForm(sdk::Host& host, const nlohmann::json& form);

// GET /api/v1/retrieval/ (no auth).
nlohmann::json StatusForm(const sdk::Host& host);

// The `file` block of GET /api/config.
nlohmann::json FileApiConfig(const sdk::Host& host);

// Open WebUI's DEFAULT_RAG_TEMPLATE, verbatim.
extern const char* const kDefaultRagTemplate;

}  // namespace webui::rag
