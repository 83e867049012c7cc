#include "hnsw_index.hpp"

// hnswlib 0.6's SSE path prefetches one element past the end of a neighbour list (a heap
// over-read that AddressSanitizer reports, and that could touch an unmapped page): the plain
// loops instead, which the compiler vectorises itself.
#define NO_MANUAL_VECTORIZATION
#include <hnswlib/hnswlib.h>

#include <fstream>
#include <system_error>

namespace webui::rag {

namespace {
// hnswlib's defaults for recall close to 1 at these sizes; ef grows with k at query time.
constexpr std::size_t kM = 16;
constexpr std::size_t kEfConstruction = 200;
// The search breadth: hnswlib searches with max(ef, k). Set once when the index is made (the
// field is shared by concurrent searches, so it is never changed afterwards).
constexpr std::size_t kEfSearch = 256;
constexpr const char* kIdsMagic = "webui-rag-hnsw 1";
}  // namespace

struct HnswIndex::Impl {
  explicit Impl(std::size_t dim) : space(dim) {}
  hnswlib::InnerProductSpace space;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> index;
};

HnswIndex::HnswIndex() = default;
HnswIndex::~HnswIndex() = default;

std::unique_ptr<HnswIndex> HnswIndex::Build(std::size_t dim, const std::vector<std::string>& ids,
                                            const std::vector<std::vector<float>>& vectors,
                                            int64_t version) {
  std::unique_ptr<HnswIndex> out(new HnswIndex());
  out->dim_ = dim;
  out->version_ = version;
  out->impl_ = std::make_unique<Impl>(dim);
  out->impl_->index = std::make_unique<hnswlib::HierarchicalNSW<float>>(
      &out->impl_->space, std::max<std::size_t>(vectors.size(), 1), kM, kEfConstruction);
  out->impl_->index->setEf(kEfSearch);
  for (std::size_t i = 0; i < vectors.size(); ++i) {
    if (vectors[i].size() != dim) continue;  // another model's vector: not searchable here
    out->impl_->index->addPoint(vectors[i].data(),
                                static_cast<hnswlib::labeltype>(out->ids_.size()));
    out->ids_.push_back(ids[i]);
  }
  return out;
}

std::unique_ptr<HnswIndex> HnswIndex::Load(const std::filesystem::path& base, int64_t version) {
  std::ifstream in(base.string() + ".ids");
  if (!in) return nullptr;
  std::string magic;
  std::getline(in, magic);
  int64_t stored_version = -1;
  std::size_t dim = 0, count = 0;
  if (magic != kIdsMagic || !(in >> stored_version >> dim >> count) || stored_version != version ||
      dim == 0)
    return nullptr;
  in.ignore(1);
  std::unique_ptr<HnswIndex> out(new HnswIndex());
  out->dim_ = dim;
  out->version_ = version;
  out->ids_.reserve(count);
  std::string id;
  while (out->ids_.size() < count && std::getline(in, id)) out->ids_.push_back(id);
  if (out->ids_.size() != count) return nullptr;
  std::error_code ec;
  if (!std::filesystem::exists(base.string() + ".hnsw", ec)) return nullptr;
  try {
    out->impl_ = std::make_unique<Impl>(dim);
    out->impl_->index = std::make_unique<hnswlib::HierarchicalNSW<float>>(
        &out->impl_->space, base.string() + ".hnsw", false, std::max<std::size_t>(count, 1));
  } catch (const std::exception&) {
    return nullptr;
  }
  if (out->impl_->index->cur_element_count != count) return nullptr;
  out->impl_->index->setEf(kEfSearch);
  return out;
}

bool HnswIndex::Save(const std::filesystem::path& base) const {
  std::error_code ec;
  std::filesystem::create_directories(base.parent_path(), ec);
  const std::string tmp_index = base.string() + ".hnsw.tmp", tmp_ids = base.string() + ".ids.tmp";
  try {
    impl_->index->saveIndex(tmp_index);
  } catch (const std::exception&) {
    return false;
  }
  {
    std::ofstream out(tmp_ids, std::ios::trunc);
    out << kIdsMagic << "\n" << version_ << " " << dim_ << " " << ids_.size() << "\n";
    for (const auto& id : ids_) out << id << "\n";
    if (!out) return false;
  }
  // The index first: a reader pairs the sidecar's version with whatever index is there, and the
  // element count check catches a mismatch.
  std::filesystem::rename(tmp_index, base.string() + ".hnsw", ec);
  if (ec) return false;
  std::filesystem::rename(tmp_ids, base.string() + ".ids", ec);
  return !ec;
}

std::vector<std::pair<std::string, double>> HnswIndex::Search(const std::vector<float>& query,
                                                              std::size_t k) const {
  std::vector<std::pair<std::string, double>> out;
  if (query.size() != dim_ || ids_.empty() || k == 0) return out;
  k = std::min(k, ids_.size());
  auto& index = *impl_->index;
  auto found = index.searchKnn(query.data(), k);
  out.resize(found.size());
  for (std::size_t i = found.size(); i-- > 0;) {
    const auto [distance, label] = found.top();
    found.pop();
    // InnerProductSpace's distance is 1 - <a,b>.
    out[i] = {ids_[label], 1.0 - static_cast<double>(distance)};
  }
  return out;
}

}  // namespace webui::rag
