#include "recsys/core/evaluation.hpp"

#include <algorithm>
#include <cctype>

#include <torch/torch.h>

#include "recsys/errors.hpp"

namespace recsys::core {

EvaluationOptions EvaluationOptions::from_config(const Config& config) {
  EvaluationOptions o;
  const std::string protocol = config.get_string("protocol", "pointwise");
  if (protocol == "pointwise")
    o.protocol = Protocol::pointwise;
  else if (protocol == "sampled")
    o.protocol = Protocol::sampled;
  else if (protocol == "full")
    o.protocol = Protocol::full;
  else
    config.fail("protocol", "unknown protocol '" + protocol + "' (available: pointwise, sampled, full)");
  o.num_candidates = config.get_int_in("num_candidates", o.num_candidates, 1, 1'000'000);
  o.metrics = config.get_string_list("metrics", o.metrics);
  for (const auto& name : o.metrics) {
    const MetricName parsed = parse_metric_name(name);
    if (parsed.k >= 0 && o.protocol == Protocol::pointwise) {
      config.fail("metrics", "'" + name +
                                 "' is a ranking metric, which needs protocol = \"sampled\" or \"full\" "
                                 "(the pointwise protocol has no ranking lists)");
    }
  }
  return o;
}

const char* EvaluationOptions::protocol_name() const {
  switch (protocol) {
    case Protocol::sampled:
      return "sampled";
    case Protocol::full:
      return "full";
    case Protocol::pointwise:
      break;
  }
  return "pointwise";
}

MetricName parse_metric_name(const std::string& name) {
  const auto at = name.rfind('@');
  if (at == std::string::npos || at + 1 == name.size()) return {name, -1};
  const std::string digits = name.substr(at + 1);
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) ||
      digits.size() > 9) {
    return {name, -1};
  }
  return {name.substr(0, at) + "@k", std::stoll(digits)};
}

EvaluationSet::~EvaluationSet() = default;

MaterializedSet::MaterializedSet(Examples examples, torch::Tensor group_id, std::int64_t num_lists)
    : examples_(std::move(examples)), group_id_(std::move(group_id)), num_lists_(num_lists) {}

void MaterializedSet::for_each_chunk(std::int64_t chunk,
                                     const std::function<void(const Examples&, const torch::Tensor&)>& visit) const {
  const std::int64_t n = examples_.size();
  for (std::int64_t begin = 0; begin < n; begin += chunk) {
    const std::int64_t end = std::min(n, begin + chunk);
    Examples part{examples_.user_id.slice(0, begin, end), examples_.item_id.slice(0, begin, end),
                  examples_.label.slice(0, begin, end),
                  examples_.row.defined() ? examples_.row.slice(0, begin, end) : torch::Tensor()};
    visit(part, group_id_.slice(0, begin, end));
  }
}

FullRankingSet::FullRankingSet(const torch::Tensor& relevant_user, const torch::Tensor& relevant_item,
                               const torch::Tensor& masked_user, const torch::Tensor& masked_item,
                               std::int64_t num_users, std::int64_t num_items, const torch::Tensor& relevant_row)
    : users_(std::get<0>(torch::_unique(relevant_user, /*sorted=*/true))),
      relevant_(relevant_user, relevant_item, num_users, num_items),
      masked_(masked_user, masked_item, num_users, num_items),
      num_items_(num_items) {
  const torch::Tensor masked_per_user = masked_.positives_per_user().index_select(0, users_);
  num_rows_ = users_.size(0) * num_items_ - masked_per_user.sum().item<std::int64_t>();
  if (relevant_row.defined()) {
    // The position of each user's last relevant row (a max, so deterministic), then its row.
    const torch::Tensor position = torch::arange(relevant_user.size(0), torch::kInt64);
    const torch::Tensor last =
        torch::zeros({num_users}, torch::kInt64).scatter_reduce(0, relevant_user, position, "amax", false);
    row_of_user_ = relevant_row.index_select(0, last);
  }
}

