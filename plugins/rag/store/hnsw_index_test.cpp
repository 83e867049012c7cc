// The HNSW index answers what exact cosine search answers: same top-k on a few thousand random
// normalised vectors, after growing past its first capacity, after removals, concurrently with
// additions, and after a save and load; a missing or inconsistent file is refused.
#include "hnsw_index.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <random>
#include <thread>

#include <unistd.h>

namespace webui::rag {
namespace {

std::vector<float> RandomUnit(std::mt19937& rng, std::size_t dim) {
  std::normal_distribution<float> d;
  std::vector<float> v(dim);
  double n = 0;
  for (auto& x : v) {
    x = d(rng);
    n += static_cast<double>(x) * x;
  }
  for (auto& x : v) x = static_cast<float>(x / std::sqrt(n));
  return v;
}

std::vector<std::string> ExactTop(const std::vector<std::vector<float>>& vectors,
                                  const std::vector<std::string>& ids, const std::vector<float>& q,
                                  std::size_t k) {
  std::vector<std::pair<double, std::size_t>> scored;
  for (std::size_t i = 0; i < vectors.size(); ++i) {
    double s = 0;
    for (std::size_t j = 0; j < q.size(); ++j) s += static_cast<double>(vectors[i][j]) * q[j];
    scored.emplace_back(s, i);
  }
  std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(k), scored.end(),
                    [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> out;
  for (std::size_t i = 0; i < k; ++i) out.push_back(ids[scored[i].second]);
  return out;
}

class HnswVersusExact : public ::testing::Test {
 protected:
  static constexpr std::size_t kDim = 32, kCount = 4000, kK = 10, kQueries = 100;
  void SetUp() override {
    std::mt19937 rng(20261127);
    for (std::size_t i = 0; i < kCount; ++i) {
      ids.push_back("chunk-" + std::to_string(i));
      vectors.push_back(RandomUnit(rng, kDim));
    }
    for (std::size_t i = 0; i < kQueries; ++i) queries.push_back(RandomUnit(rng, kDim));
  }
  std::vector<std::pair<std::string, std::vector<float>>> Items(std::size_t from,
                                                                std::size_t to) const {
    std::vector<std::pair<std::string, std::vector<float>>> out;
    for (std::size_t i = from; i < to; ++i) out.emplace_back(ids[i], vectors[i]);
    return out;
  }
  // A small first capacity: the index must grow (several times) on the way.
  std::unique_ptr<HnswIndex> Full() const {
    auto index = HnswIndex::Create(kDim, 100);
    for (std::size_t from = 0; from < kCount; from += 64)
      EXPECT_EQ(index->Add(Items(from, std::min(kCount, from + 64))),
                std::min<std::size_t>(64, kCount - from));
    return index;
  }
  static std::vector<std::string> Ids(const std::vector<std::pair<std::string, double>>& found) {
    std::vector<std::string> out;
    for (const auto& f : found) out.push_back(f.first);
    return out;
  }
  std::vector<std::string> ids;
  std::vector<std::vector<float>> vectors, queries;
};

TEST_F(HnswVersusExact, TopKEqualsExactTopK) {
  auto index = Full();
  ASSERT_EQ(index->size(), kCount);
  EXPECT_EQ(index->Add(Items(0, 10)), 0u) << "ids already in are not added twice";
  for (const auto& q : queries) {
    auto found = index->Search(q, kK);
    ASSERT_EQ(found.size(), kK);
    for (std::size_t i = 1; i < found.size(); ++i)
      EXPECT_GE(found[i - 1].second, found[i].second) << "best first";
    EXPECT_EQ(Ids(found), ExactTop(vectors, ids, q, kK));
  }
}

TEST_F(HnswVersusExact, RemovedIdsAreNeverFoundAndTheRestStillIs) {
  auto index = Full();
  std::vector<std::string> removed;
  std::vector<std::vector<float>> kept_vectors;
  std::vector<std::string> kept_ids;
  for (std::size_t i = 0; i < kCount; ++i) {
    if (i % 3 == 0) {
      removed.push_back(ids[i]);
    } else {
      kept_ids.push_back(ids[i]);
      kept_vectors.push_back(vectors[i]);
    }
  }
  EXPECT_EQ(index->Remove(removed), removed.size());
  EXPECT_EQ(index->Remove({removed[0], "never-there"}), 0u);
  EXPECT_EQ(index->size(), kept_ids.size());
  EXPECT_EQ(index->deleted(), removed.size());
  EXPECT_EQ(index->Ids().size(), kept_ids.size());
  for (const auto& q : queries)
    EXPECT_EQ(Ids(index->Search(q, kK)), ExactTop(kept_vectors, kept_ids, q, kK));
}

TEST_F(HnswVersusExact, SearchesRunWhileRowsAreAdded) {
  auto index = HnswIndex::Create(kDim, 64);
  index->Add(Items(0, 500));
  std::atomic<bool> done{false};
  std::atomic<std::size_t> searched{0}, short_answers{0};
  std::thread reader([&] {
    while (!done) {
      if (index->Search(queries[searched % kQueries], kK).size() != kK) ++short_answers;
      ++searched;
    }
  });
  for (std::size_t from = 500; from < kCount; from += 64)
    index->Add(Items(from, std::min(kCount, from + 64)));
  done = true;
  reader.join();
  EXPECT_GT(searched.load(), 0u);
  EXPECT_EQ(short_answers.load(), 0u);
  for (std::size_t i = 0; i < 10; ++i)
    EXPECT_EQ(Ids(index->Search(queries[i], kK)), ExactTop(vectors, ids, queries[i], kK));
}

TEST_F(HnswVersusExact, SavedIndexLoadsWithItsStateAndRemovals) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("rag-hnsw-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto index = Full();
  index->Remove({ids[1], ids[2]});
  index->MarkSynced(7, 4242);
  ASSERT_TRUE(index->Save(dir / "c"));
  EXPECT_EQ(HnswIndex::Load(dir / "missing"), nullptr);
  auto loaded = HnswIndex::Load(dir / "c");
  ASSERT_NE(loaded, nullptr);
  EXPECT_EQ(loaded->version(), 7);
  EXPECT_EQ(loaded->max_seq(), 4242);
  EXPECT_EQ(loaded->size(), kCount - 2);
  EXPECT_EQ(loaded->deleted(), 2u);
  for (std::size_t i = 0; i < 10; ++i)
    EXPECT_EQ(loaded->Search(queries[i], kK), index->Search(queries[i], kK));
  EXPECT_EQ(loaded->Add(Items(1, 2)), 1u) << "a removed id can come back";

  // A sidecar that does not describe the index file (a crash between the two renames).
  auto other = HnswIndex::Create(kDim, 16);
  other->Add(Items(0, 5));
  ASSERT_TRUE(other->Save(dir / "d"));
  std::filesystem::copy_file(dir / "d.ids", dir / "c.ids",
                             std::filesystem::copy_options::overwrite_existing);
  EXPECT_EQ(HnswIndex::Load(dir / "c"), nullptr);
  std::filesystem::remove_all(dir);
}

TEST(HnswIndex, SearchScoresAreCosine) {
  auto index = HnswIndex::Create(2, 4);
  index->Add({{"a", {1, 0}}, {"b", {0, 1}}, {"c", {1, 0, 0}}});
  EXPECT_EQ(index->size(), 2u) << "a vector of another dimension is not added";
  auto found = index->Search({1, 0}, 5);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].first, "a");
  EXPECT_NEAR(found[0].second, 1.0, 1e-6);
  EXPECT_NEAR(found[1].second, 0.0, 1e-6);
  EXPECT_TRUE(index->Search({1, 0, 0}, 1).empty()) << "another dimension finds nothing";
}

TEST(HnswIndex, DistanceIsExactForEveryLength) {
  // The distance function works in blocks of 32 floats: lengths around the block edges.
  for (std::size_t dim : {1u, 3u, 15u, 16u, 17u, 31u, 32u, 33u, 63u, 65u, 768u, 1536u}) {
    std::mt19937 rng(static_cast<unsigned>(dim));
    auto a = RandomUnit(rng, dim), b = RandomUnit(rng, dim);
    double dot = 0;
    for (std::size_t i = 0; i < dim; ++i) dot += static_cast<double>(a[i]) * b[i];
    auto index = HnswIndex::Create(dim, 2);
    index->Add({{"b", b}});
    auto found = index->Search(a, 1);
    ASSERT_EQ(found.size(), 1u) << dim;
    EXPECT_NEAR(found[0].second, dot, 1e-5) << dim;
  }
}

}  // namespace
}  // namespace webui::rag
