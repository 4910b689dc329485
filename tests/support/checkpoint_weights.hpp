#pragma once
/// @file
/// Reading a checkpoint's model weights without building the model (to compare the
/// checkpoints of two runs).

#include <filesystem>
#include <map>
#include <string>

#include <torch/torch.h>

namespace recsys::test {

/// The model weights a checkpoint holds, by parameter or buffer name ("user.id.weight"),
/// read from the archive layout that core/src/checkpoint.cpp writes: "model_names" (one
/// name a line) and the "model" archive with '/' for '.' in its keys. Fails the test (throws
/// std::runtime_error) when an entry is missing.
std::map<std::string, torch::Tensor> read_checkpoint_weights(const std::filesystem::path& file);

/// A module holding `weights` under their dotted names (nested submodules), so that
/// core::serialize_checkpoint writes a checkpoint with exactly these weights.
std::shared_ptr<torch::nn::Module> module_of(const std::map<std::string, torch::Tensor>& weights);

}  // namespace recsys::test
