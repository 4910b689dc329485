// The uniform negative sampler, loaded through the host's loader.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "recsys/conformance_gtest.hpp"
#include "recsys/core/seed.hpp"
#include "recsys/errors.hpp"
#include "test_support.hpp"

namespace recsys {
namespace {

class UniformSamplerTest : public ::testing::Test {
 protected:
  std::shared_ptr<Sampler> make(std::int64_t num_negatives) {
    config = std::make_unique<core::PipelineConfig>(
        test::parse_config("[sampler]\nnum_negatives = " + std::to_string(num_negatives) + "\n"));
    return registry.create<PluginKind::sampler>("uniform", config->section("sampler"));
  }
  Examples draw(Sampler& sampler, std::uint64_t seed) {
    at::Generator g = core::make_generator(seed, core::SeedStream::train_epoch);
    return sampler.sample(users, items, positives, g);
  }

  core::PluginRegistry registry = test::registry_with("sampler_uniform");
  std::unique_ptr<core::PipelineConfig> config;
  // 3 users, 6 items; user 0 likes items 0-3, so only 4 and 5 are negatives for it.
  torch::Tensor users = torch::tensor({0, 0, 0, 0, 1, 2}, torch::kInt64);
  torch::Tensor items = torch::tensor({0, 1, 2, 3, 5, 0}, torch::kInt64);
  PositiveSet positives{users, items, 3, 6};
};

TEST_F(UniformSamplerTest, EachPositiveIsFollowedByItsNegatives) {
  auto sampler = make(4);
  Examples e = draw(*sampler, 1);
  ASSERT_EQ(e.size(), 6 * 5);
  EXPECT_TRUE(torch::equal(e.user_id, users.repeat_interleave(5)));
  EXPECT_TRUE(torch::equal(e.item_id.view({6, 5}).select(1, 0), items));
  EXPECT_TRUE(torch::equal(e.label.view({6, 5}).select(1, 0), torch::ones({6})));
  EXPECT_EQ(e.label.sum().item<float>(), 6.0f);
}

TEST_F(UniformSamplerTest, NeverEmitsAPositiveAsANegative) {
  auto sampler = make(50);
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    Examples e = draw(*sampler, seed);
    torch::Tensor negative = e.label.eq(0);
    torch::Tensor hits = positives.contains(e.user_id.masked_select(negative), e.item_id.masked_select(negative));
    ASSERT_FALSE(hits.any().item<bool>()) << "seed " << seed;
    // User 0 may only get items 4 and 5 as negatives.
    torch::Tensor user0 = e.item_id.masked_select(negative & e.user_id.eq(0));
    EXPECT_TRUE((user0.eq(4) | user0.eq(5)).all().item<bool>());
  }
}

TEST_F(UniformSamplerTest, NegativesAreRoughlyUniform) {
  auto sampler = make(3000);
  Examples e = draw(*sampler, 3);
  // User 2's negatives are uniform over items 1-5: each about 1/5 of 3000.
  torch::Tensor user2 = e.item_id.masked_select(e.label.eq(0) & e.user_id.eq(2));
  torch::Tensor counts = torch::bincount(user2, {}, 6).to(torch::kFloat64);
  EXPECT_EQ(counts[0].item<double>(), 0.0);
  for (int item = 1; item < 6; ++item) EXPECT_NEAR(counts[item].item<double>(), 600.0, 90.0) << item;
}

TEST_F(UniformSamplerTest, DeterministicUnderASeed) {
  auto sampler = make(4);
  EXPECT_TRUE(torch::equal(draw(*sampler, 5).item_id, draw(*sampler, 5).item_id));
  EXPECT_FALSE(torch::equal(draw(*sampler, 5).item_id, draw(*sampler, 6).item_id));
}

TEST_F(UniformSamplerTest, AUserWithEveryItemIsAnError) {
  PositiveSet full(torch::arange(6, torch::kInt64).mul(0), torch::arange(6, torch::kInt64), 1, 6);
  auto sampler = make(1);
  at::Generator g = core::make_generator(1, core::SeedStream::train_epoch);
  EXPECT_THROW(sampler->sample(torch::zeros({1}, torch::kInt64), torch::zeros({1}, torch::kInt64), full, g), Error);
}

TEST_F(UniformSamplerTest, NegativeCountIsRangeChecked) {
  EXPECT_THROW(make(-1), ConfigError);
  EXPECT_NO_THROW(make(10'000));
  // The probe's 4294967296 allocated until the allocator failed, naming no key.
  try {
    make(4294967296);
    ADD_FAILURE() << "num_negatives = 4294967296 was accepted";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "test.toml:2:17: sampler.num_negatives: must be in [0, 10000]");
  }
}

TEST(PositiveSetTest, MembershipAndCounts) {
  PositiveSet set(torch::tensor({1, 0, 1, 1}, torch::kInt64), torch::tensor({2, 0, 2, 3}, torch::kInt64), 3, 4);
  EXPECT_TRUE(
      torch::equal(set.contains(torch::tensor({1, 1, 0, 2}, torch::kInt64), torch::tensor({2, 1, 0, 3}, torch::kInt64)),
                   torch::tensor({true, false, true, false})));
  EXPECT_TRUE(torch::equal(set.positives_per_user(), torch::tensor({1, 2, 0}, torch::kInt64)));
}

TEST_F(UniformSamplerTest, Conforms) {
  RECSYS_EXPECT_CONFORMS(conformance::check_sampler(*make(4)));
}

}  // namespace
}  // namespace recsys
