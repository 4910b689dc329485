#include "recsys/core/training_data.hpp"

#include <torch/torch.h>

#include "recsys/core/seed.hpp"

namespace recsys::core {

TrainingData prepare_training_data(InteractionData interactions, const SplitOptions& split_options,
                                   const EvaluationOptions& evaluation, Sampler& sampler, std::uint64_t seed) {
  const std::int64_t num_users = interactions.schema.user.num_ids, num_items = interactions.schema.item.num_ids;
  PositiveSet positives(interactions.user_id, interactions.item_id, num_users, num_items);
  at::Generator split_generator = make_generator(seed, SeedStream::split);
  SplitIndices split = split_positives(interactions, split_options, split_generator);
  auto users = [&](const torch::Tensor& rows) { return interactions.user_id.index_select(0, rows); };
  auto items = [&](const torch::Tensor& rows) { return interactions.item_id.index_select(0, rows); };

  auto build = [&](const torch::Tensor& rows, const torch::Tensor& masked_rows, SeedStream negatives,
                   SeedStream candidates) -> std::shared_ptr<EvaluationSet> {
    switch (evaluation.protocol) {
      case Protocol::sampled: {
        at::Generator generator = make_generator(seed, candidates);
        return make_sampled_set(users(rows), items(rows), positives, evaluation.num_candidates, generator);
      }
      case Protocol::full:
        return std::make_shared<FullRankingSet>(users(rows), items(rows), users(masked_rows), items(masked_rows),
                                                num_users, num_items);
      case Protocol::pointwise:
        break;
    }
    at::Generator generator = make_generator(seed, negatives);
    return make_pointwise_set(sampler, users(rows), items(rows), positives, generator);
  };
  // Full ranking masks the earlier splits' positives: training ones for validation,
  // training and validation ones for test.
  auto validation =
      build(split.validation, split.train, SeedStream::validation_negatives, SeedStream::validation_candidates);
  auto test = build(split.test, torch::cat({split.train, split.validation}), SeedStream::test_negatives,
                    SeedStream::test_candidates);
  torch::Tensor train_user = users(split.train);
  torch::Tensor train_item = items(split.train);
  return TrainingData{std::move(interactions), std::move(positives),  std::move(split), std::move(train_user),
                      std::move(train_item),   std::move(validation), std::move(test)};
}

}  // namespace recsys::core
