// recsys::nn::Dropout: the same function as torch's inverted dropout, from a counter-based mask.
#include <gtest/gtest.h>

#include <cmath>

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "recsys/nn/dropout.hpp"

namespace recsys {
namespace {

class DropoutTest : public ::testing::Test {
 protected:
  void SetUp() override { torch::manual_seed(7); }
  nn::Dropout dropout{nn::DropoutOptions(0.2)};
  torch::Tensor x = torch::rand({1000, 1000}) + 0.5;  // no zeros: kept elements are recognisable
};

TEST_F(DropoutTest, EvaluationIsTheIdentity) {
  dropout->eval();
  EXPECT_TRUE(torch::equal(dropout->forward(x), x));
}

TEST_F(DropoutTest, KeepsAboutOneMinusPScaledAndZeroesTheRest) {
  const torch::Tensor y = dropout->forward(x);
  const torch::Tensor kept = y != 0;
  // Kept elements are x / (1 - p) exactly as torch computes it (x * 1.25f).
  EXPECT_TRUE(torch::equal(y.masked_select(kept), x.masked_select(kept) * 1.25f));
  // 10^6 Bernoulli(0.8) draws: standard deviation of the kept share 4e-4; allow 5 of them.
  const double share = kept.to(torch::kDouble).mean().item<double>();
  EXPECT_NEAR(share, 0.8, 0.002);
  // The two halves of one hash decide neighbours: both kept with probability 0.64.
  const torch::Tensor pairs = kept.view({-1, 2});
  EXPECT_NEAR((pairs.select(1, 0) & pairs.select(1, 1)).to(torch::kDouble).mean().item<double>(), 0.64, 0.003);
  // Consecutive calls draw new masks.
  EXPECT_FALSE(torch::equal(dropout->forward(x) != 0, kept));
}

TEST_F(DropoutTest, TheSeedDecidesTheMaskWhateverTheThreadCount) {
  const int threads = at::get_num_threads();
  torch::manual_seed(3);
  at::set_num_threads(1);
  const torch::Tensor one = dropout->forward(x);
  torch::manual_seed(3);
  at::set_num_threads(2);
  const torch::Tensor two = dropout->forward(x);
  at::set_num_threads(threads);
  EXPECT_TRUE(torch::equal(one, two));
}

TEST_F(DropoutTest, GradientIsTheUpstreamGradientThroughTheMask) {
  const torch::Tensor input = x.clone().requires_grad_(true);
  const torch::Tensor y = dropout->forward(input);
  const torch::Tensor upstream = torch::randn_like(x);
  (y * upstream).sum().backward();
  const torch::Tensor mask = (y != 0).to(torch::kFloat) * 1.25f;
  EXPECT_TRUE(torch::equal(input.grad(), upstream * mask));
}

TEST_F(DropoutTest, ProbabilityOutsideZeroOneIsRefused) {
  EXPECT_THROW(nn::Dropout(nn::DropoutOptions(1.0)), std::invalid_argument);
  EXPECT_THROW(nn::Dropout(nn::DropoutOptions(-0.1)), std::invalid_argument);
}

}  // namespace
}  // namespace recsys
