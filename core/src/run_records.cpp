#include "recsys/core/run_records.hpp"

#include <nlohmann/json.hpp>

#include "recsys/core/resume_check.hpp"
#include "recsys/errors.hpp"
#include "recsys/plugin.hpp"

#ifndef RECSYS_GIT_REVISION
#define RECSYS_GIT_REVISION ""
#endif
#ifndef RECSYS_VERSION
#define RECSYS_VERSION ""
#endif

namespace recsys::core {

namespace fs = std::filesystem;

namespace {

std::string absolute_path(const fs::path& path) {
  return fs::absolute(path).lexically_normal().string();
}

/// run.json: the build, the plugin API, the MLflow run and every plugin used.
nlohmann::ordered_json run_info(const RunDescription& run, const MlflowRun& mlflow) {
  nlohmann::ordered_json info;
  info["recsys_version"] = RECSYS_VERSION;
  const std::string revision = RECSYS_GIT_REVISION;
  info["git_revision"] = revision.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(revision);
  info["plugin_api"] = std::to_string(RECSYS_PLUGIN_API_MAJOR) + "." + std::to_string(RECSYS_PLUGIN_API_MINOR);
  info["mlflow_run"] = absolute_path(mlflow.directory());
  info["paths_as_written"] = nlohmann::ordered_json::object();
  for (const auto& [key, path] : run.paths_as_written) info["paths_as_written"][key] = path;
  info["data"] = {{"sha256", run.data.sha256},
                  {"users", run.data.users},
                  {"items", run.data.items},
                  {"positives", run.data.positives}};
  info["plugins"] = nlohmann::ordered_json::array();
  for (const PluginUse& plugin : run.plugins) {
    info["plugins"].push_back(
        {{"kind", plugin.kind}, {"name", plugin.name}, {"version", plugin.version}, {"path", plugin.path}});
  }
  return info;
}

/// The run's parameters and tags in MLflow.
void log_run_parameters(const MlflowRun& mlflow, const std::string& resolved_config, const fs::path& directory) {
  for (const auto& [key, value] : flatten_toml(resolved_config)) mlflow.log_param(key, value);
  if (!std::string(RECSYS_GIT_REVISION).empty()) mlflow.set_tag("mlflow.source.git.commit", RECSYS_GIT_REVISION);
  mlflow.set_tag("recsys.run_directory", absolute_path(directory));
}

}  // namespace

RunRecords RunRecords::start(const RunDescription& run, bool writer) {
  RunRecords records;
  records.protocol_ = run.protocol;
  if (!writer) return records;
  RunDirectory& directory = records.directory_.emplace(run.logging, run.default_run_name);
  directory.write_config(run.resolved_config);
  const MlflowRun& mlflow = records.mlflow_.emplace(MlflowRun::create(
      fs::path(run.logging.output_dir) / "mlruns", run.logging.experiment_name, directory.path().filename().string()));
  log_run_parameters(mlflow, run.resolved_config, directory.path());
  directory.write_run_info(run_info(run, mlflow));
  directory.begin_metrics(run.metric_names);
  return records;
}

RunRecords RunRecords::reopen(const fs::path& directory, const RunDescription& run, std::int64_t epoch, bool writer) {
  RunRecords records;
  records.protocol_ = run.protocol;
  if (!writer) return records;
  RunDirectory& opened = records.directory_.emplace(RunDirectory::open(directory));
  opened.begin_metrics(run.metric_names, epoch);
  opened.write_config(run.resolved_config);
  const nlohmann::ordered_json info = opened.read_run_info();
  const auto mlflow_run = info.find("mlflow_run");
  if (mlflow_run == info.end() || !mlflow_run->is_string()) {
    throw Error((directory / "run.json").string() + ": no \"mlflow_run\" string");
  }
  records.mlflow_.emplace(MlflowRun::reopen(mlflow_run->get<std::string>())).drop_metrics_after(epoch);
  return records;
}

fs::path RunRecords::directory() const {
  return directory_ ? directory_->path() : fs::path();
}

void RunRecords::write_candidates(const std::string& split, const MaterializedSet& set,
                                  const InteractionData& data) const {
  if (directory_) directory_->write_candidates(split, set, data);
}

void RunRecords::after_epoch(const EpochResult& epoch, bool improved, const std::function<std::string()>& checkpoint) {
  if (!directory_) return;
  // Checkpoints first: metrics.csv and MLflow never hold an epoch the checkpoints lack, so
  // a failed write (full disk) or a kill in between leaves nothing to log twice on resume.
  const std::string bytes = checkpoint();
  if (improved) directory_->write_checkpoint("best", bytes);
  directory_->write_checkpoint("last", bytes);
  directory_->append_metrics(epoch);
  mlflow_->log_metric("train_loss", epoch.train_loss, epoch.epoch);
  if (epoch.validated) {
    mlflow_->log_metric("validation_loss", epoch.validation.loss, epoch.epoch);
    for (const auto& [name, value] : epoch.validation.metrics) {
      mlflow_->log_metric("validation_" + name, value, epoch.epoch);
    }
  }
}

void RunRecords::finish(const TrainResult& result) const {
  if (!directory_) return;
  for (const auto& [name, value] : result.test.metrics) mlflow_->log_metric("test_" + name, value, result.best_epoch);
  mlflow_->log_metric("test_loss", result.test.loss, result.best_epoch);
  mlflow_->set_status(MlflowStatus::finished);
  directory_->write_summary(result, protocol_);
}

void RunRecords::interrupt(bool mid_epoch, const std::function<std::string()>& checkpoint) const {
  if (!directory_) return;
  // At an epoch boundary the epoch-end last.pt is the state to resume from already.
  if (mid_epoch) directory_->write_checkpoint("last", checkpoint());
  mlflow_->set_status(MlflowStatus::killed);
}

void RunRecords::fail() const {
  if (mlflow_) mlflow_->set_status(MlflowStatus::failed);
}

}  // namespace recsys::core
