#pragma once
/// @file
/// Negative sampling: turns the positives of a split into labelled examples.

#include <cstdint>

#include <ATen/core/Generator.h>
#include <torch/types.h>

#include "recsys/batch.hpp"
#include "recsys/export.hpp"

namespace recsys {

/// The set of all known positive (user, item) pairs, over every split, so that no held-out
/// positive is ever drawn as a negative. Stored as sorted int64 keys user * num_items + item;
/// membership queries are vectorised (searchsorted), so it scales past a dense mask.
class RECSYS_API PositiveSet {
 public:
  /// `user_id`, `item_id`: int64 [N]; duplicates are allowed.
  PositiveSet(const torch::Tensor& user_id, const torch::Tensor& item_id, std::int64_t num_users,
              std::int64_t num_items);

  /// bool [M]: whether each (user_id[m], item_id[m]) is a positive. Inputs int64 [M].
  torch::Tensor contains(const torch::Tensor& user_id, const torch::Tensor& item_id) const;
  /// Number of distinct positive items of each user: int64 [num_users].
  const torch::Tensor& positives_per_user() const { return per_user_; }

  std::int64_t num_users() const { return num_users_; }
  std::int64_t num_items() const { return num_items_; }

 private:
  torch::Tensor keys_;      // int64 [P], sorted, unique
  torch::Tensor per_user_;  // int64 [num_users]
  std::int64_t num_users_;
  std::int64_t num_items_;
};

/// A sampler plugin. `sample` is called once per epoch for training (with a generator
/// seeded from the run seed and the epoch) and once per run for validation and test.
class RECSYS_API Sampler {
 public:
  virtual ~Sampler();
  /// `user_id`, `item_id`: int64 [P], the positives of one split. Returns the positives
  /// (label 1) and their negatives (label 0), drawn with `generator` only, so the same
  /// seed gives the same examples. Never labels a pair of `positives` as 0. Sets
  /// `Examples::row` to the index (into `user_id`) of the positive each example belongs to:
  /// a negative takes its positive's context.
  virtual Examples sample(const torch::Tensor& user_id, const torch::Tensor& item_id, const PositiveSet& positives,
                          at::Generator& generator) = 0;
};

}  // namespace recsys
