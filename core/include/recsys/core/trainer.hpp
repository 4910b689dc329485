#pragma once
/// @file
/// The training loop: per epoch, fresh negatives and a shuffled pass of mini-batches; every
/// `eval_every` epochs (and after the last) validation loss and metrics, which select the
/// best epoch and may stop the run early; at the end, the test split is evaluated once, with
/// the best epoch's weights.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <torch/optim/optimizer.h>

#include "recsys/config.hpp"
#include "recsys/core/checkpoint.hpp"
#include "recsys/core/distributed.hpp"
#include "recsys/core/in_batch.hpp"
#include "recsys/core/sparse_optimizer.hpp"
#include "recsys/core/training_data.hpp"
#include "recsys/loss.hpp"
#include "recsys/metric.hpp"
#include "recsys/model.hpp"
#include "recsys/sampler.hpp"

namespace recsys::core {

/// `[training]` options.
struct TrainerOptions {
  std::int64_t epochs = 10;
  std::int64_t batch_size = 4096;
  /// Rows per forward/backward pass within a batch; 0 = the whole batch in one pass. Smaller
  /// passes accumulate the same gradient (each pass's mean loss weighted by its share of the
  /// batch; one optimizer step per batch) while their activations stay in the CPU caches.
  std::int64_t micro_batch_size = 0;
  double learning_rate = 1e-3;
  std::string optimizer = "adam";  ///< adam, adamw, sgd, adagrad
  double weight_decay = 0.0;
  /// The embedding tables' optimizer (sparse_optimizer.hpp): "none" (the tables take
  /// `optimizer` with the other parameters), "adagrad", "rowwise_adagrad" or "lazy_adam".
  std::string sparse_optimizer = "none";
  double sparse_learning_rate = 0.0;  ///< the tables' rate; 0 = learning_rate
  std::uint64_t seed = 42;
  std::string device = "cpu";  ///< "cpu", "cuda" or "cuda:N"; checked at start (ConfigError without CUDA)
  std::int64_t threads = 0;    ///< torch intra-op threads; 0 = one per core
  std::int64_t eval_batch_size = 16384;
  std::int64_t eval_every = 1;  ///< epochs between validations (the last epoch always validates)
  bool prefetch = true;         ///< draw the next epoch's negatives in a background thread

  /// Reads and range-checks `[training]`; throws ConfigError.
  static TrainerOptions from_config(const Config& config);
};

/// `[early_stopping]` options: which validation figure selects the best epoch, and when to stop.
struct EarlyStoppingOptions {
  std::string monitor;        ///< a name of `[evaluation] metrics`, or "loss"
  bool maximize = true;       ///< direction = "max" | "min"
  std::int64_t patience = 0;  ///< stop after this many validations without improvement; 0 = never
  double min_delta = 0.0;     ///< an improvement must exceed this

  /// `metric_names`: the configured metrics; `higher_is_better(name)` gives a metric's
  /// natural direction (the default of `direction`). Throws ConfigError.
  static EarlyStoppingOptions from_config(const Config& config, const std::vector<std::string>& metric_names,
                                          const std::function<bool(const std::string&)>& higher_is_better);
};

/// A metric plugin with the name the config listed it under.
struct NamedMetric {
  std::string name;
  std::shared_ptr<Metric> metric;
};

/// Loss and metrics of one evaluation.
struct Evaluation {
  double loss = 0.0;
  double seconds = 0.0;                                 ///< wall time of the evaluation (scoring and metrics)
  std::vector<std::pair<std::string, double>> metrics;  ///< in config order
  double metric(const std::string& name) const;         ///< NaN when absent
};

struct EpochResult {
  std::int64_t epoch = 0;   ///< 1-based
  double train_loss = 0.0;  ///< mean over the epoch's examples
  bool validated = false;   ///< whether `validation` holds this epoch's figures
  Evaluation validation;
  std::int64_t samples = 0;        ///< training examples seen
  double train_seconds = 0.0;      ///< the pass over the batches, sampling included, validation not
  double data_wait_seconds = 0.0;  ///< of train_seconds, time the loop waited for its examples
  double samples_per_second = 0.0;
};

struct TrainResult {
  std::vector<EpochResult> epochs;  ///< the epochs trained by this process
  std::int64_t last_epoch = 0;      ///< the run's last completed epoch, earlier processes' included
  std::int64_t best_epoch = 0;      ///< 1-based epoch whose parameters were tested
  bool stopped_early = false;
  Evaluation test;
};

/// Deep copy of every parameter and buffer (to restore the best epoch later).
std::vector<torch::Tensor> snapshot_state(const torch::nn::Module& model);

class Trainer {
 public:
  /// Called after each epoch; `improved`: this epoch is the new best (its weights are the
  /// ones the test split will see).
  using EpochCallback = std::function<void(const EpochResult&, bool improved)>;

