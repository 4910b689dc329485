#pragma once
/// @file
/// The data a run trains and evaluates on: the split rows, every positive for negative
/// sampling, and the fixed validation and test evaluation sets.

#include <cstdint>
#include <memory>

#include "recsys/batch.hpp"
#include "recsys/core/evaluation.hpp"
#include "recsys/core/split.hpp"
#include "recsys/dataset.hpp"
#include "recsys/sampler.hpp"

namespace recsys::core {

/// The training split's rows as an epoch's draw needs them (tensors shared, not copied).
struct TrainingRows {
  torch::Tensor user_id;      ///< int64 [N_train]
  torch::Tensor item_id;      ///< int64 [N_train]
  torch::Tensor label;        ///< float32 [N_train] for labelled data; undefined for implicit
  torch::Tensor rows;         ///< int64 [N_train], rows of the interactions (split.train)
  bool with_context = false;  ///< the data has context features: examples carry their row
};

struct TrainingData {
  InteractionData interactions;               ///< what the dataset loaded
  PositiveSet positives;                      ///< all positives, every split: never drawn as negatives
  SplitIndices split;                         ///< row indices into interactions
  torch::Tensor train_user_id;                ///< int64 [N_train] rows of the training split
  torch::Tensor train_item_id;                ///< int64 [N_train]
  torch::Tensor train_label;                  ///< float32 [N_train] (labelled data), else undefined
  std::shared_ptr<EvaluationSet> validation;  ///< drawn once per seed
  std::shared_ptr<EvaluationSet> test;        ///< drawn once per seed
  /// `[sampler] exclude = "training"`: the training positives, the only ones training negatives
  /// avoid (RecBole's rule); null: `positives`, every split's (the default).
  std::shared_ptr<const PositiveSet> training_exclusions;

  TrainingRows training_rows() const;
  /// The positives a training negative must not be.
  const PositiveSet& negatives_exclude() const { return training_exclusions ? *training_exclusions : positives; }
};

/// Whether `features` has a column (context tables of a dataset without context have none).
bool has_columns(const SideFeatures& features);

/// The split of `interactions` (`split` options) from the seed's split stream.
SplitIndices split_interactions(const InteractionData& interactions, const SplitOptions& split, std::uint64_t seed);

/// Builds the validation and test sets of the protocol for `split`, drawing their negatives
/// or candidates (with `sampler` for the pointwise protocol on implicit data) from the seed's
/// own streams. Labelled data is evaluated pointwise on the held-out rows with their own
/// labels (`sampler` may be null then). Examples carry their interaction row when the data has
/// context. Throws ConfigError for labelled data under another protocol.
TrainingData prepare_training_data(InteractionData interactions, SplitIndices split,
                                   const EvaluationOptions& evaluation, Sampler* sampler, std::uint64_t seed);

}  // namespace recsys::core
