#pragma once
/// @file
/// Splitting the positives into train / validation / test.
///
/// Every user and item keeps the contiguous id the dataset gave it over all the data, so a
/// user or item seen only in a held-out split still has an embedding row (never trained on):
/// no lookup is ever out of range and nothing is dropped.

#include <cstdint>
#include <string>
#include <vector>

#include <torch/types.h>

#include "recsys/config.hpp"
#include "recsys/dataset.hpp"

namespace recsys::core {

/// `[split]` options.
struct SplitOptions {
  /// "random": positives shuffled with the seed, cut at the ratios.
  /// "leave_one_out": per user, the latest positive is the test item and the next latest the
  ///   validation item (ties in time: the higher item id counts as later: contiguous ids
  ///   follow the original ids' order, numeric when every id is an integer); a user
  ///   with 2 positives gives only a test item, a user with 1 none.
  /// "temporal": one global cut by timestamp at the ratios (ties: dataset order).
  /// "given": the dataset's own split (InteractionData::split, e.g. pre-split files).
  std::string strategy = "random";
  double val_ratio = 0.1;   ///< random and temporal: fraction of positives for validation, (0, 1)
  double test_ratio = 0.2;  ///< random and temporal: fraction of positives for test, (0, 1)
  /// random and temporal: "none" (one global cut) or "user": each user's positives shuffled
  /// with the seed (random) or ordered by time (temporal, ties in row order) and cut with
  /// RecBole's rounding (per_user_counts): RecBole's RS / TO with group_by user, Cornac's
  /// stratified split.
  std::string group_by = "none";

  /// Reads and range-checks `[split]`; throws ConfigError.
  static SplitOptions from_config(const Config& config);
  /// One line for logs: "random 0.7/0.1/0.2", "leave_one_out", ...
  std::string describe() const;
};

/// Row indices (int64, into the dataset's positives) of each split.
struct SplitIndices {
  torch::Tensor train;       ///< int64 [N_train]
  torch::Tensor validation;  ///< int64 [N_val]
  torch::Tensor test;        ///< int64 [N_test]
};

/// Splits the positives of `data` as `options` says; `generator` drives the random strategy.
SplitIndices split_positives(const InteractionData& data, const SplitOptions& options, at::Generator& generator);

/// Random split by positive: a seeded permutation; the first floor(n * (1 - val - test))
/// rows train, the rows up to floor(n * (1 - test)) validate, the rest test (the reference
/// pipeline's arithmetic).
SplitIndices random_split(std::int64_t num_positives, const SplitOptions& options, at::Generator& generator);

/// Leave-one-out by time (He et al. 2017, section 4.1), see SplitOptions::strategy.
/// `user_id`, `timestamp`, `item_id` (the tie-break order): int64 [N].
SplitIndices leave_one_out_split(const torch::Tensor& user_id, const torch::Tensor& timestamp,
                                 const torch::Tensor& item_id);

/// RecBole's per-group counts (_calcu_split_ids) of n positives: {train, validation, test} with
/// validation = floor(val_ratio n), test = floor(test_ratio n), train the rest; then, while train
/// keeps more than one, a held-out part whose share is in (0, 1) positives gets one (test first).
std::vector<std::int64_t> per_user_counts(std::int64_t n, double val_ratio, double test_ratio);

/// Per-user split (group_by = "user"): `key` (float64 or int64 [N]) orders each user's rows
/// (random keys, or timestamps), ties in row order; users in id order.
SplitIndices per_user_split(const torch::Tensor& user_id, const torch::Tensor& key, const SplitOptions& options);

/// Global temporal split: positives ordered by timestamp (stable), cut as random_split cuts.
SplitIndices temporal_split(const torch::Tensor& timestamp, const SplitOptions& options);

}  // namespace recsys::core
