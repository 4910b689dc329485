#include "recsys/core/training_data.hpp"

#include <torch/torch.h>

#include "recsys/core/seed.hpp"
#include "recsys/errors.hpp"

namespace recsys::core {

TrainingRows TrainingData::training_rows() const {
  return {train_user_id, train_item_id, train_label, split.train, has_columns(interactions.context_features)};
}

bool has_columns(const SideFeatures& features) {
  return (features.continuous.defined() && features.continuous.size(1) > 0) ||
         (features.categorical.defined() && features.categorical.size(1) > 0);
}

SplitIndices split_interactions(const InteractionData& interactions, const SplitOptions& split, std::uint64_t seed) {
  at::Generator generator = make_generator(seed, SeedStream::split);
  return split_positives(interactions, split, generator);
}

namespace {

/// The positives of every split: all rows of implicit data, the rows labelled 1 of labelled data.
PositiveSet all_positives(const InteractionData& d) {
  const std::int64_t users = d.schema.user.num_ids, items = d.schema.item.num_ids;
  if (!d.labelled()) return PositiveSet(d.user_id, d.item_id, users, items);
  const torch::Tensor positive = d.label.gt(0.5f);
  return PositiveSet(d.user_id.masked_select(positive), d.item_id.masked_select(positive), users, items);
}

/// Labelled data's evaluation set: the held-out rows with their labels, one group per user.
std::shared_ptr<EvaluationSet> labelled_set(const InteractionData& d, const torch::Tensor& rows) {
  Examples examples{d.user_id.index_select(0, rows), d.item_id.index_select(0, rows), d.label.index_select(0, rows),
                    rows};
  const std::int64_t users = std::get<0>(torch::_unique(examples.user_id)).size(0);
  torch::Tensor group = examples.user_id;
  return std::make_shared<MaterializedSet>(std::move(examples), std::move(group), users);
}

/// Maps the examples' `row` (an index into `rows`, as samplers and the sampled protocol set
/// it) to interaction rows; drops it when the data has no context.
void map_rows(EvaluationSet& set, const torch::Tensor& rows, bool with_context) {
  auto* materialized = dynamic_cast<MaterializedSet*>(&set);
  if (materialized)
    materialized->set_rows(with_context ? rows.index_select(0, materialized->examples().row) : torch::Tensor());
}

}  // namespace

TrainingData prepare_training_data(InteractionData interactions, SplitIndices split,
                                   const EvaluationOptions& evaluation, Sampler* sampler, std::uint64_t seed) {
  const std::int64_t num_users = interactions.schema.user.num_ids, num_items = interactions.schema.item.num_ids;
  if (interactions.labelled() && evaluation.protocol != Protocol::pointwise) {
    throw ConfigError(std::string("[evaluation] protocol = \"") + evaluation.protocol_name() +
                      "\": labelled data is evaluated on its held-out rows with their own labels; use protocol = "
                      "\"pointwise\" (sampled and full lists need implicit feedback)");
  }
  PositiveSet positives = all_positives(interactions);
  const bool with_context = has_columns(interactions.context_features);
  auto users = [&](const torch::Tensor& rows) { return interactions.user_id.index_select(0, rows); };
  auto items = [&](const torch::Tensor& rows) { return interactions.item_id.index_select(0, rows); };

  auto build = [&](const torch::Tensor& rows, const torch::Tensor& masked_rows, SeedStream negatives,
                   SeedStream candidates) -> std::shared_ptr<EvaluationSet> {
    if (interactions.labelled()) return labelled_set(interactions, rows);
    std::shared_ptr<EvaluationSet> set;
    switch (evaluation.protocol) {
      case Protocol::sampled: {
        at::Generator generator = make_generator(seed, candidates);
        set = make_sampled_set(users(rows), items(rows), positives, evaluation.num_candidates, generator);
        break;
      }
      case Protocol::full:
        return std::make_shared<FullRankingSet>(users(rows), items(rows), users(masked_rows), items(masked_rows),
                                                num_users, num_items, with_context ? rows : torch::Tensor());
      case Protocol::pointwise: {
        at::Generator generator = make_generator(seed, negatives);
        set = make_pointwise_set(*sampler, users(rows), items(rows), positives, generator);
        break;
      }
    }
    map_rows(*set, rows, with_context);
    return set;
  };
  // Full ranking masks the earlier splits' positives: training ones for validation,
  // training and validation ones for test.
  auto validation =
      build(split.validation, split.train, SeedStream::validation_negatives, SeedStream::validation_candidates);
  auto test = build(split.test, torch::cat({split.train, split.validation}), SeedStream::test_negatives,
                    SeedStream::test_candidates);
  TrainingData data{std::move(interactions), std::move(positives), std::move(split), {}, {}, {},
                    std::move(validation),   std::move(test)};
  data.train_user_id = data.interactions.user_id.index_select(0, data.split.train);
  data.train_item_id = data.interactions.item_id.index_select(0, data.split.train);
  if (data.interactions.labelled()) data.train_label = data.interactions.label.index_select(0, data.split.train);
  return data;
}

}  // namespace recsys::core
