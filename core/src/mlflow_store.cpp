#include "recsys/core/mlflow_store.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <vector>

#include "recsys/core/files.hpp"
#include "recsys/errors.hpp"

namespace recsys::core {

namespace fs = std::filesystem;

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// The code point of the UTF-8 sequence at `text[i]`, advancing `i`; U+FFFD for a byte that
/// starts no valid sequence (overlong forms and surrogates included), advancing one byte.
char32_t next_code_point(const std::string& text, std::size_t& i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  const int length = lead < 0x80 ? 1 : (lead >> 5) == 6 ? 2 : (lead >> 4) == 14 ? 3 : (lead >> 3) == 30 ? 4 : 0;
  if (length == 1) return text[i++];
  if (length == 0 || i + length > text.size()) return ++i, U'\uFFFD';
  char32_t cp = lead & (0x7F >> length);
  for (int k = 1; k < length; ++k) {
    if ((byte(i + k) >> 6) != 2) return ++i, U'\uFFFD';
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  static constexpr char32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMinimum[length] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return ++i, U'\uFFFD';
  i += length;
  return cp;
}

/// A YAML scalar MLflow's reader accepts for any text: single-quoted (quotes doubled) when it
/// is printable, else double-quoted with \uXXXX escapes for control characters (C0, DEL, C1)
/// and U+FFFD for invalid UTF-8, since YAML allows neither raw.
std::string yaml_string(const std::string& text) {
  std::string single = "'", escaped = "\"";
  bool printable = true;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t begin = i;
    const char32_t cp = next_code_point(text, i);
    const bool control = cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
    printable = printable && !control && cp != U'\uFFFD';
    const std::string raw = cp == U'\uFFFD' ? "\xEF\xBF\xBD" : text.substr(begin, i - begin);
    single += cp == '\'' ? "''" : raw;
    if (control) {
      char code[8];
      std::snprintf(code, sizeof code, "\\u%04X", static_cast<unsigned>(cp));
      escaped += code;
    } else {
      escaped += cp == '"' ? "\\\"" : cp == '\\' ? "\\\\" : raw;
    }
  }
  return printable ? single + "'" : escaped + "\"";
}

std::string file_uri(const fs::path& path) {
  return "file://" + fs::absolute(path).lexically_normal().string();
}

void make_directory(const fs::path& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) throw Error(path.string() + ": cannot create directory: " + ec.message());
}

void write_experiment_meta(const fs::path& directory, const std::string& id, const std::string& name) {
  const std::int64_t now = now_ms();
  std::ostringstream yaml;
  yaml << "artifact_location: " << file_uri(directory) << "\n"
       << "creation_time: " << now << "\n"
       << "experiment_id: " << yaml_string(id) << "\n"
       << "last_update_time: " << now << "\n"
       << "lifecycle_stage: active\n"
       << "name: " << yaml_string(name) << "\n";
  write_file_atomically(directory / "meta.yaml", yaml.str());
}

/// The value of `key: value` in a small meta.yaml we or MLflow wrote ("" when absent).
std::string yaml_field(const fs::path& file, const std::string& key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) != 0) continue;
    std::string value = line.substr(key.size() + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    if (value.size() >= 2 && (value.front() == '\'' || value.front() == '"')) {
      const char quote = value.front();
      std::string unquoted;
      for (std::size_t i = 1; i + 1 < value.size(); ++i) {
        if (quote == '\'' && value[i] == '\'' && value[i + 1] == '\'') ++i;
        unquoted += value[i];
      }
      return unquoted;
    }
    return value;
  }
  return "";
}

std::string random_hex(std::size_t digits) {
  std::random_device device;
  std::mt19937_64 engine((static_cast<std::uint64_t>(device()) << 32) ^ device());
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < digits; ++i) out += hex[engine() & 15];
  return out;
}

/// MLflow's _generate_unique_integer_id: 18 random digits, no leading zero.
std::string random_experiment_id() {
  std::random_device device;
  std::mt19937_64 engine((static_cast<std::uint64_t>(device()) << 32) ^ device());
  std::string id(1, static_cast<char>('1' + engine() % 9));
  for (int i = 1; i < 18; ++i) id += static_cast<char>('0' + engine() % 10);
  return id;
}

/// MLflow's own rule (USER, then LOGNAME), then the account's name: under cron, systemd or a
/// container neither variable is set, yet the process still runs as a named user.
std::string current_user() {
  for (const char* var : {"USER", "LOGNAME"}) {
    if (const char* value = std::getenv(var); value && *value) return value;
  }
  const long suggested = sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(suggested > 0 ? static_cast<std::size_t>(suggested) : 16384);
  passwd entry{};
  passwd* found = nullptr;
  while (getpwuid_r(geteuid(), &entry, buffer.data(), buffer.size(), &found) == ERANGE && buffer.size() < (1u << 20)) {
    buffer.resize(buffer.size() * 2);
  }
  if (found && found->pw_name && *found->pw_name) return found->pw_name;
  return "unknown";
}

/// The id of the experiment named `name` under `root`, creating it when absent.
std::string experiment_id_for(const fs::path& root, const std::string& name) {
  if (name == "Default") return "0";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    if (!entry.is_directory() || entry.path().filename().string().front() == '.') continue;
    const fs::path meta = entry.path() / "meta.yaml";
    if (yaml_field(meta, "name") == name && yaml_field(meta, "lifecycle_stage") != "deleted" &&
        yaml_field(meta, "experiment_id") == entry.path().filename().string()) {
      return entry.path().filename().string();
    }
  }
  for (;;) {
    const std::string id = random_experiment_id();
    if (fs::create_directory(root / id, ec)) {
      write_experiment_meta(root / id, id, name);
      return id;
    }
    if (ec) throw Error((root / id).string() + ": cannot create the experiment: " + ec.message());
  }
}

