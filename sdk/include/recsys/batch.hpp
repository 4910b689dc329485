#pragma once
/// @file
/// Labelled examples and the batches models consume: structs of tensors, never per-sample
/// dictionaries.

#include <cstdint>
#include <vector>

#include <torch/types.h>

#include "recsys/export.hpp"

namespace recsys {

/// The values of one multi-valued categorical field for n rows, stored jagged (the layout of
/// torch's `embedding_bag` and TorchRec's KeyedJaggedTensor): row r holds
/// values[offsets[r] .. offsets[r + 1]). Memory is proportional to the number of values.
struct JaggedCodes {
  torch::Tensor values;   ///< int64 [E], codes in [0, cardinality)
  torch::Tensor offsets;  ///< int64 [n + 1], non-decreasing, offsets[0] = 0, offsets[n] = E

  std::int64_t rows() const { return offsets.defined() ? offsets.size(0) - 1 : 0; }
  /// The rows listed in `rows` (int64 [B]) as a new JaggedCodes of B rows, with tensor
  /// operations only (no loop over rows). Throws c10::Error for a row out of range.
  RECSYS_API JaggedCodes gather(const torch::Tensor& rows) const;
};

/// Per-row feature tables of one side: indexed by contiguous id for users and items, by
/// interaction row for the context.
struct SideFeatures {
  torch::Tensor continuous;                    ///< float32 [n, C] (C may be 0)
  torch::Tensor categorical;                   ///< int64 [n, K] (K may be 0), codes in [0, cardinality)
  std::vector<JaggedCodes> multi_categorical;  ///< M fields, each of n rows

  /// The rows listed in `rows` (int64 [B]); undefined tables stay undefined.
  RECSYS_API SideFeatures gather(const torch::Tensor& rows) const;
};

/// Labelled (user, item) pairs, e.g. positives and their sampled negatives.
struct Examples {
  torch::Tensor user_id;  ///< int64 [N]
  torch::Tensor item_id;  ///< int64 [N]
  torch::Tensor label;    ///< float32 [N], 1 for a positive, 0 for a negative
  /// int64 [N]: the interaction row (into InteractionData) whose context each example takes,
  /// the row of the positive it belongs to. A sampler sets it to the index of that positive in
  /// the `user_id` it was given; the host maps the index to the interaction row. Undefined when
  /// the data has no context.
  torch::Tensor row;
  /// Rows per group: 1 + K when each positive is followed by its K negatives (rows g*G .. g*G +
  /// G - 1: the positive, then its negatives), as losses that compare a positive with its
  /// negatives (Loss::grouped) need; 1 when the rows stand alone. The size is a multiple of it.
  std::int64_t group_size = 1;
  /// float32 [N]: log q, the log-probability of each row's item under the sampler's proposal
  /// distribution (for a positive too: what its draw would have had), for the logQ correction
  /// of sampled softmax (Bengio & Senecal 2008; Yi et al. 2019). Undefined when every allowed
  /// item is equally likely (the correction is a constant and cancels).
  torch::Tensor log_q;
  /// K > 0: each group holds its positive and C > K candidate negatives, and the trainer keeps,
  /// per group and batch, the K candidates the current model scores highest (dynamic negative
  /// sampling, Zhang et al. 2013); 0: the negatives are used as drawn.
  std::int64_t hard_negatives = 0;

  std::int64_t size() const { return user_id.defined() ? user_id.size(0) : 0; }
};

/// One mini-batch, assembled with index_select from the per-user, per-item and per-interaction
/// tables.
struct Batch {
  torch::Tensor user_id;                            ///< int64 [B]
  torch::Tensor item_id;                            ///< int64 [B]
  torch::Tensor label;                              ///< float32 [B]
  torch::Tensor user_continuous;                    ///< float32 [B, Cu]
  torch::Tensor user_categorical;                   ///< int64 [B, Ku]
  std::vector<JaggedCodes> user_multi_categorical;  ///< Mu fields of B rows
  torch::Tensor item_continuous;                    ///< float32 [B, Ci]
  torch::Tensor item_categorical;                   ///< int64 [B, Ki]
  std::vector<JaggedCodes> item_multi_categorical;  ///< Mi fields of B rows
  torch::Tensor context_continuous;                 ///< float32 [B, Cc] (Cc may be 0)
  torch::Tensor context_categorical;                ///< int64 [B, Kc] (Kc may be 0)
  std::int64_t group_size = 1;                      ///< as Examples::group_size; B is a multiple of it
  torch::Tensor log_q;                              ///< float32 [B] or undefined, as Examples::log_q
  /// bool [B, B] for a loss that scores in-batch negatives (LossScores::in_batch): true where
  /// column j's item is a training positive of row i's user, j != i (the same item included),
  /// so that it is not taken as a negative of row i; undefined otherwise.
  torch::Tensor accidental_hits;

  std::int64_t size() const { return user_id.size(0); }
};

/// Gathers the examples listed in `rows` (int64 [B]) with their side features, log q and, through
/// `examples.row`, their context (`context`: one row per interaction; tables with no column
/// need no `row`). No per-sample work: one index_select per tensor. `group_size` is 1: a caller
/// that selects whole groups in order (the trainer, for a grouped loss) sets it. Throws recsys::Error when
/// the context has columns and `examples.row` is undefined.
RECSYS_API Batch make_batch(const Examples& examples, const torch::Tensor& rows, const SideFeatures& users,
                            const SideFeatures& items, const SideFeatures& context = {});

}  // namespace recsys
