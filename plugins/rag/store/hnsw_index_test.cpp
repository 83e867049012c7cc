// The HNSW index answers what exact cosine search answers: same top-k on a few thousand random
// normalised vectors, and the same after a save and load; a stale or missing file is refused.
#include "hnsw_index.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>

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
  std::vector<std::string> ids;
  std::vector<std::vector<float>> vectors, queries;
};

TEST_F(HnswVersusExact, TopKEqualsExactTopK) {
  auto index = HnswIndex::Build(kDim, ids, vectors, 1);
  ASSERT_EQ(index->size(), kCount);
  for (const auto& q : queries) {
    auto found = index->Search(q, kK);
    ASSERT_EQ(found.size(), kK);
    std::vector<std::string> got;
    for (std::size_t i = 0; i < found.size(); ++i) {
      got.push_back(found[i].first);
      if (i > 0) {
        EXPECT_GE(found[i - 1].second, found[i].second) << "best first";
      }
    }
    EXPECT_EQ(got, ExactTop(vectors, ids, q, kK));
  }
}

TEST_F(HnswVersusExact, SavedIndexLoadsOnlyForItsVersion) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("rag-hnsw-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto index = HnswIndex::Build(kDim, ids, vectors, 7);
  ASSERT_TRUE(index->Save(dir / "c"));
  EXPECT_EQ(HnswIndex::Load(dir / "c", 8), nullptr) << "a newer collection version is stale";
  EXPECT_EQ(HnswIndex::Load(dir / "missing", 7), nullptr);
  auto loaded = HnswIndex::Load(dir / "c", 7);
  ASSERT_NE(loaded, nullptr);
  for (std::size_t i = 0; i < 10; ++i)
    EXPECT_EQ(loaded->Search(queries[i], kK), index->Search(queries[i], kK));
  std::filesystem::remove_all(dir);
}

TEST(HnswIndex, SearchScoresAreCosine) {
  std::vector<std::string> ids = {"a", "b"};
  std::vector<std::vector<float>> v = {{1, 0}, {0, 1}};
  auto index = HnswIndex::Build(2, ids, v, 1);
  auto found = index->Search({1, 0}, 5);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].first, "a");
  EXPECT_NEAR(found[0].second, 1.0, 1e-6);
  EXPECT_NEAR(found[1].second, 0.0, 1e-6);
  EXPECT_TRUE(index->Search({1, 0, 0}, 1).empty()) << "another dimension finds nothing";
}

}  // namespace
}  // namespace webui::rag
