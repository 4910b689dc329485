#pragma once
/// @file
/// Checkpoints: everything needed to continue a run as if it had never stopped.
///
/// A checkpoint holds the model's parameters and buffers, the optimizer state, the last
/// completed epoch (and, after a graceful stop in mid-epoch, the next batch and the epoch's
/// running loss and sample count), the early-stopping state (best epoch, best value, evaluations without
/// improvement), torch's default CPU generator state (dropout), and the resolved config.
/// The training negatives of epoch e come from a stream derived from (seed, e), so they need
/// no saved state. The trainer saves and loads itself through these (Trainer::save, load);
/// the run's records write the bytes atomically, so a run killed at any moment leaves the
/// previous checkpoint intact.

#include <cstdint>
#include <filesystem>
#include <string>

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include "recsys/errors.hpp"

#include "recsys/core/sparse_optimizer.hpp"

namespace recsys::core {

/// A checkpoint that cannot be read or does not fit the model; the message names the file and,
/// for a mismatch, every parameter that is missing, unexpected or of another shape.
class CheckpointError : public Error {
 public:
  using Error::Error;
};

/// The training state besides the tensors.
struct TrainingProgress {
  std::int64_t epoch = 0;       ///< last completed epoch (1-based; 0 = none)
  std::int64_t best_epoch = 0;  ///< 0 = none validated yet
  double best_value = 0.0;      ///< the monitored validation figure at best_epoch
  std::int64_t without_improvement = 0;
  /// A run stopped in mid-epoch (SIGINT, SIGTERM) continues epoch `epoch + 1` at this 0-based
  /// batch; 0 = at an epoch boundary. Equal to the epoch's batch count when the stop came
  /// during its validation (the batches are done, the validation is not).
  std::int64_t next_batch = 0;
  double epoch_loss_sum = 0.0;     ///< the batches done: sum of batch mean loss x batch rows
  std::int64_t epoch_samples = 0;  ///< the batches done: training examples seen
};

/// The bytes of a checkpoint of `model` (and `optimizer`, `sparse` when not null).
std::string serialize_checkpoint(const torch::nn::Module& model, const torch::optim::Optimizer* optimizer,
                                 const TrainingProgress& progress, const std::string& resolved_config,
                                 const SparseOptimizer* sparse = nullptr);

/// Reads `file` into `model` (and `optimizer`, `sparse` when not null); returns the progress and sets
/// `resolved_config` when not null. Restores torch's default CPU generator when
/// `restore_rng`. Throws CheckpointError.
TrainingProgress load_checkpoint(const std::filesystem::path& file, torch::nn::Module& model,
                                 torch::optim::Optimizer* optimizer, bool restore_rng,
                                 std::string* resolved_config = nullptr, SparseOptimizer* sparse = nullptr);

}  // namespace recsys::core
