// The `autoint` model (the notebooks' AutoInt): AutoInt (Song et al. 2019). Every categorical
// field is one token (its embedding); each side's continuous block is one more token (a
// linear projection, as the reference does). Stacked interacting layers (multi-head
// self-attention with residual connections) mix the tokens; one linear unit reads them all.
#include "interacting_layer.hpp"
#include "recsys/nn/dropout.hpp"
#include "recsys/nn/feature_fields.hpp"
#include "recsys/nn/field_embedding.hpp"
#include "recsys/plugin.hpp"

namespace recsys::autoint {

/// `[model]` table of autoint.
struct AutoIntOptions {
  std::int64_t embedding_dim = 64;  ///< D, divisible by num_heads
  std::int64_t num_heads = 8;
  std::int64_t num_layers = 3;
  double dropout = 0.1;             ///< after each interacting layer
  bool residual = true;             ///< W_res connections (eq. 8)
  bool include_bias = true;         ///< bias of the output unit
  double init_std = 0.01;
  std::vector<std::string> exclude_fields;

  static AutoIntOptions from_config(const Config& config) {
    AutoIntOptions o;
    o.embedding_dim = config.get_int("embedding_dim", o.embedding_dim);
    o.num_heads = config.get_int("num_heads", o.num_heads);
    o.num_layers = config.get_int("num_layers", o.num_layers);
    o.dropout = config.get_double("dropout", o.dropout);
    o.residual = config.get_bool("residual", o.residual);
    o.include_bias = config.get_bool("include_bias", o.include_bias);
    o.init_std = config.get_double("init_std", o.init_std);
    o.exclude_fields = config.get_string_list("exclude_fields", {});
    if (o.embedding_dim < 1) config.fail("embedding_dim", "must be at least 1");
    if (o.num_heads < 1) config.fail("num_heads", "must be at least 1");
    if (o.embedding_dim % o.num_heads != 0) {
      config.fail("num_heads", "must divide embedding_dim (" + std::to_string(o.embedding_dim) + ")");
    }
    if (o.num_layers < 0) config.fail("num_layers", "must not be negative");
    if (!(o.dropout >= 0.0 && o.dropout < 1.0)) config.fail("dropout", "must be in [0, 1)");
    if (!(o.init_std > 0.0)) config.fail("init_std", "must be positive");
    return o;
  }
};

/// forward(batch) -> logits float32 [B].
/// Parameters: sum(card) * D + (Cu + 1) * D + (Ci + 1) * D + layers * 4 D^2 + T * D + 1,
/// with T = F + (Cu > 0) + (Ci > 0) tokens.
class AutoIntModel final : public Model {
 public:
  explicit AutoIntModel(const PluginArgs& args)
      : options_(AutoIntOptions::from_config(args.config)), fields_(*args.schema, args.config) {
    const std::int64_t d = options_.embedding_dim;
    embedding_ = register_module("embedding", nn::FieldEmbedding(fields_.cardinalities(), d, options_.init_std));
    std::int64_t tokens = fields_.num_fields();
    if (fields_.user_continuous_dim() > 0) {
      user_continuous_ = register_module("user_continuous", torch::nn::Linear(fields_.user_continuous_dim(), d));
      ++tokens;
    }
    if (fields_.item_continuous_dim() > 0) {
      item_continuous_ = register_module("item_continuous", torch::nn::Linear(fields_.item_continuous_dim(), d));
      ++tokens;
    }
    for (std::int64_t l = 0; l < options_.num_layers; ++l) {
      layers_->push_back(InteractingLayer(d, options_.num_heads, options_.residual));
    }
    register_module("layers", layers_);
    dropout_ = register_module("dropout", nn::Dropout(options_.dropout));
    out_ = register_module("out", torch::nn::Linear(torch::nn::LinearOptions(tokens * d, 1).bias(options_.include_bias)));
  }

  torch::Tensor forward(const Batch& batch) override {
    std::vector<torch::Tensor> tokens{embedding_->forward(fields_.categorical(batch))};
    if (user_continuous_) tokens.push_back(user_continuous_->forward(fields_.user_continuous(batch)).unsqueeze(1));
    if (item_continuous_) tokens.push_back(item_continuous_->forward(fields_.item_continuous(batch)).unsqueeze(1));
    torch::Tensor x = torch::cat(tokens, 1);  // [B, T, D]
    for (const auto& layer : *layers_) x = dropout_->forward(layer->as<InteractingLayer>()->forward(x));
    return out_->forward(x.flatten(1)).squeeze(1);
  }

 private:
  AutoIntOptions options_;
  nn::FieldLayout fields_;
  nn::FieldEmbedding embedding_{nullptr};
  torch::nn::Linear user_continuous_{nullptr}, item_continuous_{nullptr}, out_{nullptr};
  torch::nn::ModuleList layers_;
  nn::Dropout dropout_{nullptr};
};

}  // namespace recsys::autoint

RECSYS_EXPORT_PLUGIN(recsys::autoint::AutoIntModel, "AutoInt: multi-head self-attention over field embeddings (Song et al. 2019)", "AutoInt");
