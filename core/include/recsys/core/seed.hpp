#pragma once
/// @file
/// Independent random streams derived from the run seed, so that the split, the fixed
/// validation/test negatives and each epoch's training negatives never share a stream
/// (and adding a stream never shifts another).

#include <cstdint>

#include <ATen/core/Generator.h>

namespace recsys::core {

/// Named streams of one run.
enum class SeedStream : std::uint64_t {
  split = 1,
  validation_negatives = 2,
  test_negatives = 3,
  model_init = 4,
  validation_candidates = 5,
  test_candidates = 6,
  train_epoch = 1000,  ///< + epoch number
  /// + rank * 1,000,000 + epoch: torch's global generator (dropout) of data-parallel ranks
  /// other than 0, reseeded every epoch so that ranks draw independent masks, resumably.
  rank_epoch = 1000000,
};

/// SplitMix64 of (seed, stream): a well-mixed 64-bit seed (Steele et al. 2014).
std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream);

/// A CPU generator seeded with derive_seed(seed, stream).
at::Generator make_generator(std::uint64_t seed, SeedStream stream, std::uint64_t offset = 0);

}  // namespace recsys::core
