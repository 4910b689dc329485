#pragma once
/// @file
/// `recsys-host run`: wires the plugins named in a pipeline config and runs training,
/// validation and test.

#include <filesystem>
#include <string>

#include "recsys/core/pipeline_config.hpp"
#include "recsys/core/plugin_registry.hpp"
#include "recsys/core/trainer.hpp"

namespace recsys::core {

/// What a run produced.
struct RunOutcome {
  TrainResult result;
  std::filesystem::path run_directory;  ///< where config, metrics.csv and summary.json went
  std::int64_t num_users = 0;
  std::int64_t num_items = 0;
  std::int64_t num_positives = 0;
  std::string protocol;  ///< one line: protocol, split, negatives, candidates, tie policy
};

/// Scans the default plugin directories and the config's `[plugins] paths` into `registry`.
void discover_plugins(PluginRegistry& registry, const PipelineConfig& config);

/// Runs the pipeline. Throws ConfigError (bad config: exit 2) or another Error (exit 1).
RunOutcome run_pipeline(const PipelineConfig& config, PluginRegistry& registry);

}  // namespace recsys::core
