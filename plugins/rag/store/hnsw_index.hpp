// An approximate nearest-neighbour index over one collection's vectors (hnswlib, inner product on
// L2-normalised vectors = cosine), persisted as two files so a restart does not rebuild it: the
// index itself and a sidecar naming the collection version it was built from and the chunk id of
// every label. A stale or unreadable file is rebuilt from the table by the caller.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace webui::rag {

class HnswIndex {
 public:
  // Builds an index over `vectors` (each of `dim` floats, normalised); ids[i] names vectors[i].
  static std::unique_ptr<HnswIndex> Build(std::size_t dim, const std::vector<std::string>& ids,
                                          const std::vector<std::vector<float>>& vectors,
                                          int64_t version);
  // Loads `<base>.hnsw` + `<base>.ids`; nullopt when missing, unreadable or of another version.
  static std::unique_ptr<HnswIndex> Load(const std::filesystem::path& base, int64_t version);
  ~HnswIndex();

  // Writes `<base>.hnsw` and `<base>.ids` (through temporary names, then renamed).
  bool Save(const std::filesystem::path& base) const;
  // The k best (chunk id, cosine) pairs, best first.
  std::vector<std::pair<std::string, double>> Search(const std::vector<float>& query,
                                                     std::size_t k) const;
  int64_t version() const { return version_; }
  std::size_t dim() const { return dim_; }
  std::size_t size() const { return ids_.size(); }

 private:
  struct Impl;
  HnswIndex();
  std::unique_ptr<Impl> impl_;
  std::vector<std::string> ids_;
  std::size_t dim_ = 0;
  int64_t version_ = 0;
};

}  // namespace webui::rag
