// The popularity sampler (and the hard sampler's candidates), loaded through the host's loader:
// the drawn distribution against count^alpha renormalised over each user's allowed items.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "recsys/conformance_gtest.hpp"
#include "recsys/core/seed.hpp"
#include "recsys/errors.hpp"
#include "test_support.hpp"

namespace recsys {
namespace {

class PopularitySamplerTest : public ::testing::Test {
 protected:
  std::shared_ptr<Sampler> make(const std::string& table) {
    config = std::make_unique<core::PipelineConfig>(test::parse_config("[sampler]\n" + table));
    return registry.create<PluginKind::sampler>("popularity", config->section("sampler"));
  }
  core::PluginRegistry registry = test::registry_with("sampler_popularity");
  std::unique_ptr<core::PipelineConfig> config;
};

TEST_F(PopularitySamplerTest, DrawsCountToTheAlphaOverTheAllowedItemsAndNeverAPositive) {
  // 50 items; item i has i + 1 training interactions (users 1..), so count(i) = i + 1.
  const std::int64_t items = 50;
  std::vector<std::int64_t> u, it;
  for (std::int64_t i = 0; i < items; ++i) {
    for (std::int64_t c = 0; c <= i; ++c) {
      u.push_back(1 + c);
      it.push_back(i);
    }
  }
  const torch::Tensor train_users = torch::tensor(u), train_items = torch::tensor(it);
  auto sampler = make("num_negatives = 1000\nalpha = 0.75\n");
  sampler->fit_on_training_split(train_users, train_items, 51, items);
  // User 0 has positives 10..19 (another split's, say): 1000 positives x 1000 negatives.
  const torch::Tensor positives_user = torch::zeros({10}, torch::kInt64);
  const torch::Tensor positives_item = torch::arange(10, 20, torch::kInt64);
  const PositiveSet positives(torch::cat({positives_user, train_users}), torch::cat({positives_item, train_items}), 51,
                              items);
  at::Generator g = core::make_generator(5, core::SeedStream::train_epoch);
  const Examples e =
      sampler->sample(torch::zeros({1000}, torch::kInt64), torch::full({1000}, 10, torch::kInt64), positives, g);
  ASSERT_EQ(e.group_size, 1001);
  const torch::Tensor negatives = e.item_id.view({1000, 1001}).slice(1, 1).reshape(-1);
  ASSERT_EQ(negatives.numel(), 1000000);
  EXPECT_FALSE(negatives.ge(10).logical_and(negatives.lt(20)).any().item<bool>());
  // Expected: (i + 1)^0.75, 0 on the user's positives, renormalised.
  torch::Tensor expected = (torch::arange(items, torch::kFloat64) + 1).pow(0.75);
  expected.slice(0, 10, 20).zero_();
  expected /= expected.sum();
  const torch::Tensor observed = torch::bincount(negatives, {}, items).to(torch::kFloat64) / 1e6;
  EXPECT_LT(0.5 * (observed - expected).abs().sum().item<double>(), 0.005);
  // log q is log p(item) under count^alpha over all items, for the positive too.
  torch::Tensor p = (torch::arange(items, torch::kFloat64) + 1).pow(0.75);
  p /= p.sum();
  EXPECT_NEAR(e.log_q[0].item<double>(), std::log(p[10].item<double>()), 1e-5);
  EXPECT_NEAR(e.log_q[1].item<double>(), std::log(p[e.item_id[1].item<std::int64_t>()].item<double>()), 1e-5);
}

TEST_F(PopularitySamplerTest, TheSameSeedGivesTheSameNegatives) {
  auto sampler = make("num_negatives = 3\n");
  const torch::Tensor users = torch::tensor({0, 1, 1, 2}, torch::kInt64), items = torch::tensor({0, 1, 2, 2});
  sampler->fit_on_training_split(users, items, 3, 8);
  const PositiveSet positives(users, items, 3, 8);
  at::Generator a = core::make_generator(9, core::SeedStream::train_epoch);
  at::Generator b = core::make_generator(9, core::SeedStream::train_epoch);
  EXPECT_TRUE(torch::equal(sampler->sample(users, items, positives, a).item_id,
                           sampler->sample(users, items, positives, b).item_id));
}

TEST_F(PopularitySamplerTest, SamplingBeforeTheFitIsAnErrorAndAlphaIsChecked) {
  auto sampler = make("");
  const torch::Tensor users = torch::tensor({0}, torch::kInt64), items = torch::tensor({0}, torch::kInt64);
  at::Generator g = core::make_generator(1, core::SeedStream::train_epoch);
  EXPECT_THROW(sampler->sample(users, items, PositiveSet(users, items, 1, 4), g), Error);
  EXPECT_THROW(make("alpha = -1\n"), ConfigError);
}

TEST(HardSamplerTest, DrawsCandidatesAndAsksForTheHardest) {
  core::PluginRegistry registry = test::registry_with("sampler_uniform");
  const auto config = test::parse_config("[sampler]\nnum_negatives = 2\ncandidates = 5\n");
  auto sampler = registry.create<PluginKind::sampler>("hard", config.section("sampler"));
  const torch::Tensor users = torch::tensor({0, 1}, torch::kInt64), items = torch::tensor({0, 1}, torch::kInt64);
  at::Generator g = core::make_generator(1, core::SeedStream::train_epoch);
  const Examples e = sampler->sample(users, items, PositiveSet(users, items, 2, 20), g);
  EXPECT_EQ(e.group_size, 6);
  EXPECT_EQ(e.hard_negatives, 2);
  EXPECT_EQ(e.size(), 12);
  const auto bad = test::parse_config("[sampler]\nnum_negatives = 3\ncandidates = 3\n");
  EXPECT_THROW(registry.create<PluginKind::sampler>("hard", bad.section("sampler")), ConfigError);
}

}  // namespace
}  // namespace recsys
