#pragma once
/// @file
/// Dataset plugins: load implicit-feedback interactions and side features from a directory.

#include <cstdint>
#include <string>
#include <vector>

#include <torch/types.h>

#include "recsys/batch.hpp"
#include "recsys/export.hpp"
#include "recsys/schema.hpp"

namespace recsys {

/// What a dataset loads. Users and items are re-encoded to contiguous ids; the original
/// ids and the item titles stay available to map results back.
struct InteractionData {
  // The positive interactions (implicit feedback), one row each, N rows.
  torch::Tensor user_id;    ///< int64 [N], in [0, schema.user.num_ids)
  torch::Tensor item_id;    ///< int64 [N], in [0, schema.item.num_ids)
  torch::Tensor rating;     ///< float32 [N], the explicit rating the positive came from
  torch::Tensor timestamp;  ///< int64 [N], seconds since the Unix epoch

  FeatureSchema schema;
  SideFeatures user_features;  ///< rows indexed by contiguous user id
  SideFeatures item_features;  ///< rows indexed by contiguous item id

  std::vector<std::int64_t> user_original_id;  ///< contiguous id -> dataset's user id
  std::vector<std::int64_t> item_original_id;  ///< contiguous id -> dataset's item id
  std::vector<std::string> item_title;         ///< UTF-8; empty when the data has none

  std::int64_t num_interactions() const { return user_id.size(0); }
};

/// A dataset plugin. Built from its `[dataset]` table (the factory validates keys and
/// paths and throws ConfigError); `load` reads the files.
class RECSYS_API Dataset {
 public:
  virtual ~Dataset();
  /// Reads the data. Throws DataError naming the file and line of a malformed record.
  virtual InteractionData load() = 0;
};

}  // namespace recsys
