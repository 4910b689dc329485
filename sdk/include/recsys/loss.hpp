#pragma once
/// @file
/// Loss plugins.

#include <torch/types.h>

#include "recsys/export.hpp"

namespace recsys {

class RECSYS_API Loss {
 public:
  virtual ~Loss();
  /// `logits`: float32 [B]; `labels`: float32 [B] in {0, 1}. Returns a scalar (mean over B).
  virtual torch::Tensor forward(const torch::Tensor& logits, const torch::Tensor& labels) = 0;
};

}  // namespace recsys
