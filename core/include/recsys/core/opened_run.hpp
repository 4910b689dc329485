#pragma once
/// @file
/// A finished run rebuilt from its resolved config, for `evaluate`, `recommend` and `serve`.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "recsys/core/pipeline.hpp"
#include "recsys/core/pipeline_config.hpp"
#include "recsys/core/plugin_registry.hpp"
#include "recsys/core/run_directory.hpp"
#include "recsys/core/runtime_info.hpp"

namespace recsys::core {

/// The pipeline, data and model of a run. Members are destroyed in reverse order: the loaded
/// model and data (code of the plugins' libraries) before the registry that holds the libraries.
struct OpenedRun {
  std::unique_ptr<PipelineConfig> config;
  PluginRegistry registry;
  Pipeline pipeline;
  std::unique_ptr<LoadedPipeline> loaded;
  RunDirectory directory;
  std::int64_t epoch = 0;  ///< the epoch the checkpoint was saved after
  ThreadPlan threads;      ///< the run's [training] threads as configure_threads set them
};

/// Opens `run_directory` (a run of `recsys-host run`): its config, the plugins it recorded,
/// the same data (checked against run.json's fingerprint) and the weights of `checkpoint`
/// ("best" or "last"), the model in eval mode. Throws ConfigError for a bad checkpoint name or a
/// missing checkpoint, recsys::Error for a run directory that is not one or data that changed.
OpenedRun open_run(const std::filesystem::path& run_directory, const std::string& checkpoint);

}  // namespace recsys::core
