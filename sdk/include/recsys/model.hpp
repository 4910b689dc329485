#pragma once
/// @file
/// Model plugins: a torch::nn::Module mapping a Batch to logits.

#include <torch/nn/module.h>
#include <torch/types.h>

#include "recsys/batch.hpp"
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
};

}  // namespace recsys
