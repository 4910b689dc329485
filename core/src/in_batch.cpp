#include "recsys/core/in_batch.hpp"

#include <algorithm>
#include <vector>

#include <torch/torch.h>

namespace recsys::core {

UserPositives UserPositives::from_pairs(const torch::Tensor& user_id, const torch::Tensor& item_id,
                                        std::int64_t num_users) {
  const torch::Tensor order = torch::argsort(user_id);
  const torch::Tensor counts = torch::bincount(user_id, {}, num_users);
  UserPositives out;
  out.offsets = torch::cat({torch::zeros({1}, torch::kInt64), counts.cumsum(0)});
  out.items = item_id.index_select(0, order).contiguous();
  return out;
}

torch::Tensor accidental_hits(const UserPositives& positives, const torch::Tensor& user_id,
                              const torch::Tensor& item_id, std::int64_t num_items) {
  const std::int64_t p = user_id.size(0);
  const torch::Tensor users = user_id.contiguous(), items = item_id.contiguous();
  const std::int64_t* u = users.data_ptr<std::int64_t>();
  const std::int64_t* it = items.data_ptr<std::int64_t>();
  // The batch's columns of each item, as chains: first_column[item], then next_column[j].
  std::vector<std::int64_t> first_column(static_cast<std::size_t>(num_items), -1), next_column(p, -1);
  for (std::int64_t j = p - 1; j >= 0; --j) {
    next_column[j] = first_column[it[j]];
    first_column[it[j]] = j;
  }
  torch::Tensor hits = torch::zeros({p, p}, torch::kBool);
  bool* h = hits.data_ptr<bool>();
  const std::int64_t* offsets = positives.offsets.data_ptr<std::int64_t>();
  const std::int64_t* user_items = positives.items.data_ptr<std::int64_t>();
  for (std::int64_t i = 0; i < p; ++i) {
    bool* row = h + i * p;
    for (std::int64_t j = first_column[it[i]]; j >= 0; j = next_column[j]) row[j] = true;  // the same item
    for (std::int64_t e = offsets[u[i]]; e < offsets[u[i] + 1]; ++e) {
      for (std::int64_t j = first_column[user_items[e]]; j >= 0; j = next_column[j]) row[j] = true;
    }
    row[i] = false;  // the row's own positive
  }
  return hits;
}

torch::Tensor log_item_frequency(const torch::Tensor& item_id, std::int64_t num_items) {
  const torch::Tensor counts = torch::bincount(item_id, {}, num_items).to(torch::kFloat64);
  return (counts / static_cast<double>(std::max<std::int64_t>(1, item_id.size(0)))).log().to(torch::kFloat32);
}

}  // namespace recsys::core
