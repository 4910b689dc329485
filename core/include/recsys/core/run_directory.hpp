#pragma once
/// @file
/// The run directory `<output_dir>/<experiment_name>/<run_name>/`: the resolved config,
/// run.json, metrics per epoch, checkpoints, candidates and the test summary. Every file is
/// written to a temporary file, flushed and renamed (write_file_atomically), so a run killed
/// at any moment never leaves a truncated file. RunRecords (run_records.hpp) decides what is
/// written when; this class knows the files.

#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "recsys/config.hpp"
#include "recsys/core/evaluation.hpp"
#include "recsys/core/trainer.hpp"

namespace recsys::core {

/// `[logging]` options.
struct LoggingOptions {
  std::string output_dir = "runs";
  std::string experiment_name = "default";
  std::string run_name;  ///< generated from the time and model when empty

  static LoggingOptions from_config(const Config& config);
};

/// Keeps [A-Za-z0-9._-], replaces anything else by '_' and drops the leading dots and
/// separators ("../../x" -> "x"), so a name can neither escape its parent directory nor be a
/// hidden folder; never returns "" ("_" instead).
std::string sanitize_name(std::string_view name);

class RunDirectory {
 public:
  /// Creates the directory; `default_run_name` is used when options.run_name is empty.
  /// An existing run directory is never reused: the name gets a suffix "-2", "-3", ...
  /// A name that sanitize_name changes is logged as a warning. `<experiment>/latest` then
  /// links to the new folder (relative link, replaced atomically; "latest" is never a run's
  /// own name).
  RunDirectory(const LoggingOptions& options, const std::string& default_run_name);
  /// An existing run directory (for --resume, evaluate, recommend); a symbolic link such as
  /// `latest` is followed, so path() names the run's own folder. Throws ConfigError when it
  /// holds no run.
  static RunDirectory open(const std::filesystem::path& path);
  /// An existing run directory that can be resumed: open() plus a checkpoints/last.pt.
  /// Throws ConfigError naming what is missing.
  static RunDirectory open_to_resume(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path checkpoint(const std::string& which) const { return path_ / "checkpoints" / (which + ".pt"); }
  std::filesystem::path config_file() const { return path_ / "config.toml"; }

  /// Writes config.toml (and creates checkpoints/).
  void write_config(const std::string& resolved_toml) const;
  /// Writes run.json.
  void write_run_info(const nlohmann::ordered_json& info) const;
  /// Reads run.json back. Throws Error naming the file when it is missing or not JSON.
  nlohmann::ordered_json read_run_info() const;
  /// Writes `bytes` to checkpoints/<which>.pt.
  void write_checkpoint(const std::string& which, const std::string& bytes) const;

  /// Starts metrics.csv (header: epoch, split, loss, the metric names, samples_per_second);
  /// with `keep_until_epoch` >= 0 the existing rows up to that epoch are kept (resume).
  void begin_metrics(const std::vector<std::string>& metric_names, std::int64_t keep_until_epoch = -1);
  /// Adds the rows of one epoch (train; validation when validated) and rewrites the file.
  void append_metrics(const EpochResult& epoch);
  /// Writes summary.json: the protocol, the best epoch, and the test loss and metrics.
  void write_summary(const TrainResult& result, const std::string& protocol) const;
  /// Writes `<split>_candidates.csv` (list,user,item,label with the dataset's original ids):
  /// the ranking lists of the sampled protocol.
  void write_candidates(const std::string& split, const MaterializedSet& set, const InteractionData& data) const;

 private:
  explicit RunDirectory(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
  std::vector<std::string> metric_rows_;  // metrics.csv, header first
  std::size_t metric_columns_ = 0;
};

}  // namespace recsys::core
