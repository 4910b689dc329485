#pragma once
/// @file
/// Loss plugins.

#include <torch/types.h>

#include "recsys/export.hpp"

namespace recsys {

class RECSYS_API Loss {
 public:
  virtual ~Loss();
  /// `logits`: float32 [B]; `labels`: float32 [B] in {0, 1}. Returns a scalar: the mean over
  /// B of a per-example loss. The trainer relies on it to split a batch (micro-batches, data
  /// parallel ranks) and weight each part's loss by its share of the rows.
  virtual torch::Tensor forward(const torch::Tensor& logits, const torch::Tensor& labels) = 0;
};

}  // namespace recsys
