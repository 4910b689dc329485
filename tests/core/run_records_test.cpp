// The run's records without a trainer: start, epochs, finish, fail, reopen; nothing written
// on a rank other than 0.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "recsys/core/run_records.hpp"
#include "recsys/errors.hpp"
#include "recsys/plugin.hpp"
#include "test_support.hpp"

namespace recsys::core {
namespace {

namespace fs = std::filesystem;

class RunRecordsTest : public ::testing::Test {
 protected:
  RunDescription description() const {
    RunDescription run;
    run.logging.output_dir = dir_.path().string();
    run.logging.experiment_name = "exp";
    run.default_run_name = "r";
    run.resolved_config = "[training]\nepochs = 2\n";
    run.metric_names = {"roc_auc"};
    run.plugins = {{"dataset", "movielens", "1.0.0", "/plugins/recsys_dataset_movielens.so"},
                   {"model", "inner_product", "1.0.0", "/plugins/recsys_model_inner_product.so"}};
    run.protocol = "protocol pointwise";
    return run;
  }

  static EpochResult epoch(std::int64_t number, double train_loss, double roc_auc) {
    EpochResult e;
    e.epoch = number;
    e.train_loss = train_loss;
    e.samples_per_second = 100;
    e.validated = true;
    e.validation.loss = 0.25;
    e.validation.metrics = {{"roc_auc", roc_auc}};
    return e;
  }

  static nlohmann::ordered_json read_json(const fs::path& file) {
    return nlohmann::ordered_json::parse(test::read_file(file));
  }

  /// The `status: N` line of the MLflow run's meta.yaml.
  static std::string mlflow_status(const fs::path& run_directory) {
    const std::string meta =
        test::read_file(read_json(run_directory / "run.json")["mlflow_run"].get<std::string>() + "/meta.yaml");
    const auto at = meta.find("status: ");
    return meta.substr(at + 8, meta.find('\n', at) - at - 8);
  }

  test::TempDir dir_;
};

TEST_F(RunRecordsTest, StartWritesConfigRunInfoAndMetricsHeader) {
  const RunRecords records = RunRecords::start(description(), true);
  const fs::path run = dir_.path() / "exp" / "r";
  EXPECT_EQ(records.directory(), run);
  EXPECT_EQ(test::read_file(run / "config.toml"), "[training]\nepochs = 2\n\n");
  EXPECT_TRUE(fs::is_directory(run / "checkpoints"));
  const nlohmann::ordered_json info = read_json(run / "run.json");
  std::vector<std::string> keys;
  for (const auto& item : info.items()) keys.push_back(item.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"recsys_version", "git_revision", "plugin_api", "mlflow_run",
                                            "paths_as_written", "data", "plugins"}));
  EXPECT_EQ(info["plugin_api"],
            std::to_string(RECSYS_PLUGIN_API_MAJOR) + "." + std::to_string(RECSYS_PLUGIN_API_MINOR));
  ASSERT_EQ(info["plugins"].size(), 2u);
  EXPECT_EQ(info["plugins"][1]["kind"], "model");
  EXPECT_EQ(info["plugins"][1]["name"], "inner_product");
  EXPECT_EQ(info["plugins"][0]["path"], "/plugins/recsys_dataset_movielens.so");
  const fs::path mlflow = info["mlflow_run"].get<std::string>();
  EXPECT_EQ(test::read_file(mlflow / "params" / "training.epochs"), "2");
  EXPECT_EQ(test::read_file(mlflow / "tags" / "recsys.run_directory"), fs::absolute(run).lexically_normal().string());
  EXPECT_EQ(mlflow_status(run), "1");  // RUNNING
  EXPECT_FALSE(fs::exists(run / "metrics.csv")) << "written with the first epoch, header and rows together";
}

TEST_F(RunRecordsTest, EpochsWriteMetricsAndCheckpointsBestBeforeLast) {
  RunRecords records = RunRecords::start(description(), true);
  const fs::path run = records.directory();
  records.after_epoch(epoch(1, 0.5, 0.75), true, [] { return std::string("state after epoch 1"); });
  records.after_epoch(epoch(2, 0.125, 0.5), false, [] { return std::string("state after epoch 2"); });
  EXPECT_EQ(test::read_file(run / "metrics.csv"),
            "epoch,split,loss,roc_auc,samples_per_second\n1,train,0.5,,100\n1,validation,0.25,0.75,\n"
            "2,train,0.125,,100\n2,validation,0.25,0.5,\n");
  EXPECT_EQ(test::read_file(run / "checkpoints" / "best.pt"), "state after epoch 1");
  EXPECT_EQ(test::read_file(run / "checkpoints" / "last.pt"), "state after epoch 2");
  const fs::path mlflow = read_json(run / "run.json")["mlflow_run"].get<std::string>();
  const std::string curve = test::read_file(mlflow / "metrics" / "validation_roc_auc");
  EXPECT_NE(curve.find(" 0.75 1\n"), std::string::npos) << curve;
  EXPECT_NE(curve.find(" 0.5 2\n"), std::string::npos) << curve;
}

