// The wide_deep model, loaded through the host's loader.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "model_checks.hpp"
#include "recsys/errors.hpp"

namespace recsys {
namespace {

RECSYS_MODEL_BASIC_TESTS(WideDeepTest, "model_wide_deep", "wide_deep")

TEST_F(WideDeepTest, DefaultParameterCountMatchesTheLayerSizes) {
  // ml-100k: 5 categorical fields with 942 + 1447 + 21 + 795 + 72 = 3277 rows; 21 continuous.
  // Wide: 3277 (1-d embeddings) + 21 + 1 bias. Deep embeddings: 3277 * 64 = 209728.
  // MLP 5*64 + 21 = 341 -> 512 -> 256 -> 128: 342*512 + 513*256 + 257*128
  // = 175104 + 131328 + 32896. Deep output 128 + 1. Total 552484.
  EXPECT_EQ(test::count_parameters(*make()), 552484);
}

TEST_F(WideDeepTest, WidePartIsALinearModelOverOneHotFieldsAndContinuousFeatures) {
  auto model = make("embedding_dim = 4\ndeep_layers = [8]\n");
  model->eval();
  auto p = model->named_parameters();
  const Batch batch = test::random_batch(schema, 6);
  torch::NoGradGuard no_grad;
  // Silence the deep part: the logit is the wide part alone.
  p["deep_out.weight"].zero_();
  p["deep_out.bias"].fill_(0.0f);
  p["bias"].fill_(0.25f);
  // Field rows in the shared table: user, item + 942, occupation + 2389, zip + 2410, year + 3205.
  const torch::Tensor w = p["wide_categorical.table.weight"].squeeze(1);
  const torch::Tensor expected =
      w.index_select(0, batch.user_id) + w.index_select(0, batch.item_id + 942) +
      w.index_select(0, batch.user_categorical.select(1, 0) + 2389) +
      w.index_select(0, batch.user_categorical.select(1, 1) + 2410) +
      w.index_select(0, batch.item_categorical.select(1, 0) + 3205) +
      torch::cat({batch.user_continuous, batch.item_continuous}, 1).matmul(p["wide_continuous.weight"].squeeze(0)) +
      0.25f;
  EXPECT_TRUE(torch::allclose(model->forward(batch), expected, 1e-5, 1e-7));
}

TEST_F(WideDeepTest, NotebookNameIsAnAlias) {
  EXPECT_EQ(test::count_parameters(*factory.make("WideAndDeep", "", schema)), 552484);
}

}  // namespace
}  // namespace recsys
