#pragma once
/// @file
/// The factorization machine's pairwise term in O(k n) (Rendle 2010, "Factorization
/// Machines", lemma 3.1): sum_{i<j} <v_i, v_j> = 1/2 sum_f [(sum_i v_if)^2 - sum_i v_if^2].

#include <torch/torch.h>

namespace recsys::fm {

/// `v`: float32 [B, n, k], the n factor vectors of each example (already scaled by their
/// feature value x_i). Returns float32 [B], the sum over all pairs i < j of <v_i, v_j>.
inline torch::Tensor pairwise_interaction(const torch::Tensor& v) {
  return 0.5 * (v.sum(1).pow(2) - v.pow(2).sum(1)).sum(1);
}

/// The same sum over the n = F + C factor vectors [v_1..v_F, x_1 w_1, .., x_C w_C] without
/// building the [B, C, k] block of continuous ones: sum_i v_i = v.sum(1) + x W and
/// sum_i |v_i|^2 = |v|^2 + (x * x) (|w_c|^2)_c. Autograd then works on [B, F, k], [B, C] and
/// [C, k] tensors only (FM on ml-100k: n = 26 of which C = 20; far fewer passes over memory).
/// `v`: float32 [B, F, k]; `x`: float32 [B, C]; `w`: float32 [C, k]. Returns float32 [B].
inline torch::Tensor pairwise_interaction(const torch::Tensor& v, const torch::Tensor& x, const torch::Tensor& w) {
  const torch::Tensor sum = v.sum(1) + x.mm(w);                                       // [B, k]
  const torch::Tensor squares = v.pow(2).sum({1, 2}) + x.pow(2).mv(w.pow(2).sum(1));  // [B]
  return 0.5 * (sum.pow(2).sum(1) - squares);
}

}  // namespace recsys::fm
