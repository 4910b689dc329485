// The `inner_product` model (the notebooks' NeuralInnerProduct): biased matrix
// factorisation, score = <p_u, q_i> + b_u + b_i + b (Koren, Bell & Volinsky 2009,
// "Matrix Factorization Techniques for Recommender Systems"), where p_u and q_i are
// SideEncoder vectors (id embedding plus side-feature embeddings).
#include <torch/torch.h>

#include "recsys/nn/feature_fields.hpp"
#include "recsys/nn/side_encoder.hpp"
#include "recsys/plugin.hpp"

namespace recsys::inner_product {

/// `[model]` table of the inner_product model.
struct InnerProductOptions {
  std::int64_t embedding_dim = 10;
  bool use_features = true;   ///< add side-feature embeddings to the id embeddings
  bool include_bias = true;   ///< user, item and global biases
  double init_std = 0.01;     ///< std of the N(0, std^2) embedding initialisation
  std::vector<std::string> exclude_fields;  ///< side features to leave out

  static InnerProductOptions from_config(const Config& config) {
    InnerProductOptions o;
    o.embedding_dim = config.get_int("embedding_dim", o.embedding_dim);
    if (o.embedding_dim < 1) config.fail("embedding_dim", "must be at least 1");
    o.use_features = config.get_bool("use_features", o.use_features);
    o.include_bias = config.get_bool("include_bias", o.include_bias);
    o.init_std = config.get_double("init_std", o.init_std);
    if (!(o.init_std > 0.0)) config.fail("init_std", "must be positive");
    o.exclude_fields = config.get_string_list("exclude_fields", {});
    return o;
  }
};

/// forward(batch) -> logits float32 [B].
/// Parameters: (U + sum of user cardinalities + Cu + I + sum of item cardinalities + Ci) * d
/// for the encoders (feature terms only with use_features), plus U + I + 1 biases.
class InnerProductModel final : public Model {
 public:
  explicit InnerProductModel(const PluginArgs& args)
      : options_(InnerProductOptions::from_config(args.config)) {
    const FeatureSchema& schema = *args.schema;
    nn::FieldLayout(schema, args.config);  // validates exclude_fields
    user_ = register_module("user", nn::SideEncoder(schema.user, options_.embedding_dim, options_.use_features,
                                                    options_.init_std, options_.exclude_fields));
    item_ = register_module("item", nn::SideEncoder(schema.item, options_.embedding_dim, options_.use_features,
                                                    options_.init_std, options_.exclude_fields));
    if (options_.include_bias) {
      user_bias_ = register_module("user_bias", nn::Embedding(schema.user.num_ids, 1));
      item_bias_ = register_module("item_bias", nn::Embedding(schema.item.num_ids, 1));
      nn::init_embedding(*user_bias_, options_.init_std);
      nn::init_embedding(*item_bias_, options_.init_std);
      bias_ = register_parameter("bias", torch::zeros({1}));
    }
  }

  torch::Tensor forward(const Batch& batch) override {
    torch::Tensor user = user_->forward(batch.user_id, batch.user_categorical, batch.user_continuous);
    torch::Tensor item = item_->forward(batch.item_id, batch.item_categorical, batch.item_continuous);
    torch::Tensor logits = (user * item).sum(1);
    if (options_.include_bias) {
      logits = logits + user_bias_->forward(batch.user_id).squeeze(1) +
               item_bias_->forward(batch.item_id).squeeze(1) + bias_;
    }
    return logits;
  }

 private:
  InnerProductOptions options_;
  nn::SideEncoder user_{nullptr}, item_{nullptr};
  nn::Embedding user_bias_{nullptr}, item_bias_{nullptr};
  torch::Tensor bias_;
};

}  // namespace recsys::inner_product

RECSYS_EXPORT_PLUGIN(recsys::inner_product::InnerProductModel, "Biased matrix factorisation over side-aware embeddings", "NeuralInnerProduct,mf");
