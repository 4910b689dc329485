#pragma once
/// @file
/// The records of a run, owned by one object: its run directory (config.toml, run.json,
/// metrics.csv, checkpoints, candidates, summary.json) and its MLflow run. Fed with plain
/// values (no plugins, no trainer), so the steps of a run and the records they leave are
/// tested apart. Under data parallelism only rank 0 writes: on the other ranks every call
/// is a no-op and nothing is created.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "recsys/core/evaluation.hpp"
#include "recsys/core/mlflow_store.hpp"
#include "recsys/core/run_directory.hpp"
#include "recsys/core/trainer.hpp"

namespace recsys::core {

/// One plugin a run used, as run.json lists it.
struct PluginUse {
  std::string kind;     ///< "dataset", "sampler", "model", "loss" or "metric"
  std::string name;     ///< its registered name
  std::string version;  ///< its semantic version
  std::string path;     ///< the library file
};

/// The data a run was trained on, as run.json records it.
struct DataRecord {
  std::string sha256;  ///< data_fingerprint() of what the dataset loaded
  std::int64_t users = 0, items = 0, positives = 0;
};

/// What the records of a run say about it, besides the figures.
struct RunDescription {
  LoggingOptions logging;                 ///< where the run directory and mlruns/ go
  std::string default_run_name;           ///< the run's name when logging.run_name is empty
  std::string resolved_config;            ///< TOML text: config.toml and the MLflow params
  std::vector<std::string> metric_names;  ///< the metrics.csv columns, in config order
  std::vector<PluginUse> plugins;         ///< run.json's plugins, in pipeline order
  std::string protocol;                   ///< summary.json's one-line protocol
  /// Path keys as the user wrote them (relative), before config.toml made them absolute.
  std::vector<std::pair<std::string, std::string>> paths_as_written;
  /// run.json's "data": the loaded data's fingerprint (digest.hpp) and counts, so evaluate,
  /// recommend and resume can tell when the files changed since training.
  DataRecord data;
};

class RunRecords {
 public:
  /// A new run (`writer`: this process writes, i.e. rank 0): creates the run directory
  /// (never reusing one) and the MLflow run, then writes config.toml, the MLflow params and
  /// tags, run.json and the metrics.csv header. Throws Error naming the path on I/O failure.
  static RunRecords start(const RunDescription& run, bool writer);
  /// Continues the run in `directory` after `epoch` (--resume): keeps its metrics.csv rows up
  /// to that epoch, rewrites config.toml with the pipeline it continues with (the allowed
  /// changes, such as a raised training.epochs) and marks its MLflow run (named in run.json)
  /// running again.
  static RunRecords reopen(const std::filesystem::path& directory, const RunDescription& run, std::int64_t epoch,
                           bool writer);

  /// The run directory; empty on a rank that does not write.
  std::filesystem::path directory() const;

  /// `<split>_candidates.csv` (sampled protocol): the ranking lists, with original ids.
  void write_candidates(const std::string& split, const MaterializedSet& set, const InteractionData& data) const;
  /// After each epoch: its metrics.csv rows and MLflow metrics, then the checkpoint that
  /// `checkpoint()` returns (called on the writer only): best.pt when `improved`, then
  /// last.pt, so a crash in between resumes from the older last.pt whose best is on disk.
  void after_epoch(const EpochResult& epoch, bool improved, const std::function<std::string()>& checkpoint);
  /// The test figures: MLflow metrics at the best epoch, summary.json, MLflow FINISHED.
  void finish(const TrainResult& result) const;
  /// A graceful stop (stop.hpp): writes `checkpoint()` as last.pt when the trainer stopped in
  /// mid-epoch, then marks the MLflow run KILLED with its end time. No metrics row is written
  /// for the unfinished epoch.
  void interrupt(bool mid_epoch, const std::function<std::string()>& checkpoint) const;
  /// Marks the MLflow run FAILED (the run directory keeps what it has).
  void fail() const;

 private:
  RunRecords() = default;
  std::optional<RunDirectory> directory_;
  std::optional<MlflowRun> mlflow_;
  std::string protocol_;
};

}  // namespace recsys::core
