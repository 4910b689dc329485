#include "recsys/core/run_directory.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "recsys/core/files.hpp"
#include "recsys/errors.hpp"

namespace recsys::core {

namespace fs = std::filesystem;

namespace {
constexpr std::size_t kMaxNameBytes = 200;
}  // namespace

LoggingOptions LoggingOptions::from_config(const Config& config) {
  LoggingOptions o;
  o.output_dir = config.get_string("output_dir", o.output_dir);
  if (o.output_dir.empty()) config.fail("output_dir", "must not be empty");
  o.experiment_name = config.get_string("experiment_name", o.experiment_name);
  o.run_name = config.get_string("run_name", o.run_name);
  // A folder name holds 255 bytes; runs of the same name get "-2", "-3", ... appended.
  for (const auto& [key, name] : {std::pair{"experiment_name", &o.experiment_name}, {"run_name", &o.run_name}}) {
    if (name->size() > kMaxNameBytes) {
      config.fail(key, "is " + std::to_string(name->size()) + " bytes long; at most " + std::to_string(kMaxNameBytes) +
                           " (a folder name)");
    }
  }
  return o;
}

std::string sanitize_name(std::string_view name) {
  std::string out;
  for (char c : name) {
    const bool keep = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    // Leading dots and separators go: "../../x" would otherwise become the hidden ".._.._x".
    if (out.empty() && (c == '.' || !keep)) continue;
    out += keep ? c : '_';
  }
  return out.empty() ? "_" : out;
}

namespace {

constexpr const char* kLatestLink = "latest";

/// A changed name is said once, with the rule, so that the user can find the folder.
void warn_if_renamed(const char* key, const std::string& given, const std::string& used) {
  if (given == used) return;
  spdlog::warn(
      "logging.{} '{}' is used as '{}': names keep only letters, digits, '.', '-' and '_' (anything else becomes "
      "'_') and lose their leading dots and separators, so that the folder is neither hidden nor outside output_dir",
      key, given, used);
}

/// Points `<experiment>/latest` at `run_folder` (a relative link, so the tree can be moved):
/// a temporary link renamed over the old one, so that readers never find it missing.
void point_latest_at(const fs::path& experiment, const std::string& run_folder) {
  const fs::path link = experiment / kLatestLink;
  const fs::path temporary = experiment / (".latest." + std::to_string(getpid()) + ".tmp");
  std::error_code ec, ignored;
  fs::remove(temporary, ignored);
  fs::create_directory_symlink(run_folder, temporary, ec);
  if (!ec) fs::rename(temporary, link, ec);
  if (ec) {
    fs::remove(temporary, ignored);
    spdlog::warn("{}: cannot point the link at {}: {}", link.string(), run_folder, ec.message());
  }
}

/// A link at `<output_dir>/<experiment>` leading outside output_dir would put the run's files
/// somewhere the user did not choose (a planted link): refused.
void refuse_link_outside(const fs::path& output_dir, const fs::path& experiment) {
  std::error_code ec;
  if (!fs::is_symlink(experiment, ec)) return;
  const fs::path target = fs::weakly_canonical(experiment, ec), root = fs::weakly_canonical(output_dir, ec);
  if (std::mismatch(root.begin(), root.end(), target.begin(), target.end()).first == root.end()) return;
  throw Error(experiment.string() + ": a symbolic link to " + target.string() +
              ", outside logging.output_dir; remove it or choose another experiment_name");
}

}  // namespace

RunDirectory::RunDirectory(const LoggingOptions& options, const std::string& default_run_name) {
  const std::string run = options.run_name.empty() ? default_run_name : options.run_name;
  const std::string experiment_name = sanitize_name(options.experiment_name);
  warn_if_renamed("experiment_name", options.experiment_name, experiment_name);
  const fs::path experiment = fs::path(options.output_dir) / experiment_name;
  refuse_link_outside(options.output_dir, experiment);
  std::error_code ec;
  fs::create_directories(experiment, ec);
  if (ec) throw Error(experiment.string() + ": cannot create the experiment directory: " + ec.message());
  const std::string base = sanitize_name(run);
  if (!options.run_name.empty()) warn_if_renamed("run_name", options.run_name, base);
  // "latest" is the link to the newest run, never a run's own folder.
  int attempt = 1;
  if (base == kLatestLink) {
    spdlog::warn(
        "logging.run_name 'latest' names the link to the newest run; this run gets 'latest-2' or the "
        "next free name");
    attempt = 2;
  }
  // Never reuse a run directory: a second run with the same name gets "-2", "-3", ...
  for (;; ++attempt) {
    path_ = experiment / (attempt == 1 ? base : base + "-" + std::to_string(attempt));
    if (fs::create_directory(path_, ec)) break;
    if (ec) throw Error(path_.string() + ": cannot create the run directory: " + ec.message());
  }
  point_latest_at(experiment, path_.filename().string());
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

RunDirectory RunDirectory::open(const fs::path& given) {
  fs::path path = given.has_filename() ? given : given.parent_path();  // "run/" -> "run"
  // Through a link such as `latest`, the run's own folder: `latest` moves on when the next run
  // starts, and what is recorded or printed about this run must keep naming this one.
  std::error_code ec;
  if (fs::is_symlink(path, ec)) {
    const fs::path target = fs::read_symlink(path, ec);
    if (!ec) path = target.is_absolute() ? target : path.parent_path() / target;
  }
  if (!fs::is_regular_file(path / "config.toml")) {
    throw ConfigError(given.string() + ": not a run directory (no config.toml)");
  }
  return RunDirectory(path);
}

RunDirectory RunDirectory::open_to_resume(const fs::path& path) {
  RunDirectory run = open(path);
  if (!fs::exists(run.checkpoint("last"))) {
    throw ConfigError(path.string() + ": no checkpoint to resume from (checkpoints/last.pt)");
  }
  // A kill mid-write leaves "<file>.tmp.XXXXXX" beside the intact file: this run's own, removed.
  const std::size_t stale = remove_stale_temporaries(run.path()) + remove_stale_temporaries(run.path() / "checkpoints");
  if (stale > 0) spdlog::info("{}: removed {} temporary files a killed write left", run.path().string(), stale);
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
  summary["epochs"] = result.last_epoch;  // the whole run, earlier processes included
  summary["stopped_early"] = result.stopped_early;
  summary["test"] = std::move(test);
  write_file_atomically(path_ / "summary.json", summary.dump(2) + "\n");
}

namespace {

/// An id as a CSV field (RFC 4180): quoted, inner quotes doubled, when it holds a comma, a
/// quote or a line break.
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (const char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

}  // namespace

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
    csv += std::to_string(g[r]) + "," + csv_field(data.user_original_id[u[r]]) + "," +
           csv_field(data.item_original_id[i[r]]) + "," + (l[r] > 0.5f ? "1" : "0") + "\n";
  }
  write_file_atomically(path_ / (split + "_candidates.csv"), csv);
}

}  // namespace recsys::core
