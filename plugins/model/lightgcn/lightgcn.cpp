// The `lightgcn` model (He et al. 2020, "LightGCN: Simplifying and Powering Graph Convolution
// Network for Recommendation"): user and item id embeddings E0 propagated over the normalised
// user-item graph of the training interactions, A_hat = D^-1/2 A D^-1/2 with A = [[0, R], [R^T,
// 0]], E_{l+1} = A_hat E_l; the final embedding is the mean of E_0 .. E_L and the score the dot
// product of a user's and an item's. Ids only: side features are not used. The graph is built
// by fit_on_training_split from the training rows alone (never a validation or test edge);
// before it, the graph has no edge and the model is matrix factorisation. The regularisation is
// the paper's L2 on the batch's ego (layer-0) embeddings: reg_weight / 2 * (|e_u|^2 + |e_i+|^2 +
// sum |e_i-|^2) averaged over the batch's positives.
#include <algorithm>

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "recsys/models/options.hpp"
#include "recsys/nn/side_encoder.hpp"
#include "recsys/plugin.hpp"

namespace recsys::lightgcn {

/// `[model]` table of LightGCN.
struct LightGcnOptions {
  std::int64_t embedding_dim = 64;                             ///< `embedding_dim`
  std::int64_t num_layers = 2;                                 ///< `num_layers`, propagation steps, >= 0
  double reg_weight = 1e-4;                                    ///< `reg_weight`, >= 0
  nn::EmbeddingInit init = nn::EmbeddingInit::xavier_uniform;  ///< `init` (the paper's: Xavier uniform)
  double init_std = 0.01;                                      ///< `init_std`, for init = "normal"

  static LightGcnOptions from_config(const Config& config) {
    LightGcnOptions o;
    o.embedding_dim = config.get_int_in("embedding_dim", o.embedding_dim, 1, models::kMaxWidth);
    o.num_layers = config.get_int_in("num_layers", o.num_layers, 0, 16);
    o.reg_weight = config.get_double_in("reg_weight", o.reg_weight, 0.0, 1e6);
    if (config.contains("init")) o.init = models::embedding_init(config);
    o.init_std = config.get_positive_double("init_std", o.init_std);
    return o;
  }
};

/// float32 sparse [n, n]: the symmetric normalised adjacency of the bipartite graph of
/// (user u, item i) edges, users as nodes 0..U-1 and items as U..U+I-1; repeated edges add up.
torch::Tensor normalized_adjacency(const torch::Tensor& users, const torch::Tensor& items, std::int64_t num_users,
                                   std::int64_t num_items) {
  const std::int64_t n = num_users + num_items;
  const torch::Tensor rows = torch::cat({users, items + num_users});
  const torch::Tensor cols = torch::cat({items + num_users, users});
  const torch::Tensor degree = torch::bincount(rows, {}, n).to(torch::kFloat32);
  const torch::Tensor inverse_sqrt = torch::where(degree.gt(0), degree.rsqrt(), torch::zeros_like(degree));
  const torch::Tensor values = inverse_sqrt.index_select(0, rows) * inverse_sqrt.index_select(0, cols);
  return torch::sparse_coo_tensor(torch::stack({rows, cols}), values, {n, n}).coalesce();
}

/// A sparse matrix in compressed rows, for the product on the CPU.
struct CsrMatrix {
  torch::Tensor row_offsets;  ///< int64 [n + 1]
  torch::Tensor columns;      ///< int64 [nnz]
  torch::Tensor values;       ///< float32 [nnz]

  /// From a coalesced sparse COO matrix (its indices sorted by row, then column).
  static CsrMatrix from_coo(const torch::Tensor& coo) {
    const torch::Tensor indices = coo._indices();
    const torch::Tensor counts = torch::bincount(indices[0], {}, coo.size(0));
    return {torch::cat({torch::zeros({1}, torch::kInt64), counts.cumsum(0)}), indices[1].contiguous(),
            coo._values().contiguous()};
  }
};

/// Rows [begin, end) of y = A x (x, y row-major [n, d]). Compiled twice: for AVX2 with FMA
/// (chosen at load time where the CPU has them, 8 floats a step) and for the baseline x86-64.
__attribute__((target_clones("arch=haswell", "default"))) void csr_rows(std::int64_t begin, std::int64_t end,
                                                                        const std::int64_t* offsets,
                                                                        const std::int64_t* columns,
                                                                        const float* values, const float* in,
                                                                        float* out, std::int64_t d) {
  for (std::int64_t r = begin; r < end; ++r) {
    float* row = out + r * d;
    std::fill(row, row + d, 0.0f);
    for (std::int64_t e = offsets[r]; e < offsets[r + 1]; ++e) {
      const float w = values[e];
      const float* neighbour = in + columns[e] * d;
      for (std::int64_t k = 0; k < d; ++k) row[k] += w * neighbour[k];
    }
  }
}

/// y = A x (x float32 [n, d] on the CPU): rows of y in parallel over torch's intra-op threads,
/// each the weighted sum of its neighbours' rows of x. torch 1.13's CPU product of a sparse COO
/// matrix runs on one thread and coalesces every call.
torch::Tensor csr_product(const CsrMatrix& a, const torch::Tensor& x_in) {
  const torch::Tensor x = x_in.contiguous();
  const std::int64_t n = a.row_offsets.size(0) - 1, d = x.size(1);
  torch::Tensor y = torch::empty({n, d}, x.options());
  const std::int64_t* offsets = a.row_offsets.data_ptr<std::int64_t>();
  const std::int64_t* columns = a.columns.data_ptr<std::int64_t>();
  const float* values = a.values.data_ptr<float>();
  const float* in = x.data_ptr<float>();
  float* out = y.data_ptr<float>();
  at::parallel_for(0, n, 64, [&](std::int64_t begin, std::int64_t end) {
    csr_rows(begin, end, offsets, columns, values, in, out, d);
  });
  return y;
}

/// The normalised adjacency, as COO (any device, and tests) and, for the CPU, as CSR.
struct Adjacency {
  torch::Tensor coo;
  CsrMatrix csr;
};

/// A x by the CSR kernel for float32 on the CPU, else torch's sparse product.
torch::Tensor adjacency_product(const torch::Tensor& coo, const CsrMatrix& csr, const torch::Tensor& x) {
  return x.is_cpu() && x.scalar_type() == torch::kFloat32 ? csr_product(csr, x) : torch::mm(coo, x);
}

/// y = A x for a symmetric sparse A, whose backward is A grad_y: torch's own backward of a
/// sparse product transposes A, re-sorting its indices on every batch.
struct SymmetricSparseProduct : torch::autograd::Function<SymmetricSparseProduct> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& coo,
                               const torch::Tensor& offsets, const torch::Tensor& columns,
                               const torch::Tensor& values) {
    ctx->saved_data["coo"] = coo;
    ctx->saved_data["offsets"] = offsets;
    ctx->saved_data["columns"] = columns;
    ctx->saved_data["values"] = values;
    return adjacency_product(coo, {offsets, columns, values}, x);
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grad) {
    const auto& d = ctx->saved_data;
    const CsrMatrix csr{d.at("offsets").toTensor(), d.at("columns").toTensor(), d.at("values").toTensor()};
    return {adjacency_product(d.at("coo").toTensor(), csr, grad[0]), {}, {}, {}, {}};
  }
};

