// The lr model, loaded through the host's loader: its size and its logit worked out by hand.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "model_checks.hpp"

namespace recsys {
namespace {

RECSYS_MODEL_BASIC_TESTS(LRTest, "model_lr", "lr")

TEST_F(LRTest, DefaultParameterCountIsOneWeightPerValueAndFeature) {
  // ml-100k: 942 + 1447 ids, occupation 21, zip_code 795, year 72 = 3277 categorical weights;
  // 2 + 19 continuous weights; 1 bias: 3299.
  EXPECT_EQ(test::count_parameters(*make()), 3299);
}

TEST_F(LRTest, LogitIsTheBiasPlusTheWeightsOfEveryField) {
  FeatureSchema s;
  s.user.num_ids = 2;
  s.item.num_ids = 3;
  s.item.multi_categorical = {{"tags", 4, Pooling::mean}};
  s.context.continuous_dim = 1;
  s.context.continuous_names = {"hour"};
  auto model = factory.make("lr", "", s);
  // Set every weight by hand: id weights, tag weights, the hour's weight and the bias.
  torch::NoGradGuard no_grad;
  for (auto& p : model->named_parameters()) {
    if (p.key() == "weights.table.weight") p.value().copy_(torch::tensor({0.1f, 0.2f, 1.f, 2.f, 3.f}).view({5, 1}));
    if (p.key() == "weights.multi_table.weight") p.value().copy_(torch::tensor({10.f, 20.f, 30.f, 40.f}).view({4, 1}));
    if (p.key() == "continuous.weight") p.value().fill_(0.5f);
    if (p.key() == "bias") p.value().fill_(-1.f);
  }
  Batch b;
  b.user_id = torch::tensor({1, 0}, torch::kInt64);
  b.item_id = torch::tensor({2, 0}, torch::kInt64);
  b.user_continuous = torch::zeros({2, 0});
  b.user_categorical = torch::zeros({2, 0}, torch::kInt64);
  b.item_continuous = torch::zeros({2, 0});
  b.item_categorical = torch::zeros({2, 0}, torch::kInt64);
  // Row 0 has tags {1, 3} (mean 30), row 1 none (0).
  b.item_multi_categorical = {{torch::tensor({1, 3}, torch::kInt64), torch::tensor({0, 2, 2}, torch::kInt64)}};
  b.context_continuous = torch::tensor({4.f, 2.f}).view({2, 1});
  b.context_categorical = torch::zeros({2, 0}, torch::kInt64);
  // Row 0: -1 + 0.2 (user 1) + 3 (item 2) + 30 + 0.5 * 4 = 34.2; row 1: -1 + 0.1 + 1 + 0 + 1 = 1.1.
  const torch::Tensor logits = model->forward(b);
  EXPECT_NEAR(logits[0].item<float>(), 34.2f, 1e-5);
  EXPECT_NEAR(logits[1].item<float>(), 1.1f, 1e-5);
}

}  // namespace
}  // namespace recsys
