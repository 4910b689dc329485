#pragma once
/// @file
/// Labelled examples and the batches models consume: structs of tensors, never per-sample
/// dictionaries.

#include <cstdint>

#include <torch/types.h>

#include "recsys/export.hpp"

namespace recsys {

/// Per-row feature tables of one side, indexed by contiguous id.
struct SideFeatures {
  torch::Tensor continuous;   ///< float32 [n, C] (C may be 0)
  torch::Tensor categorical;  ///< int64 [n, K] (K may be 0), codes in [0, cardinality)
};

/// Labelled (user, item) pairs, e.g. positives and their sampled negatives.
struct Examples {
  torch::Tensor user_id;  ///< int64 [N]
  torch::Tensor item_id;  ///< int64 [N]
  torch::Tensor label;    ///< float32 [N], 1 for a positive, 0 for a negative

  std::int64_t size() const { return user_id.defined() ? user_id.size(0) : 0; }
};

/// One mini-batch, assembled with index_select from the per-user and per-item tables.
struct Batch {
  torch::Tensor user_id;           ///< int64 [B]
  torch::Tensor item_id;           ///< int64 [B]
  torch::Tensor label;             ///< float32 [B]
  torch::Tensor user_continuous;   ///< float32 [B, Cu]
  torch::Tensor user_categorical;  ///< int64 [B, Ku]
  torch::Tensor item_continuous;   ///< float32 [B, Ci]
  torch::Tensor item_categorical;  ///< int64 [B, Ki]

  std::int64_t size() const { return user_id.size(0); }
};

/// Gathers the examples listed in `rows` (int64 [B]) with their side features.
/// No per-sample work: one index_select per tensor.
RECSYS_API Batch make_batch(const Examples& examples, const torch::Tensor& rows, const SideFeatures& users,
                            const SideFeatures& items);

}  // namespace recsys
