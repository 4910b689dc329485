// The `fm` model (the notebooks' FactorizationMachines): a second-order factorization machine
// (Rendle 2010). Each categorical field is one-hot (its factor vector is an embedding lookup);
// each continuous feature x_j contributes x_j * v_j. logit = b + sum of linear weights +
// sum over pairs of <v_i x_i, v_j x_j>, the pairwise term in O(k n).
#include "fm_interaction.hpp"
#include "recsys/models/field_model.hpp"
#include "recsys/models/options.hpp"
#include "recsys/nn/field_embedding.hpp"
#include "recsys/plugin.hpp"

namespace recsys::fm {

/// `[model]` table of fm.
struct FMOptions {
  models::EmbeddingOptions factors{10};  ///< embedding_dim: k, the factor dimension; init_std for every factor
  bool include_bias = true;              ///< global bias w0

  static FMOptions from_config(const Config& config) {
    FMOptions o;
    o.factors = models::EmbeddingOptions::from_config(config, o.factors);
    o.include_bias = config.get_bool("include_bias", o.include_bias);
    return o;
  }
};

/// forward(batch) -> logits float32 [B].
/// Parameters: sum(card) * (k + 1) + C * (k + 1) + 1.
class FMModel final : public models::FieldModel<FMOptions> {
 public:
  explicit FMModel(const PluginArgs& args) : FieldModel(args) {
    const std::int64_t k = options_.factors.dim, c = fields_.continuous_dim();
    const double init_std = options_.factors.init_std;
    factors_ = register_module("factors", field_embedding(k, init_std));
    linear_ = register_module("linear", field_embedding(1, init_std));
    if (c > 0) {
      continuous_factors_ = register_parameter("continuous_factors", torch::randn({c, k}) * init_std);
      continuous_linear_ =
          register_module("continuous_linear", torch::nn::Linear(torch::nn::LinearOptions(c, 1).bias(false)));
    }
    if (options_.include_bias) bias_ = register_parameter("bias", torch::zeros({1}));
  }

  torch::Tensor forward(const Batch& batch) override {
    torch::Tensor v = embed(factors_, batch);  // [B, F + M, k]
    torch::Tensor logits = embed(linear_, batch).sum({1, 2});
    if (continuous_linear_) {
      const torch::Tensor x = fields_.continuous(batch);  // [B, C]
      logits = logits + continuous_linear_->forward(x).squeeze(1) + pairwise_interaction(v, x, continuous_factors_);
    } else {
      logits = logits + pairwise_interaction(v);
    }
    if (options_.include_bias) logits = logits + bias_;
    return logits;
  }

 private:
  nn::FieldEmbedding factors_{nullptr}, linear_{nullptr};
  torch::Tensor continuous_factors_, bias_;
  torch::nn::Linear continuous_linear_{nullptr};
};

}  // namespace recsys::fm

RECSYS_EXPORT_PLUGIN(recsys::fm::FMModel, "Second-order factorization machine, O(kn) pairwise term (Rendle 2010)",
                     "FactorizationMachines,FM");
