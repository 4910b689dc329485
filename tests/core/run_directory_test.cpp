// The run directory: name sanitising, metrics.csv, resumable runs.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "recsys/core/run_directory.hpp"
#include "test_support.hpp"

namespace recsys::core {
namespace {

namespace fs = std::filesystem;

TEST(SanitizeNameTest, NamesCannotEscapeTheOutputDirectory) {
  EXPECT_EQ(sanitize_name("../../x"), ".._.._x");
  EXPECT_EQ(sanitize_name(".."), "_..");
  EXPECT_EQ(sanitize_name(""), "_");
  EXPECT_EQ(sanitize_name("run 1/a"), "run_1_a");
  EXPECT_EQ(sanitize_name("mf-2026.v1"), "mf-2026.v1");
}

TEST(RunDirectoryTest, WritesIntoOutputExperimentRun) {
  test::TempDir dir;
  LoggingOptions options;
  options.output_dir = dir.path().string();
  options.experiment_name = "../exp";
  RunDirectory run(options, "r1");
  EXPECT_EQ(run.path(), dir.path() / ".._exp" / "r1");
  EXPECT_TRUE(fs::is_directory(run.path()));
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
