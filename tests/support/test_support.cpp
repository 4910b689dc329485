#include "test_support.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace recsys::test {

namespace fs = std::filesystem;

fs::path plugin_dir() {
  return RECSYS_TEST_PLUGIN_DIR;
}
fs::path fixture_dir() {
  return RECSYS_TEST_FIXTURE_DIR;
}
fs::path plugin_file(const std::string& target) {
  return plugin_dir() / ("recsys_" + target + ".so");
}

core::PluginRegistry registry_with(const std::string& target) {
  core::PluginRegistry registry;
  registry.load_library(plugin_file(target));
  return registry;
}

core::PipelineConfig parse_config(const std::string& toml) {
  return core::PipelineConfig::parse(toml, "test.toml");
}

fs::path data_root() {
  const char* env = std::getenv("RECSYS_DATA_DIR");
  return env && *env ? fs::path(env) : fs::path(RECSYS_TEST_DATA_ROOT);
}

bool have_movielens_100k() {
  return fs::is_regular_file(data_root() / "ml-100k" / "u.data");
}

namespace {

/// Whether environment variable `name` is set to 1, true, yes or on (any case).
bool env_flag(const char* name) {
  const char* value = std::getenv(name);
  if (!value) return false;
  std::string flag(value);
  std::transform(flag.begin(), flag.end(), flag.begin(), [](unsigned char c) { return std::tolower(c); });
  return flag == "1" || flag == "true" || flag == "yes" || flag == "on";
}

int g_movielens_100k_skips = 0;

/// Prints the line CTest's SKIP_REGULAR_EXPRESSION matches, once every test has run, and only
/// when none failed: a skip must never hide a failure.
class SkipReport : public ::testing::Environment {
 public:
  void TearDown() override {
    if (g_movielens_100k_skips == 0 || ::testing::UnitTest::GetInstance()->failed_test_count() > 0) return;
    std::printf("recsys-test: SKIPPED %d test(s): %s\n", g_movielens_100k_skips,
                movielens_100k_missing_message().c_str());
  }
};

// gtest owns and runs registered environments; registering at static initialisation is the
// documented way when main() is gtest_main's.
[[maybe_unused]] ::testing::Environment* const skip_report = ::testing::AddGlobalTestEnvironment(new SkipReport);

}  // namespace

bool test_data_required() {
  return env_flag("CI") || env_flag("RECSYS_REQUIRE_TEST_DATA");
}

std::string movielens_100k_missing_message() {
  return "ml-100k not found: no " + (data_root() / "ml-100k" / "u.data").string() +
         "; point the tests at the folder holding ml-100k/ with RECSYS_DATA_DIR=<folder> or "
         "-DRECSYS_TEST_DATA_ROOT=<folder>" +
         (test_data_required() ? " (CI=true or RECSYS_REQUIRE_TEST_DATA=1: missing data fails the test, not skips it)"
                               : "");
}

void note_movielens_100k_skip() {
  ++g_movielens_100k_skips;
}

std::filesystem::path train_movielens_mf(const std::filesystem::path& output_dir, int epochs) {
  const std::string config = std::string(RECSYS_TEST_SOURCE_DIR) + "/configs/movielens_mf.toml";
  const HostResult r =
      run_host("run '" + config + "' --set training.epochs=" + std::to_string(epochs) +
                   " --set logging.run_name=done --set logging.output_dir='\"" + output_dir.string() + "\"'",
               data_env());
  if (r.status != 0) throw std::runtime_error("training movielens_mf failed:\n" + r.output);
  return output_dir / "movielens_mf" / "done";
}

HostResult run_host(const std::string& arguments, const std::string& environment, bool with_stderr) {
  const std::string command =
      environment + " '" + std::string(RECSYS_TEST_HOST) + "' " + arguments + (with_stderr ? " 2>&1" : " 2>/dev/null");
  HostResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buffer{};
  while (fgets(buffer.data(), buffer.size(), pipe)) result.output += buffer.data();
  const int status = pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string data_env() {
  return "RECSYS_DATA_DIR='" + data_root().string() + "'";
}

int spawn_host(const std::string& arguments, const fs::path& log, const std::string& environment) {
  const std::string command = "exec env " + data_env() + " " + environment + " '" + std::string(RECSYS_TEST_HOST) +
                              "' " + arguments + " > '" + log.string() + "' 2>&1";
  const pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

std::string metrics_without_timing(const std::string& csv) {
  std::stringstream in(csv);
  std::string line, out;
  while (std::getline(in, line)) out += line.substr(0, line.rfind(',')) + "\n";
  return out;
}

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "recsys-test-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

fs::path TempDir::write(const std::string& name, const std::string& content) const {
  const fs::path file = path_ / name;
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << content;
  return file;
}

}  // namespace recsys::test
