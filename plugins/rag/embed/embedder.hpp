// Embeddings through a provider's HTTP API, in Open WebUI's wire formats (retrieval/utils.py):
// `openai` (POST {url}/embeddings), `ollama` (POST {url}/api/embed) and `azure_openai`
// (POST {url}/openai/deployments/{model}/embeddings?api-version=...). Batches of
// RAG_EMBEDDING_BATCH_SIZE go out concurrently (WEBUI_RAG_EMBEDDING_CONCURRENCY at a time) where
// Open WebUI sends them one after the other; a 429 is retried, honouring Retry-After, a few
// times. Engine "" (Open WebUI's local SentenceTransformers model, which cannot be shipped here)
// means no vectors at all: retrieval is then keyword-only, never a made-up embedding.
#pragma once

#include <webui_host/sdk.hpp>

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace webui::rag {

struct EmbedConfig {
  std::string engine;  // "" | openai | ollama | azure_openai
  std::string model;
  std::size_t batch_size = 1;
  std::string url, key, azure_version;
  std::string query_prefix, content_prefix, prefix_field;  // environment only, as upstream
  std::size_t concurrency = 4;
  bool enabled() const { return !engine.empty(); }
  // Open WebUI's metadata.embedding_config: {"engine": ..., "model": ...} as a JSON string.
  std::string Describe() const;
};

class EmbedError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Embedder {
 public:
  explicit Embedder(sdk::Host& host) : host_(host) {}

  // The settings now (an admin may change them at any time).
  EmbedConfig Current() const;

  // One L2-normalised vector per text, in order. Throws EmbedError (a text fit for the user: no
  // address, no key). `cancelled` is polled between requests.
  std::vector<std::vector<float>> EmbedDocuments(const EmbedConfig& config,
                                                 const std::vector<std::string>& texts,
                                                 const std::function<bool()>& cancelled = {});
  std::vector<float> EmbedQuery(const EmbedConfig& config, const std::string& query);

 private:
  std::vector<std::vector<float>> Batch(const EmbedConfig& config,
                                        const std::vector<std::string>& inputs,
                                        const std::string& prefix,
                                        const std::function<bool()>& cancelled);
  sdk::Host& host_;
};

}  // namespace webui::rag
