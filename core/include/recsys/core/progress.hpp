#pragma once
/// @file
/// Training progress: a redrawn one-line bar on a terminal, nothing per batch otherwise
/// (the trainer logs one plain line per epoch either way).

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace recsys::core {

class ProgressBar {
 public:
  /// Draws to `stream` only when it is a terminal (nothing when `stream` is null).
  ProgressBar(std::string label, std::int64_t total_batches, std::FILE* stream = stderr);
  /// After each batch: batches done, samples done so far, running mean loss.
  void update(std::int64_t batches_done, std::int64_t samples_done, double running_loss);
  /// Clears the line.
  void finish();

 private:
  std::string label_;
  std::int64_t total_;
  std::FILE* stream_;
  bool enabled_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace recsys::core
