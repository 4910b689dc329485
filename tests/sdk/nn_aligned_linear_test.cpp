// recsys::nn::AlignedLinear: torch::nn::Linear's values and gradients, computed on padded
// matmuls; the padding is worked out by hand for a few widths.
#include <gtest/gtest.h>

#include <sstream>

#include <torch/torch.h>

#include "recsys/nn/aligned_linear.hpp"
#include "recsys/nn/mlp.hpp"

namespace recsys {
namespace {

class AlignedLinearTest : public ::testing::Test {
 protected:
  void SetUp() override { torch::manual_seed(11); }
};

TEST_F(AlignedLinearTest, WidthIsTheNextMultipleOf16BelowTheLimit) {
  EXPECT_EQ(nn::aligned_width(1), 16);
  EXPECT_EQ(nn::aligned_width(16), 16);
  EXPECT_EQ(nn::aligned_width(31), 32);
  EXPECT_EQ(nn::aligned_width(33), 48);
  EXPECT_EQ(nn::aligned_width(127), 128);
  EXPECT_EQ(nn::aligned_width(128), 128);
  EXPECT_EQ(nn::aligned_width(341), 341);  // wide inputs are left alone
}

// Same weights in both layers, float64: the padded product adds exact zeros only.
void expect_same_as_linear(std::int64_t in, bool with_bias) {
  nn::AlignedLinear aligned(torch::nn::LinearOptions(in, 7).bias(with_bias));
  torch::nn::Linear plain(torch::nn::LinearOptions(in, 7).bias(with_bias));
  aligned->to(torch::kDouble);
  plain->to(torch::kDouble);
  {
    torch::NoGradGuard no_grad;
    plain->weight.copy_(aligned->weight);
    if (with_bias) plain->bias.copy_(aligned->bias);
  }
  const torch::Tensor x = torch::randn({9, in}, torch::kDouble);
  const torch::Tensor xa = x.clone().requires_grad_(true), xp = x.clone().requires_grad_(true);
  const torch::Tensor upstream = torch::randn({9, 7}, torch::kDouble);
  const torch::Tensor ya = aligned->forward(xa), yp = plain->forward(xp);
  ASSERT_EQ(ya.sizes(), yp.sizes());
  EXPECT_TRUE(torch::allclose(ya, yp, 0.0, 1e-12));
  (ya * upstream).sum().backward();
  (yp * upstream).sum().backward();
  EXPECT_TRUE(torch::allclose(xa.grad(), xp.grad(), 0.0, 1e-12));
  ASSERT_EQ(aligned->weight.grad().sizes(), plain->weight.grad().sizes());
  EXPECT_TRUE(torch::allclose(aligned->weight.grad(), plain->weight.grad(), 0.0, 1e-12));
  if (with_bias) {
    EXPECT_TRUE(torch::allclose(aligned->bias.grad(), plain->bias.grad(), 0.0, 1e-12));
  }
}

TEST_F(AlignedLinearTest, PaddedWidthGivesLinearsValuesAndGradients) {
  expect_same_as_linear(31, /*with_bias=*/true);
  expect_same_as_linear(5, /*with_bias=*/false);
}

TEST_F(AlignedLinearTest, AlignedAndWideWidthsAreLinearItself) {
  expect_same_as_linear(32, /*with_bias=*/true);
  expect_same_as_linear(130, /*with_bias=*/true);
}

TEST_F(AlignedLinearTest, ParametersKeepLinearsShapesAndNames) {
  // Checkpoints of models built before AlignedLinear load unchanged: weight [out, in], bias [out].
  nn::AlignedLinear layer(31, 512);
  const auto named = layer->named_parameters();
  ASSERT_EQ(named.size(), 2u);
  EXPECT_EQ(named["weight"].sizes(), (std::vector<std::int64_t>{512, 31}));
  EXPECT_EQ(named["bias"].sizes(), (std::vector<std::int64_t>{512}));
  // An MLP's layers are still found as torch::nn::Linear (e.g. for FLOP counts).
  std::int64_t out = 0;
  torch::nn::Sequential mlp = nn::make_mlp(31, {16}, 0.0, &out);
  EXPECT_NE(mlp[0]->as<torch::nn::Linear>(), nullptr);
}

}  // namespace
}  // namespace recsys
