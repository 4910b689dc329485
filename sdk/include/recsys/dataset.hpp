#pragma once
/// @file
/// Dataset plugins: load interactions (implicit or labelled feedback), side features and
/// per-interaction context from the user's files.

#include <cstdint>
#include <string>
#include <vector>

#include <torch/types.h>

#include "recsys/batch.hpp"
#include "recsys/export.hpp"
#include "recsys/schema.hpp"

namespace recsys {

/// How a raw number of one continuous context column becomes the model's input, as the
/// dataset's fit on the training split made it: an empty (missing) value takes `fill`, then the
/// value is (x - shift) / scale. Identity {0, 0, 1} for a column that is not scaled.
struct ContinuousTransform {
  float fill = 0.0f;   ///< the raw value a missing one takes (the `files` plugin: the training mean)
  float shift = 0.0f;  ///< subtracted (standard: the mean; min-max: the minimum)
  float scale = 1.0f;  ///< then divided by (standard: the deviation; min-max: the range)
};

/// What a dataset loads. Users and items are re-encoded to contiguous ids; the original ids
/// (strings) and the item titles stay available to map results back.
///
/// Implicit feedback: every row is a positive and `label` is undefined; negatives are sampled.
/// Labelled feedback (click-through data): `label` holds each row's 0/1 label, the rows
/// labelled 1 are the positives, and a run trains and evaluates on the rows as they are.
struct InteractionData {
  // The interactions, one row each, N rows.
  torch::Tensor user_id;    ///< int64 [N], in [0, schema.user.num_ids)
  torch::Tensor item_id;    ///< int64 [N], in [0, schema.item.num_ids)
  torch::Tensor rating;     ///< float32 [N], the explicit rating (1 where the data has none)
  torch::Tensor timestamp;  ///< int64 [N], seconds since the Unix epoch (0 where the data has none)
  torch::Tensor label;      ///< float32 [N] in {0, 1} for labelled feedback; undefined for implicit
  /// int64 [N]: 0 training, 1 validation, 2 test, for data that comes split (the host then
  /// takes this split, `[split] strategy = "given"`); undefined otherwise.
  torch::Tensor split;

  FeatureSchema schema;
  SideFeatures user_features;     ///< rows indexed by contiguous user id
  SideFeatures item_features;     ///< rows indexed by contiguous item id
  SideFeatures context_features;  ///< N rows, indexed by interaction row; no multi-valued fields

  /// contiguous id -> the dataset's id, as written in its files. Contiguous ids follow the
  /// numeric order of the original ids when every id is an integer, else their byte order.
  std::vector<std::string> user_original_id;
  std::vector<std::string> item_original_id;
  std::vector<std::string> item_title;  ///< UTF-8; empty when the data has none
  /// For each categorical context field (in schema.context.categorical order), the value of
  /// each code as the files write it (the `files` plugin: "" for the missing code 0,
  /// "<out of vocabulary>" for 1). Empty when the dataset gives none; `recommend --context`
  /// reads it.
  std::vector<std::vector<std::string>> context_values;
  /// For each continuous context column (schema.context.continuous_names order), how a raw
  /// value becomes that column's input: `recommend --context price=3.5` reads it. Empty when
  /// the dataset gives none (`recommend` then refuses numeric `--context` values).
  std::vector<ContinuousTransform> context_transforms;

  std::int64_t num_interactions() const { return user_id.size(0); }
  bool labelled() const { return label.defined(); }
};

/// A dataset plugin. Built from its `[dataset]` table (the factory validates keys and
/// paths and throws ConfigError); `load` reads the files.
class RECSYS_API Dataset {
 public:
  virtual ~Dataset();
  /// Reads the data. Throws DataError naming the file and line of a malformed record.
  virtual InteractionData load() = 0;
  /// Called once the host has split the rows, before any model is built: the place to fit
  /// what must be learnt from the training split only (rare values mapped to an
  /// out-of-vocabulary code, missing values filled, scaling), updating `data`'s feature tables
  /// and schema in place. `train_rows`: int64 [N_train], rows of `data` in the training split.
  /// The default does nothing.
  virtual void fit_on_training_split(InteractionData& data, const torch::Tensor& train_rows);
};

}  // namespace recsys
