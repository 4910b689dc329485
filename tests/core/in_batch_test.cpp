// The host's tables for in-batch negatives: the accidental hits against a brute-force check of
// every (row, column) pair, and each item's log-frequency worked out by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <utility>

#include <torch/torch.h>

#include "recsys/core/in_batch.hpp"

namespace recsys::core {
namespace {

TEST(InBatchTest, AccidentalHitsAreTheOtherColumnsHoldingAPositiveOfTheRowsUser) {
  torch::manual_seed(3);
  const std::int64_t users = 20, items = 30, pairs = 150, batch = 64;
  const torch::Tensor user_id = torch::randint(users, {pairs}, torch::kInt64);
  const torch::Tensor item_id = torch::randint(items, {pairs}, torch::kInt64);
  std::set<std::pair<std::int64_t, std::int64_t>> positive;
  for (std::int64_t e = 0; e < pairs; ++e)
    positive.emplace(user_id[e].item<std::int64_t>(), item_id[e].item<std::int64_t>());
  // The batch: training positives, some drawn twice (the same item in two columns).
  const torch::Tensor rows = torch::randint(pairs, {batch}, torch::kInt64);
  const torch::Tensor bu = user_id.index_select(0, rows), bi = item_id.index_select(0, rows);
  const torch::Tensor hits = accidental_hits(UserPositives::from_pairs(user_id, item_id, users), bu, bi, items);
  ASSERT_EQ(hits.sizes(), (std::vector<std::int64_t>{batch, batch}));
  std::int64_t expected_hits = 0;
  for (std::int64_t i = 0; i < batch; ++i) {
    for (std::int64_t j = 0; j < batch; ++j) {
      const std::int64_t u = bu[i].item<std::int64_t>(), item = bi[j].item<std::int64_t>();
      const bool expected = i != j && (item == bi[i].item<std::int64_t>() || positive.count({u, item}) > 0);
      expected_hits += expected ? 1 : 0;
      EXPECT_EQ(hits[i][j].item<bool>(), expected) << "row " << i << ", column " << j;
    }
  }
  EXPECT_GT(expected_hits, 0);  // the case exercises the mask
}

TEST(InBatchTest, LogItemFrequencyIsTheLogOfEachItemsShare) {
  const torch::Tensor f = log_item_frequency(torch::tensor({0, 2, 2, 2}, torch::kInt64), 4);
  EXPECT_NEAR(f[0].item<double>(), std::log(0.25), 1e-6);
  EXPECT_TRUE(std::isinf(f[1].item<double>()) && f[1].item<double>() < 0);
  EXPECT_NEAR(f[2].item<double>(), std::log(0.75), 1e-6);
}

}  // namespace
}  // namespace recsys::core
