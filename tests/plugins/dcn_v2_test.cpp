// The dcn_v2 model, loaded through the host's loader, and its full-rank cross layer.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "cross_layer_v2.hpp"
#include "model_checks.hpp"

namespace recsys {
namespace {

RECSYS_MODEL_BASIC_TESTS(DCNV2Test, "model_dcn_v2", "dcn_v2")

TEST_F(DCNV2Test, DefaultParameterCountMatchesTheLayerSizes) {
  // ml-100k: 3277 categorical rows in 5 fields, 21 continuous columns; embedding_dim 64.
  // Embeddings 3277 * 64 = 209728. d0 = 5*64 + 21 = 341. Cross: 3 * (341*341 + 341) = 349866.
  // MLP 341 -> 512 -> 256 -> 128: 342*512 + 513*256 + 257*128 = 339328.
  // Output (341 + 128) + 1 = 470. Total 899392.
  EXPECT_EQ(test::count_parameters(*make()), 899392);
}

TEST(CrossLayerV2Test, KnownAnswer) {
  // x_{l+1} = x0 * (W x_l + b) + x_l with x0 = x_l = [1, 2], W = diag(0.5, 0.5), b = [0.1, 0.1]:
  // W x + b = [0.6, 1.1]; [1, 2] * [0.6, 1.1] + [1, 2] = [1.6, 4.2].
  dcn_v2::CrossLayerV2 layer(2);
  torch::NoGradGuard no_grad;
  layer->linear()->weight.copy_(torch::tensor({{0.5f, 0.0f}, {0.0f, 0.5f}}));
  layer->linear()->bias.copy_(torch::tensor({0.1f, 0.1f}));
  const torch::Tensor x = torch::tensor({{1.0f, 2.0f}});
  EXPECT_TRUE(torch::allclose(layer->forward(x, x), torch::tensor({{1.6f, 4.2f}})));
}

TEST_F(DCNV2Test, CrossMatricesAreFullRank) {
  auto p = make("embedding_dim = 4\ncross_layers = 2\n")->named_parameters();
  const std::int64_t d0 = 5 * 4 + 21;
  EXPECT_EQ(p["cross.0.linear.weight"].sizes(), torch::IntArrayRef({d0, d0}));
  EXPECT_EQ(p["cross.1.linear.weight"].sizes(), torch::IntArrayRef({d0, d0}));
  EXPECT_FALSE(p.contains("cross.2.linear.weight"));
}

TEST_F(DCNV2Test, NotebookNameIsAnAlias) {
  EXPECT_EQ(test::count_parameters(*factory.make("DCNV2", "", schema)), 899392);
}

}  // namespace
}  // namespace recsys
