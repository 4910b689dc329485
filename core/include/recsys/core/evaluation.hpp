#pragma once
/// @file
/// Evaluation protocols: which rows a split is scored on, grouped into lists.
///
/// - pointwise: the split's positives and their fixed sampled negatives; one group per user.
/// - sampled: one list per held-out positive: the positive and `num_candidates` items drawn
///   once per seed, uniformly without replacement, among the items the user has no positive
///   with in any split (the NCF protocol, He et al. 2017).
/// - full: one list per user over every item, the user's held-out positives relevant, the
///   user's positives of the earlier splits masked out (training positives for validation;
///   training and validation positives for test).
/// Ranking metrics break ties pessimistically (a tied negative ranks above a positive).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Generator.h>
#include <torch/types.h>

#include "recsys/batch.hpp"
#include "recsys/config.hpp"
#include "recsys/sampler.hpp"

namespace recsys::core {

enum class Protocol { pointwise, sampled, full };

/// `[evaluation]` options.
struct EvaluationOptions {
  Protocol protocol = Protocol::pointwise;
  std::int64_t num_candidates = 99;  ///< sampled: negatives per held-out positive
  std::vector<std::string> metrics{"roc_auc", "pr_auc"};

  /// Reads `[evaluation]`; throws ConfigError. (Whether each metric suits the protocol is
  /// checked by the pipeline, which knows the plugins.)
  static EvaluationOptions from_config(const Config& config);
  const char* protocol_name() const;
};

/// "hr@10" -> {"hr@k", 10}; a name without "@<digits>" -> {name, -1}. ("hr@0" -> {"hr@k", 0},
/// which the plugin rejects with a message about k.)
struct MetricName {
  std::string plugin;
  std::int64_t k = -1;
};
MetricName parse_metric_name(const std::string& name);

/// The rows one evaluation scores.
class EvaluationSet {
 public:
  virtual ~EvaluationSet();
  /// Calls `visit(examples, group_id int64 [n])` for consecutive chunks of at most `chunk`
  /// rows, always in the same order.
  virtual void for_each_chunk(std::int64_t chunk,
                              const std::function<void(const Examples&, const torch::Tensor&)>& visit) const = 0;
  virtual std::int64_t num_rows() const = 0;
  virtual std::int64_t num_lists() const = 0;
};

/// Rows held in memory (pointwise and sampled protocols).
class MaterializedSet final : public EvaluationSet {
 public:
  MaterializedSet(Examples examples, torch::Tensor group_id, std::int64_t num_lists);
  void for_each_chunk(std::int64_t chunk,
                      const std::function<void(const Examples&, const torch::Tensor&)>& visit) const override;
  std::int64_t num_rows() const override { return examples_.size(); }
  std::int64_t num_lists() const override { return num_lists_; }
  const Examples& examples() const { return examples_; }
  const torch::Tensor& group_id() const { return group_id_; }
  /// Replaces the examples' `row` (int64 [num_rows] or undefined).
  void set_rows(torch::Tensor row) { examples_.row = std::move(row); }

 private:
  Examples examples_;
  torch::Tensor group_id_;
  std::int64_t num_lists_;
};

/// Full ranking lists, generated a block of users at a time.
class FullRankingSet final : public EvaluationSet {
 public:
  /// `relevant`: the held-out positives; `masked`: the positives to leave out of the lists.
  /// `relevant_row` (int64, one per relevant positive; undefined without context): the
  /// interaction rows whose context the lists take, each user's list that of its last one.
  FullRankingSet(const torch::Tensor& relevant_user, const torch::Tensor& relevant_item,
                 const torch::Tensor& masked_user, const torch::Tensor& masked_item, std::int64_t num_users,
                 std::int64_t num_items, const torch::Tensor& relevant_row = {});
  void for_each_chunk(std::int64_t chunk,
                      const std::function<void(const Examples&, const torch::Tensor&)>& visit) const override;
  std::int64_t num_rows() const override { return num_rows_; }
  std::int64_t num_lists() const override { return users_.size(0); }

 private:
  torch::Tensor users_;        // int64 [L]: users with a held-out positive
  torch::Tensor row_of_user_;  // int64 [num_users]: the context row of each user's list; undefined without context
  PositiveSet relevant_, masked_;
  std::int64_t num_items_, num_rows_;
};

/// Pointwise set: `sampler` draws the negatives of the positives (user_id, item_id).
std::shared_ptr<EvaluationSet> make_pointwise_set(Sampler& sampler, const torch::Tensor& user_id,
                                                  const torch::Tensor& item_id, const PositiveSet& positives,
                                                  at::Generator& generator);

/// Sampled set: per positive (user_id[i], item_id[i]) a list [positive, c_1 .. c_n] with n =
/// num_candidates distinct items, none a positive of the user. Throws DataError when a user has
/// fewer than n such items.
std::shared_ptr<MaterializedSet> make_sampled_set(const torch::Tensor& user_id, const torch::Tensor& item_id,
                                                  const PositiveSet& positives, std::int64_t num_candidates,
                                                  at::Generator& generator);

}  // namespace recsys::core
