#pragma once
/// @file
/// An embedding lookup whose backward adds gradient rows in one pass over the indices.

#include <cstdint>
#include <vector>

#include <ATen/Dispatch.h>
#include <torch/autograd.h>
#include <torch/nn/modules/embedding.h>
#include <torch/types.h>

namespace recsys::nn {

/// weight_grad [rows, dim] with weight_grad[indices[i]] = sum of grad[i] over i, added in index
/// order: the sums torch's CPU embedding_dense_backward forms, bit for bit, without its tensor
/// operation per index (24,576 indices of 10 floats: about 700 us there, FM's largest cost).
/// `grad` float [..., dim] holding one row per index; `indices` int64, in [0, rows).
inline torch::Tensor embedding_weight_gradient(const torch::Tensor& grad, const torch::Tensor& indices,
                                               std::int64_t rows) {
  const std::int64_t dim = grad.size(-1);
  const torch::Tensor rows_in = grad.contiguous().view({-1, dim});
  const torch::Tensor index = indices.contiguous().view({-1});
  torch::Tensor weight_grad = torch::zeros({rows, dim}, rows_in.options());
  AT_DISPATCH_FLOATING_TYPES(rows_in.scalar_type(), "embedding_weight_gradient", [&] {
    const scalar_t* from = rows_in.data_ptr<scalar_t>();
    scalar_t* to = weight_grad.data_ptr<scalar_t>();
    const std::int64_t* row = index.data_ptr<std::int64_t>();
    for (std::int64_t i = 0, n = index.numel(); i < n; ++i) {
      scalar_t* target = to + row[i] * dim;
      const scalar_t* source = from + i * dim;
      for (std::int64_t j = 0; j < dim; ++j) target[j] += source[j];
    }
  });
  return weight_grad;
}

/// forward(weight [rows, dim], indices int64 [*]) -> weight rows [*, dim] (index_select);
/// backward: embedding_weight_gradient. Out-of-range indices throw in the forward.
class EmbeddingLookup : public torch::autograd::Function<EmbeddingLookup> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& weight,
                               const torch::Tensor& indices) {
    ctx->save_for_backward({indices});
    ctx->saved_data["rows"] = weight.size(0);
    std::vector<std::int64_t> shape = indices.sizes().vec();
    shape.push_back(weight.size(1));
    return weight.index_select(0, indices.reshape({-1})).view(shape);
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grad_outputs) {
    const torch::Tensor indices = ctx->get_saved_variables()[0];
    return {embedding_weight_gradient(grad_outputs[0], indices, ctx->saved_data["rows"].toInt()), torch::Tensor()};
  }
};

/// torch::nn::Embedding (same options, parameter `weight` [rows, dim], same checkpoints) whose
/// backward is EmbeddingLookup's. Options that change the lookup (padding_idx, max_norm,
/// scale_grad_by_freq, sparse), indices that are not int64 and tables off the CPU go through
/// torch's own forward.
/// forward(indices int64 [*], values in [0, rows)) -> float32 [*, dim].
class EmbeddingImpl : public torch::nn::EmbeddingImpl {
 public:
  using torch::nn::EmbeddingImpl::EmbeddingImpl;

  torch::Tensor forward(const torch::Tensor& indices) {
    const bool plain = !options.padding_idx() && !options.max_norm() && !options.scale_grad_by_freq() &&
                       !options.sparse() && indices.scalar_type() == torch::kInt64 && weight.device().is_cpu();
    if (!plain) return torch::nn::EmbeddingImpl::forward(indices);
    return EmbeddingLookup::apply(weight, indices);
  }
};
TORCH_MODULE(Embedding);

}  // namespace recsys::nn
