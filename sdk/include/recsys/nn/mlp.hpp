#pragma once
/// @file
/// The multi-layer perceptron of the deep models.

#include <cstdint>
#include <vector>

#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>

#include "recsys/nn/aligned_linear.hpp"
#include "recsys/nn/dropout.hpp"

namespace recsys::nn {

/// Linear (recsys::nn::AlignedLinear: thin inputs padded for the GEMMs) -> ReLU (in place: the
/// Linear's backward does not need its output) [-> Dropout, recsys::nn::Dropout] for each
/// width in `layers`. Returns the module and sets
/// `out_dim` to the last width (`in_dim`, and the identity, when `layers` is empty).
/// forward: float32 [B, in_dim] -> float32 [B, out_dim].
/// Parameters: sum over layers of (in + 1) * out.
inline torch::nn::Sequential make_mlp(std::int64_t in_dim, const std::vector<std::int64_t>& layers, double dropout,
                                      std::int64_t* out_dim) {
  torch::nn::Sequential mlp;
  for (std::int64_t width : layers) {
    mlp->push_back(AlignedLinear(in_dim, width));
    mlp->push_back(torch::nn::ReLU(torch::nn::ReLUOptions().inplace(true)));
    if (dropout > 0.0) mlp->push_back(Dropout(dropout));
    in_dim = width;
  }
  // No hidden layer: the identity (torch refuses to run an empty Sequential), so a
  // cross-only DCN or an MLP-less NeuMF still works.
  if (layers.empty()) mlp->push_back(torch::nn::Identity());
  *out_dim = in_dim;
  return mlp;
}

}  // namespace recsys::nn
