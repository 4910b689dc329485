#include "prepare.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "recsys/errors.hpp"

namespace recsys::files {

namespace {

/// A 1-d tensor that owns `values` (no copy: at 25M rows a copy of each column would be the
/// load's peak memory).
template <typename T>
torch::Tensor tensor_of(std::vector<T>&& values, torch::Dtype dtype) {
  if (values.empty()) return torch::empty({0}, dtype);
  auto* owner = new std::vector<T>(std::move(values));
  return torch::from_blob(
      owner->data(), {static_cast<std::int64_t>(owner->size())}, [owner](void*) { delete owner; }, dtype);
}

/// Every row, the parsed id, rating, timestamp and label values moved into tensors (the
/// columns keep their dictionaries).
KeptRows all_rows(ParsedTable& t) {
  KeptRows k;
  const std::int64_t n = t.rows;
  k.row = torch::arange(n, torch::kInt64);
  k.user = tensor_of(t.find(Role::user_id)->take_codes(), torch::kInt32);
  k.item = tensor_of(t.find(Role::item_id)->take_codes(), torch::kInt32);
  RawColumn* rating = t.find(Role::rating);
  k.rating = rating ? tensor_of(rating->take_numbers(), torch::kFloat32) : torch::ones({n}, torch::kFloat32);
  RawColumn* time = t.find(Role::timestamp);
  k.timestamp = time ? tensor_of(time->take_seconds(), torch::kInt64) : torch::zeros({n}, torch::kInt64);
  if (RawColumn* label = t.find(Role::label)) k.label = tensor_of(label->take_numbers(), torch::kFloat32);
  return k;
}

/// Which file of the pre-split ones each row came from.
torch::Tensor split_of_rows(const std::vector<std::int64_t>& rows_per_file) {
  return torch::arange(static_cast<std::int64_t>(rows_per_file.size()), torch::kInt64)
      .repeat_interleave(torch::tensor(rows_per_file, torch::kInt64));
}

/// Keeps the rows `index` (int64, ascending) of `column` in place: row index[j] moves to j, which
/// is never after it. At 25M rows a copy of each column would touch as much fresh memory again,
/// and on this kind of machine a page's first touch costs more than the copy.
void compact_(torch::Tensor& column, const torch::Tensor& index) {
  const torch::Tensor order = index.contiguous();
  const std::int64_t* from = order.data_ptr<std::int64_t>();
  const auto n = order.numel();
  const auto width = static_cast<std::size_t>(column.element_size());
  column = column.contiguous();
  auto* bytes = static_cast<char*>(column.data_ptr());
  for (std::int64_t j = 0; j < n; ++j) {
    if (from[j] != j) std::memcpy(bytes + j * width, bytes + from[j] * width, width);
  }
  column = column.slice(0, 0, n);
}

/// Keeps the rows `index` (int64, ascending) of `k`.
KeptRows select(KeptRows k, const torch::Tensor& index) {
  if (index.numel() == k.row.size(0)) return k;  // every row
  for (torch::Tensor* column : {&k.row, &k.user, &k.item, &k.rating, &k.timestamp, &k.label, &k.split}) {
    if (column->defined()) compact_(*column, index);
  }
  return k;
}

/// A key per row, equal for the same user and item (and, for labelled data, the same
/// categorical context): the codes combined into one int64 while their product fits, else the
/// group ids of torch's unique over the rows of codes (much slower).
torch::Tensor duplicate_groups(const KeptRows& k, const ParsedTable& t, bool with_context) {
  std::vector<torch::Tensor> keys{k.user.to(torch::kInt64), k.item.to(torch::kInt64)};
  std::vector<double> sizes{static_cast<double>(t.find(Role::user_id)->dictionary().size()),
                            static_cast<double>(t.find(Role::item_id)->dictionary().size())};
  if (k.split.defined()) {  // pre-split files: no row moves from one split to another
    keys.push_back(k.split);
    sizes.push_back(3);
  }
  if (with_context) {
    for (const auto& c : t.columns) {
      if (c.spec().role == Role::context && c.spec().kind == Kind::categorical) {
        const auto codes = torch::from_blob(const_cast<std::int32_t*>(c.codes().data()),
                                            {static_cast<std::int64_t>(c.codes().size())}, torch::kInt32);
        keys.push_back(codes.index_select(0, k.row).to(torch::kInt64) + 1);  // -1 (missing) -> 0
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

/// The rows to keep, ascending, given each row's group key: the last row of each group by
/// (timestamp, file order), the latest of the duplicates. Two sorts of the rows (torch's): the
/// general rule, for keys that combine context codes.
torch::Tensor latest_by_sort(const KeptRows& k, const torch::Tensor& group) {
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
  return std::get<0>(torch::sort(order.masked_select(last)));
}

/// The same rule for groups of (user, item key) in O(rows): the rows bucketed by user with a
/// counting sort (stable, so file order within a user), then each user's latest row per item
/// key found with one array over the keys. At 25M rows this is about 20x faster than the sorts.
torch::Tensor latest_by_user(const KeptRows& k, const torch::Tensor& item_key, std::int64_t users, std::int64_t keys) {
  const std::int64_t n = k.user.size(0);
  const torch::Tensor user_t = k.user.contiguous(), key_t = item_key.contiguous(), time_t = k.timestamp.contiguous();
  const std::int32_t* user = user_t.data_ptr<std::int32_t>();
  const std::int32_t* key = key_t.data_ptr<std::int32_t>();
  const std::int64_t* time = time_t.data_ptr<std::int64_t>();
  std::vector<std::int64_t> start(static_cast<std::size_t>(users) + 1, 0);
  for (std::int64_t r = 0; r < n; ++r) ++start[static_cast<std::size_t>(user[r]) + 1];
  for (std::int64_t u = 0; u < users; ++u) start[u + 1] += start[u];
  std::vector<std::uint32_t> by_user(static_cast<std::size_t>(n));  // callers keep n < 2^32
  std::vector<std::int64_t> cursor(start.begin(), start.end() - 1);
  for (std::int64_t r = 0; r < n; ++r) by_user[cursor[user[r]]++] = static_cast<std::uint32_t>(r);
  std::vector<std::int64_t> owner(static_cast<std::size_t>(keys), -1), best(static_cast<std::size_t>(keys));
  torch::Tensor keep = torch::zeros({n}, torch::kBool);
  bool* kept = keep.data_ptr<bool>();
  // A log in time order (the usual case) keeps each group's last row: no random reads of times.
  const bool in_time_order = n < 2 || time_t.slice(0, 1).ge(time_t.slice(0, 0, -1)).all().item<bool>();
  for (std::int64_t u = 0; u < users; ++u) {
    for (std::int64_t at = start[u]; at < start[u + 1]; ++at) {
      const std::int64_t r = by_user[at], g = key[r];
      if (in_time_order || owner[g] != u || time[r] >= time[best[g]]) best[g] = r;  // ties: the later row
      owner[g] = u;
    }
    for (std::int64_t at = start[u]; at < start[u + 1]; ++at) kept[best[key[by_user[at]]]] = true;
  }
  return keep.nonzero().squeeze(1);
}

/// The last row of each group by (timestamp, file order): the latest of the duplicates.
KeptRows merge_duplicates(KeptRows k, const ParsedTable& t, bool labelled) {
  const bool context_key = labelled && std::any_of(t.columns.begin(), t.columns.end(), [](const RawColumn& c) {
                             return c.spec().role == Role::context && c.spec().kind == Kind::categorical;
                           });
  const auto users = static_cast<std::int64_t>(t.find(Role::user_id)->dictionary().size());
  const auto items = static_cast<std::int64_t>(t.find(Role::item_id)->dictionary().size());
  torch::Tensor keep;
  if (context_key || k.row.size(0) >= (std::int64_t{1} << 32) || 3 * items >= (std::int64_t{1} << 31)) {
    keep = latest_by_sort(k, duplicate_groups(k, t, labelled));
  } else if (k.split.defined()) {  // pre-split files: no row moves from one split to another
    keep = latest_by_user(k, k.item * 3 + k.split.to(torch::kInt32), users, items * 3);
  } else {
    keep = latest_by_user(k, k.item, users, items);
  }
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