/// forward(batch) -> logits float32 [B]. Parameters: (U + I) * embedding_dim.
class LightGcnModel final : public Model {
 public:
  explicit LightGcnModel(const PluginArgs& args)
      : options_(LightGcnOptions::from_config(args.config)),
        num_users_(args.schema->user.num_ids),
        num_items_(args.schema->item.num_ids) {
    user_ = register_module("user", torch::nn::Embedding(num_users_, options_.embedding_dim));
    item_ = register_module("item", torch::nn::Embedding(num_items_, options_.embedding_dim));
    nn::init_embedding(*user_, options_.init_std, options_.init);
    nn::init_embedding(*item_, options_.init_std, options_.init);
  }

  void fit_on_training_split(const InteractionData& data, const torch::Tensor& train_rows) override {
    adjacency_.coo = normalized_adjacency(data.user_id.index_select(0, train_rows),
                                          data.item_id.index_select(0, train_rows), num_users_, num_items_);
    adjacency_.csr = CsrMatrix::from_coo(adjacency_.coo);
    adjacency_.coo = adjacency_.coo.to(user_->weight.device());
  }

  /// float32 [U + I, d]: the mean of the layers' embeddings, users first.
  torch::Tensor propagated() {
    torch::Tensor x = torch::cat({user_->weight, item_->weight});
    if (!adjacency_.coo.defined() || options_.num_layers == 0) return x;
    if (adjacency_.coo.device() != x.device()) adjacency_.coo = adjacency_.coo.to(x.device());
    torch::Tensor sum = x;
    for (std::int64_t l = 0; l < options_.num_layers; ++l) {
      x = SymmetricSparseProduct::apply(x, adjacency_.coo, adjacency_.csr.row_offsets, adjacency_.csr.columns,
                                        adjacency_.csr.values);
      sum = sum + x;
    }
    return sum / static_cast<double>(options_.num_layers + 1);
  }

  torch::Tensor forward(const Batch& batch) override {
    const torch::Tensor e = propagated();
    return (e.index_select(0, batch.user_id) * e.index_select(0, batch.item_id + num_users_)).sum(1);
  }

  bool factorized() const override { return true; }
  torch::Tensor user_vectors(const Batch& batch) override {
    return propagated().slice(0, 0, num_users_).index_select(0, batch.user_id);
  }
  torch::Tensor item_vectors(const Batch& batch) override {
    return propagated().slice(0, num_users_).index_select(0, batch.item_id);
  }

  torch::Tensor regularization(const Batch& batch) override {
    if (options_.reg_weight == 0.0) return {};
    const std::int64_t g = std::max<std::int64_t>(1, batch.group_size);
    const torch::Tensor heads = batch.user_id.view({-1, g}).select(1, 0);  // each positive's user once
    const torch::Tensor squares = user_->forward(heads).pow(2).sum() + item_->forward(batch.item_id).pow(2).sum();
    return squares * (options_.reg_weight / 2.0 / static_cast<double>(heads.size(0)));
  }

  /// The graph built by fit_on_training_split (undefined before), for tests.
  const torch::Tensor& adjacency() const { return adjacency_.coo; }

 private:
  LightGcnOptions options_;
  std::int64_t num_users_, num_items_;
  torch::nn::Embedding user_{nullptr}, item_{nullptr};
  Adjacency adjacency_;
};

}  // namespace recsys::lightgcn

RECSYS_EXPORT_PLUGIN(recsys::lightgcn::LightGcnModel,
                     "LightGCN: id embeddings averaged over propagations on the training graph", "LightGCN");
