// Evaluation protocols: metric names, the sampled candidates, full-ranking lists.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "recsys/core/evaluation.hpp"
#include "recsys/core/seed.hpp"
#include "recsys/errors.hpp"
#include "test_support.hpp"

namespace recsys::core {
namespace {

TEST(MetricNameTest, CutOffIsParsedFromTheName) {
  EXPECT_EQ(parse_metric_name("ndcg@10").plugin, "ndcg@k");
  EXPECT_EQ(parse_metric_name("ndcg@10").k, 10);
  EXPECT_EQ(parse_metric_name("roc_auc").plugin, "roc_auc");
  EXPECT_EQ(parse_metric_name("roc_auc").k, -1);
  EXPECT_EQ(parse_metric_name("hr@").k, -1);
  EXPECT_EQ(parse_metric_name("hr@0").plugin, "hr@k");
  EXPECT_EQ(parse_metric_name("hr@0").k, 0);
  EXPECT_EQ(parse_metric_name("hr@x").plugin, "hr@x");
}

TEST(EvaluationOptionsTest, RankingMetricUnderThePointwiseProtocolIsAConfigError) {
  const auto c = test::parse_config("[evaluation]\nmetrics = [\"roc_auc\", \"hr@10\"]\n");
  EXPECT_THROW(EvaluationOptions::from_config(c.section("evaluation")), ConfigError);
  const auto d = test::parse_config("[evaluation]\nprotocol = \"sampled\"\nmetrics = [\"roc_auc\", \"hr@10\"]\n");
  EXPECT_EQ(EvaluationOptions::from_config(d.section("evaluation")).protocol, Protocol::sampled);
  const auto e = test::parse_config("[evaluation]\nprotocol = \"listwise\"\n");
  EXPECT_THROW(EvaluationOptions::from_config(e.section("evaluation")), ConfigError);
}

class SampledSetTest : public ::testing::Test {
 protected:
  // 3 users, 30 items; user 0 likes items 0-9, user 1 likes 10 and 11, user 2 likes 29.
  torch::Tensor users = torch::cat({torch::zeros({10}, torch::kInt64), torch::tensor({1, 1, 2}, torch::kInt64)});
  torch::Tensor items = torch::cat({torch::arange(10, torch::kInt64), torch::tensor({10, 11, 29}, torch::kInt64)});
  PositiveSet positives{users, items, 3, 30};
  // Held-out positives: (0, 3), (1, 11), (2, 29).
  torch::Tensor held_users = torch::tensor({0, 1, 2}, torch::kInt64);
  torch::Tensor held_items = torch::tensor({3, 11, 29}, torch::kInt64);