void write_raw(const fs::path& file, const std::string& value) {
  make_directory(file.parent_path());
  write_file_atomically(file, value);  // params and tags: the raw value, no trailing newline
}

}  // namespace

std::string mlflow_key(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (c == '@') {
      out += "_at_";
    } else {
      const bool ok =
          std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' || c == ' ' || c == '/';
      out += ok ? c : '_';
    }
  }
  return out;
}

MlflowRun MlflowRun::create(const fs::path& root, const std::string& experiment_name, const std::string& run_name) {
  make_directory(root / ".trash");
  if (!fs::exists(root / "0" / "meta.yaml")) {
    make_directory(root / "0");
    write_experiment_meta(root / "0", "0", "Default");
  }
  MlflowRun run;
  run.experiment_id_ = experiment_id_for(root, experiment_name);
  run.run_id_ = random_hex(32);
  run.run_name_ = run_name;
  run.user_ = current_user();
  run.start_time_ = now_ms();
  run.directory_ = root / run.experiment_id_ / run.run_id_;
  for (const char* sub : {"artifacts", "metrics", "params", "tags"}) make_directory(run.directory_ / sub);
  run.write_meta(MlflowStatus::running, false);
  run.set_tag("mlflow.runName", run_name);
  run.set_tag("mlflow.user", run.user_);
  run.set_tag("mlflow.source.type", "LOCAL");
  run.set_tag("mlflow.source.name", "recsys-host");
  return run;
}

MlflowRun MlflowRun::reopen(const fs::path& run_directory) {
  const fs::path meta = run_directory / "meta.yaml";
  if (!fs::exists(meta)) throw Error(meta.string() + ": no MLflow run to resume");
  MlflowRun run;
  run.directory_ = run_directory;
  run.run_id_ = yaml_field(meta, "run_id");
  run.experiment_id_ = yaml_field(meta, "experiment_id");
  run.run_name_ = yaml_field(meta, "run_name");
  run.user_ = yaml_field(meta, "user_id");
  run.start_time_ = std::atoll(yaml_field(meta, "start_time").c_str());
  run.write_meta(MlflowStatus::running, false);
  return run;
}

void MlflowRun::write_meta(MlflowStatus status, bool ended) const {
  std::ostringstream yaml;
  yaml << "artifact_uri: " << file_uri(directory_ / "artifacts") << "\n"
       << "deleted_time: null\n"
       << "end_time: " << (ended ? std::to_string(now_ms()) : std::string("null")) << "\n"
       << "entry_point_name: ''\n"
       << "experiment_id: " << yaml_string(experiment_id_) << "\n"
       << "lifecycle_stage: active\n"
       << "run_id: " << run_id_ << "\n"
       << "run_name: " << yaml_string(run_name_) << "\n"
       << "run_uuid: " << run_id_ << "\n"
       << "source_name: ''\n"
       << "source_type: 4\n"
       << "source_version: ''\n"
       << "start_time: " << start_time_ << "\n"
       << "status: " << static_cast<int>(status) << "\n"
       << "tags: []\n"
       << "user_id: " << yaml_string(user_) << "\n";
  write_file_atomically(directory_ / "meta.yaml", yaml.str());
}

void MlflowRun::log_param(const std::string& key, const std::string& value) const {
  // MLflow 2.x stores at most 500 characters (250 in older versions).
  write_raw(directory_ / "params" / mlflow_key(key), value.substr(0, 250));
}

void MlflowRun::set_tag(const std::string& key, const std::string& value) const {
  write_raw(directory_ / "tags" / mlflow_key(key), value);
}

namespace {

/// The lines of an MLflow metric file ("timestamp value step") whose step is at most `epoch`.
std::string points_up_to(const fs::path& file, std::int64_t epoch) {
  std::istringstream in(read_text_file(file));
  std::string kept;
  for (std::string line; std::getline(in, line);) {
    const auto space = line.rfind(' ');
    if (space == std::string::npos) continue;
    try {
      if (std::stoll(line.substr(space + 1)) <= epoch) kept += line + "\n";
    } catch (const std::exception&) {
      // A line a crash cut short: dropped.
    }
  }
  return kept;
}

}  // namespace

void MlflowRun::drop_metrics_after(std::int64_t epoch) const {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(directory_ / "metrics", ec)) {
    if (!entry.is_regular_file()) continue;
    if (entry.path().filename().string().rfind("test_", 0) == 0) {
      fs::remove(entry.path(), ec);
      continue;
    }
    write_file_atomically(entry.path(), points_up_to(entry.path(), epoch));
  }
}

void MlflowRun::log_metric(const std::string& key, double value, std::int64_t step) const {
  const fs::path file = directory_ / "metrics" / mlflow_key(key);
  make_directory(file.parent_path());
  char number[40];
  if (std::isnan(value))
    std::snprintf(number, sizeof number, "nan");
  else if (std::isinf(value))
    std::snprintf(number, sizeof number, value > 0 ? "inf" : "-inf");
  else
    std::snprintf(number, sizeof number, "%.17g", value);
  // Appending one line: a crash can at worst lose this line, never an earlier one.
  std::ofstream out(file, std::ios::app);
  out << now_ms() << " " << number << " " << step << "\n";
  if (!out) throw Error(file.string() + ": cannot append the metric");
}

void MlflowRun::set_status(MlflowStatus status) const {
  const bool terminal =
      status == MlflowStatus::finished || status == MlflowStatus::failed || status == MlflowStatus::killed;
  write_meta(status, terminal);
}

}  // namespace recsys::core
