#pragma once
/// @file
/// What the host gives a loss that takes its negatives from the batch (LossScores::in_batch):
/// each item's log-frequency for the logQ correction, and the accidental hits to leave out.
/// In-batch negatives are the other positives of the batch, so an item appears as a negative
/// with a probability proportional to its number of training interactions (Yi et al. 2019,
/// "Sampling-Bias-Corrected Neural Modeling for Large Corpus Item Recommendations").

#include <cstdint>

#include <torch/types.h>

namespace recsys::core {

/// Each user's training positives in compressed rows (CSR), for the accidental hits.
struct UserPositives {
  torch::Tensor offsets;  ///< int64 [U + 1]: user u's items are items[offsets[u] .. offsets[u + 1])
  torch::Tensor items;    ///< int64 [E]: the items, grouped by user (duplicates kept)

  /// From pairs `user_id`, `item_id` (int64 [E], users in [0, num_users)).
  static UserPositives from_pairs(const torch::Tensor& user_id, const torch::Tensor& item_id, std::int64_t num_users);
};

/// bool [P, P]: hits[i][j] is true where j != i and item_id[j] is a positive of user_id[i] in
/// `positives` (the same item as row i's included), the columns that are no negatives of row i.
/// `user_id`, `item_id`: int64 [P] on the CPU, items in [0, num_items). Costs O(P + the
/// positives of the P users), not O(P^2) lookups.
torch::Tensor accidental_hits(const UserPositives& positives, const torch::Tensor& user_id,
                              const torch::Tensor& item_id, std::int64_t num_items);

/// float32 [num_items]: log(count_i / E) over the training items `item_id` (int64 [E]); -inf
/// for an item with no training interaction (it never appears in a batch).
torch::Tensor log_item_frequency(const torch::Tensor& item_id, std::int64_t num_items);

}  // namespace recsys::core
