// The `wide_deep` model (the notebooks' WideAndDeep): Wide & Deep Learning (Cheng et al. 2016,
// "Wide & Deep Learning for Recommender Systems"). The wide part is a linear model over the
// one-hot categorical fields (1-dimensional embeddings) and the continuous features; the deep
// part is an MLP over the concatenated field embeddings and continuous features. The two are
// summed into the logit (joint training).
#include <torch/torch.h>

#include "recsys/models/field_model.hpp"
#include "recsys/models/options.hpp"
#include "recsys/nn/field_embedding.hpp"
#include "recsys/nn/mlp.hpp"
#include "recsys/plugin.hpp"

namespace recsys::wide_deep {

/// `[model]` table of wide_deep.
struct WideDeepOptions {
  models::EmbeddingOptions embedding{64};  ///< embedding_dim 64, init_std (both parts)
  bool include_bias = true;                ///< global bias of the wide part
  models::MlpOptions deep;                 ///< deep_layers [512, 256, 128], dropout 0.2

  static WideDeepOptions from_config(const Config& config) {
    WideDeepOptions o;
    o.embedding = models::EmbeddingOptions::from_config(config, o.embedding);
    o.include_bias = config.get_bool("include_bias", o.include_bias);
    o.deep = models::MlpOptions::from_config(config, o.deep);
    return o;
  }
};

/// forward(batch) -> logits float32 [B] = wide(x) + deep_out(mlp([emb(x), x_cont])).
/// Parameters: sum(card) * (1 + d) + C (wide continuous) + 1 (bias)
///             + MLP(F * d + C -> deep_layers) + (last + 1).
class WideDeepModel final : public models::FieldModel<WideDeepOptions> {
 public:
  explicit WideDeepModel(const PluginArgs& args) : FieldModel(args) {
    const std::int64_t c = fields_.continuous_dim();
    const models::EmbeddingOptions& e = options_.embedding;
    wide_categorical_ = register_module("wide_categorical", field_embedding(1, e.init_std));
    if (c > 0) {
      wide_continuous_ =
          register_module("wide_continuous", torch::nn::Linear(torch::nn::LinearOptions(c, 1).bias(false)));
    }
    if (options_.include_bias) bias_ = register_parameter("bias", torch::zeros({1}));
    embedding_ = register_module("embedding", field_embedding(e.dim, e.init_std));
    std::int64_t deep_out = 0;
    deep_ = register_module("deep", nn::make_mlp(fields_.num_embedded_fields() * e.dim + c, options_.deep.layers,
                                                 options_.deep.dropout, &deep_out));
    deep_out_ = register_module("deep_out", torch::nn::Linear(deep_out, 1));
  }

  torch::Tensor forward(const Batch& batch) override {
    torch::Tensor wide = embed(wide_categorical_, batch).sum({1, 2});
    torch::Tensor deep_in = embed(embedding_, batch).flatten(1);
    if (wide_continuous_) {
      const torch::Tensor continuous = fields_.continuous(batch);
      wide = wide + wide_continuous_->forward(continuous).squeeze(1);
      deep_in = torch::cat({deep_in, continuous}, 1);
    }
    if (options_.include_bias) wide = wide + bias_;
    return wide + deep_out_->forward(deep_->forward(deep_in)).squeeze(1);
  }

 private:
  nn::FieldEmbedding wide_categorical_{nullptr}, embedding_{nullptr};
  torch::nn::Linear wide_continuous_{nullptr}, deep_out_{nullptr};
  torch::Tensor bias_;
  torch::nn::Sequential deep_{nullptr};
};

}  // namespace recsys::wide_deep

RECSYS_EXPORT_PLUGIN(recsys::wide_deep::WideDeepModel,
                     "Wide & Deep: linear model plus MLP over field embeddings (Cheng et al. 2016)", "WideAndDeep");
