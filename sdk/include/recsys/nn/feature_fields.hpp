#pragma once
/// @file
/// The input fields of the feature-aware models: which categorical fields and continuous
/// columns of a FeatureSchema a model uses (one rule, `kept_columns`, for every model), and
/// how to gather them from a Batch. Plain arguments only: reading and checking the
/// `exclude_fields` key is `recsys/models/options.hpp`'s.

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <torch/types.h>

#include "recsys/batch.hpp"
#include "recsys/schema.hpp"

namespace recsys::nn {

/// The columns of one side that a model uses.
struct SideColumns {
  std::vector<std::int64_t> categorical;  ///< indices into SideSchema::categorical, ascending
  std::vector<std::int64_t> continuous;   ///< indices into the continuous block [0, continuous_dim), ascending
};

/// The name of continuous column `c` of `side`; "" when it has none.
inline std::string continuous_name(const SideSchema& side, std::int64_t c) {
  return c < static_cast<std::int64_t>(side.continuous_names.size()) ? side.continuous_names[c] : "";
}

/// The rule for which fields a side uses: every categorical field and every continuous column
/// whose name is not in `exclude`; an unnamed continuous column is always kept. `exclude` is
/// not checked here (a name that is no field matches nothing).
inline SideColumns kept_columns(const SideSchema& side, const std::vector<std::string>& exclude) {
  auto excluded = [&](const std::string& name) {
    return std::find(exclude.begin(), exclude.end(), name) != exclude.end();
  };
  SideColumns kept;
  for (std::size_t k = 0; k < side.categorical.size(); ++k) {
    if (!excluded(side.categorical[k].name)) kept.categorical.push_back(static_cast<std::int64_t>(k));
  }
  for (std::int64_t c = 0; c < side.continuous_dim; ++c) {
    const std::string name = continuous_name(side, c);
    if (name.empty() || !excluded(name)) kept.continuous.push_back(c);
  }
  return kept;
}

/// Every name a model can keep or exclude, in order: "user_id", "item_id", the user's
/// categorical fields, the user's named continuous columns, then the item's likewise.
inline std::vector<std::string> field_names(const FeatureSchema& schema) {
  std::vector<std::string> names{"user_id", "item_id"};
  for (const SideSchema* side : {&schema.user, &schema.item}) {
    for (const auto& field : side->categorical) names.push_back(field.name);
    for (std::int64_t c = 0; c < side->continuous_dim; ++c) {
      if (std::string name = continuous_name(*side, c); !name.empty()) names.push_back(std::move(name));
    }
  }
  return names;
}

/// The categorical fields, in order: "user_id", "item_id", the user's kept categorical fields,
/// the item's kept categorical fields; and the kept continuous columns, user's then item's
/// (`kept_columns` of each side with `exclude`).
class FieldLayout {
 public:
  explicit FieldLayout(const FeatureSchema& schema, const std::vector<std::string>& exclude = {})
      : user_(kept_columns(schema.user, exclude)), item_(kept_columns(schema.item, exclude)) {
    names_ = {"user_id", "item_id"};
    cardinalities_ = {schema.user.num_ids, schema.item.num_ids};
    for (const auto& [side, kept] : {std::pair{&schema.user, &user_}, std::pair{&schema.item, &item_}}) {
      for (const std::int64_t k : kept->categorical) {
        names_.push_back(side->categorical[k].name);
        cardinalities_.push_back(side->categorical[k].cardinality);
      }
    }
    user_continuous_all_ = user_continuous_dim() == schema.user.continuous_dim;
    item_continuous_all_ = item_continuous_dim() == schema.item.continuous_dim;
    index_ = {as_index(user_.categorical), as_index(item_.categorical), as_index(user_.continuous),
              as_index(item_.continuous)};
  }

  /// Names and cardinalities of the F categorical fields.
  const std::vector<std::string>& names() const { return names_; }
  const std::vector<std::int64_t>& cardinalities() const { return cardinalities_; }
  std::int64_t num_fields() const { return static_cast<std::int64_t>(names_.size()); }
  std::int64_t user_continuous_dim() const { return static_cast<std::int64_t>(user_.continuous.size()); }
  std::int64_t item_continuous_dim() const { return static_cast<std::int64_t>(item_.continuous.size()); }
  std::int64_t continuous_dim() const { return user_continuous_dim() + item_continuous_dim(); }

  /// int64 [B, F]: the codes of the F categorical fields.
  torch::Tensor categorical(const Batch& batch) const {
    std::vector<torch::Tensor> columns{batch.user_id.unsqueeze(1), batch.item_id.unsqueeze(1)};
    if (!user_.categorical.empty()) columns.push_back(batch.user_categorical.index_select(1, index_[0]));
    if (!item_.categorical.empty()) columns.push_back(batch.item_categorical.index_select(1, index_[1]));
    return torch::cat(columns, 1);
  }
  /// float32 [B, Cu']: the kept user continuous columns.
  torch::Tensor user_continuous(const Batch& batch) const {
    return user_continuous_all_ ? batch.user_continuous : batch.user_continuous.index_select(1, index_[2]);
  }
  /// float32 [B, Ci']: the kept item continuous columns.
  torch::Tensor item_continuous(const Batch& batch) const {
    return item_continuous_all_ ? batch.item_continuous : batch.item_continuous.index_select(1, index_[3]);
  }
  /// float32 [B, Cu' + Ci']: user then item continuous columns.
  torch::Tensor continuous(const Batch& batch) const {
    return torch::cat({user_continuous(batch), item_continuous(batch)}, 1);
  }

 private:
  static torch::Tensor as_index(const std::vector<std::int64_t>& columns) {
    return torch::tensor(columns, torch::kInt64);
  }

  SideColumns user_, item_;
  std::vector<std::string> names_;
  std::vector<std::int64_t> cardinalities_;
  bool user_continuous_all_ = true, item_continuous_all_ = true;
  std::vector<torch::Tensor> index_;  // int64 column indices: user cat, item cat, user cont, item cont
};

}  // namespace recsys::nn
