// recsys::nn::Embedding: torch::nn::Embedding's values and weight gradients, bit for bit, with
// repeated indices (the rows that sum several gradients).
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "recsys/nn/embedding.hpp"

namespace recsys {
namespace {

class EmbeddingTest : public ::testing::Test {
 protected:
  void SetUp() override { torch::manual_seed(5); }

  /// Both modules with the same weights on `indices`; the same upstream gradient.
  void expect_same_as_torch(torch::nn::EmbeddingOptions options, const torch::Tensor& indices) {
    nn::Embedding ours(options);
    torch::nn::Embedding theirs(options);
    {
      torch::NoGradGuard no_grad;
      theirs->weight.copy_(ours->weight);
    }
    const torch::Tensor a = ours->forward(indices), b = theirs->forward(indices);
    ASSERT_EQ(a.sizes(), b.sizes());
    EXPECT_TRUE(torch::equal(a, b));
    const torch::Tensor upstream = torch::randn(a.sizes());
    (a * upstream).sum().backward();
    (b * upstream).sum().backward();
    EXPECT_TRUE(torch::equal(ours->weight.grad(), theirs->weight.grad()));
  }
};

TEST_F(EmbeddingTest, RepeatedIndicesSumTheirGradientsAsTorchDoes) {
  // 2000 lookups into 50 rows: every row is hit about 40 times.
  expect_same_as_torch(torch::nn::EmbeddingOptions(50, 10), torch::randint(0, 50, {400, 5}));
  expect_same_as_torch(torch::nn::EmbeddingOptions(7, 1), torch::randint(0, 7, {300}));
}

TEST_F(EmbeddingTest, HandWorkedGradient) {
  nn::Embedding table(3, 2);
  const torch::Tensor out = table->forward(torch::tensor({2, 0, 2}, torch::kInt64));
  (out * torch::tensor({{1.0f, 2.0f}, {3.0f, 4.0f}, {5.0f, 6.0f}})).sum().backward();
  // row 0 gets the second upstream row, row 1 nothing, row 2 the first and the third summed.
  EXPECT_TRUE(torch::equal(table->weight.grad(), torch::tensor({{3.0f, 4.0f}, {0.0f, 0.0f}, {6.0f, 8.0f}})));
}

TEST_F(EmbeddingTest, OptionsThatChangeTheLookupUseTorchsOwn) {
  expect_same_as_torch(torch::nn::EmbeddingOptions(20, 4).padding_idx(0), torch::randint(0, 20, {100}));
  expect_same_as_torch(torch::nn::EmbeddingOptions(20, 4).scale_grad_by_freq(true), torch::randint(0, 20, {100}));
}

TEST_F(EmbeddingTest, OutOfRangeIndexThrows) {
  nn::Embedding table(4, 3);
  EXPECT_THROW(table->forward(torch::tensor({1, 4}, torch::kInt64)), c10::Error);
  EXPECT_THROW(table->forward(torch::tensor({-1}, torch::kInt64)), c10::Error);
}

}  // namespace
}  // namespace recsys
