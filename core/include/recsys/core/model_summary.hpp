#pragma once
/// @file
/// A model summary as Keras' model.summary() and torchinfo print it: every module that holds
/// parameters, its type and parameter count, then the totals and the size in MB.

#include <cstdint>
#include <string>

#include <torch/nn/module.h>

namespace recsys::core {

struct ParameterCount {
  std::int64_t total = 0;      ///< elements of every parameter
  std::int64_t trainable = 0;  ///< those with requires_grad
  double megabytes = 0.0;      ///< parameters and buffers, bytes / 2^20
};

ParameterCount count_parameters(const torch::nn::Module& model);

/// The summary table (one line per module with its own parameters, then the totals).
std::string model_summary(const torch::nn::Module& model, const std::string& name);

}  // namespace recsys::core
