#pragma once
/// @file
/// The factorization machine's pairwise term in O(k n) (Rendle 2010, "Factorization
/// Machines", lemma 3.1): sum_{i<j} <v_i, v_j> = 1/2 sum_f [(sum_i v_if)^2 - sum_i v_if^2].

#include <vector>

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <torch/torch.h>

namespace recsys::fm {

/// `v`: float32 [B, n, k], the n factor vectors of each example (already scaled by their
/// feature value x_i). Returns float32 [B], the sum over all pairs i < j of <v_i, v_j>.
inline torch::Tensor pairwise_interaction(const torch::Tensor& v) {
  return 0.5 * (v.sum(1).pow(2) - v.pow(2).sum(1)).sum(1);
}

/// The same sum over the n = F + C factor vectors [v_1..v_F, x_1 w_1, .., x_C w_C] without
/// building the [B, C, k] block of continuous ones, in tensor operations: sum_i v_i =
/// v.sum(1) + x W and sum_i |v_i|^2 = |v|^2 + (x * x) (|w_c|^2)_c. The definition that
/// PairwiseInteraction computes in one pass; kept for its tests.
/// `v`: float [B, F, k]; `x`: float [B, C]; `w`: float [C, k]. Returns float [B].
inline torch::Tensor pairwise_interaction_reference(const torch::Tensor& v, const torch::Tensor& x,
                                                    const torch::Tensor& w) {
  const torch::Tensor sum = v.sum(1) + x.mm(w);                                       // [B, k]
  const torch::Tensor squares = v.pow(2).sum({1, 2}) + x.pow(2).mv(w.pow(2).sum(1));  // [B]
  return 0.5 * (sum.pow(2).sum(1) - squares);
}

/// pairwise_interaction_reference as one autograd node: x W by BLAS, the sums over the F
/// field vectors and the squares in one pass per example, and a backward from the closed form
/// (s = sum_i v_i, g the upstream gradient):
///   d/dv[b,f] = g_b (s_b - v[b,f]),
///   d/dx[b,c] = g_b (<s_b, w_c> - x[b,c] |w_c|^2),
///   d/dw[c]   = sum_b g_b x[b,c] s_b - w_c sum_b g_b x[b,c]^2.
/// The tensor-operation form spends most of an FM step in ~20 small operators and their
/// autograd nodes (pow's backward alone: two passes over a broadcast [B, F, k] gradient).
/// Same shapes as pairwise_interaction_reference; float or double.
class PairwiseInteraction : public torch::autograd::Function<PairwiseInteraction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& v_in,
                               const torch::Tensor& x_in, const torch::Tensor& w_in) {
    const torch::Tensor v = v_in.contiguous(), x = x_in.contiguous(), w = w_in.contiguous();
    TORCH_CHECK(v.dim() == 3 && x.dim() == 2 && w.dim() == 2 && x.size(0) == v.size(0) && w.size(0) == x.size(1) &&
                    w.size(1) == v.size(2),
                "PairwiseInteraction: expected v [B, F, k], x [B, C], w [C, k]; got ", v.sizes(), ", ", x.sizes(), ", ",
                w.sizes());
    const std::int64_t batch = v.size(0), fields = v.size(1), k = v.size(2), c = x.size(1);
    const torch::Tensor w_norms = w.pow(2).sum(1);  // [C]
    torch::Tensor sum = x.mm(w);                    // [B, k]; the field vectors are added below
    torch::Tensor out = torch::empty({batch}, v.options());
    AT_DISPATCH_FLOATING_TYPES(v.scalar_type(), "pairwise_interaction", [&] {
      const scalar_t* pv = v.data_ptr<scalar_t>();
      const scalar_t* px = x.data_ptr<scalar_t>();
      const scalar_t* pn = w_norms.data_ptr<scalar_t>();
      scalar_t* ps = sum.data_ptr<scalar_t>();
      scalar_t* po = out.data_ptr<scalar_t>();
      at::parallel_for(0, batch, 256, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t b = begin; b < end; ++b) {
          scalar_t* s = ps + b * k;
          const scalar_t* vb = pv + b * fields * k;
          scalar_t squares = 0;
          for (std::int64_t f = 0; f < fields; ++f) {
            for (std::int64_t j = 0; j < k; ++j) {
              const scalar_t value = vb[f * k + j];
              s[j] += value;
              squares += value * value;
            }
          }
          for (std::int64_t i = 0; i < c; ++i) squares += px[b * c + i] * px[b * c + i] * pn[i];
          scalar_t total = 0;
          for (std::int64_t j = 0; j < k; ++j) total += s[j] * s[j];
          po[b] = scalar_t(0.5) * (total - squares);
        }
      });
    });
    ctx->save_for_backward({v, x, w, sum, w_norms});
    return out;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &v = saved[0], &x = saved[1], &w = saved[2], &sum = saved[3], &w_norms = saved[4];
    const torch::Tensor g = grad_outputs[0].contiguous();  // [B]
    const std::int64_t batch = v.size(0), fields = v.size(1), k = v.size(2);
    torch::Tensor dv, dx, dw;
    if (ctx->needs_input_grad(0)) {
      dv = torch::empty_like(v);
      AT_DISPATCH_FLOATING_TYPES(v.scalar_type(), "pairwise_interaction_backward", [&] {
        const scalar_t* pv = v.data_ptr<scalar_t>();
        const scalar_t* ps = sum.data_ptr<scalar_t>();
        const scalar_t* pg = g.data_ptr<scalar_t>();
        scalar_t* pd = dv.data_ptr<scalar_t>();
        at::parallel_for(0, batch, 256, [&](std::int64_t begin, std::int64_t end) {
          for (std::int64_t b = begin; b < end; ++b) {
            const scalar_t* s = ps + b * k;
            for (std::int64_t f = 0; f < fields; ++f) {
              const std::int64_t at = (b * fields + f) * k;
              for (std::int64_t j = 0; j < k; ++j) pd[at + j] = pg[b] * (s[j] - pv[at + j]);
            }
          }
        });
      });
    }
    if (ctx->needs_input_grad(1)) dx = g.unsqueeze(1) * (sum.mm(w.t()) - x * w_norms);
    if (ctx->needs_input_grad(2)) dw = x.t().mm(g.unsqueeze(1) * sum) - w * (x * x).t().mv(g).unsqueeze(1);
    return {dv, dx, dw};
  }
};

/// The pairwise term over [v_1..v_F, x_1 w_1, .., x_C w_C] (see pairwise_interaction_reference)
/// through PairwiseInteraction on the CPU (the tensor form elsewhere). FM on ml-100k: F = 5 fields, C = 21 continuous
/// features. `v`: float32 [B, F, k]; `x`: float32 [B, C]; `w`: float32 [C, k]. Returns float32 [B].
inline torch::Tensor pairwise_interaction(const torch::Tensor& v, const torch::Tensor& x, const torch::Tensor& w) {
  if (!v.device().is_cpu()) return pairwise_interaction_reference(v, x, w);  // the node's loops are CPU code
  return PairwiseInteraction::apply(v, x, w);
}

}  // namespace recsys::fm