  /// Moves the model to `options.device`. With a `group` of more than one rank the trainer is
  /// data-parallel: the model takes rank 0's parameters now; each global batch of
  /// `batch_size` rows is split into one contiguous share per rank; gradients are averaged
  /// over ranks before every optimizer step; evaluation scores are gathered, so every rank
  /// computes the figures of the whole split (equal to one process's, up to float rounding).
  Trainer(TrainerOptions options, std::shared_ptr<Model> model, std::shared_ptr<Loss> loss,
          std::shared_ptr<Sampler> sampler, std::vector<NamedMetric> metrics, EarlyStoppingOptions early_stopping,
          std::shared_ptr<ProcessGroup> group = nullptr);
  ~Trainer();
  Trainer(Trainer&&) = delete;  // the background draw holds `this`

  /// Trains (from the epoch after epoch(), or from the batch a mid-epoch checkpoint stopped
  /// at), validates and tests. `on_epoch` runs after each epoch. Throws Error naming the epoch
  /// and batch when the loss is not finite, and Interrupted when a stop was requested
  /// (stop.hpp): after the batch in flight (under data parallelism, the same batch on every
  /// rank), or during a validation or the test (one process). save() then holds the state to
  /// resume from: the next batch and the epoch's running loss and sample count.
  TrainResult fit(const TrainingData& data, const EpochCallback& on_epoch = {});

  /// The trainer's state as checkpoint bytes (checkpoint.hpp): the model's parameters and
  /// buffers, the optimizer state, the progress (last epoch, early-stopping state), torch's
  /// default CPU generator and `resolved_config`, the pipeline it trains.
  std::string save(const std::string& resolved_config) const;
  /// Continues from a run's checkpoints, as if the run had never stopped: the best epoch's
  /// weights from `best` when that file exists (kept for the final test), then the model,
  /// optimizer, progress and generator from `last`. Returns the resolved config `last` was
  /// written with. Throws CheckpointError naming the file.
  std::string load(const std::filesystem::path& last, const std::filesystem::path& best);
  /// The last completed epoch and the best one so far (0 = none).
  std::int64_t epoch() const { return progress_.epoch; }
  /// Whether the state differs from the last epoch-end checkpoint: a stop in mid-epoch.
  bool in_mid_epoch() const { return progress_.next_batch > 0; }
  /// In mid-epoch: the 0-based batch of epoch() + 1 that training continues at.
  std::int64_t next_batch() const { return progress_.next_batch; }
  std::int64_t best_epoch() const { return progress_.best_epoch; }

  /// One training pass of epoch `epoch` (1-based): takes the epoch's negatives and order (drawn
  /// in a background thread during the previous epoch), steps the optimizer once per batch,
  /// and starts drawing the next epoch's; at most `max_batches` batches when > 0 (benchmarks).
  /// Fills epoch, samples, train_loss, train_seconds and samples_per_second; under data
  /// parallelism every rank draws the same epoch from the seed and trains its share of each
  /// batch, and samples and train_loss are those of the global batches.
  EpochResult train_epoch(const TrainingData& data, std::int64_t epoch, std::int64_t max_batches = 0);

  /// Mean loss and metrics of the model on `set` (eval mode, no gradients). Deterministic:
  /// the same model and set give bit-identical figures. Under data parallelism each rank
  /// scores every world_size-th chunk and the scores are all-gathered before the metrics.
  /// `label` names the set in the progress bar and in Interrupted (one process checks for a
  /// stop before each chunk).
  Evaluation evaluate(const EvaluationSet& set, const TrainingData& data, const std::string& label = "evaluation");

  /// One epoch's training examples and their shuffled order.
  struct EpochData {
    Examples examples;
    torch::Tensor order;  ///< int64 [N], a permutation
  };

