// Full ranking by matrix product against a brute-force ranking of every (user, item) score,
// block boundaries, masked items and users with fewer allowed items than K.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <vector>

#include <torch/torch.h>

#include "recsys/core/top_k.hpp"

namespace recsys::core {
namespace {

class TopKTest : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::manual_seed(11);
    users = torch::tensor({4, 0, 2, 3, 1}, torch::kInt64);
    user_vectors = torch::randn({5, 3});
    item_vectors = torch::randn({12, 3});
    // User 2 may see only items 5 and 9; users 0 and 3 have two masked items each.
    std::vector<std::int64_t> mu{0, 0, 3, 3}, mi{1, 7, 4, 6};
    for (std::int64_t i = 0; i < 12; ++i) {
      if (i != 5 && i != 9) {
        mu.push_back(2);
        mi.push_back(i);
      }
    }
    masked = UserPositives::from_pairs(torch::tensor(mu), torch::tensor(mi), 5);
    for (std::size_t e = 0; e < mu.size(); ++e) masked_pairs.emplace(mu[e], mi[e]);
  }
  /// The k best allowed items of row r by sorting its 12 scores.
  std::vector<std::int64_t> brute_force(std::int64_t r, std::int64_t k) const {
    const torch::Tensor s = torch::mv(item_vectors, user_vectors[r]);
    std::vector<std::int64_t> order;
    for (std::int64_t i = 0; i < 12; ++i) {
      if (masked_pairs.count({users[r].item<std::int64_t>(), i}) == 0) order.push_back(i);
    }
    std::sort(order.begin(), order.end(),
              [&](std::int64_t a, std::int64_t b) { return s[a].item<float>() > s[b].item<float>(); });
    order.resize(std::min<std::size_t>(order.size(), static_cast<std::size_t>(k)));
    while (static_cast<std::int64_t>(order.size()) < k) order.push_back(-1);
    return order;
  }
  torch::Tensor users, user_vectors, item_vectors;
  UserPositives masked;
  std::set<std::pair<std::int64_t, std::int64_t>> masked_pairs;
};

TEST_F(TopKTest, EqualsTheBruteForceRankingForEveryBlockSize) {
  for (const std::int64_t block : {1, 2, 5, 1024}) {
    const TopK top = top_k_by_product(users, user_vectors, item_vectors, &masked, 4, block);
    ASSERT_EQ(top.items.sizes(), (std::vector<std::int64_t>{5, 4}));
    for (std::int64_t r = 0; r < 5; ++r) {
      const std::vector<std::int64_t> expected = brute_force(r, 4);
      for (std::int64_t c = 0; c < 4; ++c) {
        EXPECT_EQ(top.items[r][c].item<std::int64_t>(), expected[c]) << "block " << block << ", row " << r;
        if (expected[c] >= 0) {
          EXPECT_NEAR(top.scores[r][c].item<float>(),
                      torch::dot(user_vectors[r], item_vectors[expected[c]]).item<float>(), 1e-5);
        }
      }
    }
  }
}

TEST_F(TopKTest, AUserWithFewerAllowedItemsThanKEndsInMinusOne) {
  const TopK top = top_k_by_product(users, user_vectors, item_vectors, &masked, 4);
  const std::set<std::int64_t> first_two{top.items[2][0].item<std::int64_t>(), top.items[2][1].item<std::int64_t>()};
  EXPECT_EQ(first_two, (std::set<std::int64_t>{5, 9}));
  EXPECT_EQ(top.items[2][2].item<std::int64_t>(), -1);
  EXPECT_TRUE(std::isinf(top.scores[2][3].item<float>()));
}

TEST_F(TopKTest, KIsClampedToTheCatalogueAndRefusedBelowOne) {
  EXPECT_EQ(top_k_by_product(users, user_vectors, item_vectors, nullptr, 50).items.size(1), 12);
  EXPECT_THROW(top_k_by_product(users, user_vectors, item_vectors, nullptr, 0), std::invalid_argument);
  EXPECT_THROW(top_k_by_product(users, user_vectors, item_vectors.slice(1, 0, 2), nullptr, 3), std::invalid_argument);
}

}  // namespace
}  // namespace recsys::core
