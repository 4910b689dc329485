#include <algorithm>
// Key functions of the plugin interfaces. Defining them here, in the one shared SDK
// library, gives every interface a single vtable and type_info for host and plugins.
#include <stdexcept>

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "recsys/dataset.hpp"
#include "recsys/errors.hpp"
#include "recsys/loss.hpp"
#include "recsys/metric.hpp"
#include "recsys/model.hpp"
#include "recsys/plugin.hpp"
#include "recsys/sampler.hpp"

namespace recsys {

Dataset::~Dataset() = default;
void Dataset::fit_on_training_split(InteractionData&, const torch::Tensor&) {}
Sampler::~Sampler() = default;
void Sampler::fit_on_training_split(const torch::Tensor&, const torch::Tensor&, std::int64_t, std::int64_t) {}
Model::~Model() = default;
void Model::fit_on_training_split(const InteractionData&, const torch::Tensor&) {}
torch::Tensor Model::regularization(const Batch&) {
  return {};
}
bool Model::factorized() const {
  return false;
}
torch::Tensor Model::user_vectors(const Batch&) {
  throw std::logic_error("user_vectors: this model is not factorised (factorized() is false)");
}
torch::Tensor Model::item_vectors(const Batch&) {
  throw std::logic_error("item_vectors: this model is not factorised (factorized() is false)");
}
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

JaggedCodes JaggedCodes::gather(const torch::Tensor& rows) const {
  const torch::Tensor starts = offsets.index_select(0, rows);
  const torch::Tensor lengths = offsets.index_select(0, rows + 1) - starts;
  torch::Tensor out_offsets = torch::zeros({rows.size(0) + 1}, torch::kInt64);
  out_offsets.slice(0, 1).copy_(lengths.cumsum(0));
  const std::int64_t total = out_offsets[-1].item<std::int64_t>();
  // Value e of the output comes from starts[r] + (e - out_offsets[r]) for its row r.
  const torch::Tensor shift = (starts - out_offsets.slice(0, 0, -1)).repeat_interleave(lengths, 0, total);
  const torch::Tensor source = shift + torch::arange(total, torch::kInt64);
  return {values.index_select(0, source), std::move(out_offsets)};
}

SideFeatures SideFeatures::gather(const torch::Tensor& rows) const {
  SideFeatures out;
  if (continuous.defined()) out.continuous = continuous.index_select(0, rows);
  if (categorical.defined()) out.categorical = categorical.index_select(0, rows);
  for (const auto& field : multi_categorical) out.multi_categorical.push_back(field.gather(rows));
  return out;
}

namespace {

bool has_columns(const SideFeatures& features) {
  return (features.continuous.defined() && features.continuous.size(1) > 0) ||
         (features.categorical.defined() && features.categorical.size(1) > 0);
}

}  // namespace

Batch make_batch(const Examples& examples, const torch::Tensor& rows, const SideFeatures& users,
                 const SideFeatures& items, const SideFeatures& context) {
  Batch batch;
  batch.user_id = examples.user_id.index_select(0, rows);
  batch.item_id = examples.item_id.index_select(0, rows);
  batch.label = examples.label.index_select(0, rows);
  if (examples.log_q.defined()) batch.log_q = examples.log_q.index_select(0, rows);
  SideFeatures user = users.gather(batch.user_id), item = items.gather(batch.item_id);
  batch.user_continuous = std::move(user.continuous);
  batch.user_categorical = std::move(user.categorical);
  batch.user_multi_categorical = std::move(user.multi_categorical);
  batch.item_continuous = std::move(item.continuous);
  batch.item_categorical = std::move(item.categorical);
  batch.item_multi_categorical = std::move(item.multi_categorical);
  const auto b = rows.size(0);
  if (has_columns(context)) {
    if (!examples.row.defined()) throw Error("make_batch: the data has context features but the examples no row");
    const torch::Tensor interaction = examples.row.index_select(0, rows);
    batch.context_continuous = context.continuous.defined() ? context.continuous.index_select(0, interaction)
                                                            : torch::zeros({b, 0}, torch::kFloat32);
    batch.context_categorical = context.categorical.defined() ? context.categorical.index_select(0, interaction)
                                                              : torch::zeros({b, 0}, torch::kInt64);
  } else {
    batch.context_continuous = torch::zeros({b, 0}, torch::dtype(torch::kFloat32).device(rows.device()));
    batch.context_categorical = torch::zeros({b, 0}, torch::dtype(torch::kInt64).device(rows.device()));
  }
  return batch;
}

void reject_positives(const torch::Tensor& users, torch::Tensor& negatives, const PositiveSet& positives,
                      const std::function<torch::Tensor(std::int64_t)>& draw, int max_rounds) {
  torch::Tensor rejected = positives.contains(users, negatives).nonzero().squeeze(1);
  for (int round = 0; rejected.numel() > 0; ++round) {
    if (round == max_rounds) {
      throw Error("negative sampling: after " + std::to_string(max_rounds) + " redraws user " +
                  std::to_string(users[rejected[0]].item<std::int64_t>()) +
                  " still has no negative (its positives take almost all the sampler's probability)");
    }
    const torch::Tensor redraw = draw(rejected.numel());
    negatives.index_put_({rejected}, redraw);
    const torch::Tensor still = positives.contains(users.index_select(0, rejected), redraw);
    rejected = rejected.masked_select(still);
  }
}

Examples grouped_examples(const torch::Tensor& user_id, const torch::Tensor& item_id, const torch::Tensor& negatives) {
  const std::int64_t p = user_id.size(0), k = negatives.size(1);
  Examples examples;
  examples.item_id = torch::cat({item_id.unsqueeze(1), negatives}, 1).reshape(-1);
  examples.user_id = user_id.repeat_interleave(k + 1);
  torch::Tensor pattern = torch::zeros({k + 1}, torch::kFloat32);
  pattern[0] = 1.0f;
  examples.label = pattern.repeat({p});
  examples.row = torch::arange(p, torch::kInt64).repeat_interleave(k + 1);
  examples.group_size = k + 1;
  return examples;
}

PositiveSet::PositiveSet(const torch::Tensor& user_id, const torch::Tensor& item_id, std::int64_t num_users,
                         std::int64_t num_items)
    : num_users_(num_users), num_items_(num_items) {
  TORCH_CHECK(user_id.sizes() == item_id.sizes(), "PositiveSet: user_id and item_id differ in shape");
  torch::Tensor keys = user_id.to(torch::kInt64).reshape(-1) * num_items + item_id.to(torch::kInt64).reshape(-1);
  // A sort and a pass, not torch 1.13's hash-set _unique (several seconds on 25M keys).
  keys_ = std::get<0>(torch::unique_consecutive(std::get<0>(keys.sort())));
  per_user_ = torch::bincount(keys_.div(num_items, "floor"), {}, num_users);
  user_offsets_ = torch::cat({torch::zeros({1}, torch::kInt64), per_user_.cumsum(0)});
}

torch::Tensor PositiveSet::contains(const torch::Tensor& user_id, const torch::Tensor& item_id) const {
  const torch::Tensor users = user_id.to(torch::kInt64).contiguous(), items = item_id.to(torch::kInt64).contiguous();
  torch::Tensor found = torch::zeros(users.sizes(), torch::kBool);
  if (keys_.numel() == 0) return found;
  const std::int64_t* u = users.data_ptr<std::int64_t>();
  const std::int64_t* i = items.data_ptr<std::int64_t>();
  const std::int64_t* keys = keys_.data_ptr<std::int64_t>();
  const std::int64_t* offsets = user_offsets_.data_ptr<std::int64_t>();
  bool* out = found.data_ptr<bool>();
  // Each query searches its own user's keys (tens, not millions): a few cache lines each.
  at::parallel_for(0, users.numel(), 1 << 14, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t m = begin; m < end; ++m) {
      if (u[m] < 0 || u[m] >= num_users_) continue;
      out[m] = std::binary_search(keys + offsets[u[m]], keys + offsets[u[m] + 1], u[m] * num_items_ + i[m]);
    }
  });
  return found;
}

}  // namespace recsys
