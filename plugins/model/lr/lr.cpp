// The `lr` model: logistic regression over every field, the baseline every click-through
// paper reports (e.g. McMahan et al. 2013, "Ad Click Prediction: a View from the Trenches";
// RecBole's LR). logit = b + sum over the categorical fields of w_f[code] + the pooled weights
// of each multi-valued field + w_c . x_continuous, trained with the binary cross-entropy loss.
#include <torch/torch.h>

#include "recsys/models/field_model.hpp"
#include "recsys/models/options.hpp"
#include "recsys/plugin.hpp"

namespace recsys::lr {

/// `[model]` table of lr.
struct LROptions {
  double init_std = 0.01;    ///< N(0, std^2) initial weights of the categorical values
  bool include_bias = true;  ///< the intercept b

  static LROptions from_config(const Config& config) {
    LROptions o;
    o.init_std = config.get_positive_double("init_std", o.init_std);
    o.include_bias = config.get_bool("include_bias", o.include_bias);
    return o;
  }
};

/// forward(batch) -> logits float32 [B].
/// Parameters: sum of the cardinalities (single- and multi-valued) + C continuous weights + 1.
class LRModel final : public models::FieldModel<LROptions> {
 public:
  explicit LRModel(const PluginArgs& args) : FieldModel(args) {
    weights_ = register_module("weights", field_embedding(1, options_.init_std));
    if (const std::int64_t c = fields_.continuous_dim(); c > 0) {
      continuous_ = register_module("continuous", torch::nn::Linear(torch::nn::LinearOptions(c, 1).bias(false)));
    }
    if (options_.include_bias) bias_ = register_parameter("bias", torch::zeros({1}));
  }

  torch::Tensor forward(const Batch& batch) override {
    torch::Tensor logits = embed(weights_, batch).sum({1, 2});
    if (continuous_) logits = logits + continuous_->forward(fields_.continuous(batch)).squeeze(1);
    if (options_.include_bias) logits = logits + bias_;
    return logits;
  }

 private:
  nn::FieldEmbedding weights_{nullptr};
  torch::nn::Linear continuous_{nullptr};
  torch::Tensor bias_;
};

}  // namespace recsys::lr

RECSYS_EXPORT_PLUGIN(recsys::lr::LRModel, "Logistic regression over every field (the click-through baseline)",
                     "LogisticRegression,LR");
