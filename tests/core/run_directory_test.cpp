// The run directory: name sanitising (and saying so), the latest link, metrics.csv, resumable runs.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "recsys/core/run_directory.hpp"
#include "recsys/errors.hpp"
#include "test_support.hpp"

namespace recsys::core {
namespace {

namespace fs = std::filesystem;

TEST(SanitizeNameTest, NamesCannotEscapeTheOutputDirectoryNorBeHidden) {
  EXPECT_EQ(sanitize_name("../../escape"), "escape");
  EXPECT_EQ(sanitize_name(".hidden"), "hidden");
  EXPECT_EQ(sanitize_name("/abs/path"), "abs_path");
  EXPECT_EQ(sanitize_name("a/../b"), "a_.._b");  // one folder, not a way out
  EXPECT_EQ(sanitize_name(".."), "_");
  EXPECT_EQ(sanitize_name(""), "_");
  EXPECT_EQ(sanitize_name("run 1/a"), "run_1_a");
  EXPECT_EQ(sanitize_name("mf-2026.v1"), "mf-2026.v1");
}

/// Collects what is logged while it lives (spdlog's default logger, restored afterwards).
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    spdlog::set_default_logger(
        std::make_shared<spdlog::logger>("captured", std::make_shared<spdlog::sinks::ostream_sink_mt>(text_)));
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;
  std::string text() const { return text_.str(); }

 private:
  std::ostringstream text_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST(RunDirectoryTest, WritesIntoOutputExperimentRunAndSaysWhenANameIsChanged) {
  test::TempDir dir;
  LoggingOptions options;
  options.output_dir = dir.path().string();
  options.experiment_name = "../exp";
  options.run_name = "my run";
  const CapturedLog log;
  RunDirectory run(options, "unused");
  EXPECT_EQ(run.path(), dir.path() / "exp" / "my_run");
  EXPECT_TRUE(fs::is_directory(run.path()));
  EXPECT_NE(log.text().find("logging.experiment_name '../exp' is used as 'exp'"), std::string::npos) << log.text();
  EXPECT_NE(log.text().find("logging.run_name 'my run' is used as 'my_run'"), std::string::npos) << log.text();
  EXPECT_NE(log.text().find("neither hidden nor outside output_dir"), std::string::npos) << log.text();
}

// The probe planted <output_dir>/<experiment> as a link to another folder: runs were written there.
TEST(RunDirectoryTest, AnExperimentLinkLeadingOutsideOutputDirIsRefused) {
  test::TempDir dir, elsewhere;
  fs::create_directory_symlink(elsewhere.path(), dir.path() / "exp");
  LoggingOptions options;
  options.output_dir = dir.path().string();
  options.experiment_name = "exp";
  try {
    RunDirectory run(options, "r");
    FAIL() << "wrote through the link into " << run.path();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("outside logging.output_dir"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::is_empty(elsewhere.path()));
  // A link that stays inside output_dir is the user's own layout: followed.
  fs::create_directory(dir.path() / "real");
  fs::create_directory_symlink(dir.path() / "real", dir.path() / "inside");
  options.experiment_name = "inside";
  EXPECT_NO_THROW(RunDirectory(options, "r"));
  EXPECT_TRUE(fs::is_directory(dir.path() / "real" / "r"));
}

TEST(RunDirectoryTest, NamesLongerThanAFolderNameHoldsAreAConfigErrorNamingTheKey) {
  const auto config = test::parse_config("[logging]\nrun_name = \"" + std::string(300, 'r') + "\"\n");
  try {
    LoggingOptions::from_config(config.section("logging"));
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "test.toml:2:12: logging.run_name: is 300 bytes long; at most 200 (a folder name)");
  }
}

TEST(RunDirectoryTest, ANameKeptAsGivenIsNotReported) {
  test::TempDir dir;
  LoggingOptions options;
  options.output_dir = dir.path().string();
  options.experiment_name = "exp";
  const CapturedLog log;
  RunDirectory run(options, "20260101-000000-mf");
  EXPECT_EQ(run.path(), dir.path() / "exp" / "20260101-000000-mf");
  EXPECT_EQ(log.text(), "");
}

TEST(RunDirectoryTest, LatestLinksToTheNewestRunAndOpensAsIt) {
  test::TempDir dir;
  LoggingOptions options;
  options.output_dir = dir.path().string();
  options.experiment_name = "exp";
  const fs::path experiment = dir.path() / "exp";
  const fs::path latest = experiment / "latest";
  RunDirectory first(options, "r");
  ASSERT_TRUE(fs::is_symlink(latest));
  EXPECT_EQ(fs::read_symlink(latest), fs::path("r")) << "a relative link, so the tree can move";
  RunDirectory second(options, "r");
  EXPECT_EQ(second.path(), experiment / "r-2");
  EXPECT_EQ(fs::read_symlink(latest), fs::path("r-2"));
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(experiment)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"latest", "r", "r-2"})) << "no temporary link is left";

  second.write_config("");
  EXPECT_EQ(RunDirectory::open(latest).path(), experiment / "r-2");
  EXPECT_EQ(RunDirectory::open(latest.string() + "/").path(), experiment / "r-2");
}

TEST(RunDirectoryTest, ARunIsNeverNamedLatest) {
  test::TempDir dir;
  LoggingOptions options;
  options.output_dir = dir.path().string();
  options.experiment_name = "exp";
  options.run_name = "latest";
  const CapturedLog log;
  RunDirectory run(options, "unused");
  EXPECT_EQ(run.path(), dir.path() / "exp" / "latest-2");
  EXPECT_EQ(fs::read_symlink(dir.path() / "exp" / "latest"), fs::path("latest-2"));
  EXPECT_NE(log.text().find("logging.run_name 'latest' names the link to the newest run"), std::string::npos)
      << log.text();
}

TEST(RunDirectoryTest, MetricsCsvHasOneRowPerEpochAndSplit) {
  test::TempDir dir;
  LoggingOptions options;
  options.output_dir = dir.path().string();
  RunDirectory run(options, "r");
  run.write_config("");
  EpochResult e;
  e.epoch = 1;
  e.train_loss = 0.5;
  e.samples_per_second = 100;
  e.validated = true;
  e.validation.loss = 0.25;
  e.validation.metrics = {{"roc_auc", 0.75}};
  run.begin_metrics({"roc_auc"});
  run.append_metrics(e);
  EXPECT_EQ(test::read_file(run.path() / "metrics.csv"),
            "epoch,split,loss,roc_auc,samples_per_second\n1,train,0.5,,100\n1,validation,0.25,0.75,\n");
  e.epoch = 2;
  e.validated = false;
  run.append_metrics(e);
  // A resumed run keeps the rows up to its checkpoint's epoch and goes on from there.
  RunDirectory again = RunDirectory::open(run.path().string() + "/");
  again.begin_metrics({"roc_auc"}, 1);
  e.epoch = 2;
  e.train_loss = 0.125;
  again.append_metrics(e);
  EXPECT_EQ(test::read_file(run.path() / "metrics.csv"),
            "epoch,split,loss,roc_auc,samples_per_second\n1,train,0.5,,100\n1,validation,0.25,0.75,\n"
            "2,train,0.125,,100\n");
}

}  // namespace
}  // namespace recsys::core
