#pragma once
/// @file
/// Loss plugins.

#include <torch/types.h>

#include "recsys/batch.hpp"
#include "recsys/export.hpp"

namespace recsys {

class RECSYS_API Loss {
 public:
  virtual ~Loss();
  /// Whether the loss compares each positive with its own negatives (BPR, sampled softmax).
  /// The host then keeps the sampler's groups (Examples::group_size) whole: shuffled as groups,
  /// never split over batches, micro-batches or data-parallel ranks; `[training] batch_size`
  /// counts groups (positives) instead of rows. Point-wise losses return false.
  virtual bool grouped() const { return false; }
  /// `logits`: float32 [B]; `batch`: the rows they score (labels float32 [B] in {0, 1},
  /// `group_size`, `log_q`, ids). Returns a scalar: the mean over the B rows (point-wise) or
  /// over the B / group_size groups (grouped) of a per-example loss. The trainer relies on it to
  /// split a batch (micro-batches, data-parallel ranks) and weight each part by its share.
  /// Throws std::invalid_argument for a batch it cannot score (a grouped loss given groups of 1).
  virtual torch::Tensor forward(const torch::Tensor& logits, const Batch& batch) = 0;
};

}  // namespace recsys
