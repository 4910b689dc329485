#pragma once
/// @file
/// From a parsed interactions file to the rows a run uses, in the order users expect:
/// duplicates merged -> labels or the rating threshold -> k-core filtering -> contiguous ids.

#include <cstdint>
#include <string>
#include <vector>

#include <torch/types.h>

#include "files_options.hpp"
#include "read_table.hpp"

namespace recsys::files {

/// The interactions kept, one entry per row.
struct KeptRows {
  torch::Tensor row;        ///< int64 [N]: the row of the parsed file
  torch::Tensor user;       ///< int32 [N]: the user's dictionary index in the file's user column
  torch::Tensor item;       ///< int32 [N]: likewise for items
  torch::Tensor rating;     ///< float32 [N] (1 without a rating column)
  torch::Tensor timestamp;  ///< int64 [N] (0 without a timestamp column)
  torch::Tensor label;      ///< float32 [N] for labelled feedback, else undefined
  torch::Tensor split;      ///< int64 [N] for pre-split files (0 train, 1 validation, 2 test), else undefined
};

/// Every step in order, each logged with its counts. Moves the values of the id, rating,
/// timestamp and label columns into the tensors (their dictionaries stay). Throws
/// DataError when nothing is left, and for labelled feedback without a label column or a
/// rating with positive_threshold.
/// `rows_per_file`: the rows of each pre-split file (training, validation, test), or empty.
KeptRows prepare_rows(ParsedTable& interactions, const FilesOptions& options,
                      const std::vector<std::int64_t>& rows_per_file = {});

/// Contiguous ids of the dictionary indices in `used` (int64, unique): numeric order of the ids
/// when every id of `dictionary` is an integer, else byte order. Returns int64 [dictionary size]
/// mapping a dictionary index to its contiguous id (-1 when unused), and the ids in order in
/// `original`.
torch::Tensor contiguous_ids(const torch::Tensor& used, const std::vector<std::string>& dictionary,
                             std::vector<std::string>& original);

}  // namespace recsys::files
