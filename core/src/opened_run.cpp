// A finished run rebuilt from its resolved config: plugins, data, model and checkpoint.
#include "recsys/core/opened_run.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "recsys/core/checkpoint.hpp"
#include "recsys/core/run_data.hpp"
#include "recsys/core/runtime_info.hpp"
#include "recsys/errors.hpp"

namespace recsys::core {

namespace fs = std::filesystem;

namespace {

/// Loads the libraries of the plugins run.json records that the search paths did not provide
/// (a run trained with RECSYS_PLUGIN_PATH, evaluated without it).
void load_recorded_plugins(PluginRegistry& registry, const RunDirectory& directory) {
  const nlohmann::ordered_json info = directory.read_run_info();
  const auto plugins = info.find("plugins");
  if (plugins == info.end() || !plugins->is_array()) return;
  for (const auto& plugin : *plugins) {
    const std::string kind = plugin.value("kind", ""), name = plugin.value("name", ""), path = plugin.value("path", "");
    bool found = false;
    for (const auto& record : registry.plugins())
      found = found || (to_string(record.kind) == kind && record.name == name);
    if (found || path.empty()) continue;
    try {
      registry.load_library(path);
    } catch (const PluginError& e) {
      spdlog::warn("run.json's {} plugin {}: {}", kind, name, e.what());
    }
  }
}

}  // namespace

OpenedRun open_run(const fs::path& run_directory, const std::string& checkpoint) {
  RunDirectory directory = RunDirectory::open(run_directory);
  if (checkpoint != "best" && checkpoint != "last") {
    throw ConfigError("--checkpoint " + checkpoint + ": expected best or last");
  }
  if (!fs::exists(directory.checkpoint(checkpoint))) {
    throw ConfigError(directory.checkpoint(checkpoint).string() + ": no such checkpoint");
  }
  auto config = std::make_unique<PipelineConfig>(PipelineConfig::load(directory.config_file()));
  PluginRegistry registry;
  discover_plugins(registry, *config);
  load_recorded_plugins(registry, directory);
  Pipeline pipeline = build_pipeline(*config, registry);
  const ThreadPlan threads = configure_threads(static_cast<int>(pipeline.training.threads));
  auto loaded = std::make_unique<LoadedPipeline>(load_pipeline(pipeline, *config, registry));
  check_same_data(directory, data_record(loaded->data.interactions));
  const TrainingProgress progress = load_checkpoint(directory.checkpoint(checkpoint), *loaded->model, nullptr, false);
  loaded->model->eval();
  return {std::move(config),
          std::move(registry),
          std::move(pipeline),
          std::move(loaded),
          std::move(directory),
          progress.epoch,
          threads};
}

}  // namespace recsys::core
