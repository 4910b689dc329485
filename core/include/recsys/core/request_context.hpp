#pragma once
/// @file
/// The context a request scores with (`recommend --context name=value ...`): each context
/// field's most frequent training value, with the request's values set over it.

#include <string>
#include <vector>

#include "recsys/batch.hpp"
#include "recsys/dataset.hpp"

namespace recsys::core {

/// One context row of `data`: for each context column, its most frequent value over the rows
/// `train_rows` (int64 [N_train], the training split),
/// then each `name=value` of `entries` set over it. A categorical field takes the code of the
/// value as the files write it (InteractionData::context_values); a numeric field parses the
/// number (empty: missing) and transforms it as the dataset's fit did
/// (InteractionData::context_transforms); a vector field takes its numbers separated by commas.
/// Returns continuous float32 [1, C_cont] and categorical int64 [1, C_cat]. Throws ConfigError
/// naming the entry for a malformed entry, an unknown field (listing the fields), an unknown
/// categorical value, a value that is not a number, the wrong count of numbers, or a numeric
/// field of a dataset that gives no transforms.
SideFeatures context_row(const InteractionData& data, const torch::Tensor& train_rows,
                         const std::vector<std::string>& entries);

/// context_row's two steps, for a caller that scores many requests (`serve`): the row of most
/// frequent training values, computed once ...
SideFeatures default_context_row(const InteractionData& data, const torch::Tensor& train_rows);
/// ... and a copy of `defaults` with each `name=value` of `entries` set over it (errors as
/// context_row's).
SideFeatures with_context_entries(const InteractionData& data, const SideFeatures& defaults,
                                  const std::vector<std::string>& entries);

}  // namespace recsys::core
