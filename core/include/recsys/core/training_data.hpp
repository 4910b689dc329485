#pragma once
/// @file
/// The data a run trains and evaluates on: the split positives, every positive for
/// negative sampling, and the fixed validation and test evaluation sets.

#include <cstdint>
#include <memory>

#include "recsys/batch.hpp"
#include "recsys/core/evaluation.hpp"
#include "recsys/core/split.hpp"
#include "recsys/dataset.hpp"
#include "recsys/sampler.hpp"

namespace recsys::core {

struct TrainingData {
  InteractionData interactions;               ///< what the dataset loaded
  PositiveSet positives;                      ///< all positives, every split: never drawn as negatives
  SplitIndices split;                         ///< row indices into interactions
  torch::Tensor train_user_id;                ///< int64 [N_train] positives of the training split
  torch::Tensor train_item_id;                ///< int64 [N_train]
  std::shared_ptr<EvaluationSet> validation;  ///< drawn once per seed
  std::shared_ptr<EvaluationSet> test;        ///< drawn once per seed
};

/// Splits `interactions` and builds the validation and test sets of the protocol, drawing
/// their negatives or candidates (with `sampler` for the pointwise protocol) from the
/// seed's own streams.
TrainingData prepare_training_data(InteractionData interactions, const SplitOptions& split,
                                   const EvaluationOptions& evaluation, Sampler& sampler, std::uint64_t seed);

}  // namespace recsys::core
