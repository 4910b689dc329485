// The autoint model, loaded through the host's loader, and its interacting layer.
#include <gtest/gtest.h>

#include <cmath>

#include <torch/torch.h>

#include "interacting_layer.hpp"
#include "model_checks.hpp"
#include "recsys/errors.hpp"

namespace recsys {
namespace {

RECSYS_MODEL_BASIC_TESTS(AutoIntTest, "model_autoint", "autoint")

TEST_F(AutoIntTest, DefaultParameterCountMatchesTheLayerSizes) {
  // ml-100k: 3277 categorical rows in 5 fields; D = 64.
  // Embeddings 3277 * 64 = 209728. Continuous tokens: (2 + 1) * 64 + (19 + 1) * 64 = 192 + 1280.
  // Interacting layers: 3 * 4 * 64 * 64 (W_q, W_k, W_v, W_res) = 49152.
  // Output over 7 tokens: 7 * 64 + 1 = 449. Total 260801.
  EXPECT_EQ(test::count_parameters(*make()), 260801);
}

TEST(AutoIntHeadsTest, HeadsSplitEachFieldsVector) {
  // 2 fields, 2 heads of size 1: queries [[1, 2], [3, 4]] (rows are fields) give head 0 the
  // values [1, 3] and head 1 the values [2, 4].
  const torch::Tensor q = torch::tensor({{1.0f, 2.0f}, {3.0f, 4.0f}}).view({1, 2, 2});
  const torch::Tensor heads = autoint::split_heads(q, 2);  // [B, H, F, D/H]
  ASSERT_EQ(heads.sizes(), torch::IntArrayRef({1, 2, 2, 1}));
  EXPECT_TRUE(torch::equal(heads[0][0].flatten(), torch::tensor({1.0f, 3.0f})));
  EXPECT_TRUE(torch::equal(heads[0][1].flatten(), torch::tensor({2.0f, 4.0f})));
  EXPECT_TRUE(torch::equal(autoint::merge_heads(heads), q));
}

TEST(AutoIntHeadsTest, AttentionKnownAnswer) {
  // W_q = W_k = W_v = I, no residual, fields [1, 2] and [3, 4], 2 heads of size 1. Head 0 sees
  // values 1 and 3: field 0 attends with softmax([1*1, 1*3]), field 1 with softmax([3, 9]).
  // Head 1 sees 2 and 4: softmax([4, 8]) and softmax([8, 16]). Worked out with numpy:
  autoint::InteractingLayer layer(2, 2, /*residual=*/false);
  torch::NoGradGuard no_grad;
  for (auto& p : layer->parameters()) p.copy_(torch::eye(2));
  const torch::Tensor x = torch::tensor({{1.0f, 2.0f}, {3.0f, 4.0f}}).view({1, 2, 2});
  const torch::Tensor expected = torch::tensor({{2.76159416f, 3.96402758f}, {2.99505475f, 3.9993293f}}).view({1, 2, 2});
  EXPECT_TRUE(torch::allclose(layer->forward(x), expected, 1e-5, 1e-6));
}

/// The fused kernel against the tensor-op form: values and the gradients of q, k and v.
void expect_fused_attention_matches(torch::ScalarType dtype, std::int64_t t, std::int64_t heads, std::int64_t dh,
                                    double tolerance) {
  torch::manual_seed(21);
  const auto options = torch::TensorOptions().dtype(dtype).requires_grad(true);
  const torch::Tensor q = torch::randn({5, t, heads * dh}, options), k = torch::randn({5, t, heads * dh}, options);
  const torch::Tensor v = torch::randn({5, t, heads * dh}, options);
  const torch::Tensor upstream = torch::randn({5, t, heads * dh}, torch::TensorOptions().dtype(dtype));
  const double scale = 1.0 / std::sqrt(static_cast<double>(dh));
  const torch::Tensor expected = autoint::attention_reference(q, k, v, heads, scale);
  const torch::Tensor actual = autoint::multi_head_attention(q, k, v, heads, scale);
  EXPECT_TRUE(torch::allclose(actual, expected, tolerance, tolerance));
  const auto want = torch::autograd::grad({(expected * upstream).sum()}, {q, k, v});
  const auto got = torch::autograd::grad({(actual * upstream).sum()}, {q, k, v});
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(torch::allclose(got[i], want[i], tolerance, tolerance)) << "gradient " << i << "\n"
                                                                        << (got[i] - want[i]).abs().max();
  }
}

TEST(AutoIntHeadsTest, FusedAttentionEqualsTheTensorOpForm) {
  expect_fused_attention_matches(torch::kFloat64, 8, 8, 8, 1e-12);  // ml-100k's shape
  expect_fused_attention_matches(torch::kFloat64, 3, 2, 5, 1e-12);
  expect_fused_attention_matches(torch::kFloat32, 8, 8, 8, 1e-5);
}

TEST_F(AutoIntTest, HeadsMustDivideTheEmbedding) {
  EXPECT_THROW(make("embedding_dim = 10\nnum_heads = 4\n"), ConfigError);
}

TEST_F(AutoIntTest, NotebookNameIsAnAlias) {
  EXPECT_EQ(test::count_parameters(*factory.make("AutoInt", "", schema)), 260801);
}

}  // namespace
}  // namespace recsys
