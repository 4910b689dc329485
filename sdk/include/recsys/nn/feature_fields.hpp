#pragma once
/// @file
/// The input fields of the feature-aware models (Wide&Deep, DCN, DCN-V2, FM, AutoInt):
/// which categorical fields and continuous columns of a FeatureSchema a model uses, and how
/// to gather them from a Batch.

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <torch/types.h>

#include "recsys/batch.hpp"
#include "recsys/config.hpp"
#include "recsys/schema.hpp"

namespace recsys::nn {

/// The categorical fields, in order: "user_id", "item_id", the user's categorical fields,
/// the item's categorical fields; and the kept continuous columns, user's then item's.
/// Fields and continuous columns named in `exclude_fields` are left out.
class FieldLayout {
 public:
  /// Throws ConfigError (at `config`'s key `exclude_fields`) for a name that is no field,
  /// or for excluding user_id or item_id.
  FieldLayout(const FeatureSchema& schema, const Config& config, const std::string& exclude_key = "exclude_fields") {
    const std::vector<std::string> exclude = config.get_string_list(exclude_key, {});
    std::vector<std::string> all{"user_id", "item_id"};
    auto excluded = [&](const std::string& name) {
      return std::find(exclude.begin(), exclude.end(), name) != exclude.end();
    };
    names_ = {"user_id", "item_id"};
    cardinalities_ = {schema.user.num_ids, schema.item.num_ids};
    auto add_side = [&](const SideSchema& side, std::vector<std::int64_t>& cat_columns,
                        std::vector<std::int64_t>& cont_columns) {
      for (std::size_t k = 0; k < side.categorical.size(); ++k) {
        all.push_back(side.categorical[k].name);
        if (excluded(side.categorical[k].name)) continue;
        cat_columns.push_back(static_cast<std::int64_t>(k));
        names_.push_back(side.categorical[k].name);
        cardinalities_.push_back(side.categorical[k].cardinality);
      }
      for (std::int64_t c = 0; c < side.continuous_dim; ++c) {
        const std::string name = c < static_cast<std::int64_t>(side.continuous_names.size())
                                     ? side.continuous_names[c] : "";
        if (!name.empty()) all.push_back(name);
        if (!name.empty() && excluded(name)) continue;
        cont_columns.push_back(c);
      }
    };
    add_side(schema.user, user_categorical_, user_continuous_);
    add_side(schema.item, item_categorical_, item_continuous_);
    user_continuous_all_ = static_cast<std::int64_t>(user_continuous_.size()) == schema.user.continuous_dim;
    item_continuous_all_ = static_cast<std::int64_t>(item_continuous_.size()) == schema.item.continuous_dim;
    index_ = {as_index(user_categorical_), as_index(item_categorical_), as_index(user_continuous_),
              as_index(item_continuous_)};
    for (const auto& name : exclude) {
      if (name == "user_id" || name == "item_id") config.fail(exclude_key, "'" + name + "' cannot be excluded");
      if (std::find(all.begin(), all.end(), name) == all.end()) {
        std::string list;
        for (const auto& n : all) list += (list.empty() ? "" : ", ") + n;
        config.fail(exclude_key, "'" + name + "' is no field of this dataset (fields: " + list + ")");
      }
    }
  }

  /// Names and cardinalities of the F categorical fields.
  const std::vector<std::string>& names() const { return names_; }
  const std::vector<std::int64_t>& cardinalities() const { return cardinalities_; }
  std::int64_t num_fields() const { return static_cast<std::int64_t>(names_.size()); }
  std::int64_t user_continuous_dim() const { return static_cast<std::int64_t>(user_continuous_.size()); }
  std::int64_t item_continuous_dim() const { return static_cast<std::int64_t>(item_continuous_.size()); }
  std::int64_t continuous_dim() const { return user_continuous_dim() + item_continuous_dim(); }

  /// int64 [B, F]: the codes of the F categorical fields.
  torch::Tensor categorical(const Batch& batch) const {
    std::vector<torch::Tensor> columns{batch.user_id.unsqueeze(1), batch.item_id.unsqueeze(1)};
    if (!user_categorical_.empty()) columns.push_back(batch.user_categorical.index_select(1, index_[0]));
    if (!item_categorical_.empty()) columns.push_back(batch.item_categorical.index_select(1, index_[1]));
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

  std::vector<std::string> names_;
  std::vector<std::int64_t> cardinalities_;
  std::vector<std::int64_t> user_categorical_, item_categorical_;
  std::vector<std::int64_t> user_continuous_, item_continuous_;
  bool user_continuous_all_ = true, item_continuous_all_ = true;
  std::vector<torch::Tensor> index_;  // int64 column indices: user cat, item cat, user cont, item cont
};

}  // namespace recsys::nn
