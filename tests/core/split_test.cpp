// The random split of positives.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "recsys/core/seed.hpp"
#include "recsys/core/split.hpp"
#include "recsys/errors.hpp"
#include "test_support.hpp"

namespace recsys::core {
namespace {

TEST(RandomSplitTest, SizesFollowTheReferenceArithmetic) {
  at::Generator g = make_generator(42, SeedStream::split);
  // 55376 positives: int(55376 * 0.7) = 38763, int(55376 * 0.8) = 44300.
  SplitIndices s = random_split(55376, SplitOptions{}, g);
  EXPECT_EQ(s.train.size(0), 38763);
  EXPECT_EQ(s.validation.size(0), 44300 - 38763);
  EXPECT_EQ(s.test.size(0), 55376 - 44300);
}

TEST(RandomSplitTest, PartsAreDisjointAndCoverEveryPositive) {
  at::Generator g = make_generator(1, SeedStream::split);
  SplitIndices s = random_split(1000, SplitOptions{}, g);
  torch::Tensor all = std::get<0>(torch::sort(torch::cat({s.train, s.validation, s.test})));
  EXPECT_TRUE(torch::equal(all, torch::arange(1000, torch::kInt64)));
}

TEST(RandomSplitTest, SameSeedSameSplitOtherSeedOtherSplit) {
  at::Generator a = make_generator(7, SeedStream::split), b = make_generator(7, SeedStream::split),
                c = make_generator(8, SeedStream::split);
  SplitIndices x = random_split(500, SplitOptions{}, a), y = random_split(500, SplitOptions{}, b),
               z = random_split(500, SplitOptions{}, c);
  EXPECT_TRUE(torch::equal(x.test, y.test));
  EXPECT_FALSE(torch::equal(x.test, z.test));
}

TEST(SplitOptionsTest, RejectsRatiosThatLeaveNoTrainingData) {
  const PipelineConfig c = test::parse_config("[split]\nval_ratio = 0.5\ntest_ratio = 0.5\n");
  EXPECT_THROW(SplitOptions::from_config(c.section("split")), ConfigError);
  const PipelineConfig d = test::parse_config("[split]\nstrategy = \"by_user\"\n");
  EXPECT_THROW(SplitOptions::from_config(d.section("split")), ConfigError);
}

TEST(SeedTest, StreamsDiffer) {
  EXPECT_NE(derive_seed(42, 1), derive_seed(42, 2));
  EXPECT_NE(derive_seed(42, 1), derive_seed(43, 1));
  EXPECT_EQ(derive_seed(42, 1), derive_seed(42, 1));
}

TEST(LeaveOneOutSplitTest, LatestPositiveTestsNextLatestValidates) {
  // User 0: times 5, 9, 7, 9 with original items 10, 20, 30, 40: the two rows at time 9 tie,
  // the higher original item (40, row 3) is the latest: test row 3, validation row 1.
  // User 1: two positives: the later tests, none validates. User 2: one positive: trains.
  const torch::Tensor user = torch::tensor({0, 0, 0, 0, 1, 1, 2}, torch::kInt64);
  const torch::Tensor time = torch::tensor({5, 9, 7, 9, 3, 1, 4}, torch::kInt64);
  const torch::Tensor item = torch::tensor({10, 20, 30, 40, 10, 20, 10}, torch::kInt64);
  SplitIndices s = leave_one_out_split(user, time, item);
  EXPECT_TRUE(torch::equal(s.test, torch::tensor({3, 4}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(s.validation, torch::tensor({1}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(std::get<0>(s.train.sort()), torch::tensor({0, 2, 5, 6}, torch::kInt64)));
}

TEST(TemporalSplitTest, OneGlobalCutByTime) {
  // Ten positives with times 9..0: the earliest 7 train, the next 1 validates, the last 2 test.
  const torch::Tensor time = torch::arange(9, -1, -1, torch::kInt64);
  SplitIndices s = temporal_split(time, SplitOptions{"temporal", 0.1, 0.2});
  EXPECT_TRUE(torch::equal(s.train, torch::arange(9, 2, -1, torch::kInt64)));
  EXPECT_TRUE(torch::equal(s.validation, torch::tensor({2}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(s.test, torch::tensor({1, 0}, torch::kInt64)));
}

TEST(SplitOptionsTest, StrategiesAreChecked) {
  const PipelineConfig c = test::parse_config("[split]\nstrategy = \"leave_one_out\"\n");
  EXPECT_EQ(SplitOptions::from_config(c.section("split")).strategy, "leave_one_out");
  const PipelineConfig d = test::parse_config("[split]\nval_ratio = 0.0\n");
  EXPECT_THROW(SplitOptions::from_config(d.section("split")), ConfigError);
}

}  // namespace
}  // namespace recsys::core

namespace recsys::core {
namespace {

TEST(PerUserSplitTest, CountsFollowRecBolesRounding) {
  // Worked out with RecBole's _calcu_split_ids (split_counts in ../shared/reference/pytorch_ranking.py).
  const std::vector<std::pair<std::int64_t, std::vector<std::int64_t>>> expected{
      {1, {1, 0, 0}},  {2, {1, 0, 1}},  {3, {1, 1, 1}},   {5, {3, 1, 1}},   {9, {7, 1, 1}},
      {10, {8, 1, 1}}, {11, {9, 1, 1}}, {19, {17, 1, 1}}, {20, {16, 2, 2}}, {27, {23, 2, 2}}};
  for (const auto& [n, counts] : expected) EXPECT_EQ(per_user_counts(n, 0.1, 0.1), counts) << n;
  EXPECT_EQ(per_user_counts(4, 0.1, 0.2), (std::vector<std::int64_t>{2, 1, 1}));
  EXPECT_EQ(per_user_counts(7, 0.1, 0.2), (std::vector<std::int64_t>{5, 1, 1}));
}

TEST(PerUserSplitTest, EachUserIsCutOnItsOwnAndTemporalKeepsTimeOrder) {
  // User 0: rows 0-9 at times 9..0; user 1: rows 10-12.
  const torch::Tensor user = torch::cat({torch::zeros({10}, torch::kInt64), torch::ones({3}, torch::kInt64)});
  const torch::Tensor time = torch::cat({torch::arange(9, -1, -1, torch::kInt64), torch::arange(3, torch::kInt64)});
  SplitOptions options;
  options.strategy = "temporal";
  options.group_by = "user";
  options.val_ratio = 0.1;
  options.test_ratio = 0.1;
  const SplitIndices s = per_user_split(user, time, options);
  // User 0: 8/1/1, latest (row 0, time 9) tests, row 1 validates; user 1: 1/1/1.
  EXPECT_EQ(s.test.size(0), 2);
  EXPECT_EQ(s.test[0].item<std::int64_t>(), 0);
  EXPECT_EQ(s.validation[0].item<std::int64_t>(), 1);
  EXPECT_EQ(s.test[1].item<std::int64_t>(), 12);
  EXPECT_EQ(s.validation[1].item<std::int64_t>(), 11);
  EXPECT_EQ(s.train.size(0), 9);
  const torch::Tensor all = std::get<0>(torch::sort(torch::cat({s.train, s.validation, s.test})));
  EXPECT_TRUE(torch::equal(all, torch::arange(13, torch::kInt64)));
}

}  // namespace
}  // namespace recsys::core
