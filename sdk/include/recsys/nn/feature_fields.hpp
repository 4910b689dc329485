#pragma once
/// @file
/// The input fields of the feature-aware models: which fields of a FeatureSchema a model uses
/// (one rule, `kept_columns`, for every model), and how to gather them from a Batch. Plain
/// arguments only: reading and checking the `exclude_fields` key is `recsys/models/options.hpp`'s.

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
  std::vector<std::int64_t> multi;        ///< indices into SideSchema::multi_categorical, ascending
  std::vector<std::int64_t> continuous;   ///< indices into the continuous block [0, continuous_dim), ascending

  bool empty() const { return categorical.empty() && multi.empty() && continuous.empty(); }
};

/// The name of continuous column `c` of `side`; "" when it has none.
inline std::string continuous_name(const SideSchema& side, std::int64_t c) {
  return c < static_cast<std::int64_t>(side.continuous_names.size()) ? side.continuous_names[c] : "";
}

/// The rule for which fields a side uses: every categorical field (single- or multi-valued)
/// and every continuous column whose name is not in `exclude` (excluding a vector field's name
/// drops all its columns); an unnamed continuous column is always kept. `exclude` is not
/// checked here (a name that is no field matches nothing).
inline SideColumns kept_columns(const SideSchema& side, const std::vector<std::string>& exclude) {
  auto excluded = [&](const std::string& name) {
    return std::find(exclude.begin(), exclude.end(), name) != exclude.end();
  };
  SideColumns kept;
  for (std::size_t k = 0; k < side.categorical.size(); ++k) {
    if (!excluded(side.categorical[k].name)) kept.categorical.push_back(static_cast<std::int64_t>(k));
  }
  for (std::size_t m = 0; m < side.multi_categorical.size(); ++m) {
    if (!excluded(side.multi_categorical[m].name)) kept.multi.push_back(static_cast<std::int64_t>(m));
  }
  for (std::int64_t c = 0; c < side.continuous_dim; ++c) {
    const std::string name = continuous_name(side, c);
    if (name.empty() || !excluded(name)) kept.continuous.push_back(c);
  }
  return kept;
}

/// The field names of one side, in order: categorical, multi-valued, then the named continuous
/// columns (a vector field once).
inline std::vector<std::string> side_field_names(const SideSchema& side) {
  std::vector<std::string> names;
  for (const auto& field : side.categorical) names.push_back(field.name);
  for (const auto& field : side.multi_categorical) names.push_back(field.name);
  for (std::int64_t c = 0; c < side.continuous_dim; ++c) {
    std::string name = continuous_name(side, c);
    if (!name.empty() && std::find(names.begin(), names.end(), name) == names.end()) names.push_back(std::move(name));
  }
  return names;
}

/// Every name a model can keep or exclude, in order: "user_id", "item_id", then the user's,
/// the item's and the context's fields (`side_field_names`).
inline std::vector<std::string> field_names(const FeatureSchema& schema) {
  std::vector<std::string> names{"user_id", "item_id"};
  for (const SideSchema* side : {&schema.user, &schema.item, &schema.context}) {
    for (auto& name : side_field_names(*side)) names.push_back(std::move(name));
  }
  return names;
}

/// The fields a model uses, in a fixed order:
/// - F single-valued categorical fields: "user_id", "item_id", the user's, the item's, then the
///   context's kept categorical fields;
/// - M multi-valued fields: the user's, then the item's kept ones (pooled by the model);
/// - the kept continuous columns: user's, item's, then the context's.
/// (`kept_columns` of each side with `exclude`.)
class FieldLayout {
 public:
  explicit FieldLayout(const FeatureSchema& schema, const std::vector<std::string>& exclude = {})
      : user_(kept_columns(schema.user, exclude)),
        item_(kept_columns(schema.item, exclude)),
        context_(kept_columns(schema.context, exclude)) {
    names_ = {"user_id", "item_id"};
    cardinalities_ = {schema.user.num_ids, schema.item.num_ids};
    const std::pair<const SideSchema*, const SideColumns*> sides[] = {
        {&schema.user, &user_}, {&schema.item, &item_}, {&schema.context, &context_}};
    for (const auto& [side, kept] : sides) {
      for (const std::int64_t k : kept->categorical) {
        names_.push_back(side->categorical[k].name);
        cardinalities_.push_back(side->categorical[k].cardinality);
      }
      for (const std::int64_t m : kept->multi) multi_.push_back(side->multi_categorical[m]);
    }
    continuous_all_ = {user_continuous_dim() == schema.user.continuous_dim,
                       item_continuous_dim() == schema.item.continuous_dim,
                       context_continuous_dim() == schema.context.continuous_dim};
    index_ = {as_index(user_.categorical), as_index(item_.categorical), as_index(context_.categorical),
              as_index(user_.continuous),  as_index(item_.continuous),  as_index(context_.continuous)};
  }

