#pragma once
/// @file
/// Embeddings of several categorical fields in one table.

#include <cstdint>
#include <numeric>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/embedding.h>
#include <torch/types.h>

#include "recsys/nn/embedding.hpp"
#include "recsys/nn/side_encoder.hpp"

namespace recsys::nn {

/// One embedding per categorical field, stored as a single table with per-field row offsets
/// (the "offsets" layout of DeepCTR and TorchRec): one lookup for all fields instead of F.
/// Holds sum(cardinalities) * dim parameters, exactly as F separate tables would.
///
/// forward(codes int64 [B, F], codes[:, f] in [0, cardinalities[f])) -> float32 [B, F, dim]
class FieldEmbeddingImpl : public torch::nn::Module {
 public:
  FieldEmbeddingImpl(const std::vector<std::int64_t>& cardinalities, std::int64_t dim, double init_std) {
    std::vector<std::int64_t> offsets(cardinalities.size(), 0);
    for (std::size_t f = 1; f < cardinalities.size(); ++f) offsets[f] = offsets[f - 1] + cardinalities[f - 1];
    const std::int64_t rows = std::accumulate(cardinalities.begin(), cardinalities.end(), std::int64_t{0});
    offsets_ = register_buffer("offsets", torch::tensor(offsets, torch::kInt64).view({1, -1}));
    table_ = register_module("table", Embedding(rows, dim));
    init_embedding(*table_, init_std);
  }

  torch::Tensor forward(const torch::Tensor& codes) { return table_->forward(codes + offsets_); }

 private:
  torch::Tensor offsets_;  // int64 [1, F]
  Embedding table_{nullptr};
};
TORCH_MODULE(FieldEmbedding);

}  // namespace recsys::nn
