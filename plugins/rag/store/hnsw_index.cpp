#include "hnsw_index.hpp"

// hnswlib 0.6's SSE path prefetches one element past the end of a neighbour list (a heap
// over-read that AddressSanitizer reports, and that could touch an unmapped page): its plain
// loops instead, with our own distance function below (the one that costs the time).
#define NO_MANUAL_VECTORIZATION
#include <hnswlib/hnswlib.h>

#include <cstring>
#include <fstream>
#include <mutex>
#include <system_error>

namespace webui::rag {

namespace {
// hnswlib's default M; half its default construction breadth (200): an insertion costs half as
// much, and the top 10 still equal exact search in hnsw_index_test with the search breadth below.
constexpr std::size_t kM = 16;
constexpr std::size_t kEfConstruction = 100;
// The search breadth: hnswlib searches with max(ef, k). Set once when the index is made (the
// field is shared by concurrent searches, so it is never changed afterwards). 128 keeps the top
// 10 equal to exact search on random 32-dimension vectors (hnsw_index_test; 64 does not).
constexpr std::size_t kEfSearch = 128;
constexpr const char* kIdsMagic = "webui-rag-hnsw 2";

// 1 - <a, b> over `dim` floats. Nearly all of a search's and an insertion's time is spent here.
// A plain loop is not vectorised (a float sum may not be reordered without -ffast-math), so the
// sum is kept in four 8-lane accumulators explicitly (unaligned loads through memcpy). On x86-64
// the function is compiled twice, for AVX2 and for the baseline (where each 8-lane operation is
// two SSE ones), and the loader picks the one the processor runs.
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target_clones("avx2", "default")))
#endif
float InnerProductDistance(const void* a, const void* b, const void* param) {
  using V8 = float __attribute__((vector_size(32)));
  const std::size_t dim = *static_cast<const std::size_t*>(param);
  const auto* x = static_cast<const float*>(a);
  const auto* y = static_cast<const float*>(b);
  V8 s0 = {}, s1 = {}, s2 = {}, s3 = {};
  std::size_t i = 0;
  for (; i + 32 <= dim; i += 32) {
    V8 a0, a1, a2, a3, b0, b1, b2, b3;
    std::memcpy(&a0, x + i, 32);
    std::memcpy(&a1, x + i + 8, 32);
    std::memcpy(&a2, x + i + 16, 32);
    std::memcpy(&a3, x + i + 24, 32);
    std::memcpy(&b0, y + i, 32);
    std::memcpy(&b1, y + i + 8, 32);
    std::memcpy(&b2, y + i + 16, 32);
    std::memcpy(&b3, y + i + 24, 32);
    s0 += a0 * b0;
    s1 += a1 * b1;
    s2 += a2 * b2;
    s3 += a3 * b3;
  }
  const V8 s = (s0 + s1) + (s2 + s3);
  float sum = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
  for (; i < dim; ++i) sum += x[i] * y[i];
  return 1.0f - sum;
}

}  // namespace

// hnswlib's interface to the distance above (named: a member of Impl, which is not internal).
class HnswInnerProduct : public hnswlib::SpaceInterface<float> {
 public:
  explicit HnswInnerProduct(std::size_t dim) : dim_(dim) {}
  size_t get_data_size() override { return dim_ * sizeof(float); }
  hnswlib::DISTFUNC<float> get_dist_func() override { return InnerProductDistance; }
  void* get_dist_func_param() override { return &dim_; }

 private:
  std::size_t dim_;
};

struct HnswIndex::Impl {
  explicit Impl(std::size_t dim) : space(dim) {}
  HnswInnerProduct space;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> index;
};

HnswIndex::HnswIndex() = default;
HnswIndex::~HnswIndex() = default;

std::unique_ptr<HnswIndex> HnswIndex::Create(std::size_t dim, std::size_t capacity) {
  std::unique_ptr<HnswIndex> out(new HnswIndex());
  out->dim_ = dim;
  out->impl_ = std::make_unique<Impl>(dim);
  out->impl_->index = std::make_unique<hnswlib::HierarchicalNSW<float>>(
      &out->impl_->space, std::max<std::size_t>(capacity, 16), kM, kEfConstruction);
  out->impl_->index->setEf(kEfSearch);
  return out;
}

std::size_t HnswIndex::Add(const std::vector<std::pair<std::string, std::vector<float>>>& items) {
  std::unique_lock lock(mu_);
  auto& index = *impl_->index;
  std::size_t added = 0;
  for (const auto& [id, vector] : items) {
    // Another model's vector is not searchable here; a known id is already in.
    if (vector.size() != dim_ || id.empty() || label_of_.count(id)) continue;
    if (labels_.size() >= index.max_elements_) index.resizeIndex(index.max_elements_ * 2);
    const std::size_t label = labels_.size();
    index.addPoint(vector.data(), static_cast<hnswlib::labeltype>(label));
    labels_.push_back(id);
    label_of_.emplace(id, label);
    ++added;
  }
  return added;
}

