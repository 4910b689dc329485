#include "recsys/core/training_data.hpp"

#include <torch/torch.h>

#include "recsys/core/seed.hpp"

namespace recsys::core {

TrainingData prepare_training_data(InteractionData interactions, const SplitOptions& split_options,
                                   Sampler& sampler, std::uint64_t seed) {
  PositiveSet positives(interactions.user_id, interactions.item_id,
                        interactions.schema.user.num_ids, interactions.schema.item.num_ids);
  at::Generator split_generator = make_generator(seed, SeedStream::split);
  SplitIndices split = random_split(interactions.num_interactions(), split_options, split_generator);

  auto draw = [&](const torch::Tensor& rows, SeedStream stream) {
    at::Generator generator = make_generator(seed, stream);
    return sampler.sample(interactions.user_id.index_select(0, rows),
                          interactions.item_id.index_select(0, rows), positives, generator);
  };
  Examples validation = draw(split.validation, SeedStream::validation_negatives);
  Examples test = draw(split.test, SeedStream::test_negatives);
  torch::Tensor train_user = interactions.user_id.index_select(0, split.train);
  torch::Tensor train_item = interactions.item_id.index_select(0, split.train);
  return TrainingData{std::move(interactions), std::move(positives), std::move(split),
                      std::move(train_user), std::move(train_item), std::move(validation),
                      std::move(test)};
}

}  // namespace recsys::core
