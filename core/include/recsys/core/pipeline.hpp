#pragma once
/// @file
/// Wiring a pipeline config to plugins, and the host's commands on top of it: `run` (train,
/// validate, test, with checkpoints, resume and experiment tracking), `evaluate` and
/// `recommend` on a finished run directory.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "recsys/core/evaluation.hpp"
#include "recsys/core/pipeline_config.hpp"
#include "recsys/core/plugin_registry.hpp"
#include "recsys/core/run_directory.hpp"
#include "recsys/core/run_records.hpp"
#include "recsys/core/split.hpp"
#include "recsys/core/trainer.hpp"

namespace recsys::core {

/// The plugins and options a config names, built and checked without reading any data.
struct Pipeline {
  SplitOptions split;
  TrainerOptions training;
  LoggingOptions logging;
  EvaluationOptions evaluation;
  EarlyStoppingOptions early_stopping;
  DistributedOptions distributed;
  std::string dataset_name, sampler_name, loss_name, model_name;
  std::shared_ptr<Dataset> dataset;
  std::shared_ptr<Sampler> sampler;
  std::shared_ptr<Loss> loss;
  std::vector<NamedMetric> metrics;
  std::vector<PluginUse> plugins;  ///< every plugin used, the model last (for the run's records)
  std::string protocol;            ///< one line: protocol, split, negatives, candidates, ties
  /// `[sampler] exclude = "training"`: training negatives avoid only the training positives.
  bool negatives_avoid_training_only = false;
};

/// Builds every plugin but the model and checks every section and key but the model's
/// (which needs the data's schema). Throws ConfigError (exit 2).
Pipeline build_pipeline(const PipelineConfig& config, const PluginRegistry& registry);

/// The data and the model of a pipeline.
struct LoadedPipeline {
  TrainingData data;
  std::shared_ptr<Model> model;
};

/// Loads the dataset, splits it, draws the evaluation sets and builds the model (seeded),
/// then checks the model's keys. Logs the counts.
LoadedPipeline load_pipeline(const Pipeline& pipeline, const PipelineConfig& config, const PluginRegistry& registry);

/// Scans the default plugin directories and the config's `[plugins] paths` into `registry`.
void discover_plugins(PluginRegistry& registry, const PipelineConfig& config);

/// What a run produced.
struct RunOutcome {
  TrainResult result;
  std::filesystem::path run_directory;  ///< config, metrics, summary, checkpoints (rank 0; empty on other ranks)
  std::int64_t num_users = 0;
  std::int64_t num_items = 0;
  std::int64_t num_positives = 0;
  std::string protocol;
  int rank = 0;        ///< this process's rank (0 without data parallelism)
  int world_size = 1;  ///< ranks that trained together
  /// > 0: resuming found the run finished (its summary.json) after this many epochs, with
  /// training.epochs not raised; nothing was trained and `result` is empty.
  std::int64_t already_finished = 0;
};

/// Runs the pipeline; with `resume`, continues the run in that directory from its last
/// checkpoint (refusing, key by key, a pipeline that differs from the run's config.toml in a
/// key the checkpoint depends on: resume_check.hpp). SIGINT or SIGTERM (after
/// install_stop_handlers) stops it at the next safe point with Interrupted, the mid-epoch
/// state saved and the MLflow run KILLED. With a `launch` environment of several ranks, trains data-parallel over c10d
/// ([distributed]); only rank 0 writes the run directory. Throws ConfigError (exit 2),
/// DistributedError when a rank fails, or another Error (exit 1).
RunOutcome run_pipeline(const PipelineConfig& config, PluginRegistry& registry,
                        const std::optional<std::filesystem::path>& resume = std::nullopt,
                        const LaunchEnvironment& launch = {});

/// `recsys-host evaluate`: the metrics of a run's checkpoint ("best" or "last") on a split
/// ("test" or "validation"), recomputed from the run's resolved config.
struct EvaluateOutcome {
  Evaluation evaluation;
  std::string protocol;
  std::int64_t epoch = 0;  ///< the checkpoint's epoch
};
EvaluateOutcome evaluate_run(const std::filesystem::path& run_directory, const std::string& split,
                             const std::string& checkpoint);

/// One recommended item.
struct Recommendation {
  std::string item;    ///< the dataset's original item id
  std::string title;   ///< "" when the dataset has none
  double score = 0.0;  ///< the model's logit
};

/// `recsys-host recommend`: the `k` best-scored items for the user with original id
/// `user` (best checkpoint), leaving out items the user has a positive with. Models that read
/// context are scored with each context field's most frequent training value, or with
/// `context`'s "name=value" for categorical fields. Throws ConfigError for a user the data does
/// not know, and for a context entry naming no categorical context field or a value the field
/// never had.
std::vector<Recommendation> recommend(const std::filesystem::path& run_directory, const std::string& user,
                                      std::int64_t k, const std::vector<std::string>& context = {});

}  // namespace recsys::core
