// Key functions of the plugin interfaces. Defining them here, in the one shared SDK
// library, gives every interface a single vtable and type_info for host and plugins.
#include "recsys/dataset.hpp"
#include "recsys/loss.hpp"
#include "recsys/metric.hpp"
#include "recsys/model.hpp"
#include "recsys/plugin.hpp"
#include "recsys/sampler.hpp"

namespace recsys {

Dataset::~Dataset() = default;
Sampler::~Sampler() = default;
Model::~Model() = default;
Loss::~Loss() = default;
Metric::~Metric() = default;

const char* to_string(PluginKind kind) {
  switch (kind) {
    case PluginKind::dataset:
      return "dataset";
    case PluginKind::sampler:
      return "sampler";
    case PluginKind::model:
      return "model";
    case PluginKind::loss:
      return "loss";
    case PluginKind::metric:
      return "metric";
  }
  return "unknown";
}

Batch make_batch(const Examples& examples, const torch::Tensor& rows, const SideFeatures& users,
                 const SideFeatures& items) {
  Batch batch;
  batch.user_id = examples.user_id.index_select(0, rows);
  batch.item_id = examples.item_id.index_select(0, rows);
  batch.label = examples.label.index_select(0, rows);
  batch.user_continuous = users.continuous.index_select(0, batch.user_id);
  batch.user_categorical = users.categorical.index_select(0, batch.user_id);
  batch.item_continuous = items.continuous.index_select(0, batch.item_id);
  batch.item_categorical = items.categorical.index_select(0, batch.item_id);
  return batch;
}

PositiveSet::PositiveSet(const torch::Tensor& user_id, const torch::Tensor& item_id, std::int64_t num_users,
                         std::int64_t num_items)
    : num_users_(num_users), num_items_(num_items) {
  TORCH_CHECK(user_id.sizes() == item_id.sizes(), "PositiveSet: user_id and item_id differ in shape");
  torch::Tensor keys = user_id.to(torch::kInt64) * num_items + item_id.to(torch::kInt64);
  keys_ = std::get<0>(torch::_unique(keys, /*sorted=*/true));
  per_user_ = torch::bincount(keys_.div(num_items, "floor"), {}, num_users);
}

torch::Tensor PositiveSet::contains(const torch::Tensor& user_id, const torch::Tensor& item_id) const {
  torch::Tensor query = user_id * num_items_ + item_id;
  if (keys_.numel() == 0) return torch::zeros_like(query, torch::kBool);
  torch::Tensor pos = torch::searchsorted(keys_, query).clamp_max(keys_.numel() - 1);
  return keys_.index_select(0, pos.reshape(-1)).reshape(query.sizes()).eq(query);
}

}  // namespace recsys
