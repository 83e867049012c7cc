// Where the rag plugin keeps chunks: one interface over the host's database. Every chunk is a row
// of `rag_chunk` (text, metadata, the hash of its file's content and, when an embedding engine is
// configured, its L2-normalised vector), in one collection (`file-<id>`, a knowledge base's id, a
// hash of a text). Keyword search uses the database's own persistent full-text index (SQLite FTS5,
// PostgreSQL tsvector + GIN), kept in step by the database on every insert and delete. Vector
// search is exact cosine over the collection, or an HNSW index (hnsw_index.hpp) once a collection
// is large, kept up to date by a background thread after every write (never built by a query);
// both answer "higher is better" cosine scores.
#pragma once

#include <webui_host/sdk.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace webui::rag {

struct ChunkRecord {
  std::string id;
  std::string collection;
  std::string file_id;
  std::string text;
  nlohmann::json metadata = nlohmann::json::object();
  std::string hash;           // the sha256 of the whole file's content (Open WebUI's metadata.hash)
  std::vector<float> vector;  // empty: keyword search only
};

struct Hit {
  std::string id;
  std::string text;
  nlohmann::json metadata;
  double score = 0;  // higher is better
};

class VectorStore {
 public:
  virtual ~VectorStore() = default;

  // The tables and indexes (during Init).
  virtual void Migrate() = 0;
  // Ends background work (the index keeper) before the plugin unloads; idempotent.
  virtual void Stop() {}
  // Adds chunks, all or none.
  virtual void Insert(const std::vector<ChunkRecord>& chunks) = 0;
  // Replaces every chunk of `file_id` in `collection` with `chunks`, in one transaction.
  virtual void ReplaceFile(const std::string& collection, const std::string& file_id,
                           const std::vector<ChunkRecord>& chunks) = 0;
  virtual int64_t DeleteCollection(const std::string& collection) = 0;
  virtual int64_t DeleteFile(const std::string& collection, const std::string& file_id) = 0;
  virtual int64_t DeleteHash(const std::string& collection, const std::string& hash) = 0;
  // Every collection holding chunks of `file_id` loses them (the file is gone).
  virtual int64_t DeleteFileEverywhere(const std::string& file_id) = 0;
  virtual void DeleteAll() = 0;
  // Whether `collection` holds a chunk with `hash` from another file than `except_file_id`.
  virtual bool HashExists(const std::string& collection, const std::string& hash,
                          const std::string& except_file_id) = 0;
  virtual bool FileIn(const std::string& collection, const std::string& file_id) = 0;
  // Copies the chunks (vectors included, under new ids) of `file_id` from one collection to
  // another, replacing what `to` held for that file; returns how many.
  virtual int64_t CopyFile(const std::string& from, const std::string& to,
                           const std::string& file_id) = 0;
  virtual int64_t Count(const std::string& collection) = 0;
  // Who made a collection that is neither a file's nor a knowledge base's (/process/text): only
  // they may read or change it (docs/security.md T15).
  virtual std::optional<std::string> Owner(const std::string& collection) = 0;
  virtual void SetOwnerIfNone(const std::string& collection, const std::string& user_id) = 0;
  // The stored vectors of these chunks (chunks without one are left out).
  virtual std::map<std::string, std::vector<float>> Vectors(
      const std::vector<std::string>& ids) = 0;
  virtual bool Exists(const std::string& collection) { return Count(collection) > 0; }
  // Every chunk of a collection, in insertion order (full-context mode, tests).
  virtual std::vector<Hit> All(const std::string& collection) = 0;
  // The `k` nearest chunks to `query` (normalised) by cosine.
  virtual std::vector<Hit> SearchVector(const std::string& collection,
                                        const std::vector<float>& query, std::size_t k) = 0;
  // Exact cosine, always (the reference HNSW is checked against).
  virtual std::vector<Hit> SearchVectorExact(const std::string& collection,
                                             const std::vector<float>& query, std::size_t k) = 0;
  // The `k` best chunks for the words of `query` by BM25 (scores: higher is better).
  virtual std::vector<Hit> SearchKeyword(const std::string& collection, const std::string& query,
                                         std::size_t k) = 0;
};

struct StoreOptions {
  std::filesystem::path index_dir;     // DATA_DIR/vector_db: the persisted HNSW indexes
  std::size_t hnsw_min_chunks = 2000;  // collections smaller than this are searched exactly
};

// The store for the host's database: SQLite (FTS5) or PostgreSQL (full text).
std::unique_ptr<VectorStore> MakeVectorStore(sdk::Host& host, const StoreOptions& options);

// float32 little-endian bytes and back; L2 normalisation in place (a zero vector stays zero).
std::string PackVector(const std::vector<float>& v);
std::vector<float> UnpackVector(const std::string& bytes);
void Normalise(std::vector<float>& v);
double Dot(const std::vector<float>& a, const std::vector<float>& b);

}  // namespace webui::rag
