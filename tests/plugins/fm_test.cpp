// The fm model, loaded through the host's loader, and its O(kn) pairwise term.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "fm_interaction.hpp"
#include "model_checks.hpp"

namespace recsys {
namespace {

RECSYS_MODEL_BASIC_TESTS(FMTest, "model_fm", "fm")

TEST_F(FMTest, DefaultParameterCountMatchesTheLayerSizes) {
  // ml-100k: 3277 categorical rows, 21 continuous features; k = 10.
  // Factors 3277 * 10 + linear weights 3277; continuous factors 21 * 10 + weights 21; bias 1.
  // Total 32770 + 3277 + 210 + 21 + 1 = 36279.
  EXPECT_EQ(test::count_parameters(*make()), 36279);
}

TEST(FMPairwiseTest, EqualsTheBruteForceSumOverAllPairs) {
  torch::manual_seed(11);
  const torch::Tensor v = torch::randn({7, 9, 5}, torch::kFloat64);  // B = 7, n = 9, k = 5
  torch::Tensor brute = torch::zeros({7}, torch::kFloat64);
  for (int i = 0; i < 9; ++i) {
    for (int j = i + 1; j < 9; ++j) brute += (v.select(1, i) * v.select(1, j)).sum(1);
  }
  EXPECT_TRUE(torch::allclose(fm::pairwise_interaction(v), brute, 1e-12, 1e-12));
}

TEST(FMPairwiseTest, SplitFormHasTheBruteForceValueAndGradients) {
  torch::manual_seed(12);
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64).requires_grad(true);
  const torch::Tensor v = torch::randn({6, 4, 3}, f64), w = torch::randn({5, 3}, f64);
  const torch::Tensor x = torch::randn({6, 5}, torch::kFloat64);
  const torch::Tensor all = torch::cat({v, x.unsqueeze(2) * w}, 1);  // the n = 9 factor vectors
  torch::Tensor brute = torch::zeros({6}, torch::kFloat64);
  for (int i = 0; i < 9; ++i) {
    for (int j = i + 1; j < 9; ++j) brute += (all.select(1, i) * all.select(1, j)).sum(1);
  }
  const torch::Tensor weights = torch::randn({6}, torch::kFloat64);  // a random upstream gradient
  const auto expected = torch::autograd::grad({(brute * weights).sum()}, {v, w});
  // The tensor-operation definition and the fused autograd node.
  for (const torch::Tensor& split : {fm::pairwise_interaction_reference(v, x, w), fm::pairwise_interaction(v, x, w)}) {
    EXPECT_TRUE(torch::allclose(split, brute, 1e-12, 1e-12));
    const auto actual = torch::autograd::grad({(split * weights).sum()}, {v, w});
    EXPECT_TRUE(torch::allclose(actual[0], expected[0], 1e-12, 1e-12));
    EXPECT_TRUE(torch::allclose(actual[1], expected[1], 1e-12, 1e-12));
  }
}

TEST(FMPairwiseTest, FusedNodeGivesTheContinuousFeaturesGradientToo) {
  torch::manual_seed(13);
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64).requires_grad(true);
  const torch::Tensor v = torch::randn({5, 3, 4}, f64), x = torch::randn({5, 2}, f64), w = torch::randn({2, 4}, f64);
  const torch::Tensor all = torch::cat({v, x.unsqueeze(2) * w}, 1);  // n = 5 factor vectors
  const torch::Tensor brute = fm::pairwise_interaction(all);
  const torch::Tensor weights = torch::randn({5}, torch::kFloat64);
  const auto expected = torch::autograd::grad({(brute * weights).sum()}, {v, x, w});
  const auto actual = torch::autograd::grad({(fm::pairwise_interaction(v, x, w) * weights).sum()}, {v, x, w});
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(torch::allclose(actual[i], expected[i], 1e-12, 1e-12)) << "input " << i;
  // float32, the model's type: within float rounding of the float64 value.
  const torch::Tensor value32 = fm::pairwise_interaction(v.detach().to(torch::kFloat), x.detach().to(torch::kFloat),
                                                         w.detach().to(torch::kFloat));
  EXPECT_TRUE(torch::allclose(value32.to(torch::kFloat64), brute.detach(), 1e-5, 1e-5));
}

TEST_F(FMTest, LogitIsBiasPlusLinearPlusPairwise) {
  auto model = make("embedding_dim = 3\n");
  auto p = model->named_parameters();
  const Batch batch = test::random_batch(schema, 4);
  torch::NoGradGuard no_grad;
  p["bias"].fill_(0.5f);
  // Field rows in the shared tables: user, item + 942, occupation + 2389, zip + 2410, year + 3205.
  const torch::Tensor rows =
      torch::stack({batch.user_id, batch.item_id + 942, batch.user_categorical.select(1, 0) + 2389,
                    batch.user_categorical.select(1, 1) + 2410, batch.item_categorical.select(1, 0) + 3205},
                   1);
  const torch::Tensor x = torch::cat({batch.user_continuous, batch.item_continuous}, 1);  // [4, 21]
  const torch::Tensor v =
      torch::cat({p["factors.table.weight"].index({rows}), x.unsqueeze(2) * p["continuous_factors"]}, 1);  // [4, 26, 3]
  torch::Tensor pairs = torch::zeros({4});
  for (int i = 0; i < 26; ++i) {
    for (int j = i + 1; j < 26; ++j) pairs += (v.select(1, i) * v.select(1, j)).sum(1);
  }
  const torch::Tensor linear =
      p["linear.table.weight"].squeeze(1).index({rows}).sum(1) + x.matmul(p["continuous_linear.weight"].squeeze(0));
  EXPECT_TRUE(torch::allclose(model->forward(batch), 0.5f + linear + pairs, 1e-5, 1e-6));
}

TEST_F(FMTest, NotebookNameIsAnAlias) {
  EXPECT_EQ(test::count_parameters(*factory.make("FactorizationMachines", "", schema)), 36279);
}

}  // namespace
}  // namespace recsys
