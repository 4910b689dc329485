#include "recsys/core/top_k.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace recsys::core {

namespace {

/// Sets the scores of each row's masked items to -inf: `scores` float32 [b, I] holds the
/// users users[0 .. b).
void mask_block(torch::Tensor& scores, const std::int64_t* users, const UserPositives& masked) {
  const std::int64_t b = scores.size(0), num_items = scores.size(1);
  const std::int64_t* offsets = masked.offsets.data_ptr<std::int64_t>();
  const std::int64_t* items = masked.items.data_ptr<std::int64_t>();
  const std::int64_t num_users = masked.offsets.size(0) - 1;
  float* s = scores.data_ptr<float>();
  for (std::int64_t r = 0; r < b; ++r) {
    const std::int64_t u = users[r];
    if (u < 0 || u >= num_users) continue;  // a user with no masked item
    for (std::int64_t e = offsets[u]; e < offsets[u + 1]; ++e) {
      s[r * num_items + items[e]] = -std::numeric_limits<float>::infinity();
    }
  }
}

}  // namespace

TopK top_k_of_scores(torch::Tensor& scores, const torch::Tensor& users, const UserPositives* masked, std::int64_t k) {
  if (k < 1) throw std::invalid_argument("top_k: k must be at least 1, not " + std::to_string(k));
  scores.masked_fill_(scores.isnan(), -std::numeric_limits<float>::infinity());
  if (masked != nullptr) {
    const torch::Tensor ids = users.to(torch::kCPU, torch::kInt64).contiguous();
    mask_block(scores, ids.data_ptr<std::int64_t>(), *masked);
  }
  auto [best, index] = scores.topk(std::min(k, scores.size(1)), 1);
  index.masked_fill_(best.isneginf(), -1);
  return {index, best};
}

TopK top_k_by_product(const torch::Tensor& users, const torch::Tensor& user_vectors, const torch::Tensor& item_vectors,
                      const UserPositives* masked, std::int64_t k, std::int64_t block_users) {
  if (k < 1) throw std::invalid_argument("top_k: k must be at least 1, not " + std::to_string(k));
  if (user_vectors.dim() != 2 || item_vectors.dim() != 2 || user_vectors.size(1) != item_vectors.size(1) ||
      users.numel() != user_vectors.size(0)) {
    throw std::invalid_argument("top_k_by_product: expected users [U], user vectors [U, D] and item vectors [I, D]");
  }
  const std::int64_t num_users = users.size(0), num_items = item_vectors.size(0);
  const std::int64_t kept = std::min(k, num_items), block = std::max<std::int64_t>(1, block_users);
  const torch::Tensor items_t = item_vectors.to(torch::kFloat32).t();
  TopK out{torch::empty({num_users, kept}, torch::kInt64), torch::empty({num_users, kept}, torch::kFloat32)};
  torch::Tensor scores;
  for (std::int64_t begin = 0; begin < num_users; begin += block) {
    const std::int64_t end = std::min(num_users, begin + block);
    // One buffer reused for every full block: no allocation per block.
    if (!scores.defined() || scores.size(0) != end - begin) scores = torch::empty({end - begin, num_items});
    torch::mm_out(scores, user_vectors.slice(0, begin, end).to(torch::kFloat32), items_t);
    const TopK top = top_k_of_scores(scores, users.slice(0, begin, end), masked, kept);
    out.scores.slice(0, begin, end).copy_(top.scores);
    out.items.slice(0, begin, end).copy_(top.items);
  }
  return out;
}

}  // namespace recsys::core
