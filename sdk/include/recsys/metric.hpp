#pragma once
/// @file
/// Metric plugins: streaming, computed over a whole split, never averaged over batches.

#include <torch/types.h>

#include "recsys/export.hpp"

namespace recsys {

/// A metric plugin. A ranking metric is registered under a name ending in "@k" (for example
/// "ndcg@k"); the config names it with a number ("ndcg@10") and the plugin reads that number
/// as the integer key `k` of its config table. Ranking metrics only apply under the sampled
/// and full protocols.
class RECSYS_API Metric {
 public:
  virtual ~Metric();
  /// Adds one batch. `scores`: float32 [B], the model's logits; `labels`: float32 [B] in
  /// {0, 1}; `group_id`: int64 [B], the evaluation list each row belongs to: the user id
  /// under the pointwise protocol (GAUC groups by it), the ranking list id under the sampled
  /// and full protocols. The rows of one list may arrive over several batches.
  virtual void update(const torch::Tensor& scores, const torch::Tensor& labels, const torch::Tensor& group_id) = 0;
  /// The metric over everything added since the last reset. NaN when undefined
  /// (for example ROC-AUC of a split with one class only).
  virtual double compute() = 0;
  /// Forgets everything added.
  virtual void reset() = 0;
  /// Whether a larger value is better (for model selection).
  virtual bool higher_is_better() const { return true; }
};

}  // namespace recsys
