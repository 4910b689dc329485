#pragma once
/// @file
/// Embeddings of several categorical fields in one table, and pooled embeddings of
/// multi-valued fields.

#include <cstdint>
#include <numeric>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/embedding.h>
#include <torch/types.h>

#include "recsys/batch.hpp"
#include "recsys/nn/embedding.hpp"
#include "recsys/nn/side_encoder.hpp"
#include "recsys/schema.hpp"

namespace recsys::nn {

/// Row offsets of fields stacked in one table: 0, c0, c0 + c1, ...
inline std::vector<std::int64_t> stacked_offsets(const std::vector<std::int64_t>& cardinalities) {
  std::vector<std::int64_t> offsets(cardinalities.size(), 0);
  for (std::size_t f = 1; f < cardinalities.size(); ++f) offsets[f] = offsets[f - 1] + cardinalities[f - 1];
  return offsets;
}

/// One embedding per categorical field, stored as a single table with per-field row offsets
/// (the "offsets" layout of DeepCTR and TorchRec): one lookup for all fields instead of F.
/// Multi-valued fields get their own stacked table ("multi_table", created only when there
/// are any) and are pooled (`pooled_embedding`) into one vector per field.
/// Holds (sum(cardinalities) + sum(multi cardinalities)) * dim parameters, as separate tables would.
///
/// forward(codes int64 [B, F], codes[:, f] in [0, cardinalities[f])) -> float32 [B, F, dim]
/// forward(codes, multi: M JaggedCodes of B rows) -> float32 [B, F + M, dim]
class FieldEmbeddingImpl : public torch::nn::Module {
 public:
  FieldEmbeddingImpl(const std::vector<std::int64_t>& cardinalities, std::int64_t dim, double init_std,
                     const std::vector<MultiCategoricalField>& multi = {}) {
    const std::vector<std::int64_t> offsets = stacked_offsets(cardinalities);
    const std::int64_t rows = std::accumulate(cardinalities.begin(), cardinalities.end(), std::int64_t{0});
    offsets_ = register_buffer("offsets", torch::tensor(offsets, torch::kInt64).view({1, -1}));
    table_ = register_module("table", Embedding(rows, dim));
    init_embedding(*table_, init_std);
    if (multi.empty()) return;
    std::vector<std::int64_t> multi_cardinalities;
    for (const auto& field : multi) {
      multi_cardinalities.push_back(field.cardinality);
      pooling_.push_back(field.pooling);
    }
    multi_offsets_ = stacked_offsets(multi_cardinalities);
    const auto multi_rows = std::accumulate(multi_cardinalities.begin(), multi_cardinalities.end(), std::int64_t{0});
    multi_table_ = register_module("multi_table", Embedding(multi_rows, dim));
    init_embedding(*multi_table_, init_std);
  }

  torch::Tensor forward(const torch::Tensor& codes) { return table_->forward(codes + offsets_); }

  torch::Tensor forward(const torch::Tensor& codes, const std::vector<JaggedCodes>& multi) {
    torch::Tensor single = forward(codes);
    if (!multi_table_) return single;
    std::vector<torch::Tensor> pooled{single};
    for (std::size_t m = 0; m < pooling_.size(); ++m) {
      pooled.push_back(pooled_embedding(multi_table_->weight, multi[m], multi_offsets_[m], pooling_[m]).unsqueeze(1));
    }
    return torch::cat(pooled, 1);
  }

 private:
  torch::Tensor offsets_;  // int64 [1, F]
  Embedding table_{nullptr}, multi_table_{nullptr};
  std::vector<std::int64_t> multi_offsets_;
  std::vector<Pooling> pooling_;
};
TORCH_MODULE(FieldEmbedding);

}  // namespace recsys::nn
