#pragma once
/// @file
/// The data a run trains and evaluates on: the split positives, every positive for
/// negative sampling, and the fixed validation and test examples.

#include <cstdint>

#include "recsys/batch.hpp"
#include "recsys/dataset.hpp"
#include "recsys/sampler.hpp"
#include "recsys/core/split.hpp"

namespace recsys::core {

struct TrainingData {
  InteractionData interactions;  ///< what the dataset loaded
  PositiveSet positives;         ///< all positives, every split: never drawn as negatives
  SplitIndices split;            ///< row indices into interactions
  torch::Tensor train_user_id;   ///< int64 [N_train] positives of the training split
  torch::Tensor train_item_id;   ///< int64 [N_train]
  Examples validation;           ///< positives + negatives, drawn once per seed
  Examples test;                 ///< positives + negatives, drawn once per seed
};

/// Splits `interactions` and draws the fixed validation and test negatives with `sampler`
/// from the seed's own streams.
TrainingData prepare_training_data(InteractionData interactions, const SplitOptions& split,
                                   Sampler& sampler, std::uint64_t seed);

}  // namespace recsys::core