void FullRankingSet::for_each_chunk(std::int64_t chunk,
                                    const std::function<void(const Examples&, const torch::Tensor&)>& visit) const {
  const std::int64_t users_per_block = std::max<std::int64_t>(1, chunk / num_items_);
  const torch::Tensor items = torch::arange(num_items_, torch::kInt64);
  for (std::int64_t begin = 0; begin < users_.size(0); begin += users_per_block) {
    const torch::Tensor block = users_.slice(0, begin, std::min(users_.size(0), begin + users_per_block));
    torch::Tensor user = block.repeat_interleave(num_items_);
    torch::Tensor item = items.repeat({block.size(0)});
    const torch::Tensor keep = masked_.contains(user, item).logical_not();
    user = user.masked_select(keep);
    item = item.masked_select(keep);
    Examples examples{user, item, relevant_.contains(user, item).to(torch::kFloat32),
                      row_of_user_.defined() ? row_of_user_.index_select(0, user) : torch::Tensor()};
    visit(examples, user);
  }
}

std::shared_ptr<EvaluationSet> make_pointwise_set(Sampler& sampler, const torch::Tensor& user_id,
                                                  const torch::Tensor& item_id, const PositiveSet& positives,
                                                  at::Generator& generator) {
  Examples examples = sampler.sample(user_id, item_id, positives, generator);
  const std::int64_t users = std::get<0>(torch::_unique(examples.user_id)).size(0);
  torch::Tensor group = examples.user_id;
  return std::make_shared<MaterializedSet>(std::move(examples), std::move(group), users);
}

std::shared_ptr<MaterializedSet> make_sampled_set(const torch::Tensor& user_id, const torch::Tensor& item_id,
                                                  const PositiveSet& positives, std::int64_t num_candidates,
                                                  at::Generator& generator) {
  const std::int64_t lists = user_id.size(0), num_items = positives.num_items();
  const torch::Tensor free_items = num_items - positives.positives_per_user().index_select(0, user_id);
  if (lists > 0 && free_items.min().item<std::int64_t>() < num_candidates) {
    throw DataError("<evaluation>", 0,
                    "a user has fewer items without a positive than num_candidates (" + std::to_string(num_candidates) +
                        "); lower evaluation.num_candidates");
  }
  // Uniform sampling without replacement, vectorised: random keys for every item, the user's
  // positives pushed past the end, and the n smallest keys taken. Blocks of lists bound memory.
  const std::int64_t block = std::max<std::int64_t>(1, (std::int64_t{1} << 22) / std::max<std::int64_t>(1, num_items));
  const torch::Tensor items = torch::arange(num_items, torch::kInt64);
  std::vector<torch::Tensor> candidates;
  for (std::int64_t begin = 0; begin < lists; begin += block) {
    const torch::Tensor users = user_id.slice(0, begin, std::min(lists, begin + block));
    const std::int64_t b = users.size(0);
    torch::Tensor keys = torch::rand({b, num_items}, generator, torch::kFloat64);
    const torch::Tensor is_positive =
        positives.contains(users.repeat_interleave(num_items), items.repeat({b})).view({b, num_items});
    keys.masked_fill_(is_positive, 2.0);
    candidates.push_back(std::get<1>(keys.topk(num_candidates, 1, /*largest=*/false, /*sorted=*/true)));
  }
  const torch::Tensor negatives =
      candidates.empty() ? torch::zeros({0, num_candidates}, torch::kInt64) : torch::cat(candidates, 0);
  Examples examples = grouped_examples(user_id, item_id, negatives);
  torch::Tensor group = torch::arange(lists, torch::kInt64).repeat_interleave(num_candidates + 1);
  return std::make_shared<MaterializedSet>(std::move(examples), std::move(group), lists);
}

}  // namespace recsys::core
