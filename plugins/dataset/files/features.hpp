#pragma once
/// @file
/// Feature tables from parsed columns: categorical codes (0 = missing, 1 = out of vocabulary,
/// 2.. the values), multi-valued fields stored jagged, numeric and vector columns as a float
/// block; and the fit on the training split (rare values, missing numbers, scaling).

#include <cstdint>
#include <string>
#include <vector>

#include <torch/types.h>

#include "files_options.hpp"
#include "read_table.hpp"
#include "recsys/batch.hpp"
#include "recsys/dataset.hpp"
#include "recsys/schema.hpp"

namespace recsys::files {

/// The codes every categorical field reserves.
constexpr std::int64_t kMissingCode = 0;  ///< an empty value, or an id the side file lacks
constexpr std::int64_t kOutOfVocabularyCode = 1;
constexpr std::int64_t kFirstValueCode = 2;

/// One side's features with the mask of its missing numbers (filled at the fit).
struct SideTables {
  SideFeatures features;
  SideSchema schema;                             ///< num_ids set by the caller
  torch::Tensor missing;                         ///< bool [rows, C]: a missing number
  std::vector<std::vector<std::string>> values;  ///< per categorical field, the value of each code
  std::vector<ContinuousTransform> transforms;   ///< per continuous column; identity until the fit
};

/// The columns of `table` with `role` (feature or context) for `rows` (int64 [R], rows of the
/// table; -1: the table has no row, so every field takes its missing value).
SideTables gather_features(const ParsedTable& table, Role role, const torch::Tensor& rows);

/// int64 [size]: how often each code of `column` (int64 [R], a strided view is fine) occurs in
/// the rows `rows` (int64), counted in place: no copy of the selected codes (at 25M rows).
torch::Tensor counts_in_rows(const torch::Tensor& column, const torch::Tensor& rows, std::int64_t size);

/// The fit on the training split, in place: in each categorical field (single- or
/// multi-valued), values seen fewer than `min_count` times over `train` (int64, rows of the
/// tables: the training users, items or interactions, each once) become the out-of-vocabulary
/// code and the rest are renumbered; missing numbers get the training mean; `scaling` is fitted
/// on the training rows and applied to all; `side.transforms` records both per column.
void fit_side(SideTables& side, const torch::Tensor& train, std::int64_t min_count, Scaling scaling);

}  // namespace recsys::files
