// The `wide_deep` model (the notebooks' WideAndDeep): Wide & Deep Learning (Cheng et al. 2016,
// "Wide & Deep Learning for Recommender Systems"). The wide part is a linear model over the
// one-hot categorical fields (1-dimensional embeddings) and the continuous features; the deep
// part is an MLP over the concatenated field embeddings and continuous features. The two are
// summed into the logit (joint training).
#include <torch/torch.h>

#include "recsys/nn/feature_fields.hpp"
#include "recsys/nn/field_embedding.hpp"
#include "recsys/nn/mlp.hpp"
#include "recsys/plugin.hpp"

namespace recsys::wide_deep {

/// `[model]` table of wide_deep.
struct WideDeepOptions {
  std::int64_t embedding_dim = 64;
  std::vector<std::int64_t> deep_layers{512, 256, 128};
  double dropout = 0.2;
  bool include_bias = true;  ///< global bias of the wide part
  double init_std = 0.01;
  std::vector<std::string> exclude_fields;

  static WideDeepOptions from_config(const Config& config) {
    WideDeepOptions o;
    o.embedding_dim = config.get_int("embedding_dim", o.embedding_dim);
    o.deep_layers = config.get_int_list("deep_layers", o.deep_layers);
    o.dropout = config.get_double("dropout", o.dropout);
    o.include_bias = config.get_bool("include_bias", o.include_bias);
    o.init_std = config.get_double("init_std", o.init_std);
    o.exclude_fields = config.get_string_list("exclude_fields", {});
    if (o.embedding_dim < 1) config.fail("embedding_dim", "must be at least 1");
    for (auto width : o.deep_layers) {
      if (width < 1) config.fail("deep_layers", "every width must be at least 1");
    }
    if (!(o.dropout >= 0.0 && o.dropout < 1.0)) config.fail("dropout", "must be in [0, 1)");
    if (!(o.init_std > 0.0)) config.fail("init_std", "must be positive");
    return o;
  }
};

/// forward(batch) -> logits float32 [B] = wide(x) + deep_out(mlp([emb(x), x_cont])).
/// Parameters: sum(card) * (1 + d) + C (wide continuous) + 1 (bias)
///             + MLP(F * d + C -> deep_layers) + (last + 1).
class WideDeepModel final : public Model {
 public:
  explicit WideDeepModel(const PluginArgs& args)
      : options_(WideDeepOptions::from_config(args.config)), fields_(*args.schema, args.config) {
    const std::int64_t c = fields_.continuous_dim();
    wide_categorical_ = register_module("wide_categorical",
                                        nn::FieldEmbedding(fields_.cardinalities(), 1, options_.init_std));
    if (c > 0) {
      wide_continuous_ = register_module("wide_continuous", torch::nn::Linear(torch::nn::LinearOptions(c, 1).bias(false)));
    }
    if (options_.include_bias) bias_ = register_parameter("bias", torch::zeros({1}));
    embedding_ = register_module("embedding", nn::FieldEmbedding(fields_.cardinalities(), options_.embedding_dim,
                                                                 options_.init_std));
    std::int64_t deep_out = 0;
    deep_ = register_module("deep", nn::make_mlp(fields_.num_fields() * options_.embedding_dim + c,
                                                 options_.deep_layers, options_.dropout, &deep_out));
    deep_out_ = register_module("deep_out", torch::nn::Linear(deep_out, 1));
  }

  torch::Tensor forward(const Batch& batch) override {
    const torch::Tensor codes = fields_.categorical(batch);
    torch::Tensor wide = wide_categorical_->forward(codes).sum({1, 2});
    torch::Tensor deep_in = embedding_->forward(codes).flatten(1);
    if (wide_continuous_) {
      const torch::Tensor continuous = fields_.continuous(batch);
      wide = wide + wide_continuous_->forward(continuous).squeeze(1);
      deep_in = torch::cat({deep_in, continuous}, 1);
    }
    if (options_.include_bias) wide = wide + bias_;
    return wide + deep_out_->forward(deep_->forward(deep_in)).squeeze(1);
  }

 private:
  WideDeepOptions options_;
  nn::FieldLayout fields_;
  nn::FieldEmbedding wide_categorical_{nullptr}, embedding_{nullptr};
  torch::nn::Linear wide_continuous_{nullptr}, deep_out_{nullptr};
  torch::Tensor bias_;
  torch::nn::Sequential deep_{nullptr};
};

}  // namespace recsys::wide_deep

RECSYS_EXPORT_PLUGIN(recsys::wide_deep::WideDeepModel, "Wide & Deep: linear model plus MLP over field embeddings (Cheng et al. 2016)", "WideAndDeep");