// The probe filled the disk during a checkpoint write: metrics.csv already held the epoch.
TEST_F(RunRecordsTest, AFailedCheckpointLeavesNoMetricsRowForItsEpoch) {
  RunRecords records = RunRecords::start(description(), true);
  const fs::path run = records.directory();
  records.after_epoch(epoch(1, 0.5, 0.75), true, [] { return std::string("state after epoch 1"); });
  EXPECT_THROW(
      records.after_epoch(epoch(2, 0.125, 0.5), false,
                          []() -> std::string { throw Error("checkpoints/last.pt: No space left on device"); }),
      Error);
  EXPECT_EQ(test::read_file(run / "metrics.csv"),
            "epoch,split,loss,roc_auc,samples_per_second\n1,train,0.5,,100\n1,validation,0.25,0.75,\n");
  const fs::path mlflow = read_json(run / "run.json")["mlflow_run"].get<std::string>();
  EXPECT_EQ(test::read_file(mlflow / "metrics" / "train_loss").find(" 2\n"), std::string::npos);
}

TEST_F(RunRecordsTest, FinishWritesTheSummaryAndEndsTheMlflowRun) {
  RunRecords records = RunRecords::start(description(), true);
  TrainResult result;
  result.epochs = {epoch(1, 0.5, 0.75), epoch(2, 0.25, 0.5)};
  result.last_epoch = 2;
  result.best_epoch = 1;
  result.test.loss = 0.375;
  result.test.metrics = {{"roc_auc", 0.8892576109302797}};
  records.finish(result);
  const std::string text = test::read_file(records.directory() / "summary.json");
  const nlohmann::ordered_json summary = nlohmann::ordered_json::parse(text);
  EXPECT_EQ(summary.begin().key(), "protocol");
  EXPECT_EQ(summary["protocol"], "protocol pointwise");
  EXPECT_EQ(summary["best_epoch"], 1);
  EXPECT_EQ(summary["epochs"], 2);
  EXPECT_EQ(summary["stopped_early"], false);
  EXPECT_EQ(summary["test"]["loss"].get<double>(), 0.375);
  EXPECT_EQ(summary["test"]["roc_auc"].get<double>(), 0.8892576109302797) << "written to read back bit for bit";
  EXPECT_EQ(mlflow_status(records.directory()), "3");  // FINISHED
}

TEST_F(RunRecordsTest, FailMarksTheMlflowRunFailed) {
  const RunRecords records = RunRecords::start(description(), true);
  records.fail();
  EXPECT_EQ(mlflow_status(records.directory()), "4");
  EXPECT_FALSE(fs::exists(records.directory() / "summary.json"));
}

TEST_F(RunRecordsTest, ReopenKeepsTheRowsUpToTheEpochAndRunsTheSameMlflowRunAgain) {
  fs::path run, mlflow;
  {
    RunRecords records = RunRecords::start(description(), true);
    run = records.directory();
    records.after_epoch(epoch(1, 0.5, 0.75), true, [] { return std::string("1"); });
    records.after_epoch(epoch(2, 0.25, 0.5), false, [] { return std::string("2"); });
    records.fail();
  }
  RunRecords reopened = RunRecords::reopen(run, description(), 1, true);
  EXPECT_EQ(reopened.directory(), run);
  EXPECT_EQ(mlflow_status(run), "1");
  reopened.after_epoch(epoch(2, 0.125, 0.625), true, [] { return std::string("2 again"); });
  EXPECT_EQ(test::read_file(run / "metrics.csv"),
            "epoch,split,loss,roc_auc,samples_per_second\n1,train,0.5,,100\n1,validation,0.25,0.75,\n"
            "2,train,0.125,,100\n2,validation,0.25,0.625,\n");
  EXPECT_EQ(test::read_file(run / "checkpoints" / "best.pt"), "2 again");
  // MLflow has each step once: the first process's epoch 2 was dropped at the reopen.
  const fs::path curve = read_json(run / "run.json")["mlflow_run"].get<std::string>() + "/metrics/validation_roc_auc";
  const std::string points = test::read_file(curve);
  EXPECT_NE(points.find(" 0.75 1\n"), std::string::npos) << points;
  EXPECT_EQ(points.find(" 0.5 2\n"), std::string::npos) << points;
  EXPECT_NE(points.find(" 0.625 2\n"), std::string::npos) << points;
}

TEST_F(RunRecordsTest, ARankOtherThanZeroWritesNothing) {
  RunRecords records = RunRecords::start(description(), false);
  EXPECT_TRUE(records.directory().empty());
  bool serialized = false;
  records.after_epoch(epoch(1, 0.5, 0.75), true, [&] {
    serialized = true;
    return std::string("state");
  });
  TrainResult result;
  result.best_epoch = 1;
  records.finish(result);
  records.fail();
  EXPECT_FALSE(serialized) << "the checkpoint is not even serialized";
  EXPECT_TRUE(fs::is_empty(dir_.path())) << "nothing under the output directory";
}

}  // namespace
}  // namespace recsys::core
