#pragma once
/// @file
/// Loss plugins.

#include <torch/types.h>

#include "recsys/batch.hpp"
#include "recsys/export.hpp"

namespace recsys {

/// What the logits a loss receives score.
enum class LossScores : int {
  /// float32 [B]: one logit per row of the batch (model.forward).
  rows = 0,
  /// float32 [P, P]: the batch's P positives, every user against every positive's item
  /// (logits[i][j] = <user_i, item_j>; row i's positive in column i), for a factorised model.
  /// The batch holds positives only ([sampler] plugin = "none"); `batch.log_q` (float32 [P]) is
  /// the log of each item's share of the training interactions, the probability with which the
  /// item appears as an in-batch negative (Yi et al. 2019), and `batch.accidental_hits` marks
  /// the columns that are no negatives of their row.
  in_batch = 1,
  /// float32 [P, I]: the batch's P positives against every item of the catalogue (the full
  /// softmax), for a factorised model; row i's positive is item batch.item_id[i].
  catalogue = 2,
};

class RECSYS_API Loss {
 public:
  virtual ~Loss();
  /// Whether the loss compares each positive with its own negatives (BPR, sampled softmax).
  /// The host then keeps the sampler's groups (Examples::group_size) whole: shuffled as groups,
  /// never split over batches, micro-batches or data-parallel ranks; `[training] batch_size`
  /// counts groups (positives) instead of rows. Point-wise losses return false.
  virtual bool grouped() const { return false; }
  /// What `forward`'s logits score (LossScores); rows unless the loss says otherwise. A loss
  /// other than rows has no value on evaluation lists (the validation loss is NaN).
  virtual LossScores scores() const { return LossScores::rows; }
  /// `logits`: float32 [B] (or as scores() says); `batch`: the rows they score (labels float32 [B] in {0, 1},
  /// `group_size`, `log_q`, ids). Returns a scalar: the mean over the B rows (point-wise) or
  /// over the B / group_size groups (grouped) of a per-example loss. The trainer relies on it to
  /// split a batch (micro-batches, data-parallel ranks) and weight each part by its share.
  /// Throws std::invalid_argument for a batch it cannot score (a grouped loss given groups of 1).
  virtual torch::Tensor forward(const torch::Tensor& logits, const Batch& batch) = 0;
};

}  // namespace recsys
