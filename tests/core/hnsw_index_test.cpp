// The HNSW index over item vectors against a brute-force ranking of every inner product:
// recall, best-first order, the exact inner products, counts beyond the catalogue, bad input.
#include <gtest/gtest.h>

#include <set>
#include <stdexcept>

#include <torch/torch.h>

#include "recsys/core/hnsw_index.hpp"

namespace recsys::core {
namespace {

class HnswIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::manual_seed(7);
    // Item norms spread as trained embeddings' are (popular items longer), so the inner
    // product is not a cosine in disguise.
    items = torch::randn({3000, 16}) * torch::rand({3000, 1}).add(0.5);
    queries = torch::randn({200, 16});
  }
  /// The k items of highest inner product with query q, by sorting all 3,000.
  std::set<std::int64_t> brute_force(std::int64_t q, std::int64_t k) const {
    const torch::Tensor top = std::get<1>(torch::mv(items, queries[q]).topk(k));
    std::set<std::int64_t> out;
    for (std::int64_t r = 0; r < k; ++r) out.insert(top[r].item<std::int64_t>());
    return out;
  }
  torch::Tensor items, queries;
};

TEST_F(HnswIndexTest, RecallAtTenAgainstBruteForceIsHigh) {
  const HnswIndex index(items, HnswOptions{});
  double hits = 0;
  for (std::int64_t q = 0; q < queries.size(0); ++q) {
    const std::set<std::int64_t> truth = brute_force(q, 10);
    const torch::Tensor found = index.search(queries[q], 10).first;
    ASSERT_EQ(found.size(0), 10);
    for (std::int64_t r = 0; r < 10; ++r) hits += truth.count(found[r].item<std::int64_t>());
  }
  EXPECT_GE(hits / (10.0 * static_cast<double>(queries.size(0))), 0.95);
}

TEST_F(HnswIndexTest, AnswersAreBestFirstWithTheirInnerProducts) {
  const HnswIndex index(items, HnswOptions{});
  const auto [found, scores] = index.search(queries[3], 25);
  ASSERT_EQ(found.size(0), 25);
  const torch::Tensor exact = torch::mv(items.index_select(0, found), queries[3]).to(torch::kFloat64);
  EXPECT_TRUE(torch::allclose(scores, exact, 1e-5, 1e-5)) << scores << exact;
  for (std::int64_t r = 1; r < 25; ++r) EXPECT_GE(scores[r - 1].item<double>(), scores[r].item<double>() - 1e-6);
  EXPECT_EQ(std::set<std::int64_t>(found.data_ptr<std::int64_t>(), found.data_ptr<std::int64_t>() + 25).size(), 25u);
}

TEST_F(HnswIndexTest, ACountBeyondTheCatalogueGivesEveryItemOnce) {
  const HnswIndex index(items.narrow(0, 0, 40), HnswOptions{});
  const torch::Tensor found = index.search(queries[0], 100).first;
  ASSERT_EQ(found.size(0), 40);
  EXPECT_EQ(std::get<0>(torch::_unique(found)).size(0), 40);
}

TEST_F(HnswIndexTest, TheSameSeedBuildsTheSameGraph) {
  const HnswIndex a(items, HnswOptions{}), b(items, HnswOptions{});
  for (std::int64_t q = 0; q < 20; ++q)
    EXPECT_TRUE(torch::equal(a.search(queries[q], 10).first, b.search(queries[q], 10).first));
}

TEST_F(HnswIndexTest, BadShapesAreRefused) {
  EXPECT_THROW(HnswIndex(torch::zeros({0, 4}), HnswOptions{}), std::invalid_argument);
  EXPECT_THROW(HnswIndex(torch::zeros({4}), HnswOptions{}), std::invalid_argument);
  const HnswIndex index(items, HnswOptions{});
  EXPECT_THROW(index.search(torch::zeros({15}), 10), std::invalid_argument);
}

}  // namespace
}  // namespace recsys::core
