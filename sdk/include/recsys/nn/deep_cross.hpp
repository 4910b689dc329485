#pragma once
/// @file
/// The parallel "deep & cross" structure shared by DCN (Wang et al. 2017) and DCN-V2
/// (Wang et al. 2021): x0 = [field embeddings (flattened), continuous features]; a stack of
/// cross layers and an MLP both read x0; their outputs are concatenated into one linear unit.

#include <cstdint>
#include <string>
#include <vector>

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>

#include "recsys/model.hpp"
#include "recsys/nn/feature_fields.hpp"
#include "recsys/nn/field_embedding.hpp"
#include "recsys/nn/mlp.hpp"
#include "recsys/plugin.hpp"

namespace recsys::nn {

/// `[model]` table of the deep & cross models. `default_embedding_dim` differs per model.
struct DeepCrossOptions {
  std::int64_t embedding_dim = 0;
  std::int64_t cross_layers = 3;
  std::vector<std::int64_t> deep_layers{512, 256, 128};
  double dropout = 0.2;
  double init_std = 0.01;
  std::vector<std::string> exclude_fields;

  static DeepCrossOptions from_config(const Config& config, std::int64_t default_embedding_dim) {
    DeepCrossOptions o;
    o.embedding_dim = config.get_int("embedding_dim", default_embedding_dim);
    o.cross_layers = config.get_int("cross_layers", o.cross_layers);
    o.deep_layers = config.get_int_list("deep_layers", o.deep_layers);
    o.dropout = config.get_double("dropout", o.dropout);
    o.init_std = config.get_double("init_std", o.init_std);
    o.exclude_fields = config.get_string_list("exclude_fields", {});
    if (o.embedding_dim < 1) config.fail("embedding_dim", "must be at least 1");
    if (o.cross_layers < 0) config.fail("cross_layers", "must not be negative");
    for (auto width : o.deep_layers) {
      if (width < 1) config.fail("deep_layers", "every width must be at least 1");
    }
    if (!(o.dropout >= 0.0 && o.dropout < 1.0)) config.fail("dropout", "must be in [0, 1)");
    if (!(o.init_std > 0.0)) config.fail("init_std", "must be positive");
    return o;
  }
};

/// forward(batch) -> logits float32 [B] = out([cross^L(x0), mlp(x0)]).
/// `CrossLayer` is a module type constructible from the width d0 with
/// forward(x0 [B, d0], x [B, d0]) -> [B, d0].
template <typename CrossLayer>
class DeepCrossModel : public Model {
 public:
  DeepCrossModel(const PluginArgs& args, std::int64_t default_embedding_dim)
      : options_(DeepCrossOptions::from_config(args.config, default_embedding_dim)),
        fields_(*args.schema, args.config) {
    embedding_ = register_module("embedding", FieldEmbedding(fields_.cardinalities(), options_.embedding_dim,
                                                             options_.init_std));
    const std::int64_t d0 = fields_.num_fields() * options_.embedding_dim + fields_.continuous_dim();
    for (std::int64_t l = 0; l < options_.cross_layers; ++l) cross_->push_back(CrossLayer(d0));
    register_module("cross", cross_);
    std::int64_t deep_out = 0;
    deep_ = register_module("deep", make_mlp(d0, options_.deep_layers, options_.dropout, &deep_out));
    out_ = register_module("out", torch::nn::Linear(d0 + deep_out, 1));
  }

  torch::Tensor forward(const Batch& batch) override {
    torch::Tensor x0 = embedding_->forward(fields_.categorical(batch)).flatten(1);
    if (fields_.continuous_dim() > 0) x0 = torch::cat({x0, fields_.continuous(batch)}, 1);
    torch::Tensor x = x0;
    for (const auto& layer : *cross_) x = layer->as<CrossLayer>()->forward(x0, x);
    return out_->forward(torch::cat({x, deep_->forward(x0)}, 1)).squeeze(1);
  }

 private:
  DeepCrossOptions options_;
  FieldLayout fields_;
  FieldEmbedding embedding_{nullptr};
  torch::nn::ModuleList cross_;
  torch::nn::Sequential deep_{nullptr};
  torch::nn::Linear out_{nullptr};
};

}  // namespace recsys::nn
