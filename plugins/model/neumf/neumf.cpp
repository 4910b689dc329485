// The `neumf` model (the notebooks' NeuralColabFilter): Neural Matrix Factorization
// (He et al. 2017, "Neural Collaborative Filtering", section 3.4). A GMF branch (element-wise
// product of mf_dim user and item vectors) and an MLP branch (concatenated mlp_dim vectors
// through ReLU layers) are concatenated, GMF first, into one linear output unit.
#include <torch/torch.h>

#include "recsys/models/options.hpp"
#include "recsys/nn/mlp.hpp"
#include "recsys/nn/side_encoder.hpp"
#include "recsys/plugin.hpp"

namespace recsys::neumf {

/// `[model]` table of neumf.
struct NeuMFOptions {
  std::int64_t mf_dim = 8;    ///< GMF embedding width
  std::int64_t mlp_dim = 32;  ///< MLP embedding width per side
  /// MLP widths. As in the paper's code, a first entry equal to 2 * mlp_dim is the width of
  /// the concatenated embeddings (the input), not a hidden layer.
  std::vector<std::int64_t> layers{64, 32, 16};
  bool include_bias = true;  ///< user and item biases added to the output
  bool use_features = true;  ///< side-feature embeddings added to the id embeddings
  double init_std = 0.01;
  std::vector<std::string> exclude_fields;  ///< side features to leave out, checked against the schema

  static NeuMFOptions from_config(const Config& config, const FeatureSchema& schema) {
    NeuMFOptions o;
    o.mf_dim = config.get_int_in("mf_dim", o.mf_dim, 1, models::kMaxWidth);
    o.mlp_dim = config.get_int_in("mlp_dim", o.mlp_dim, 1, models::kMaxWidth);
    o.layers = config.get_int_list_in("layers", o.layers, 1, models::kMaxWidth);
    o.include_bias = config.get_bool("include_bias", o.include_bias);
    o.use_features = config.get_bool("use_features", o.use_features);
    o.init_std = config.get_positive_double("init_std", o.init_std);
    o.exclude_fields = models::exclude_fields(config, schema);
    if (o.use_features) models::refuse_context_fields(config, schema, o.exclude_fields, "neumf");
    return o;
  }

  /// The hidden widths of the MLP (layers without the input width).
  std::vector<std::int64_t> hidden_layers() const {
    if (!layers.empty() && layers.front() == 2 * mlp_dim) return {layers.begin() + 1, layers.end()};
    return layers;
  }
};

/// forward(batch) -> logits float32 [B] = out([gmf_u * gmf_i, mlp([mlp_u, mlp_i])]) (+ b_u + b_i).
class NeuMFModel final : public Model {
 public:
  explicit NeuMFModel(const PluginArgs& args) : options_(NeuMFOptions::from_config(args.config, *args.schema)) {
    const FeatureSchema& schema = *args.schema;
    auto encoder = [&](const SideSchema& side, std::int64_t dim) {
      return nn::SideEncoder(side, dim, options_.use_features, options_.init_std, options_.exclude_fields);
    };
    gmf_user_ = register_module("gmf_user", encoder(schema.user, options_.mf_dim));
    gmf_item_ = register_module("gmf_item", encoder(schema.item, options_.mf_dim));
    mlp_user_ = register_module("mlp_user", encoder(schema.user, options_.mlp_dim));
    mlp_item_ = register_module("mlp_item", encoder(schema.item, options_.mlp_dim));
    std::int64_t mlp_out = 0;
    mlp_ = register_module("mlp", nn::make_mlp(2 * options_.mlp_dim, options_.hidden_layers(), 0.0, &mlp_out));
    out_ = register_module("out", torch::nn::Linear(options_.mf_dim + mlp_out, 1));
    if (options_.include_bias) {
      user_bias_ = register_module("user_bias", nn::Embedding(schema.user.num_ids, 1));
      item_bias_ = register_module("item_bias", nn::Embedding(schema.item.num_ids, 1));
      nn::init_embedding(*user_bias_, options_.init_std);
      nn::init_embedding(*item_bias_, options_.init_std);
    }
  }

  torch::Tensor forward(const Batch& b) override {
    const auto user = [&](nn::SideEncoder& encoder) {
      return encoder->forward(b.user_id, b.user_categorical, b.user_continuous, b.user_multi_categorical);
    };
    const auto item = [&](nn::SideEncoder& encoder) {
      return encoder->forward(b.item_id, b.item_categorical, b.item_continuous, b.item_multi_categorical);
    };
    torch::Tensor gmf = user(gmf_user_) * item(gmf_item_);
    torch::Tensor mlp = mlp_->forward(torch::cat({user(mlp_user_), item(mlp_item_)}, 1));
    torch::Tensor logits = out_->forward(torch::cat({gmf, mlp}, 1)).squeeze(1);
    if (options_.include_bias) {
      logits = logits + user_bias_->forward(b.user_id).squeeze(1) + item_bias_->forward(b.item_id).squeeze(1);
    }
    return logits;
  }

 private:
  NeuMFOptions options_;
  nn::SideEncoder gmf_user_{nullptr}, gmf_item_{nullptr}, mlp_user_{nullptr}, mlp_item_{nullptr};
  torch::nn::Sequential mlp_{nullptr};
  torch::nn::Linear out_{nullptr};
  nn::Embedding user_bias_{nullptr}, item_bias_{nullptr};
};

}  // namespace recsys::neumf

RECSYS_EXPORT_PLUGIN(recsys::neumf::NeuMFModel, "Neural Matrix Factorization: GMF and MLP branches (He et al. 2017)",
                     "NeuralColabFilter,NeuMF");
