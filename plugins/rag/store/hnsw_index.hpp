// An approximate nearest-neighbour index over one collection's vectors (hnswlib, inner product on
// L2-normalised vectors = cosine). It is kept up to date incrementally: chunks are added as they
// arrive and removed ones are marked deleted, so a collection that grows by one file never costs
// a rebuild. It remembers which collection version and which rows (up to `max_seq`) it holds, and
// is persisted as two files so a restart does not rebuild it: the index itself and a sidecar with
// that state and the chunk id of every label. Searches run concurrently with each other; changes
// wait for running searches and are made in small batches by the caller so searches never wait
// long.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace webui::rag {

class HnswIndex {
 public:
  // An empty index for vectors of `dim` floats with room for `capacity` (it grows when full).
  static std::unique_ptr<HnswIndex> Create(std::size_t dim, std::size_t capacity);
  // Loads `<base>.hnsw` + `<base>.ids`; nullptr when missing, unreadable or inconsistent.
  static std::unique_ptr<HnswIndex> Load(const std::filesystem::path& base);
  ~HnswIndex();

  // Adds (id, normalised vector) pairs; ids already present and vectors of another dimension are
  // skipped. Returns how many were added.
  std::size_t Add(const std::vector<std::pair<std::string, std::vector<float>>>& items);
  // Marks these ids deleted (unknown ids are ignored). Returns how many were removed.
  std::size_t Remove(const std::vector<std::string>& ids);
  // The ids it holds (deleted ones left out).
  std::vector<std::string> Ids() const;
  // Writes `<base>.hnsw` and `<base>.ids` (through temporary names, then renamed).
  bool Save(const std::filesystem::path& base) const;
  // The k best (chunk id, cosine) pairs, best first.
  std::vector<std::pair<std::string, double>> Search(const std::vector<float>& query,
                                                     std::size_t k) const;

  std::size_t dim() const { return dim_; }
  std::size_t size() const;     // live entries
  std::size_t deleted() const;  // entries marked deleted (they still take memory)

  // What the index holds, as the store's sync last saw it: the collection's version and the
  // highest rag_chunk.seq among its rows. Set by the one thread that syncs the index.
  int64_t version() const { return version_.load(); }
  int64_t max_seq() const { return max_seq_.load(); }
  void MarkSynced(int64_t version, int64_t max_seq) {
    version_ = version;
    max_seq_ = max_seq;
  }

 private:
  struct Impl;
  HnswIndex();
  std::unique_ptr<Impl> impl_;
  mutable std::shared_mutex mu_;     // shared: searches and saving; exclusive: add and remove
  std::vector<std::string> labels_;  // label -> chunk id ("" once removed)
  std::unordered_map<std::string, std::size_t> label_of_;
  std::size_t dim_ = 0;
  std::atomic<int64_t> version_{0}, max_seq_{0};
};

}  // namespace webui::rag
