#include "prepare.hpp"

#include <algorithm>
#include <charconv>

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "recsys/errors.hpp"

namespace recsys::files {

namespace {

/// int64 [n] copy of int32 codes, converted in one pass (no intermediate vector).
torch::Tensor int64_column(const std::vector<std::int32_t>& codes) {
  auto* data = const_cast<std::int32_t*>(codes.data());
  return torch::from_blob(data, {static_cast<std::int64_t>(codes.size())}, torch::kInt32).to(torch::kInt64);
}

KeptRows all_rows(const ParsedTable& t) {
  KeptRows k;
  const std::int64_t n = t.rows;
  k.row = torch::arange(n, torch::kInt64);
  k.user = int64_column(t.find(Role::user_id)->codes());
  k.item = int64_column(t.find(Role::item_id)->codes());
  const RawColumn* rating = t.find(Role::rating);
  k.rating = rating ? torch::tensor(rating->numbers(), torch::kFloat32) : torch::ones({n}, torch::kFloat32);
  const RawColumn* time = t.find(Role::timestamp);
  k.timestamp = time ? torch::tensor(time->seconds(), torch::kInt64) : torch::zeros({n}, torch::kInt64);
  if (const RawColumn* label = t.find(Role::label)) k.label = torch::tensor(label->numbers(), torch::kFloat32);
  return k;
}

/// Which file of the pre-split ones each row came from.
torch::Tensor split_of_rows(const std::vector<std::int64_t>& rows_per_file) {
  return torch::arange(static_cast<std::int64_t>(rows_per_file.size()), torch::kInt64)
      .repeat_interleave(torch::tensor(rows_per_file, torch::kInt64));
}

/// Keeps the rows `index` of `k`, one column at a time (at 25M rows, a copy of every column at
/// once would be the load's peak memory).
KeptRows select(KeptRows k, const torch::Tensor& index) {
  for (torch::Tensor* column : {&k.row, &k.user, &k.item, &k.rating, &k.timestamp, &k.label, &k.split}) {
    if (column->defined()) *column = column->index_select(0, index);
  }
  return k;
}

/// A key per row, equal for the same user and item (and, for labelled data, the same
/// categorical context): the codes combined into one int64 while their product fits, else the
/// group ids of torch's unique over the rows of codes (much slower).
torch::Tensor duplicate_groups(const KeptRows& k, const ParsedTable& t, bool with_context) {
  std::vector<torch::Tensor> keys{k.user, k.item};
  std::vector<double> sizes{static_cast<double>(t.find(Role::user_id)->dictionary().size()),
                            static_cast<double>(t.find(Role::item_id)->dictionary().size())};
  if (k.split.defined()) {  // pre-split files: no row moves from one split to another
    keys.push_back(k.split);
    sizes.push_back(3);
  }
  if (with_context) {
    for (const auto& c : t.columns) {
      if (c.spec().role == Role::context && c.spec().kind == Kind::categorical) {
        keys.push_back(int64_column(c.codes()).index_select(0, k.row) + 1);  // -1 (missing) -> 0
        sizes.push_back(static_cast<double>(c.dictionary().size()) + 1);
      }
    }
  }
  double product = 1;
  for (const double size : sizes) product *= size;
  if (product >= 4e18) return std::get<1>(torch::unique_dim(torch::stack(keys, 1), 0, true, true));
  torch::Tensor key = keys[0];
  for (std::size_t c = 1; c < keys.size(); ++c) key = key * static_cast<std::int64_t>(sizes[c]) + keys[c];
  return key;
}

/// The last row of each group by (timestamp, file order): the latest of the duplicates.
KeptRows merge_duplicates(KeptRows k, const ParsedTable& t, bool labelled) {
  const torch::Tensor group = duplicate_groups(k, t, labelled);
  // By time, then (stable) by group; a log already in time order needs the second sort only.
  const std::int64_t n = k.timestamp.size(0);
  const bool in_time_order = n < 2 || k.timestamp.slice(0, 1).ge(k.timestamp.slice(0, 0, -1)).all().item<bool>();
  torch::Tensor order;
  if (in_time_order) {
    order = std::get<1>(torch::sort(group, /*stable=*/true, 0, false));
  } else {
    order = std::get<1>(torch::sort(k.timestamp, /*stable=*/true, 0, false));
    order = order.index_select(0, std::get<1>(torch::sort(group.index_select(0, order), true, 0, false)));
  }
  const torch::Tensor sorted = group.index_select(0, order);
  const torch::Tensor last =
      torch::cat({sorted.slice(0, 1).ne(sorted.slice(0, 0, -1)), torch::ones({1}, torch::kBool)});
  const torch::Tensor keep = std::get<0>(torch::sort(order.masked_select(last)));
  const std::int64_t merged = k.row.size(0) - keep.size(0);
  if (merged > 0) spdlog::info("files: {} duplicate interactions merged (the latest kept)", merged);
  return select(std::move(k), keep);
}

/// Labels (labelled feedback) or the positives (implicit feedback).
KeptRows apply_feedback(KeptRows k, const FilesOptions& o, const ParsedTable& t) {
  const std::string file = t.file.string();
  const bool has_rating = t.find(Role::rating) != nullptr;
  if (o.has_threshold && !has_rating) {
    throw DataError(file, 1, "positive_threshold needs a rating column (none in the header)");
  }
  if (o.labelled) {
    if (!k.label.defined()) {
      if (!o.has_threshold) {
        throw DataError(file, 1,
                        "feedback = \"labelled\" needs a label column (0/1), or a rating column and "
                        "positive_threshold");
      }
      k.label = k.rating.ge(o.threshold).to(torch::kFloat32);
    }
    return k;
  }
  torch::Tensor positive = torch::ones({k.row.size(0)}, torch::kBool);
  if (o.has_threshold) positive = k.rating.ge(o.threshold);
  if (k.label.defined()) positive = positive.logical_and(k.label.gt(0.5f));
  k.label = torch::Tensor();
  const std::int64_t dropped = positive.logical_not().sum().item<std::int64_t>();
  if (dropped > 0)
    spdlog::info("files: {} interactions are not positives (threshold or label) and are left out", dropped);
  return select(std::move(k), positive.nonzero().squeeze(1));
}

/// Users and items with fewer interactions than the minimums removed, until none is.
KeptRows k_core(KeptRows k, const FilesOptions& o) {
  if (o.min_user_interactions <= 1 && o.min_item_interactions <= 1) return k;
  const std::int64_t before = k.row.size(0);
  int rounds = 0;
  for (;; ++rounds) {
    if (k.row.size(0) == 0) break;
    const torch::Tensor users = torch::bincount(k.user).index_select(0, k.user);
    const torch::Tensor items = torch::bincount(k.item).index_select(0, k.item);
    const torch::Tensor keep = users.ge(o.min_user_interactions).logical_and(items.ge(o.min_item_interactions));
    if (keep.all().item<bool>()) break;
    k = select(std::move(k), keep.nonzero().squeeze(1));
  }
  spdlog::info(
      "files: k-core filtering (users >= {}, items >= {} interactions): {} of {} interactions kept ({} rounds)",
      o.min_user_interactions, o.min_item_interactions, k.row.size(0), before, rounds);
  return k;
}

bool parse_integer(const std::string& text, std::int64_t* value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return error == std::errc() && end == text.data() + text.size() && !text.empty();
}

}  // namespace

KeptRows prepare_rows(ParsedTable& t, const FilesOptions& o, const std::vector<std::int64_t>& rows_per_file) {
  if (t.rows == 0) throw DataError(t.file.string(), 1, "no interactions (the file holds a header only)");
  KeptRows k = all_rows(t);
  // At 25M rows these are ~0.6 GB that the tensors now hold: the load's peak otherwise.
  for (const Role role : {Role::user_id, Role::item_id, Role::rating, Role::timestamp, Role::label}) {
    if (RawColumn* column = t.find(role)) column->release_values();
  }
  if (!rows_per_file.empty()) k.split = split_of_rows(rows_per_file);
  if (o.merge_duplicates) k = merge_duplicates(std::move(k), t, o.labelled);
  k = apply_feedback(std::move(k), o, t);
  k = k_core(std::move(k), o);
  if (k.row.size(0) == 0) {
    throw DataError(t.file.string(), 0, "no interaction is left after the threshold and k-core filtering");
  }
  return k;
}

torch::Tensor contiguous_ids(const torch::Tensor& used, const std::vector<std::string>& dictionary,
                             std::vector<std::string>& original) {
  std::vector<std::int64_t> numbers(dictionary.size());
  bool numeric = true;
  for (std::size_t i = 0; i < dictionary.size() && numeric; ++i) numeric = parse_integer(dictionary[i], &numbers[i]);
  const torch::Tensor c = used.contiguous();
  std::vector<std::int64_t> order(c.data_ptr<std::int64_t>(), c.data_ptr<std::int64_t>() + c.numel());
  std::sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
    if (numeric && numbers[a] != numbers[b]) return numbers[a] < numbers[b];
    return dictionary[a] < dictionary[b];  // byte order (and "01" before "1" when equal as numbers)
  });
  torch::Tensor map = torch::full({static_cast<std::int64_t>(dictionary.size())}, -1, torch::kInt64);
  auto m = map.accessor<std::int64_t, 1>();
  original.clear();
  for (std::size_t id = 0; id < order.size(); ++id) {
    m[order[id]] = static_cast<std::int64_t>(id);
    original.push_back(dictionary[order[id]]);
  }
  return map;
}

}  // namespace recsys::files
