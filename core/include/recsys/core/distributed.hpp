#pragma once
/// @file
/// Data-parallel training over PyTorch's c10d (the engine behind torch.distributed and
/// DistributedDataParallel): a process group per run, parameters broadcast from rank 0,
/// gradients averaged with bucketed all-reduces, evaluation scores gathered so that every
/// rank computes the metrics of the whole split.
///
/// Ranks find each other the way torchrun, SLURM and MPI wrappers set them up: the
/// environment variables RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT; rank 0 serves the
/// c10d TCPStore at MASTER_ADDR:MASTER_PORT for the rendezvous. c10d headers stay out of
/// this header (pimpl), so including it does not pull in Gloo.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/types.h>

#include "recsys/config.hpp"
#include "recsys/errors.hpp"

namespace recsys::core {

/// A collective or the rendezvous failed: a peer rank exited, the connection broke, or the
/// other ranks did not answer within `[distributed] timeout_seconds`. The message names this
/// rank and the operation.
class DistributedError : public Error {
 public:
  using Error::Error;
};

/// `[distributed]` options.
struct DistributedOptions {
  std::string backend = "gloo";  ///< "gloo"; "nccl" needs a CUDA build of libtorch with NCCL
  /// How long a collective or the rendezvous waits for the other ranks before failing: a rank
  /// that died makes the others exit with an error after at most this long.
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};
  /// Gradients are all-reduced in buckets of at most this many MiB (DDP's bucket_cap_mb), so a
  /// model with many small parameters pays one collective per bucket, not per parameter.
  double bucket_mb = 25.0;

  /// Reads `[distributed]` (keys backend, timeout_seconds, bucket_mb); throws ConfigError.
  static DistributedOptions from_config(const Config& config);
};

/// Where this process stands among the ranks, from the launcher's environment.
struct LaunchEnvironment {
  int rank = 0;
  int world_size = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  int local_world_size = 1;  ///< ranks on this machine (LOCAL_WORLD_SIZE): they share its cores

  bool distributed() const { return world_size > 1; }
  /// Reads RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT (and LOCAL_WORLD_SIZE). Without WORLD_SIZE (or with 1) the run
  /// is a single process. Throws ConfigError naming the variable that is malformed or missing.
  static LaunchEnvironment from_environment();
};

/// A connected c10d process group and the collectives the trainer needs. Every collective
/// must be called by all ranks in the same order; each throws DistributedError when a peer
/// has gone away or does not answer within the timeout.
class ProcessGroup {
 public:
  /// Rendezvous through the TCPStore and connects the backend. Throws ConfigError for an
  /// unknown or unavailable backend, DistributedError when the rendezvous fails or times out.
  static std::shared_ptr<ProcessGroup> connect(const LaunchEnvironment& environment, const DistributedOptions& options);
  ~ProcessGroup();

  int rank() const { return rank_; }
  int world_size() const { return world_size_; }

  /// Copies rank 0's parameters and buffers into every rank's `module` (one bucketed
  /// broadcast), so all ranks start from the same weights.
  void broadcast_module(torch::nn::Module& module);

  /// Weighted sum of the gradients over ranks, in place: afterwards every rank holds
  /// sum_r weight_r * grad_r. With weight_r = (rows of rank r) / (rows of the global batch)
  /// and a loss that is the mean over its batch, that is exactly the gradient of the
  /// global batch's mean loss. Missing gradients count as zeros; float32 parameters.
  /// `value` (this rank's loss) is reduced in the same collective: returns
  /// sum_r weight_r * value_r, the global batch's mean loss. `stop` (when not null): in, this
  /// rank's stop request; out, whether any rank requested one (the same answer on every
  /// rank, so all stop after the same batch).
  double all_reduce_gradients(const std::vector<torch::Tensor>& parameters, double weight, double value,
                              bool* stop = nullptr);

  /// Concatenation over ranks of `local` (float32 [n_r], n_r may differ by rank): returns
  /// float32 [sum_r n_r], rank 0's rows first. `counts[r]` = n_r, known to every rank.
  torch::Tensor all_gather(const torch::Tensor& local, const std::vector<std::int64_t>& counts);

 private:
  struct Impl;
  explicit ProcessGroup(std::unique_ptr<Impl> impl, int rank, int world_size, const DistributedOptions& options);
  std::unique_ptr<Impl> impl_;
  int rank_ = 0;
  int world_size_ = 1;
  DistributedOptions options_;
};

/// A free TCP port on 127.0.0.1 (for local launches and tests).
int free_local_port();

}  // namespace recsys::core
