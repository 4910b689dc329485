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

}  // namespace recsys::fm
