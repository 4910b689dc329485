// The sparse optimizers of embedding tables against independent references: torch's own
// Adagrad and Adam, and FBGEMM's row-wise AdaGrad rule written out in double precision.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>
#include <vector>

#include <torch/optim.h>
#include <torch/torch.h>

#include "recsys/core/sparse_optimizer.hpp"

namespace recsys::core {
namespace {

class SparseOptimizerTest : public ::testing::Test {
 protected:
  void SetUp() override { torch::manual_seed(5); }
  /// An uncoalesced sparse gradient of a [10, 4] table: rows 1, 3 (twice) and 7.
  static torch::Tensor sparse_gradient(std::int64_t rows = 10, std::int64_t dim = 4) {
    const torch::Tensor index = torch::tensor({3, 1, 7, 3}, torch::kInt64);
    return torch::sparse_coo_tensor(index.unsqueeze(0), torch::randn({4, dim}), {rows, dim});
  }
  static torch::Tensor leaf(const torch::Tensor& values) { return values.clone().requires_grad_(); }
  static SparseOptimizerOptions rule(SparseRule r, double lr) {
    SparseOptimizerOptions o;
    o.rule = r;
    o.learning_rate = lr;
    return o;
  }
};

TEST_F(SparseOptimizerTest, AdagradEqualsTorchAdagradOnTheTouchedRowsAndLeavesTheOthers) {
  const torch::Tensor initial = torch::randn({10, 4});
  torch::Tensor ours = leaf(initial), theirs = leaf(initial);
  SparseOptimizer sparse({ours}, rule(SparseRule::adagrad, 0.1));
  torch::optim::Adagrad adagrad({theirs}, torch::optim::AdagradOptions(0.1).eps(1e-10));
  for (int step = 0; step < 5; ++step) {
    const torch::Tensor grad = sparse_gradient();
    ours.mutable_grad() = grad;
    theirs.mutable_grad() = grad.to_dense();
    sparse.step();
    adagrad.step();
    EXPECT_TRUE(torch::allclose(ours, theirs, 1e-5, 1e-6)) << "step " << step;
  }
  for (const std::int64_t r : {0, 2, 4, 5, 6, 8, 9}) EXPECT_TRUE(torch::equal(ours[r], initial[r])) << "row " << r;
  EXPECT_FALSE(torch::equal(ours[3], initial[3]));
}

TEST_F(SparseOptimizerTest, RowwiseAdagradFollowsFbgemmsRule) {
  const torch::Tensor initial = torch::randn({10, 4});
  torch::Tensor ours = leaf(initial);
  SparseOptimizer sparse({ours}, rule(SparseRule::rowwise_adagrad, 0.05));
  // The rule written out: a_r += mean over the row of g^2; w_r -= lr g_r / (sqrt(a_r) + eps).
  std::vector<double> w(initial.data_ptr<float>(), initial.data_ptr<float>() + 40), a(10, 0.0);
  for (int step = 0; step < 4; ++step) {
    const torch::Tensor grad = sparse_gradient();
    const torch::Tensor dense = grad.to_dense();
    ours.mutable_grad() = grad;
    sparse.step();
    for (const std::int64_t r : {1, 3, 7}) {
      double squares = 0.0;
      for (int k = 0; k < 4; ++k) squares += std::pow(dense[r][k].item<double>(), 2);
      a[r] += squares / 4.0;
      for (int k = 0; k < 4; ++k) w[r * 4 + k] -= 0.05 * dense[r][k].item<double>() / (std::sqrt(a[r]) + 1e-10);
    }
  }
  for (std::int64_t i = 0; i < 40; ++i) EXPECT_NEAR(ours.view({-1})[i].item<double>(), w[i], 1e-5) << "element " << i;
}

TEST_F(SparseOptimizerTest, LazyAdamEqualsAdamWhenEveryRowIsTouchedAndFreezesUntouchedRows) {
  const torch::Tensor initial = torch::randn({6, 3});
  torch::Tensor ours = leaf(initial), theirs = leaf(initial);
  SparseOptimizer lazy({ours}, rule(SparseRule::lazy_adam, 0.01));
  torch::optim::Adam adam({theirs}, torch::optim::AdamOptions(0.01));
  for (int step = 0; step < 5; ++step) {  // dense gradients: every row touched at every step
    const torch::Tensor grad = torch::randn({6, 3});
    ours.mutable_grad() = grad;
    theirs.mutable_grad() = grad.clone();
    lazy.step();
    adam.step();
    EXPECT_TRUE(torch::allclose(ours, theirs, 1e-5, 1e-6)) << "step " << step;
  }
  // Then only row 2 touched: the other rows do not move on their momentum (dense Adam's would).
  const torch::Tensor before = ours.detach().clone();
  ours.mutable_grad() = torch::sparse_coo_tensor(torch::tensor({{2}}, torch::kInt64), torch::ones({1, 3}), {6, 3});
  lazy.step();
  for (const std::int64_t r : {0, 1, 3, 4, 5}) EXPECT_TRUE(torch::equal(ours[r], before[r])) << "row " << r;
  EXPECT_FALSE(torch::equal(ours[2], before[2]));
}

TEST_F(SparseOptimizerTest, WeightDecayDecaysOnlyTheTouchedRows) {
  const torch::Tensor initial = torch::randn({10, 4});
  torch::Tensor ours = leaf(initial);
  SparseOptimizerOptions options = rule(SparseRule::adagrad, 0.1);
  options.weight_decay = 0.5;
  SparseOptimizer sparse({ours}, options);
  // A zero gradient on row 1: only the decay moves it, w -= lr * wd w / (|wd w| + eps) = w - 0.1 sign(w).
  ours.mutable_grad() = torch::sparse_coo_tensor(torch::tensor({{1}}, torch::kInt64), torch::zeros({1, 4}), {10, 4});
  sparse.step();
  EXPECT_TRUE(torch::allclose(ours[1], initial[1] - 0.1 * initial[1].sign(), 1e-5, 1e-6));
  EXPECT_TRUE(torch::equal(ours[0], initial[0]));
}

TEST_F(SparseOptimizerTest, TheTensorPathEqualsTheFusedCpuPath) {
  // float64 tables take the tensor-operation path (as tables off the CPU do).
  const torch::Tensor initial = torch::randn({10, 4});
  for (const SparseRule r : {SparseRule::adagrad, SparseRule::rowwise_adagrad, SparseRule::lazy_adam}) {
    torch::Tensor fused = leaf(initial), tensors = leaf(initial.to(torch::kFloat64));
    SparseOptimizer a({fused}, rule(r, 0.05)), b({tensors}, rule(r, 0.05));
    for (int step = 0; step < 3; ++step) {
      const torch::Tensor grad = sparse_gradient();
      fused.mutable_grad() = grad;
      tensors.mutable_grad() = grad.to(torch::kFloat64);
      a.step();
      b.step();
    }
    EXPECT_TRUE(torch::allclose(fused.to(torch::kFloat64), tensors, 1e-5, 1e-6)) << to_string(r);
  }
}

TEST_F(SparseOptimizerTest, SavedStateResumesExactly) {
  const torch::Tensor initial = torch::randn({10, 4});
  torch::Tensor first = leaf(initial);
  SparseOptimizer original({first}, rule(SparseRule::lazy_adam, 0.01));
  for (int step = 0; step < 3; ++step) {
    first.mutable_grad() = sparse_gradient();
    original.step();
  }
  torch::serialize::OutputArchive out;
  original.save(out);
  std::ostringstream bytes;
  out.save_to(bytes);
  torch::Tensor second = leaf(first.detach());
  SparseOptimizer restored({second}, rule(SparseRule::lazy_adam, 0.01));
  torch::serialize::InputArchive in;
  std::istringstream read(bytes.str());
  in.load_from(read);
  restored.load(in);
  const torch::Tensor grad = sparse_gradient();
  first.mutable_grad() = grad;
  second.mutable_grad() = grad;
  original.step();
  restored.step();
  EXPECT_TRUE(torch::equal(first, second));
  SparseOptimizer other_rule({leaf(initial)}, rule(SparseRule::adagrad, 0.01));
  torch::serialize::InputArchive again;
  std::istringstream reread(bytes.str());
  again.load_from(reread);
  EXPECT_THROW(other_rule.load(again), std::runtime_error);
}

}  // namespace
}  // namespace recsys::core
