#pragma once
/// @file
/// Full ranking by matrix product: the K best items of every user of a factorised model
/// (Model::factorized), a block of users at a time, without one row per (user, item) pair.
/// Cost: 2 * U * I * D flops for the products and one top-K pass over U * I scores; memory:
/// one block of `block_users` x I scores.

#include <cstdint>

#include <torch/types.h>

#include "recsys/core/in_batch.hpp"

namespace recsys::core {

/// Each user's K best items, best first.
struct TopK {
  torch::Tensor items;   ///< int64 [U, K]; -1 past the user's last allowed item
  torch::Tensor scores;  ///< float32 [U, K]; -inf where items is -1
};

/// The top K of scores already computed: `scores` (float32 [b, I], row r the scores of user
/// users[r], int64 [b]) has the items of `masked` (by user id; null for none) and its NaNs set
/// to -inf in place, then the min(k, I) highest per row are returned.
TopK top_k_of_scores(torch::Tensor& scores, const torch::Tensor& users, const UserPositives* masked, std::int64_t k);

/// `users` (int64 [U]) ranked by `user_vectors` (float32 [U, D], row u the vector of users[u])
/// against `item_vectors` (float32 [I, D]): scores = user_vectors @ item_vectors^T, the items
/// of `masked` (by user id; null for none) and non-finite scores left out, then the
/// min(k, I) highest per user (ties: torch::topk's order). Throws std::invalid_argument for
/// k < 1 or shapes that do not match.
TopK top_k_by_product(const torch::Tensor& users, const torch::Tensor& user_vectors, const torch::Tensor& item_vectors,
                      const UserPositives* masked, std::int64_t k, std::int64_t block_users = 1024);

}  // namespace recsys::core
