#include "recsys/core/split.hpp"

#include <torch/torch.h>

namespace recsys::core {

SplitOptions SplitOptions::from_config(const Config& config) {
  SplitOptions options;
  options.strategy = config.get_string("strategy", options.strategy);
  if (options.strategy != "random") {
    config.fail("strategy", "unknown split strategy '" + options.strategy + "' (available: random)");
  }
  options.val_ratio = config.get_double("val_ratio", options.val_ratio);
  options.test_ratio = config.get_double("test_ratio", options.test_ratio);
  if (!(options.val_ratio > 0.0 && options.val_ratio < 1.0)) {
    config.fail("val_ratio", "must be in (0, 1): the validation split selects the tested epoch");
  }
  if (!(options.test_ratio > 0.0 && options.test_ratio < 1.0)) {
    config.fail("test_ratio", "must be in (0, 1)");
  }
  if (options.val_ratio + options.test_ratio >= 1.0) {
    config.fail("test_ratio", "val_ratio + test_ratio must leave positives for training");
  }
  return options;
}

SplitIndices random_split(std::int64_t num_positives, const SplitOptions& options,
                          at::Generator& generator) {
  const auto n = static_cast<double>(num_positives);
  const auto n_train = static_cast<std::int64_t>(n * (1.0 - options.val_ratio - options.test_ratio));
  const auto n_until_test = static_cast<std::int64_t>(n * (1.0 - options.test_ratio));
  torch::Tensor permutation = torch::randperm(num_positives, generator, torch::kInt64);
  return {permutation.slice(0, 0, n_train), permutation.slice(0, n_train, n_until_test),
          permutation.slice(0, n_until_test, num_positives)};
}

}  // namespace recsys::core
