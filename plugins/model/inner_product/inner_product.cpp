// The `inner_product` model (the notebooks' NeuralInnerProduct): biased matrix
// factorisation, score = <p_u, q_i> + b_u + b_i + b (Koren, Bell & Volinsky 2009,
// "Matrix Factorization Techniques for Recommender Systems"), where p_u and q_i are
// SideEncoder vectors (id embedding plus side-feature embeddings).
#include <torch/torch.h>

#include "recsys/models/options.hpp"
#include "recsys/nn/side_encoder.hpp"
#include "recsys/plugin.hpp"

namespace recsys::inner_product {

/// `[model]` table of the inner_product model.
struct InnerProductOptions {
  models::EmbeddingOptions embedding{10};              ///< embedding_dim 10; init_std of the N(0, std^2) initialisation
  bool use_features = true;                            ///< add side-feature embeddings to the id embeddings
  bool include_bias = true;                            ///< user, item and global biases
  std::vector<std::string> exclude_fields;             ///< side features to leave out, checked against the schema
  nn::EmbeddingInit init = nn::EmbeddingInit::normal;  ///< `init`: normal (init_std), xavier_normal, xavier_uniform

  static InnerProductOptions from_config(const Config& config, const FeatureSchema& schema) {
    InnerProductOptions o;
    o.embedding = models::EmbeddingOptions::from_config(config, o.embedding);
    o.use_features = config.get_bool("use_features", o.use_features);
    o.include_bias = config.get_bool("include_bias", o.include_bias);
    o.exclude_fields = models::exclude_fields(config, schema);
    o.init = models::embedding_init(config);
    if (o.use_features) models::refuse_context_fields(config, schema, o.exclude_fields, "inner_product");
    return o;
  }
};

/// forward(batch) -> logits float32 [B].
/// Parameters: (U + sum of user cardinalities + Cu + I + sum of item cardinalities + Ci) * d
/// for the encoders (feature terms only with use_features), plus U + I + 1 biases.
class InnerProductModel final : public Model {
 public:
  explicit InnerProductModel(const PluginArgs& args)
      : options_(InnerProductOptions::from_config(args.config, *args.schema)) {
    const FeatureSchema& schema = *args.schema;
    const models::EmbeddingOptions& e = options_.embedding;
    const std::vector<std::string>& exclude = options_.exclude_fields;
    user_ = register_module(
        "user", nn::SideEncoder(schema.user, e.dim, options_.use_features, e.init_std, exclude, options_.init));
    item_ = register_module(
        "item", nn::SideEncoder(schema.item, e.dim, options_.use_features, e.init_std, exclude, options_.init));
    if (options_.include_bias) {
      user_bias_ = register_module("user_bias", nn::Embedding(schema.user.num_ids, 1));
      item_bias_ = register_module("item_bias", nn::Embedding(schema.item.num_ids, 1));
      nn::init_embedding(*user_bias_, e.init_std);
      nn::init_embedding(*item_bias_, e.init_std);
      bias_ = register_parameter("bias", torch::zeros({1}));
    }
  }

  torch::Tensor forward(const Batch& batch) override {
    torch::Tensor user =
        user_->forward(batch.user_id, batch.user_categorical, batch.user_continuous, batch.user_multi_categorical);
    torch::Tensor item =
        item_->forward(batch.item_id, batch.item_categorical, batch.item_continuous, batch.item_multi_categorical);
    torch::Tensor logits = (user * item).sum(1);
    if (options_.include_bias) {
      logits = logits + user_bias_->forward(batch.user_id).squeeze(1) + item_bias_->forward(batch.item_id).squeeze(1) +
               bias_;
    }
    return logits;
  }

  // The score as one dot product: <[p_u, b_u, 1, b], [q_i, 1, b_i, 1]> = <p_u, q_i> + b_u + b_i + b.
  bool factorized() const override { return true; }
  torch::Tensor user_vectors(const Batch& batch) override {
    torch::Tensor user =
        user_->forward(batch.user_id, batch.user_categorical, batch.user_continuous, batch.user_multi_categorical);
    if (!options_.include_bias) return user;
    const torch::Tensor one = torch::ones({user.size(0), 1}, user.options());
    return torch::cat({user, user_bias_->forward(batch.user_id), one, bias_.expand({user.size(0), 1})}, 1);
  }
  torch::Tensor item_vectors(const Batch& batch) override {
    torch::Tensor item =
        item_->forward(batch.item_id, batch.item_categorical, batch.item_continuous, batch.item_multi_categorical);
    if (!options_.include_bias) return item;
    const torch::Tensor one = torch::ones({item.size(0), 1}, item.options());
    return torch::cat({item, one, item_bias_->forward(batch.item_id), one}, 1);
  }

 private:
  InnerProductOptions options_;
  nn::SideEncoder user_{nullptr}, item_{nullptr};
  nn::Embedding user_bias_{nullptr}, item_bias_{nullptr};
  torch::Tensor bias_;
};

}  // namespace recsys::inner_product

RECSYS_EXPORT_PLUGIN(recsys::inner_product::InnerProductModel, "Biased matrix factorisation over side-aware embeddings",
                     "NeuralInnerProduct,mf");
