#include "recsys/core/split.hpp"

#include <algorithm>
#include <numeric>
#include <sstream>

#include <torch/torch.h>

namespace recsys::core {

SplitOptions SplitOptions::from_config(const Config& config) {
  SplitOptions options;
  options.strategy = config.get_string("strategy", options.strategy);
  if (options.strategy != "random" && options.strategy != "leave_one_out" && options.strategy != "temporal" &&
      options.strategy != "given") {
    config.fail("strategy", "unknown split strategy '" + options.strategy +
                                "' (available: random, leave_one_out, temporal, given)");
  }
  if (options.strategy == "leave_one_out" || options.strategy == "given") {
    // The ratios do not apply; reading them keeps the keys known (a shared config may carry them).
    config.get_double("val_ratio", options.val_ratio);
    config.get_double("test_ratio", options.test_ratio);
    return options;
  }
  options.group_by = config.get_string("group_by", options.group_by);
  if (options.group_by != "none" && options.group_by != "user") {
    config.fail("group_by", "expected \"none\" (one cut over all positives) or \"user\" (each user's cut)");
  }
  options.val_ratio = config.get_double("val_ratio", options.val_ratio);
  options.test_ratio = config.get_double("test_ratio", options.test_ratio);
  if (!(options.val_ratio > 0.0 && options.val_ratio < 1.0)) {
    config.fail("val_ratio", "must be in (0, 1): the validation split selects the tested epoch");
  }
  if (!(options.test_ratio > 0.0 && options.test_ratio < 1.0)) {
    config.fail("test_ratio", "must be in (0, 1)");
  }
  if (options.val_ratio + options.test_ratio >= 1.0) {
    config.fail("test_ratio", "val_ratio + test_ratio must leave positives for training");
  }
  return options;
}

std::string SplitOptions::describe() const {
  if (strategy == "leave_one_out") return "leave_one_out (latest positive per user tests, next latest validates)";
  if (strategy == "given") return "given by the dataset's files";
  std::ostringstream out;
  out << strategy << " " << (1.0 - val_ratio - test_ratio) << "/" << val_ratio << "/" << test_ratio;
  if (group_by == "user") out << " per user";
  return out.str();
}

namespace {

/// Cuts `order` (int64 [n]) as the reference pipeline does.
SplitIndices cut(const torch::Tensor& order, const SplitOptions& options) {
  const auto n = static_cast<double>(order.size(0));
  const auto n_train = static_cast<std::int64_t>(n * (1.0 - options.val_ratio - options.test_ratio));
  const auto n_until_test = static_cast<std::int64_t>(n * (1.0 - options.test_ratio));
  return {order.slice(0, 0, n_train), order.slice(0, n_train, n_until_test),
          order.slice(0, n_until_test, order.size(0))};
}

}  // namespace

SplitIndices random_split(std::int64_t num_positives, const SplitOptions& options, at::Generator& generator) {
  return cut(torch::randperm(num_positives, generator, torch::kInt64), options);
}

std::vector<std::int64_t> per_user_counts(std::int64_t n, double val_ratio, double test_ratio) {
  const double ratios[3] = {1.0 - val_ratio - test_ratio, val_ratio, test_ratio};
  std::vector<std::int64_t> count{0, static_cast<std::int64_t>(val_ratio * static_cast<double>(n)),
                                  static_cast<std::int64_t>(test_ratio * static_cast<double>(n))};
  count[0] = n - count[1] - count[2];
  for (int k = 2; k >= 1; --k) {  // RecBole's ratios[-1] (test) first, then validation
    if (count[0] <= 1) break;
    const double share = ratios[k] * static_cast<double>(n);
    if (share > 0.0 && share < 1.0) {
      ++count[static_cast<std::size_t>(k)];
      --count[0];
    }
  }
  return count;
}

SplitIndices per_user_split(const torch::Tensor& user_id, const torch::Tensor& key, const SplitOptions& options) {
  // By key, then (stable) by user: each user's rows in key order, ties in row order.
  const torch::Tensor by_key = std::get<1>(key.sort(/*stable=*/true, 0, false));
  const torch::Tensor order =
      by_key.index_select(0, std::get<1>(user_id.index_select(0, by_key).sort(/*stable=*/true, 0, false))).contiguous();
  const torch::Tensor users = user_id.index_select(0, order).contiguous();
  const std::int64_t* row = order.data_ptr<std::int64_t>();
  const std::int64_t* user = users.data_ptr<std::int64_t>();
  std::vector<std::int64_t> parts[3];
  const std::int64_t n = order.size(0);
  for (std::int64_t begin = 0; begin < n;) {
    std::int64_t end = begin;
    while (end < n && user[end] == user[begin]) ++end;
    const std::vector<std::int64_t> count = per_user_counts(end - begin, options.val_ratio, options.test_ratio);
    std::int64_t at = begin;
    for (int part = 0; part < 3; ++part) {
      parts[part].insert(parts[part].end(), row + at, row + at + count[static_cast<std::size_t>(part)]);
      at += count[static_cast<std::size_t>(part)];
    }
    begin = end;
  }
  return {torch::tensor(parts[0], torch::kInt64), torch::tensor(parts[1], torch::kInt64),
          torch::tensor(parts[2], torch::kInt64)};
}

SplitIndices temporal_split(const torch::Tensor& timestamp, const SplitOptions& options) {
  return cut(std::get<1>(timestamp.sort(/*stable=*/true, /*dim=*/0, /*descending=*/false)), options);
}

SplitIndices leave_one_out_split(const torch::Tensor& user_id, const torch::Tensor& timestamp,
                                 const torch::Tensor& original_item_id) {
  const torch::Tensor u = user_id.contiguous(), t = timestamp.contiguous(), o = original_item_id.contiguous();
  const std::int64_t* user = u.data_ptr<std::int64_t>();
  const std::int64_t* time = t.data_ptr<std::int64_t>();
  const std::int64_t* item = o.data_ptr<std::int64_t>();
  std::vector<std::int64_t> order(static_cast<std::size_t>(u.size(0)));
  std::iota(order.begin(), order.end(), 0);
  // By user, then time, then original item id: a user's last row is the latest positive.
  std::sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
    if (user[a] != user[b]) return user[a] < user[b];
    if (time[a] != time[b]) return time[a] < time[b];
    return item[a] < item[b];
  });
  std::vector<std::int64_t> train, validation, test;
  for (std::size_t begin = 0; begin < order.size();) {
    std::size_t end = begin;
    while (end < order.size() && user[order[end]] == user[order[begin]]) ++end;
    const std::size_t count = end - begin;
    std::size_t train_end = end;
    if (count >= 2) test.push_back(order[--train_end]);
    if (count >= 3) validation.push_back(order[--train_end]);
    train.insert(train.end(), order.begin() + static_cast<std::ptrdiff_t>(begin),
                 order.begin() + static_cast<std::ptrdiff_t>(train_end));
    begin = end;
  }
  return {torch::tensor(train, torch::kInt64), torch::tensor(validation, torch::kInt64),
          torch::tensor(test, torch::kInt64)};
}

SplitIndices split_positives(const InteractionData& data, const SplitOptions& options, at::Generator& generator) {
  if (options.strategy == "given") {
    const auto rows = [&](std::int64_t part) { return data.split.eq(part).nonzero().squeeze(1); };
    return {rows(0), rows(1), rows(2)};
  }
  if (options.strategy == "leave_one_out") {
    // Contiguous item ids follow the order of the original ids (numeric when all are integers).
    return leave_one_out_split(data.user_id, data.timestamp, data.item_id);
  }
  if (options.group_by == "user") {
    const torch::Tensor key = options.strategy == "temporal"
                                  ? data.timestamp
                                  : torch::rand({data.num_interactions()}, generator, torch::kFloat64);
    return per_user_split(data.user_id, key, options);
  }
  if (options.strategy == "temporal") return temporal_split(data.timestamp, options);
  return random_split(data.num_interactions(), options, generator);
}

}  // namespace recsys::core