  /// Names and cardinalities of the F single-valued categorical fields.
  const std::vector<std::string>& names() const { return names_; }
  const std::vector<std::int64_t>& cardinalities() const { return cardinalities_; }
  std::int64_t num_fields() const { return static_cast<std::int64_t>(names_.size()); }
  /// The M multi-valued fields (name, cardinality, pooling).
  const std::vector<MultiCategoricalField>& multi_fields() const { return multi_; }
  std::int64_t num_multi_fields() const { return static_cast<std::int64_t>(multi_.size()); }
  /// F + M: the fields that get one embedding vector each.
  std::int64_t num_embedded_fields() const { return num_fields() + num_multi_fields(); }
  std::int64_t user_continuous_dim() const { return static_cast<std::int64_t>(user_.continuous.size()); }
  std::int64_t item_continuous_dim() const { return static_cast<std::int64_t>(item_.continuous.size()); }
  std::int64_t context_continuous_dim() const { return static_cast<std::int64_t>(context_.continuous.size()); }
  std::int64_t continuous_dim() const {
    return user_continuous_dim() + item_continuous_dim() + context_continuous_dim();
  }

  /// int64 [B, F]: the codes of the F single-valued categorical fields.
  torch::Tensor categorical(const Batch& batch) const {
    std::vector<torch::Tensor> columns{batch.user_id.unsqueeze(1), batch.item_id.unsqueeze(1)};
    if (!user_.categorical.empty()) columns.push_back(batch.user_categorical.index_select(1, index_[0]));
    if (!item_.categorical.empty()) columns.push_back(batch.item_categorical.index_select(1, index_[1]));
    if (!context_.categorical.empty()) columns.push_back(batch.context_categorical.index_select(1, index_[2]));
    return torch::cat(columns, 1);
  }
  /// The M multi-valued fields of the batch, each B rows, in `multi_fields()` order.
  std::vector<JaggedCodes> multi_categorical(const Batch& batch) const {
    std::vector<JaggedCodes> out;
    for (const std::int64_t m : user_.multi) out.push_back(batch.user_multi_categorical[m]);
    for (const std::int64_t m : item_.multi) out.push_back(batch.item_multi_categorical[m]);
    return out;
  }
  /// float32 [B, Cu']: the kept user continuous columns.
  torch::Tensor user_continuous(const Batch& batch) const { return pick(batch.user_continuous, 0); }
  /// float32 [B, Ci']: the kept item continuous columns.
  torch::Tensor item_continuous(const Batch& batch) const { return pick(batch.item_continuous, 1); }
  /// float32 [B, Cc']: the kept context continuous columns.
  torch::Tensor context_continuous(const Batch& batch) const { return pick(batch.context_continuous, 2); }
  /// float32 [B, Cu' + Ci' + Cc']: user, item, then context continuous columns.
  torch::Tensor continuous(const Batch& batch) const {
    if (context_continuous_dim() == 0) return torch::cat({user_continuous(batch), item_continuous(batch)}, 1);
    return torch::cat({user_continuous(batch), item_continuous(batch), context_continuous(batch)}, 1);
  }

 private:
  static torch::Tensor as_index(const std::vector<std::int64_t>& columns) {
    return torch::tensor(columns, torch::kInt64);
  }
  torch::Tensor pick(const torch::Tensor& block, std::size_t side) const {
    return continuous_all_[side] ? block : block.index_select(1, index_[3 + side]);
  }

  SideColumns user_, item_, context_;
  std::vector<std::string> names_;
  std::vector<std::int64_t> cardinalities_;
  std::vector<MultiCategoricalField> multi_;
  std::vector<bool> continuous_all_;
  std::vector<torch::Tensor> index_;  // int64 column indices: categorical of user, item, context; continuous likewise
};

}  // namespace recsys::nn
