#include "recsys/core/run_directory.hpp"

#include <cctype>
#include <cmath>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "recsys/core/files.hpp"
#include "recsys/errors.hpp"

namespace recsys::core {

namespace fs = std::filesystem;

LoggingOptions LoggingOptions::from_config(const Config& config) {
  LoggingOptions o;
  o.output_dir = config.get_string("output_dir", o.output_dir);
  if (o.output_dir.empty()) config.fail("output_dir", "must not be empty");
  o.experiment_name = config.get_string("experiment_name", o.experiment_name);
  o.run_name = config.get_string("run_name", o.run_name);
  return o;
}

std::string sanitize_name(std::string_view name) {
  std::string out;
  for (char c : name) {
    const bool keep = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    out += keep ? c : '_';
  }
  if (out.empty() || out.find_first_not_of('.') == std::string::npos) out = "_" + out;
  return out;
}

RunDirectory::RunDirectory(const LoggingOptions& options, const std::string& default_run_name) {
  const std::string run = options.run_name.empty() ? default_run_name : options.run_name;
  const fs::path experiment = fs::path(options.output_dir) / sanitize_name(options.experiment_name);
  std::error_code ec;
  fs::create_directories(experiment, ec);
  if (ec) throw Error(experiment.string() + ": cannot create the experiment directory: " + ec.message());
  // Never reuse a run directory: a second run with the same name gets "-2", "-3", ...
  const std::string base = sanitize_name(run);
  for (int attempt = 1;; ++attempt) {
    path_ = experiment / (attempt == 1 ? base : base + "-" + std::to_string(attempt));
    if (fs::create_directory(path_, ec)) break;
    if (ec) throw Error(path_.string() + ": cannot create the run directory: " + ec.message());
  }
}

void RunDirectory::write_config(const std::string& resolved_toml) const {
  fs::create_directories(path_ / "checkpoints");
  write_file_atomically(path_ / "config.toml", resolved_toml + "\n");
}

namespace {

std::string number(double value) {
  if (std::isnan(value)) return "nan";
  std::ostringstream out;
  out.precision(8);
  out << value;
  return out.str();
}

}  // namespace

RunDirectory RunDirectory::open(const fs::path& path) {
  if (!fs::is_regular_file(path / "config.toml")) {
    throw ConfigError(path.string() + ": not a run directory (no config.toml)");
  }
  return RunDirectory(path);
}

RunDirectory RunDirectory::open_to_resume(const fs::path& path) {
  RunDirectory run = open(path);
  if (!fs::exists(run.checkpoint("last"))) {
    throw ConfigError(path.string() + ": no checkpoint to resume from (checkpoints/last.pt)");
  }
  return run;
}

void RunDirectory::write_run_info(const nlohmann::ordered_json& info) const {
  write_file_atomically(path_ / "run.json", info.dump(2) + "\n");
}

nlohmann::ordered_json RunDirectory::read_run_info() const {
  const fs::path file = path_ / "run.json";
  try {
    return nlohmann::ordered_json::parse(read_text_file(file));
  } catch (const nlohmann::json::exception& e) {
    throw Error(file.string() + ": not valid JSON: " + e.what());
  }
}

void RunDirectory::write_checkpoint(const std::string& which, const std::string& bytes) const {
  write_file_atomically(checkpoint(which), bytes);
}

void RunDirectory::begin_metrics(const std::vector<std::string>& metric_names, std::int64_t keep_until_epoch) {
  std::string header = "epoch,split,loss";
  for (const auto& name : metric_names) header += "," + name;
  header += ",samples_per_second";
  metric_columns_ = metric_names.size();
  metric_rows_ = {header};
  if (keep_until_epoch < 0) return;
  std::ifstream in(path_ / "metrics.csv");
  std::string line;
  std::getline(in, line);  // the old header
  while (std::getline(in, line)) {
    if (!line.empty() && std::stoll(line.substr(0, line.find(','))) <= keep_until_epoch) metric_rows_.push_back(line);
  }
}

void RunDirectory::append_metrics(const EpochResult& e) {
  std::string train = std::to_string(e.epoch) + ",train," + number(e.train_loss);
  for (std::size_t i = 0; i < metric_columns_; ++i) train += ",";
  metric_rows_.push_back(train + "," + number(e.samples_per_second));
  if (e.validated) {
    std::string validation = std::to_string(e.epoch) + ",validation," + number(e.validation.loss);
    for (const auto& [name, value] : e.validation.metrics) validation += "," + number(value);
    metric_rows_.push_back(validation + ",");
  }
  std::string csv;
  for (const auto& row : metric_rows_) csv += row + "\n";
  write_file_atomically(path_ / "metrics.csv", csv);
}

void RunDirectory::write_summary(const TrainResult& result, const std::string& protocol) const {
  nlohmann::ordered_json test;
  test["loss"] = result.test.loss;  // NaN and infinities are written as null
  for (const auto& [name, value] : result.test.metrics) test[name] = value;
  nlohmann::ordered_json summary;
  summary["protocol"] = protocol;
  summary["best_epoch"] = result.best_epoch;
  summary["epochs"] = result.epochs.size();
  summary["stopped_early"] = result.stopped_early;
  summary["test"] = std::move(test);
  write_file_atomically(path_ / "summary.json", summary.dump(2) + "\n");
}

void RunDirectory::write_candidates(const std::string& split, const MaterializedSet& set,
                                    const InteractionData& data) const {
  const Examples& e = set.examples();
  const auto n = e.size();
  const torch::Tensor users = e.user_id.contiguous(), items = e.item_id.contiguous(), labels = e.label.contiguous(),
                      groups = set.group_id().contiguous();
  const auto* u = users.data_ptr<std::int64_t>();
  const auto* i = items.data_ptr<std::int64_t>();
  const auto* l = labels.data_ptr<float>();
  const auto* g = groups.data_ptr<std::int64_t>();
  std::string csv = "list,user,item,label\n";
  csv.reserve(static_cast<std::size_t>(n) * 20);
  for (std::int64_t r = 0; r < n; ++r) {
    csv += std::to_string(g[r]) + "," + std::to_string(data.user_original_id[u[r]]) + "," +
           std::to_string(data.item_original_id[i[r]]) + "," + (l[r] > 0.5f ? "1" : "0") + "\n";
  }
  write_file_atomically(path_ / (split + "_candidates.csv"), csv);
}

}  // namespace recsys::core