 private:
  TrainerOptions options_;
  std::shared_ptr<Model> model_;
  std::shared_ptr<Loss> loss_;
  std::shared_ptr<Sampler> sampler_;  ///< null: labelled data, trained on its rows as labelled
  std::vector<NamedMetric> metrics_;
  EarlyStoppingOptions early_stopping_;
  EpochData draw_epoch_now(const TrainingData& data, std::int64_t epoch) const;
  /// Draws `epoch`'s examples on a background thread (into next_epoch_data_).
  void start_drawing(const TrainingData& data, std::int64_t epoch);
  /// The epoch's examples and order on the training device: the background draw's when it
  /// holds this epoch, drawn now otherwise; starts drawing the next epoch's.
  EpochData take_epoch(const TrainingData& data, std::int64_t epoch);
  /// Forward and backward passes of this rank's share of the global batch [begin, end) of
  /// `epoch`'s order, gradients reduced over ranks; returns the global batch's mean loss.
  /// `stop`: in, this rank's stop request; out, whether any rank's (reduced with the
  /// gradients). The caller steps the optimizer.
  double train_batch(const EpochData& epoch, const TrainingData& data, std::int64_t begin, std::int64_t end,
                     bool& stop);
  /// The batches of `epoch` from progress_.next_batch on, updating progress_ after each;
  /// returns the examples this process trained. Throws Interrupted after a stop's batch.
  std::int64_t train_batches(const EpochData& drawn, const TrainingData& data, std::int64_t epoch,
                             std::int64_t num_batches);
  /// The batch of `rows` (whole groups of `group_size` rows for a grouped loss, else 1): with
  /// hard negatives (Examples::hard_negatives), each group's highest-scoring candidates.
  Batch training_batch(const Examples& examples, const torch::Tensor& rows, const TrainingData& data,
                       std::int64_t group_size);
  /// The logits the loss takes for `batch` (Loss::scores): model.forward's rows, or a factorised
  /// model's user vectors against the batch's positive items (in_batch, with batch.log_q and
  /// batch.accidental_hits set) or against every item (catalogue).
  torch::Tensor loss_logits(Batch& batch, const TrainingData& data);
  /// Whether the loss has a value on evaluation rows (not grouped, scores rows).
  bool loss_scores_lists() const;
  /// The batch of (users[r], items[r]) rows whose user or item vectors a factorised model
  /// computes (the other side's fields are gathered and ignored).
  Batch vectors_batch(const torch::Tensor& users, const torch::Tensor& items, const TrainingData& data);
  /// The scores of `examples` by a factorised model: its distinct users' vectors against its
  /// distinct items' in one matrix product (Model::factorized).
  torch::Tensor score_factorized(const Examples& examples, const TrainingData& data);
  /// Rows per global batch: batch_size, or batch_size groups for a grouped loss.
  std::int64_t rows_per_batch(const Examples& examples) const;
  /// Under data parallelism, rank > 0's generator for (epoch, batch): its own dropout stream.
  void reseed_rank(std::int64_t epoch, std::int64_t batch) const;
  /// The progress bar's "loss=..., ...k samples/s" since `start`.
  std::string batch_postfix(const std::chrono::steady_clock::time_point& start, std::int64_t samples) const;
  /// The user, item and context feature tables on the training device (copied once per
  /// TrainingData).
  struct Features {
    const SideFeatures* users;
    const SideFeatures* items;
    const SideFeatures* context;
  };
  Features features(const TrainingData& data);
  /// make_batch of `rows` of `examples` with `data`'s features on the training device.
  Batch batch_of(const Examples& examples, const torch::Tensor& rows, const TrainingData& data);
  /// The model's scores (float32 [n], on the CPU) of one evaluation chunk.
  torch::Tensor score_chunk(const Examples& examples, const TrainingData& data);
  /// Under data parallelism: the scores of every row of `set` in the set's order, each rank
  /// scoring every world_size-th chunk, all-gathered.
  torch::Tensor score(const EvaluationSet& set, const TrainingData& data);

  std::shared_ptr<ProcessGroup> group_;
  torch::Device device_;
  const TrainingData* features_of_ = nullptr;
  /// A factorised model's user and item vectors during one evaluation (score_factorized).
  struct Factors {
    torch::Tensor users, items;  // float32 [U, D], [I, D]
  } factors_;
  SideFeatures device_users_, device_items_, device_context_;
  /// For in-batch negatives: the training positives per user and each item's log-frequency
  /// (built on the first batch that needs them).
  struct InBatchTables {
    UserPositives positives;
    torch::Tensor log_frequency;  // float32 [num_items], on the training device
  };
  std::optional<InBatchTables> in_batch_;

  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  /// The embedding tables' own optimizer (null: they are in optimizer_).
  std::unique_ptr<SparseOptimizer> sparse_optimizer_;
  /// Under data parallelism with sparse tables: each table's gradient as sparse rows again
  /// after the dense all-reduce, the rows any rank touched (`touched`: float32 [rows] per table,
  /// reduced with the gradients).
  void restore_sparse_gradients(const std::vector<torch::Tensor>& touched);
  std::thread drawer_;  ///< the background draw of next_epoch_ (detached by a stop)
  std::future<EpochData> next_epoch_data_;
  std::int64_t next_epoch_ = 0;
  bool resume_mid_epoch_ = false;  ///< load() read a mid-epoch checkpoint: fit continues its epoch
  TrainingProgress progress_;
  std::vector<torch::Tensor> best_state_;
};

}  // namespace recsys::core
