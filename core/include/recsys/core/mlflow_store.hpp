#pragma once
/// @file
/// Writes runs in MLflow's file-store layout (MLflow 2.x `mlruns/`, which MLflow up to 3.12
/// reads as is and later versions read with MLFLOW_ALLOW_FILE_STORE=true), so
/// `mlflow ui --backend-store-uri <output_dir>/mlruns` lists experiments, parameters and
/// learning curves. Layout, meta.yaml fields and line formats follow MLflow's
/// mlflow/store/tracking/file_store.py (see docs/runs.md).

#include <cstdint>
#include <filesystem>
#include <string>

namespace recsys::core {

/// MLflow's RunStatus values.
enum class MlflowStatus : int { running = 1, scheduled = 2, finished = 3, failed = 4, killed = 5 };

/// "hr@10" -> "hr_at_10"; any other character outside MLflow's [/\w.\- ] becomes '_'.
std::string mlflow_key(const std::string& name);

class MlflowRun {
 public:
  /// Creates the run under `root` (creating the root, the default experiment "0" and
  /// `.trash` when missing) in the experiment named `experiment_name` (created when no
  /// experiment has that name). Throws Error naming the path on I/O failure.
  static MlflowRun create(const std::filesystem::path& root, const std::string& experiment_name,
                          const std::string& run_name);
  /// Reopens a run by its directory (for --resume) and marks it running again.
  static MlflowRun reopen(const std::filesystem::path& run_directory);

  const std::string& run_id() const { return run_id_; }
  const std::filesystem::path& directory() const { return directory_; }

  void log_param(const std::string& key, const std::string& value) const;
  void set_tag(const std::string& key, const std::string& value) const;
  /// Appends "timestamp value step" to metrics/<key>.
  void log_metric(const std::string& key, double value, std::int64_t step) const;
  /// For a resume from the end of epoch `epoch`: drops every metric point of a later step (a
  /// killed process logged them, the resumed one logs them again) and the test_* metrics (the
  /// resumed run logs its own), so that no step appears twice. Each file is rewritten atomically.
  void drop_metrics_after(std::int64_t epoch) const;
  /// Rewrites meta.yaml with `status` and, for a terminal status, the end time.
  void set_status(MlflowStatus status) const;

 private:
  void write_meta(MlflowStatus status, bool ended) const;

  std::filesystem::path directory_;
  std::string run_id_, experiment_id_, run_name_, user_;
  std::int64_t start_time_ = 0;
};

}  // namespace recsys::core
