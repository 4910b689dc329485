#pragma once
/// @file
/// The parallel "deep & cross" model shared by DCN (Wang et al. 2017) and DCN-V2
/// (Wang et al. 2021), built from its `[model]` table: x0 = [field embeddings (flattened),
/// continuous features]; a stack of cross layers and an MLP both read x0; their outputs are
/// concatenated into one linear unit.

#include <cstdint>

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>

#include "recsys/models/field_model.hpp"
#include "recsys/models/options.hpp"
#include "recsys/nn/field_embedding.hpp"
#include "recsys/nn/mlp.hpp"

namespace recsys::models {

/// `[model]` table of the deep & cross models. `default_embedding_dim` differs per model.
struct DeepCrossOptions {
  EmbeddingOptions embedding;  ///< embedding_dim, init_std
  std::int64_t cross_layers = 3;
  MlpOptions deep;  ///< deep_layers, dropout

  /// Throws ConfigError as EmbeddingOptions and MlpOptions, and "cross_layers: must not be
  /// negative".
  static DeepCrossOptions from_config(const Config& config, std::int64_t default_embedding_dim) {
    DeepCrossOptions o;
    o.embedding = EmbeddingOptions::from_config(config, {default_embedding_dim});
    o.cross_layers = config.get_int_in("cross_layers", o.cross_layers, 0, kMaxLayers);
    o.deep = MlpOptions::from_config(config, o.deep);
    return o;
  }
};

/// forward(batch) -> logits float32 [B] = out([cross^L(x0), mlp(x0)]).
/// `CrossLayer` is a module type constructible from the width d0 with
/// forward(x0 [B, d0], x [B, d0]) -> [B, d0].
template <typename CrossLayer>
class DeepCrossModel : public FieldModel<DeepCrossOptions> {
 public:
  /// Reads the options, then `exclude_fields`; throws their ConfigErrors.
  DeepCrossModel(const PluginArgs& args, std::int64_t default_embedding_dim) : FieldModel(args, default_embedding_dim) {
    const EmbeddingOptions& e = options_.embedding;
    embedding_ = register_module("embedding", this->field_embedding(e.dim, e.init_std));
    const std::int64_t d0 = fields_.num_embedded_fields() * e.dim + fields_.continuous_dim();
    for (std::int64_t l = 0; l < options_.cross_layers; ++l) cross_->push_back(CrossLayer(d0));
    register_module("cross", cross_);
    std::int64_t deep_out = 0;
    deep_ = register_module("deep", nn::make_mlp(d0, options_.deep.layers, options_.deep.dropout, &deep_out));
    out_ = register_module("out", torch::nn::Linear(d0 + deep_out, 1));
  }

  torch::Tensor forward(const Batch& batch) override {
    torch::Tensor x0 = this->embed(embedding_, batch).flatten(1);
    if (fields_.continuous_dim() > 0) x0 = torch::cat({x0, fields_.continuous(batch)}, 1);
    torch::Tensor x = x0;
    for (const auto& layer : *cross_) x = layer->as<CrossLayer>()->forward(x0, x);
    return out_->forward(torch::cat({x, deep_->forward(x0)}, 1)).squeeze(1);
  }

 private:
  nn::FieldEmbedding embedding_{nullptr};
  torch::nn::ModuleList cross_;
  torch::nn::Sequential deep_{nullptr};
  torch::nn::Linear out_{nullptr};
};

}  // namespace recsys::models
