// The lightgcn model, loaded through the host's loader: propagation against a dense-matrix
// computation of the paper's formula, and a graph built from the training rows only.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "model_checks.hpp"

namespace recsys {
namespace {

RECSYS_MODEL_BASIC_TESTS(LightGcnTest, "model_lightgcn", "lightgcn")

/// 3 users, 4 items; rows (user, item): (0,0) (0,1) (1,1) (2,2) (1,3); the last held out.
struct SmallGraph {
  FeatureSchema schema;
  InteractionData data;
  torch::Tensor train = torch::tensor({0, 1, 2, 3}, torch::kInt64);
  SmallGraph() {
    schema.user.num_ids = 3;
    schema.item.num_ids = 4;
    data.user_id = torch::tensor({0, 0, 1, 2, 1}, torch::kInt64);
    data.item_id = torch::tensor({0, 1, 1, 2, 3}, torch::kInt64);
  }
};

Batch pairs(const std::vector<std::int64_t>& users, const std::vector<std::int64_t>& items) {
  Batch b;
  b.user_id = torch::tensor(users, torch::kInt64);
  b.item_id = torch::tensor(items, torch::kInt64);
  return b;
}

TEST_F(LightGcnTest, PropagationEqualsTheDenseFormula) {
  SmallGraph g;
  auto model = factory.make("lightgcn", "embedding_dim = 3\nnum_layers = 2\n", g.schema);
  model->fit_on_training_split(g.data, g.train);
  const auto params = model->named_parameters();
  const torch::Tensor e0 = torch::cat({params["user.weight"], params["item.weight"]}).detach().to(torch::kFloat64);
  // A: users 0-2, items 3-6; training edges u0-i0, u0-i1, u1-i1, u2-i2.
  torch::Tensor a = torch::zeros({7, 7}, torch::kFloat64);
  for (const auto& [u, i] : std::vector<std::pair<int, int>>{{0, 0}, {0, 1}, {1, 1}, {2, 2}}) {
    a[u][3 + i] = 1.0;
    a[3 + i][u] = 1.0;
  }
  const torch::Tensor degree = a.sum(1);
  const torch::Tensor d = torch::where(degree.gt(0), degree.pow(-0.5), torch::zeros_like(degree));
  const torch::Tensor a_hat = d.unsqueeze(1) * a * d.unsqueeze(0);
  const torch::Tensor e = (e0 + a_hat.mm(e0) + a_hat.mm(a_hat).mm(e0)) / 3.0;
  const std::vector<std::int64_t> users{0, 1, 2, 0}, items{1, 3, 2, 2};
  const torch::Tensor logits = model->forward(pairs(users, items)).to(torch::kFloat64);
  for (std::size_t r = 0; r < users.size(); ++r) {
    const double expected = e[users[r]].dot(e[3 + items[r]]).item<double>();
    EXPECT_NEAR(logits[static_cast<std::int64_t>(r)].item<double>(), expected, 1e-6) << "row " << r;
  }
  // Gradients of the summed logits with respect to the embeddings, against autograd through
  // the dense formula.
  torch::Tensor dense_e0 = e0.clone().requires_grad_();
  const torch::Tensor dense_e = (dense_e0 + a_hat.mm(dense_e0) + a_hat.mm(a_hat).mm(dense_e0)) / 3.0;
  torch::Tensor dense_sum = torch::zeros({}, torch::kFloat64);
  for (std::size_t r = 0; r < users.size(); ++r) dense_sum = dense_sum + dense_e[users[r]].dot(dense_e[3 + items[r]]);
  dense_sum.backward();
  model->forward(pairs(users, items)).sum().backward();
  const torch::Tensor grad = torch::cat({params["user.weight"].grad(), params["item.weight"].grad()});
  EXPECT_TRUE(torch::allclose(grad.to(torch::kFloat64), dense_e0.grad(), 1e-5, 1e-6));
  // The factorised vectors give the same scores.
  const Batch b = pairs(users, items);
  EXPECT_TRUE(torch::allclose((model->user_vectors(b) * model->item_vectors(b)).sum(1), model->forward(b)));
}

TEST_F(LightGcnTest, TheGraphHoldsNoHeldOutEdge) {
  SmallGraph g;
  auto model = factory.make("lightgcn", "embedding_dim = 4\nnum_layers = 2\n", g.schema);
  model->fit_on_training_split(g.data, g.train);
  // With 2 layers user 1 reaches items only through its own training edges (item 1): had the
  // held-out (1, 3) been an edge, item 3's embedding would move user 1's vector.
  const torch::Tensor before = model->user_vectors(pairs({1}, {0})).detach().clone();
  {
    torch::NoGradGuard no_grad;
    model->named_parameters()["item.weight"][3].add_(5.0);
  }
  EXPECT_TRUE(torch::equal(model->user_vectors(pairs({1}, {0})), before));
  // The same change reaches user 1 once the edge is trained on.
  model->fit_on_training_split(g.data, torch::arange(5, torch::kInt64));
  const torch::Tensor with_edge = model->user_vectors(pairs({1}, {0}));
  torch::NoGradGuard no_grad;
  model->named_parameters()["item.weight"][3].sub_(5.0);
  EXPECT_FALSE(torch::allclose(with_edge, model->user_vectors(pairs({1}, {0}))));
}

TEST_F(LightGcnTest, RegularizationIsHalfTheSquaredEgoEmbeddingsPerPositive) {
  SmallGraph g;
  auto model = factory.make("lightgcn", "embedding_dim = 2\nreg_weight = 0.5\n", g.schema);
  torch::NoGradGuard no_grad;
  model->named_parameters()["user.weight"].fill_(1.0);  // |e_u|^2 = 2
  model->named_parameters()["item.weight"].fill_(2.0);  // |e_i|^2 = 8
  Batch b = pairs({0, 0, 1, 1}, {0, 1, 2, 3});          // 2 groups of a positive and a negative
  b.group_size = 2;
  // (2 users x 2 + 4 items x 8) * 0.5 / 2 / 2 positives = 36 / 8 = 4.5
  EXPECT_NEAR(model->regularization(b).item<double>(), 4.5, 1e-6);
}

}  // namespace
}  // namespace recsys