  std::shared_ptr<MaterializedSet> draw(std::uint64_t seed, std::int64_t n = 19) {
    at::Generator g = make_generator(seed, SeedStream::test_candidates);
    return make_sampled_set(held_users, held_items, positives, n, g);
  }
};

TEST_F(SampledSetTest, OneListPerHeldOutPositiveWithDistinctNonPositiveCandidates) {
  auto set = draw(1);
  EXPECT_EQ(set->num_lists(), 3);
  EXPECT_EQ(set->num_rows(), 3 * 20);
  const auto& e = set->examples();
  for (int list = 0; list < 3; ++list) {
    const torch::Tensor rows = torch::arange(list * 20, (list + 1) * 20, torch::kInt64);
    const torch::Tensor item = e.item_id.index_select(0, rows), label = e.label.index_select(0, rows);
    EXPECT_EQ(item[0].item<std::int64_t>(), held_items[list].item<std::int64_t>());
    EXPECT_EQ(label[0].item<float>(), 1.0f);
    EXPECT_EQ(label.sum().item<float>(), 1.0f);
    const torch::Tensor candidates = item.slice(0, 1);
    EXPECT_EQ(std::get<0>(torch::_unique(candidates)).size(0), 19) << "candidates are distinct";
    const torch::Tensor user = torch::full({19}, held_users[list].item<std::int64_t>(), torch::kInt64);
    EXPECT_FALSE(positives.contains(user, candidates).any().item<bool>()) << "no candidate is a positive";
    EXPECT_TRUE(torch::equal(set->group_id().index_select(0, rows), torch::full({20}, list, torch::kInt64)));
  }
}

TEST_F(SampledSetTest, DrawnOncePerSeed) {
  EXPECT_TRUE(torch::equal(draw(5)->examples().item_id, draw(5)->examples().item_id));
  EXPECT_FALSE(torch::equal(draw(5)->examples().item_id, draw(6)->examples().item_id));
}

TEST_F(SampledSetTest, TooFewFreeItemsIsAnError) {
  // User 0 has 20 items without a positive; 21 candidates cannot be drawn.
  EXPECT_THROW(draw(1, 21), DataError);
  EXPECT_NO_THROW(draw(1, 20));
}

TEST(FullRankingSetTest, ListsCoverEveryItemButTheMaskedOnes) {
  // The issue's example: items 1..5 (ids 0..4), training items {1, 2} masked, test item {3}.
  FullRankingSet set(torch::tensor({0}, torch::kInt64), torch::tensor({2}, torch::kInt64),
                     torch::tensor({0, 0}, torch::kInt64), torch::tensor({0, 1}, torch::kInt64), 1, 5);
  EXPECT_EQ(set.num_lists(), 1);
  EXPECT_EQ(set.num_rows(), 3);
  int chunks = 0;
  set.for_each_chunk(1000, [&](const Examples& e, const torch::Tensor& group) {
    ++chunks;
    EXPECT_TRUE(torch::equal(e.item_id, torch::tensor({2, 3, 4}, torch::kInt64)));
    EXPECT_TRUE(torch::equal(e.label, torch::tensor({1.0f, 0.0f, 0.0f})));
    EXPECT_TRUE(torch::equal(group, torch::zeros({3}, torch::kInt64)));
  });
  EXPECT_EQ(chunks, 1);
}

TEST(FullRankingSetTest, ScoredListGivesTheIssuesKnownAnswer) {
  // Scores for items 1..5 [0.9, 0.8, 0.7, 0.1, 0.05], items 1 and 2 masked, item 3 relevant,
  // k = 2: the masked items must not push item 3 out of the top 2: HR@2 = NDCG@2 = 1.
  FullRankingSet set(torch::tensor({0}, torch::kInt64), torch::tensor({2}, torch::kInt64),
                     torch::tensor({0, 0}, torch::kInt64), torch::tensor({0, 1}, torch::kInt64), 1, 5);
  core::PluginRegistry registry = test::registry_with("metric_ranking");
  const auto config = test::parse_config("[m]\nk = 2\n");
  auto hr = registry.create<PluginKind::metric>("hr@k", config.section("m"));
  auto ndcg = registry.create<PluginKind::metric>("ndcg@k", config.section("m"));
  const torch::Tensor score_of_item = torch::tensor({0.9f, 0.8f, 0.7f, 0.1f, 0.05f});
  set.for_each_chunk(1000, [&](const Examples& e, const torch::Tensor& group) {
    const torch::Tensor scores = score_of_item.index_select(0, e.item_id);
    hr->update(scores, e.label, group);
    ndcg->update(scores, e.label, group);
  });
  EXPECT_EQ(hr->compute(), 1.0);
  EXPECT_EQ(ndcg->compute(), 1.0);
}

TEST(FullRankingSetTest, UsersAreSplitIntoChunks) {
  // 4 users with a held-out positive each, 10 items, nothing masked, chunks of 25 rows: 2 users each.
  FullRankingSet set(torch::arange(4, torch::kInt64), torch::arange(4, torch::kInt64), torch::zeros({0}, torch::kInt64),
                     torch::zeros({0}, torch::kInt64), 4, 10);
  std::vector<std::int64_t> sizes;
  set.for_each_chunk(25, [&](const Examples& e, const torch::Tensor&) { sizes.push_back(e.size()); });
  EXPECT_EQ(sizes, (std::vector<std::int64_t>{20, 20}));
  EXPECT_EQ(set.num_rows(), 40);
}

}  // namespace
}  // namespace recsys::core
