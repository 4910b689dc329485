#pragma once
/// @file
/// The feature schema a dataset describes and a model is built from, so that nobody writes
/// cardinalities by hand.

#include <cstdint>
#include <string>
#include <vector>

namespace recsys {

/// One categorical field: values are int64 codes in [0, cardinality).
struct CategoricalField {
  std::string name;
  std::int64_t cardinality = 0;
};

/// The features of one side (users or items). Either side may have no features at all
/// (continuous_dim 0, no categorical fields).
struct SideSchema {
  std::int64_t num_ids = 0;                   ///< contiguous ids are in [0, num_ids)
  std::int64_t continuous_dim = 0;            ///< C: width of the float32 continuous block
  std::vector<std::string> continuous_names;  ///< C names, for logs and docs
  std::vector<CategoricalField> categorical;  ///< K fields, in column order
};

/// The schema of a dataset: one SideSchema per side.
struct FeatureSchema {
  SideSchema user;
  SideSchema item;
};

}  // namespace recsys
