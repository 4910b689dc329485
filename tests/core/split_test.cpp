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

}  // namespace
}  // namespace recsys::core
