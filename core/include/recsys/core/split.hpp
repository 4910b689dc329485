#pragma once
/// @file
/// Splitting the positives into train / validation / test.

#include <cstdint>
#include <string>

#include <torch/types.h>

#include "recsys/config.hpp"

namespace recsys::core {

/// `[split]` options.
struct SplitOptions {
  std::string strategy = "random";  ///< only "random" for now
  double val_ratio = 0.1;           ///< fraction of positives for validation, in (0, 1)
  double test_ratio = 0.2;          ///< fraction of positives for test, in (0, 1)

  /// Reads and range-checks `[split]`; throws ConfigError.
  static SplitOptions from_config(const Config& config);
};

/// Row indices (int64, into the dataset's positives) of each split.
struct SplitIndices {
  torch::Tensor train;       ///< int64 [N_train]
  torch::Tensor validation;  ///< int64 [N_val]
  torch::Tensor test;        ///< int64 [N_test]
};

/// Random split by positive: a seeded permutation; the first floor(n * (1 - val - test))
/// rows train, the rows up to floor(n * (1 - test)) validate, the rest test (the reference
/// pipeline's arithmetic).
SplitIndices random_split(std::int64_t num_positives, const SplitOptions& options,
                          at::Generator& generator);

}  // namespace recsys::core
