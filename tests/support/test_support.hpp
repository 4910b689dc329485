#pragma once
/// @file
/// Helpers shared by the test binaries.

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "recsys/config.hpp"
#include "recsys/core/pipeline_config.hpp"
#include "recsys/core/plugin_registry.hpp"
#include "recsys/errors.hpp"

namespace recsys::test {

/// Directory of the built first-party plugins (build/lib/recsys/plugins).
std::filesystem::path plugin_dir();
/// Directory of the fixture libraries (tests/fixtures).
std::filesystem::path fixture_dir();
/// `<plugin_dir>/recsys_<target>.so`.
std::filesystem::path plugin_file(const std::string& target);

/// A registry that loaded one built plugin library (through the host's own loader).
core::PluginRegistry registry_with(const std::string& target);

/// A pipeline config parsed from TOML text (named "test.toml" in messages).
core::PipelineConfig parse_config(const std::string& toml);

/// The folder holding ml-100k/: $RECSYS_DATA_DIR, else the path configured at build time.
std::filesystem::path data_root();
/// Whether data_root()/ml-100k/u.data exists.
bool have_movielens_100k();

/// Whether missing test data must fail the tests that need it instead of skipping them:
/// under CI=true or RECSYS_REQUIRE_TEST_DATA=1 (a CI run must never pass without running).
bool test_data_required();
/// What is missing, the path searched and how to point the tests at the data.
std::string movielens_100k_missing_message();
/// Counts one test skipped for want of ml-100k. At the end of a test binary in which nothing
/// failed and something was skipped, the line "recsys-test: SKIPPED ..." tells CTest to report
/// the binary as skipped (SKIP_REGULAR_EXPRESSION in tests/CMakeLists.txt); gtest's own
/// `[  SKIPPED ]` lines cannot do that, since CTest would then hide another case's failure.
void note_movielens_100k_skip();

/// Skips the calling test for a reason of the machine (`reason`: a streamable message), or,
/// under test_data_required() (CI), fails it: CTest counts a skip as a pass, and CI's machine
/// (root, /tmp 1777, OpenBLAS) is one where every such test can run.
#define RECSYS_SKIP_OUTSIDE_CI(reason)                                          \
  do {                                                                          \
    if (::recsys::test::test_data_required()) FAIL() << "under CI: " << reason; \
    GTEST_SKIP() << reason;                                                     \
  } while (false)

/// Skips the calling test (or SetUp) when ml-100k is missing, or fails it when
/// test_data_required(). Use it as a statement in a function returning void.
#define RECSYS_REQUIRE_MOVIELENS_100K()                                 \
  do {                                                                  \
    if (!::recsys::test::have_movielens_100k()) {                       \
      if (::recsys::test::test_data_required()) {                       \
        FAIL() << ::recsys::test::movielens_100k_missing_message();     \
      }                                                                 \
      ::recsys::test::note_movielens_100k_skip();                       \
      GTEST_SKIP() << ::recsys::test::movielens_100k_missing_message(); \
    }                                                                   \
  } while (false)

/// The whole content of `file` ("" when it cannot be read).
std::string read_file(const std::filesystem::path& file);

/// metrics.csv without its last column (samples_per_second, a timing), for comparing runs.
std::string metrics_without_timing(const std::string& csv);

/// Exit status and output of one recsys-host run.
struct HostResult {
  int status = -1;     ///< exit status; -1 when killed by a signal
  std::string output;  ///< stdout, and stderr too when asked
};

/// Runs the built recsys-host with `arguments` (shell words) under `environment`
/// ("NAME=value ..."); `output` holds stdout, and stderr too when `with_stderr`.
HostResult run_host(const std::string& arguments, const std::string& environment = "", bool with_stderr = true);

/// "RECSYS_DATA_DIR='<data_root()>'", for run_host's environment.
std::string data_env();

/// Trains configs/movielens_mf.toml on ml-100k for `epochs` epochs into `output_dir` and
/// returns the run directory (output_dir/movielens_mf/done). Throws std::runtime_error with
/// recsys-host's output when the run fails.
std::filesystem::path train_movielens_mf(const std::filesystem::path& output_dir, int epochs);

/// Starts recsys-host in the background under `environment` plus data_env(), stdout and
/// stderr to `log`; returns its pid (reap it with waitpid).
int spawn_host(const std::string& arguments, const std::filesystem::path& log, const std::string& environment = "");

/// The ConfigError message `statement` throws ("" if it throws none).
template <typename F>
std::string config_error(F statement) {
  try {
    statement();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

/// A fresh, empty temporary directory removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  /// Writes `content` to path()/name and returns the full path.
  std::filesystem::path write(const std::string& name, const std::string& content) const;

 private:
  std::filesystem::path path_;
};

}  // namespace recsys::test
