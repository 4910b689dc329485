// GMF: Generalized Matrix Factorization (He et al. 2017, "Neural Collaborative Filtering",
// section 3.2): logit = h^T (p_u * q_i) + b, with user and item id embeddings p_u, q_i.
#include <torch/torch.h>

#include "recsys/plugin.hpp"

namespace gmf {

/// `[model]` table of gmf.
struct GMFOptions {
  std::int64_t embedding_dim = 16;
  double init_std = 0.01;  ///< N(0, std^2) embeddings, as in the paper

  static GMFOptions from_config(const recsys::Config& config) {
    GMFOptions o;
    o.embedding_dim = config.get_int_in("embedding_dim", o.embedding_dim, 1, 65536);
    o.init_std = config.get_positive_double("init_std", o.init_std);
    return o;
  }
};

/// forward(batch) -> logits float32 [B]. Parameters: (U + I) * d + d + 1.
class GMFModel final : public recsys::Model {
 public:
  explicit GMFModel(const recsys::PluginArgs& args) : options_(GMFOptions::from_config(args.config)) {
    const std::int64_t d = options_.embedding_dim;
    user_ = register_module("user", torch::nn::Embedding(args.schema->user.num_ids, d));
    item_ = register_module("item", torch::nn::Embedding(args.schema->item.num_ids, d));
    out_ = register_module("out", torch::nn::Linear(d, 1));
    torch::NoGradGuard no_grad;
    torch::nn::init::normal_(user_->weight, 0.0, options_.init_std);
    torch::nn::init::normal_(item_->weight, 0.0, options_.init_std);
  }

  torch::Tensor forward(const recsys::Batch& batch) override {
    return out_->forward(user_->forward(batch.user_id) * item_->forward(batch.item_id)).squeeze(1);
  }

 private:
  GMFOptions options_;
  torch::nn::Embedding user_{nullptr}, item_{nullptr};
  torch::nn::Linear out_{nullptr};
};

}  // namespace gmf

// Kind, name and version come from recsys_add_plugin() in CMakeLists.txt.
RECSYS_EXPORT_PLUGIN(gmf::GMFModel, "Generalized Matrix Factorization (He et al. 2017)", "GMF");
