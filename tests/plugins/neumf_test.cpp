// The neumf model, loaded through the host's loader.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "model_checks.hpp"
#include "recsys/errors.hpp"

namespace recsys {
namespace {

RECSYS_MODEL_BASIC_TESTS(NeuMFTest, "model_neumf", "neumf")

TEST_F(NeuMFTest, DefaultParameterCountMatchesTheLayerSizes) {
  // ml-100k: user side 942 ids + 21 + 795 categorical = 1758 rows, 2 continuous columns;
  // item side 1447 + 72 = 1519 rows, 19 columns.
  // GMF towers (8): 1758*8 + 2*8 + 1519*8 + 19*8 = 14080 + 12304.
  // MLP towers (32): 1758*32 + 2*32 + 1519*32 + 19*32 = 56320 + 49216.
  // MLP 64 -> 32 -> 16: 65*32 + 33*16 = 2080 + 528. Output (8 + 16) + 1 = 25.
  // Biases 942 + 1447 = 2389. Total 136942.
  EXPECT_EQ(test::count_parameters(*make()), 136942);
}

TEST_F(NeuMFTest, OutputLayerConcatenatesGmfThenMlp) {
  // mf_dim 2, mlp_dim 3, layers [6, 4]: 6 = 2 * mlp_dim is the input width; one hidden layer of 4.
  auto model = make("mf_dim = 2\nmlp_dim = 3\nlayers = [6, 4]\nuse_features = false\ninclude_bias = false\n");
  model->eval();
  auto p = model->named_parameters();
  const Batch batch = test::random_batch(schema, 5);
  torch::NoGradGuard no_grad;
  const torch::Tensor gmf =
      p["gmf_user.id.weight"].index_select(0, batch.user_id) * p["gmf_item.id.weight"].index_select(0, batch.item_id);
  const torch::Tensor mlp_in = torch::cat(
      {p["mlp_user.id.weight"].index_select(0, batch.user_id), p["mlp_item.id.weight"].index_select(0, batch.item_id)},
      1);
  const torch::Tensor hidden = torch::relu(torch::addmm(p["mlp.0.bias"], mlp_in, p["mlp.0.weight"].t()));
  ASSERT_EQ(p["out.weight"].sizes(), torch::IntArrayRef({1, 2 + 4}));
  p["out.bias"].zero_();
  // Weight on the first 2 inputs only: the output is the sum of the GMF vector.
  p["out.weight"].copy_(torch::tensor({1.f, 1.f, 0.f, 0.f, 0.f, 0.f}).view({1, 6}));
  EXPECT_TRUE(torch::allclose(model->forward(batch), gmf.sum(1), 1e-5, 1e-8));
  // Weight on the last 4 only: the sum of the last MLP layer.
  p["out.weight"].copy_(torch::tensor({0.f, 0.f, 1.f, 1.f, 1.f, 1.f}).view({1, 6}));
  EXPECT_TRUE(torch::allclose(model->forward(batch), hidden.sum(1), 1e-5, 1e-8));
}

TEST_F(NeuMFTest, LayersWithoutTheInputWidthAreAllHidden) {
  // layers [16, 8] with mlp_dim 32: 16 != 64, so the MLP is 64 -> 16 -> 8.
  auto p = make("layers = [16, 8]\n")->named_parameters();
  EXPECT_EQ(p["mlp.0.weight"].sizes(), torch::IntArrayRef({16, 64}));
  EXPECT_EQ(p["out.weight"].sizes(), torch::IntArrayRef({1, 8 + 8}));
}

TEST_F(NeuMFTest, ExcludedFieldsHaveNoEmbedding) {
  // zip_code (795 values) has a row in the GMF (8) and MLP (32) user towers.
  EXPECT_EQ(test::count_parameters(*make()) - test::count_parameters(*make("exclude_fields = [\"zip_code\"]\n")),
            795 * (8 + 32));
  EXPECT_THROW(make("exclude_fields = [\"zipcode\"]\n"), ConfigError);
}

TEST_F(NeuMFTest, NotebookNameIsAnAlias) {
  EXPECT_EQ(test::count_parameters(*factory.make("NeuralColabFilter", "", schema)), 136942);
}

}  // namespace
}  // namespace recsys
