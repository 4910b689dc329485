#pragma once
/// @file
/// Model plugins: a torch::nn::Module mapping a Batch to logits.

#include <torch/nn/module.h>
#include <torch/types.h>

#include "recsys/batch.hpp"
#include "recsys/dataset.hpp"
#include "recsys/export.hpp"

namespace recsys {

/// A model plugin. Built from its `[model]` table and the dataset's FeatureSchema.
/// Submodules must be registered (register_module / register_parameter) so that the
/// optimizer, checkpoints and parameter counts see them.
class RECSYS_API Model : public torch::nn::Module {
 public:
  ~Model() override;
  /// Returns logits (unbounded real scores), float32 [B]. Higher means more likely positive.
  virtual torch::Tensor forward(const Batch& batch) = 0;

  /// Called once after the split and before training (and before a checkpoint is restored):
  /// `train_rows` (int64 [T]) are the training split's rows of `data`. A model built on the
  /// training interactions (LightGCN's graph) builds it here from those rows only.
  virtual void fit_on_training_split(const InteractionData& data, const torch::Tensor& train_rows);
  /// A term added to the training loss of `batch` (a scalar, the mean over the batch's groups
  /// as the loss), e.g. an L2 penalty on the embeddings the batch used; undefined for none.
  virtual torch::Tensor regularization(const Batch& batch);

  /// Whether the logits are a dot product of a user vector and an item vector (matrix
  /// factorisation, LightGCN, two towers): the host then ranks every item for a block of
  /// users with one matrix product. forward(batch) must equal
  /// (user_vectors(batch) * item_vectors(batch)).sum(1), up to float rounding.
  virtual bool factorized() const;
  /// float32 [B, D]: the user vectors of `batch`'s rows (user fields only; no context).
  /// Throws std::logic_error unless factorized().
  virtual torch::Tensor user_vectors(const Batch& batch);
  /// float32 [B, D]: the item vectors of `batch`'s rows (item fields only).
  /// Throws std::logic_error unless factorized().
  virtual torch::Tensor item_vectors(const Batch& batch);
};

}  // namespace recsys
