#include "recsys/core/run_directory.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

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

void write_file_atomically(const fs::path& path, std::string_view content) {
  // A name of our own in the same directory (rename is atomic only within a file system).
  std::string pattern = path.string() + ".tmp.XXXXXX";
  const int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
  const fs::path temp = pattern;
  if (fd < 0) throw Error(temp.string() + ": cannot create: " + std::strerror(errno));
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      throw Error(temp.string() + ": cannot write: " + std::strerror(error));
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int error = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    throw Error(temp.string() + ": cannot flush: " + std::strerror(error));
  }
  ::fchmod(fd, 0644);
  ::close(fd);
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    throw Error(path.string() + ": cannot rename the temporary file: " + std::strerror(error));
  }
  // Make the rename itself durable.
  const fs::path parent = path.has_parent_path() ? path.parent_path() : fs::path(".");
  const int dir = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
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

// Shortest text that reads back as the same double (17 significant digits at most), so
// summaries of two runs compare bit for bit.
std::string json_number(double value) {
  if (!std::isfinite(value)) return "null";
  char text[32];
  for (int digits = 15; digits <= 17; ++digits) {
    std::snprintf(text, sizeof text, "%.*g", digits, value);
    if (std::strtod(text, nullptr) == value) break;
  }
  return text;
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

RunDirectory RunDirectory::open(const fs::path& path) {
  if (!fs::is_regular_file(path / "config.toml")) {
    throw ConfigError(path.string() + ": not a run directory (no config.toml)");
  }
  return RunDirectory(path);
}

void RunDirectory::write_run_info(const std::string& fields) const {
  write_file_atomically(path_ / "run.json", "{\n" + fields + "\n}\n");
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
  std::ostringstream json;
  json << "{\n  \"protocol\": " << json_string(protocol) << ",\n  \"best_epoch\": " << result.best_epoch
       << ",\n  \"epochs\": " << result.epochs.size()
       << ",\n  \"stopped_early\": " << (result.stopped_early ? "true" : "false")
       << ",\n  \"test\": {\n    \"loss\": " << json_number(result.test.loss);
  for (const auto& [name, value] : result.test.metrics) {
    json << ",\n    " << json_string(name) << ": " << json_number(value);
  }
  json << "\n  }\n}\n";
  write_file_atomically(path_ / "summary.json", json.str());
}

void RunDirectory::write_candidates(const std::string& split, const MaterializedSet& set,
                                    const InteractionData& data) const {
  const Examples& e = set.examples();
  const auto n = e.size();
  const torch::Tensor users = e.user_id.contiguous(), items = e.item_id.contiguous(),
                      labels = e.label.contiguous(), groups = set.group_id().contiguous();
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
