#pragma once
/// @file
/// Negative sampling: turns the positives of a split into labelled examples.

#include <cstdint>
#include <functional>

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
  torch::Tensor user_offsets_;  // int64 [num_users + 1]: user u's keys are keys_[offsets[u] .. offsets[u + 1])
};

/// Redraws in place each of `negatives` (int64 [M]) that is a positive of its user (`users`,
/// int64 [M]) with `draw(n)` (int64 [n] items, from the caller's generator) until none is: the
/// rejection step of a sampler over the user's allowed items. The draws are made in a fixed
/// order, so a seeded `draw` gives the same negatives. Throws recsys::Error after `max_rounds`
/// rounds (a user whose allowed items `draw` almost never gives).
RECSYS_API void reject_positives(const torch::Tensor& users, torch::Tensor& negatives, const PositiveSet& positives,
                                 const std::function<torch::Tensor(std::int64_t)>& draw, int max_rounds = 100000);

/// The examples of positives (`user_id`, `item_id`: int64 [P]) each followed by its negatives
/// (`negatives`: int64 [P, K]): labels 1 then 0, `row` the positive's index, `group_size` K + 1.
RECSYS_API Examples grouped_examples(const torch::Tensor& user_id, const torch::Tensor& item_id,
                                     const torch::Tensor& negatives);

/// A sampler plugin. `sample` is called once per epoch for training (with a generator
/// seeded from the run seed and the epoch) and once per run for validation and test.
class RECSYS_API Sampler {
 public:
  virtual ~Sampler();
  /// Called once after the split, before any sample(): the training positives (int64 [T]
  /// each). A sampler whose draws depend on the training data (popularity counts) fits here.
  virtual void fit_on_training_split(const torch::Tensor& user_id, const torch::Tensor& item_id, std::int64_t num_users,
                                     std::int64_t num_items);
  /// `user_id`, `item_id`: int64 [P], the positives of one split. Returns the positives
  /// (label 1) and their negatives (label 0), drawn with `generator` only, so the same
  /// seed gives the same examples. Never labels a pair of `positives` as 0. Sets
  /// `Examples::row` to the index (into `user_id`) of the positive each example belongs to:
  /// a negative takes its positive's context. A sampler that lays each positive out with its
  /// negatives sets `group_size` (and `log_q` when items are not equally likely).
  virtual Examples sample(const torch::Tensor& user_id, const torch::Tensor& item_id, const PositiveSet& positives,
                          at::Generator& generator) = 0;
};

}  // namespace recsys