std::size_t HnswIndex::Remove(const std::vector<std::string>& ids) {
  std::unique_lock lock(mu_);
  std::size_t removed = 0;
  for (const auto& id : ids) {
    auto it = label_of_.find(id);
    if (it == label_of_.end()) continue;
    impl_->index->markDelete(static_cast<hnswlib::labeltype>(it->second));
    labels_[it->second].clear();
    label_of_.erase(it);
    ++removed;
  }
  return removed;
}

std::vector<std::string> HnswIndex::Ids() const {
  std::shared_lock lock(mu_);
  std::vector<std::string> out;
  out.reserve(label_of_.size());
  for (const auto& id : labels_)
    if (!id.empty()) out.push_back(id);
  return out;
}

std::size_t HnswIndex::size() const {
  std::shared_lock lock(mu_);
  return label_of_.size();
}

std::size_t HnswIndex::deleted() const {
  std::shared_lock lock(mu_);
  return labels_.size() - label_of_.size();
}

std::unique_ptr<HnswIndex> HnswIndex::Load(const std::filesystem::path& base) {
  std::ifstream in(base.string() + ".ids");
  if (!in) return nullptr;
  std::string magic;
  std::getline(in, magic);
  int64_t version = -1, max_seq = -1;
  std::size_t dim = 0, count = 0;
  if (magic != kIdsMagic || !(in >> version >> max_seq >> dim >> count) || dim == 0 || count == 0)
    return nullptr;
  in.ignore(1);
  std::unique_ptr<HnswIndex> out(new HnswIndex());
  out->dim_ = dim;
  out->labels_.reserve(count);
  std::string id;
  while (out->labels_.size() < count && std::getline(in, id)) {
    if (!id.empty()) out->label_of_.emplace(id, out->labels_.size());
    out->labels_.push_back(id);
  }
  if (out->labels_.size() != count) return nullptr;
  std::error_code ec;
  if (!std::filesystem::exists(base.string() + ".hnsw", ec)) return nullptr;
  try {
    out->impl_ = std::make_unique<Impl>(dim);
    out->impl_->index = std::make_unique<hnswlib::HierarchicalNSW<float>>(
        &out->impl_->space, base.string() + ".hnsw", false, count);
  } catch (const std::exception&) {
    return nullptr;
  }
  // The index file and the sidecar must describe the same entries (a crash between the two
  // renames of Save leaves a pair that does not).
  auto& index = *out->impl_->index;
  // hnswlib 0.6's loading constructor adds to num_deleted_ without setting it first (garbage in
  // a reused heap block); searches skip deleted entries only when it is non-zero. Counted again.
  index.num_deleted_ = 0;
  for (hnswlib::tableint i = 0; i < index.cur_element_count; ++i)
    if (index.isMarkedDeleted(i)) ++index.num_deleted_;
  if (index.cur_element_count != count || index.num_deleted_ != count - out->label_of_.size())
    return nullptr;
  index.setEf(kEfSearch);
  out->MarkSynced(version, max_seq);
  return out;
}

bool HnswIndex::Save(const std::filesystem::path& base) const {
  std::shared_lock lock(mu_);
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
    out << kIdsMagic << "\n"
        << version() << " " << max_seq() << " " << dim_ << " " << labels_.size() << "\n";
    for (const auto& id : labels_) out << id << "\n";
    if (!out) return false;
  }
  std::filesystem::rename(tmp_index, base.string() + ".hnsw", ec);
  if (ec) return false;
  std::filesystem::rename(tmp_ids, base.string() + ".ids", ec);
  return !ec;
}

std::vector<std::pair<std::string, double>> HnswIndex::Search(const std::vector<float>& query,
                                                              std::size_t k) const {
  std::shared_lock lock(mu_);
  std::vector<std::pair<std::string, double>> out;
  if (query.size() != dim_ || label_of_.empty() || k == 0) return out;
  k = std::min(k, label_of_.size());
  auto found = impl_->index->searchKnn(query.data(), k);
  out.resize(found.size());
  for (std::size_t i = found.size(); i-- > 0;) {
    const auto [distance, label] = found.top();
    found.pop();
    // The distance is 1 - <a,b>.
    out[i] = {labels_[label], 1.0 - static_cast<double>(distance)};
  }
  return out;
}

}  // namespace webui::rag
