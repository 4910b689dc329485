// The `autoint` model (the notebooks' AutoInt): AutoInt (Song et al. 2019). Every categorical
// field is one token (its embedding; a multi-valued field's pooled embedding); each side's
// continuous block (user, item, context) is one more token (a
// linear projection, as the reference does). Stacked interacting layers (multi-head
// self-attention with residual connections) mix the tokens; one linear unit reads them all.
#include "interacting_layer.hpp"
#include "recsys/models/field_model.hpp"
#include "recsys/models/options.hpp"
#include "recsys/nn/dropout.hpp"
#include "recsys/nn/field_embedding.hpp"
#include "recsys/plugin.hpp"

namespace recsys::autoint {

/// `[model]` table of autoint.
struct AutoIntOptions {
  models::EmbeddingOptions embedding{64};  ///< embedding_dim: D, divisible by num_heads; init_std
  std::int64_t num_heads = 8;
  std::int64_t num_layers = 3;
  double dropout = 0.1;      ///< after each interacting layer
  bool residual = true;      ///< W_res connections (eq. 8)
  bool include_bias = true;  ///< bias of the output unit

  static AutoIntOptions from_config(const Config& config) {
    AutoIntOptions o;
    o.embedding = models::EmbeddingOptions::from_config(config, o.embedding);
    o.num_heads = config.get_int_in("num_heads", o.num_heads, 1, models::kMaxWidth);
    if (o.embedding.dim % o.num_heads != 0) {
      config.fail("num_heads", "must divide embedding_dim (" + std::to_string(o.embedding.dim) + ")");
    }
    o.num_layers = config.get_int_in("num_layers", o.num_layers, 0, models::kMaxLayers);
    o.dropout = config.get_double_in("dropout", o.dropout, 0.0, 1.0);
    o.residual = config.get_bool("residual", o.residual);
    o.include_bias = config.get_bool("include_bias", o.include_bias);
    return o;
  }
};

/// forward(batch) -> logits float32 [B].
/// Parameters: sum(card) * D + (Cu + 1) * D + (Ci + 1) * D + (Cc + 1) * D + layers * 4 D^2 + T * D + 1,
/// with T = F + M + (Cu > 0) + (Ci > 0) + (Cc > 0) tokens (M pooled multi-valued fields).
class AutoIntModel final : public models::FieldModel<AutoIntOptions> {
 public:
  explicit AutoIntModel(const PluginArgs& args) : FieldModel(args) {
    const std::int64_t d = options_.embedding.dim;
    embedding_ = register_module("embedding", field_embedding(d, options_.embedding.init_std));
    std::int64_t tokens = fields_.num_embedded_fields();
    if (fields_.user_continuous_dim() > 0) {
      user_continuous_ = register_module("user_continuous", torch::nn::Linear(fields_.user_continuous_dim(), d));
      ++tokens;
    }
    if (fields_.item_continuous_dim() > 0) {
      item_continuous_ = register_module("item_continuous", torch::nn::Linear(fields_.item_continuous_dim(), d));
      ++tokens;
    }
    if (fields_.context_continuous_dim() > 0) {
      context_continuous_ =
          register_module("context_continuous", torch::nn::Linear(fields_.context_continuous_dim(), d));
      ++tokens;
    }
    for (std::int64_t l = 0; l < options_.num_layers; ++l) {
      layers_->push_back(InteractingLayer(d, options_.num_heads, options_.residual));
    }
    register_module("layers", layers_);
    dropout_ = register_module("dropout", nn::Dropout(options_.dropout));
    out_ =
        register_module("out", torch::nn::Linear(torch::nn::LinearOptions(tokens * d, 1).bias(options_.include_bias)));
  }

  torch::Tensor forward(const Batch& batch) override {
    std::vector<torch::Tensor> tokens{embed(embedding_, batch)};
    if (user_continuous_) tokens.push_back(user_continuous_->forward(fields_.user_continuous(batch)).unsqueeze(1));
    if (item_continuous_) tokens.push_back(item_continuous_->forward(fields_.item_continuous(batch)).unsqueeze(1));
    if (context_continuous_) {
      tokens.push_back(context_continuous_->forward(fields_.context_continuous(batch)).unsqueeze(1));
    }
    torch::Tensor x = torch::cat(tokens, 1);  // [B, T, D]
    for (const auto& layer : *layers_) x = dropout_->forward(layer->as<InteractingLayer>()->forward(x));
    return out_->forward(x.flatten(1)).squeeze(1);
  }

 private:
  nn::FieldEmbedding embedding_{nullptr};
  torch::nn::Linear user_continuous_{nullptr}, item_continuous_{nullptr}, context_continuous_{nullptr}, out_{nullptr};
  torch::nn::ModuleList layers_;
  nn::Dropout dropout_{nullptr};
};

}  // namespace recsys::autoint

RECSYS_EXPORT_PLUGIN(recsys::autoint::AutoIntModel,
                     "AutoInt: multi-head self-attention over field embeddings (Song et al. 2019)", "AutoInt");
