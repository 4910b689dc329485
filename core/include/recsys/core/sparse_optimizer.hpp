#pragma once
/// @file
/// Optimizers of embedding tables that update only the rows a batch touched, so that a step
/// costs in proportion to the batch, not to the number of users and items (TorchRec's and
/// FBGEMM's fused optimizers). The tables are the weights of every torch::nn::Embedding module
/// of a model (recsys::nn::Embedding and the tables of FieldEmbedding among them): the trainer
/// switches them to sparse gradients (EmbeddingOptions::sparse), and the other parameters keep
/// the dense optimizer of `[training] optimizer`.
///
/// Rules, for a touched row r with gradient g_r (float32 [D]) at step t (counted per table):
///  - adagrad (element-wise; torch::optim::Adagrad's rule restricted to the touched rows):
///      s_r += g_r^2;  w_r -= lr * g_r / (sqrt(s_r) + eps)
///  - rowwise_adagrad (one accumulator per row: FBGEMM's EXACT_ROWWISE_ADAGRAD):
///      a_r += mean(g_r^2);  w_r -= lr * g_r / (sqrt(a_r) + eps)
///  - lazy_adam (TensorFlow Addons' LazyAdam, TorchRec's "lazy Adam"):
///      m_r = b1 m_r + (1 - b1) g_r;  v_r = b2 v_r + (1 - b2) g_r^2;
///      w_r -= lr / (1 - b1^t) * m_r / (sqrt(v_r / (1 - b2^t)) + eps)
///    (torch::optim::Adam's update, so a table whose every row is touched at every step follows
///    dense Adam exactly; t counts the table's steps). Untouched rows keep m, v and w: unlike dense Adam, their moments
///    do not decay and they do not keep moving on momentum.
/// Weight decay (L2, g_r += wd * w_r) applies to the touched rows only: an untouched row is not
/// decayed, which dense Adam with weight_decay would do at every step.
/// A table whose gradient arrives dense (a model that also uses the whole table, e.g.
/// LightGCN's propagation) is updated on every row by the same rule.

#include <cstdint>
#include <string>
#include <vector>

#include <torch/serialize/archive.h>
#include <torch/types.h>

namespace recsys::core {

enum class SparseRule { adagrad, rowwise_adagrad, lazy_adam };

/// "adagrad", "rowwise_adagrad", "lazy_adam" -> the rule; throws std::invalid_argument otherwise.
SparseRule parse_sparse_rule(const std::string& name);
const char* to_string(SparseRule rule);

struct SparseOptimizerOptions {
  SparseRule rule = SparseRule::rowwise_adagrad;
  double learning_rate = 0.01;
  double weight_decay = 0.0;
  double eps = 1e-10;  ///< adagrad's default as torch's; lazy_adam uses adam_eps
  double adam_eps = 1e-8;
  double beta1 = 0.9, beta2 = 0.999;
  double initial_accumulator_value = 0.0;  ///< adagrad, rowwise_adagrad
};

class SparseOptimizer {
 public:
  /// `tables`: float32 [rows, D] leaf parameters.
  SparseOptimizer(std::vector<torch::Tensor> tables, SparseOptimizerOptions options);

  /// Drops the tables' gradients (sparse gradients are reallocated by every backward).
  void zero_grad();
  /// Applies the rule to the rows each table's gradient touches (a sparse COO gradient,
  /// duplicates summed) or to every row (a dense gradient). Tables without a gradient are left.
  void step();

  void set_learning_rate(double lr) { options_.learning_rate = lr; }
  const SparseOptimizerOptions& options() const { return options_; }
  const std::vector<torch::Tensor>& tables() const { return tables_; }

  /// The state (accumulators, moments, step counts) into / from `archive`; load throws
  /// std::runtime_error for a state of another rule or shape.
  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive);

 private:
  struct TableState {
    torch::Tensor first;   // adagrad: s [rows, D]; rowwise: a [rows]; lazy_adam: m [rows, D]
    torch::Tensor second;  // lazy_adam: v [rows, D]; else undefined
    std::int64_t steps = 0;
  };
  /// Tensor operations (any device): `rows` int64 [n] distinct, `grad` [n, D].
  void update_rows(torch::Tensor& table, TableState& state, const torch::Tensor& rows, torch::Tensor grad);
  /// The CPU float32 path: one pass that sums duplicated rows of an uncoalesced gradient
  /// (`rows` [n], `grad` [n, D]) into `scratch_`, then one fused update per distinct row.
  void update_rows_cpu(torch::Tensor& table, TableState& state, const torch::Tensor& rows, const torch::Tensor& grad);
  /// The rule on one row: `w`, `g`, the row's state (`first`, `second`: D floats, or one for
  /// rowwise), `step` the table's step count.
  void update_row(float* w, const float* g, float* first, float* second, std::int64_t d, double step) const;

  std::vector<torch::Tensor> tables_;
  std::vector<TableState> state_;
  SparseOptimizerOptions options_;
  std::vector<std::int64_t> slot_of_row_;  // scratch of update_rows_cpu: -1, or the row's slot
  std::vector<float> scratch_;             // the summed gradient of each slot
};

}  // namespace recsys::core
