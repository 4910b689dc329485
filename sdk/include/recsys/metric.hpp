#pragma once
/// @file
/// Metric plugins: streaming, computed over a whole split, never averaged over batches.

#include <torch/types.h>

#include "recsys/export.hpp"

namespace recsys {

class RECSYS_API Metric {
 public:
  virtual ~Metric();
  /// Adds one batch. `scores`: float32 [B] (logits or probabilities: only their order or
  /// value matters as the metric states); `labels`: float32 [B] in {0, 1}; `user_id`: int64 [B].
  virtual void update(const torch::Tensor& scores, const torch::Tensor& labels,
                      const torch::Tensor& user_id) = 0;
  /// The metric over everything added since the last reset. NaN when undefined
  /// (for example ROC-AUC of a split with one class only).
  virtual double compute() = 0;
  /// Forgets everything added.
  virtual void reset() = 0;
  /// Whether a larger value is better (for model selection).
  virtual bool higher_is_better() const { return true; }
};

}  // namespace recsys
