#pragma once
/// @file
/// Multi-head scaled dot-product self-attention (Vaswani et al. 2017, the attention of
/// AutoInt's interacting layer, Song et al. 2019) as one fused CPU kernel for few tokens.
///
/// Why: AutoInt attends over a handful of fields (ml-100k: T = 8 tokens, 8 heads of 8). As
/// tensor ops that is a [B*H]-batch bmm of 8x8x8 products (one BLAS call per product) plus
/// the copies that split and merge the heads, forward and backward: 40% of a training step in
/// a profile. The kernel reads the heads in place from the projections' [B, T, H*dh] layout
/// and loops over each (example, head) in cache, so neither the copies nor the per-product
/// calls exist. Same function: tests compare it with the tensor-op form, values and gradients.

#include <cmath>
#include <cstdint>
#include <vector>

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "recsys/parallel.hpp"

namespace recsys::autoint {

/// Splits the last dimension into heads: x float32 [B, F, D] -> [B, H, F, D / H]; head h
/// holds columns [h * D/H, (h + 1) * D/H) of every field.
inline torch::Tensor split_heads(const torch::Tensor& x, std::int64_t heads) {
  const std::int64_t b = x.size(0), f = x.size(1), d = x.size(2);
  return x.view({b, f, heads, d / heads}).transpose(1, 2);
}

/// Inverse of split_heads: [B, H, F, D / H] -> [B, F, D].
inline torch::Tensor merge_heads(const torch::Tensor& x) {
  const std::int64_t b = x.size(0), h = x.size(1), f = x.size(2), dh = x.size(3);
  return x.transpose(1, 2).reshape({b, f, h * dh});
}

/// Reference form with tensor ops (any dtype and device). q, k, v: [B, T, H*dh]; returns
/// [B, T, H*dh]: per head h, softmax(q_h k_h^T * scale) v_h, heads side by side.
inline torch::Tensor attention_reference(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                         std::int64_t heads, double scale) {
  const torch::Tensor qh = split_heads(q, heads), kh = split_heads(k, heads), vh = split_heads(v, heads);
  return merge_heads(torch::matmul(torch::softmax(torch::matmul(qh, kh.transpose(-2, -1)) * scale, -1), vh));
}

namespace detail {

/// Forward of one example's heads: writes out [T, D] and the probabilities a [H, T, T].
template <typename scalar_t>
void attention_forward(const scalar_t* q, const scalar_t* k, const scalar_t* v, scalar_t* out, scalar_t* a,
                       std::int64_t t, std::int64_t heads, std::int64_t dh, scalar_t scale) {
  const std::int64_t d = heads * dh;
  for (std::int64_t h = 0; h < heads; ++h) {
    const std::int64_t c = h * dh;
    scalar_t* ah = a + h * t * t;
    for (std::int64_t i = 0; i < t; ++i) {
      scalar_t* row = ah + i * t;
      scalar_t max = -std::numeric_limits<scalar_t>::infinity();
      for (std::int64_t j = 0; j < t; ++j) {
        scalar_t s = 0;
        for (std::int64_t e = 0; e < dh; ++e) s += q[i * d + c + e] * k[j * d + c + e];
        row[j] = s * scale;
        max = std::max(max, row[j]);
      }
      scalar_t sum = 0;
      for (std::int64_t j = 0; j < t; ++j) sum += (row[j] = std::exp(row[j] - max));
      for (std::int64_t j = 0; j < t; ++j) row[j] /= sum;
      scalar_t* o = out + i * d + c;
      for (std::int64_t e = 0; e < dh; ++e) o[e] = 0;
      for (std::int64_t j = 0; j < t; ++j) {
        for (std::int64_t e = 0; e < dh; ++e) o[e] += row[j] * v[j * d + c + e];
      }
    }
  }
}

/// Backward of one example's heads, from the upstream gradient g [T, D] and the saved a.
template <typename scalar_t>
void attention_backward(const scalar_t* q, const scalar_t* k, const scalar_t* v, const scalar_t* a, const scalar_t* g,
                        scalar_t* dq, scalar_t* dk, scalar_t* dv, scalar_t* ds, std::int64_t t, std::int64_t heads,
                        std::int64_t dh, scalar_t scale) {
  const std::int64_t d = heads * dh;
  for (std::int64_t x = 0; x < t * d; ++x) dq[x] = dk[x] = dv[x] = 0;
  for (std::int64_t h = 0; h < heads; ++h) {
    const std::int64_t c = h * dh;
    const scalar_t* ah = a + h * t * t;
    for (std::int64_t i = 0; i < t; ++i) {
      const scalar_t* gi = g + i * d + c;
      scalar_t dot = 0;  // sum_j a_ij da_ij
      for (std::int64_t j = 0; j < t; ++j) {
        scalar_t da = 0;  // d loss / d a_ij = <g_i, v_j>
        for (std::int64_t e = 0; e < dh; ++e) da += gi[e] * v[j * d + c + e];
        ds[i * t + j] = da;
        dot += ah[i * t + j] * da;
        for (std::int64_t e = 0; e < dh; ++e) dv[j * d + c + e] += ah[i * t + j] * gi[e];
      }
      // Softmax backward, then the scale of the logits.
      for (std::int64_t j = 0; j < t; ++j) ds[i * t + j] = ah[i * t + j] * (ds[i * t + j] - dot) * scale;
    }
    for (std::int64_t i = 0; i < t; ++i) {
      for (std::int64_t j = 0; j < t; ++j) {
        const scalar_t s = ds[i * t + j];
        for (std::int64_t e = 0; e < dh; ++e) {
          dq[i * d + c + e] += s * k[j * d + c + e];
          dk[j * d + c + e] += s * q[i * d + c + e];
        }
      }
    }
  }
}

}  // namespace detail

/// The fused kernel as an autograd function (CPU; q, k, v contiguous [B, T, H*dh]).
class SmallAttention : public torch::autograd::Function<SmallAttention> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& q, const torch::Tensor& k,
                               const torch::Tensor& v, std::int64_t heads, double scale) {
    const std::int64_t b = q.size(0), t = q.size(1), d = q.size(2), dh = d / heads;
    torch::Tensor out = torch::empty_like(q);
    torch::Tensor a = torch::empty({b, heads, t, t}, q.options());
    AT_DISPATCH_FLOATING_TYPES(q.scalar_type(), "small_attention_forward", [&] {
      const scalar_t *pq = q.data_ptr<scalar_t>(), *pk = k.data_ptr<scalar_t>(), *pv = v.data_ptr<scalar_t>();
      scalar_t *po = out.data_ptr<scalar_t>(), *pa = a.data_ptr<scalar_t>();
      recsys::parallel_for(0, b, 256, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t n = begin; n < end; ++n) {
          detail::attention_forward(pq + n * t * d, pk + n * t * d, pv + n * t * d, po + n * t * d,
                                    pa + n * heads * t * t, t, heads, dh, static_cast<scalar_t>(scale));
        }
      });
    });
    ctx->save_for_backward({q, k, v, a});
    ctx->saved_data["heads"] = heads;
    ctx->saved_data["scale"] = scale;
    return out;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &q = saved[0], &k = saved[1], &v = saved[2], &a = saved[3];
    const std::int64_t heads = ctx->saved_data["heads"].toInt();
    const double scale = ctx->saved_data["scale"].toDouble();
    const torch::Tensor g = grads[0].contiguous();
    const std::int64_t b = q.size(0), t = q.size(1), d = q.size(2), dh = d / heads;
    torch::Tensor dq = torch::empty_like(q), dk = torch::empty_like(k), dv = torch::empty_like(v);
    AT_DISPATCH_FLOATING_TYPES(q.scalar_type(), "small_attention_backward", [&] {
      const scalar_t *pq = q.data_ptr<scalar_t>(), *pk = k.data_ptr<scalar_t>(), *pv = v.data_ptr<scalar_t>();
      const scalar_t *pa = a.data_ptr<scalar_t>(), *pg = g.data_ptr<scalar_t>();
      scalar_t *pdq = dq.data_ptr<scalar_t>(), *pdk = dk.data_ptr<scalar_t>(), *pdv = dv.data_ptr<scalar_t>();
      recsys::parallel_for(0, b, 256, [&](std::int64_t begin, std::int64_t end) {
        std::vector<scalar_t> ds(static_cast<std::size_t>(t * t));
        for (std::int64_t n = begin; n < end; ++n) {
          const std::int64_t o = n * t * d;
          detail::attention_backward(pq + o, pk + o, pv + o, pa + n * heads * t * t, pg + o, pdq + o, pdk + o, pdv + o,
                                     ds.data(), t, heads, dh, static_cast<scalar_t>(scale));
        }
      });
    });
    return {dq, dk, dv, torch::Tensor(), torch::Tensor()};
  }
};

/// Per head h of `heads`: softmax(q_h k_h^T * scale) v_h, heads side by side.
/// q, k, v: float32 or float64 [B, T, H*dh] (the projections' outputs); returns the same shape.
/// CPU tensors take the fused kernel, others the tensor-op form.
inline torch::Tensor multi_head_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                          std::int64_t heads, double scale) {
  if (!q.device().is_cpu()) return attention_reference(q, k, v, heads, scale);
  return SmallAttention::apply(q.contiguous(), k.contiguous(), v.contiguous(), heads, scale);
}

}  // namespace recsys::autoint
