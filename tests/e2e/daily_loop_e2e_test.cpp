// The daily loop around a run, as a user lives it: Ctrl-C (SIGINT) or a scheduler's SIGTERM in
// mid-epoch, resuming with the printed command, resuming with changed keys or a finished run,
// and using a run directory from another folder with nothing set in the environment.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace recsys {
namespace {

namespace fs = std::filesystem;
using test::data_env;
using test::HostResult;
using test::run_host;

const std::string kMfConfig = std::string(RECSYS_TEST_SOURCE_DIR) + "/configs/movielens_mf.toml";

nlohmann::json read_json(const fs::path& file) {
  return nlohmann::json::parse(test::read_file(file));
}

/// The MLflow run's meta.yaml (run.json names the MLflow run's folder).
std::string mlflow_meta(const fs::path& run) {
  return test::read_file(fs::path(read_json(run / "run.json").at("mlflow_run").get<std::string>()) / "meta.yaml");
}

/// The shell words after "continue it with:" in a stopped run's log, without "recsys-host".
std::string printed_resume_arguments(const std::string& log) {
  const std::string marker = "continue it with:\n  recsys-host ";
  const auto at = log.find(marker);
  if (at == std::string::npos) return "";
  const auto begin = at + marker.size();
  return log.substr(begin, log.find('\n', begin) - begin);
}

/// Starts `arguments`, waits until epoch 1 is validated and sends `signal` in epoch 2; returns
/// the wait status.
int stop_in_epoch_two(const std::string& arguments, const fs::path& run, const fs::path& log, int signal) {
  const pid_t pid = test::spawn_host(arguments, log);
  for (int i = 0; i < 6000 && test::read_file(run / "metrics.csv").find("\n1,validation") == std::string::npos; ++i) {
    usleep(10000);
  }
  usleep(100000);  // into epoch 2's batches
  kill(pid, signal);
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

/// Trains straight and with a stop by `signal` in epoch 2, resumes with the printed command,
/// and checks the records against the uninterrupted run. `launch`: "launch --nproc 2 " or "run ".
void check_graceful_stop(int signal, const std::string& launch) {
  test::TempDir dir;
  // Batches of 64 make an epoch last long enough to stop in the middle of one.
  const std::string common = launch + "'" + kMfConfig + "' --set training.epochs=3 --set training.batch_size=64" +
                             " --set logging.output_dir='\"" + dir.path().string() + "\"'";
  const HostResult straight = run_host(common + " --set logging.run_name=straight", data_env());
  ASSERT_EQ(straight.status, 0) << straight.output;
  const fs::path run = dir.path() / "movielens_mf" / "stopped", log = dir.path() / "stopped.log";
  const int status = stop_in_epoch_two(common + " --set logging.run_name=stopped", run, log, signal);
  const std::string output = test::read_file(log);
  ASSERT_TRUE(WIFSIGNALED(status)) << "exit status " << WEXITSTATUS(status) << "\n" << output;
  EXPECT_EQ(WTERMSIG(status), signal) << output;  // shells report 128 + signal: 130, 143
  EXPECT_NE(output.find("in epoch 2 after batch"), std::string::npos) << output;
  EXPECT_FALSE(fs::exists(run / "summary.json"));
  EXPECT_NE(mlflow_meta(run).find("status: 5\n"), std::string::npos) << mlflow_meta(run);  // KILLED
  EXPECT_EQ(mlflow_meta(run).find("end_time: null"), std::string::npos) << mlflow_meta(run);
  const std::string resume = printed_resume_arguments(output);
  ASSERT_NE(resume.find("--resume '" + run.string() + "'"), std::string::npos) << output;

  const HostResult resumed = run_host(resume, data_env());
  ASSERT_EQ(resumed.status, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("after epoch 1 and batch"), std::string::npos) << resumed.output;
  const fs::path straight_run = dir.path() / "movielens_mf" / "straight";
  EXPECT_EQ(test::metrics_without_timing(test::read_file(run / "metrics.csv")),
            test::metrics_without_timing(test::read_file(straight_run / "metrics.csv")));
  EXPECT_EQ(read_json(run / "summary.json").at("test"), read_json(straight_run / "summary.json").at("test"));
  EXPECT_EQ(read_json(run / "summary.json").at("epochs"), 3);
  EXPECT_NE(mlflow_meta(run).find("status: 3\n"), std::string::npos) << mlflow_meta(run);  // FINISHED
}

TEST(GracefulStopTest, SigintInMidEpochResumesToTheUninterruptedRecords) {
  RECSYS_REQUIRE_MOVIELENS_100K();
  check_graceful_stop(SIGINT, "run ");
}

TEST(GracefulStopTest, SigtermInMidEpochResumesToTheUninterruptedRecords) {
  RECSYS_REQUIRE_MOVIELENS_100K();
  check_graceful_stop(SIGTERM, "run ");
}

TEST(GracefulStopTest, SigintToALaunchOfTwoRanksResumesToTheUninterruptedRecords) {
  RECSYS_REQUIRE_MOVIELENS_100K();
  check_graceful_stop(SIGINT, "launch --nproc 2 ");
}

/// One MF run of 1 epoch with embedding_dim 16 set on the command line, started in its own
/// folder with relative paths (RECSYS_DATA_DIR relative to it, output_dir "runs").
class ResumeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RECSYS_REQUIRE_MOVIELENS_100K();
    const std::string data = fs::relative(fs::absolute(test::data_root()), dir.path()).string();
    const HostResult r = run_host("run '" + kMfConfig + "' --set training.epochs=1 --set model.embedding_dim=16" +
                                      " --set logging.run_name=r --set logging.output_dir=runs",
                                  "cd '" + dir.path().string() + "' && RECSYS_DATA_DIR='" + data + "'");
    ASSERT_EQ(r.status, 0) << r.output;
  }
  fs::path run() const { return dir.path() / "runs" / "movielens_mf" / "r"; }
  test::TempDir dir;
};

TEST_F(ResumeTest, WithoutAPipelineFileContinuesFromTheRunsConfigWithSetOnTop) {
  const HostResult r = run_host("run --resume '" + run().string() + "' --set training.epochs=2", data_env());
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("training.epochs changes from 1 to 2"), std::string::npos) << r.output;
  EXPECT_EQ(read_json(run() / "summary.json").at("epochs"), 2);  // the whole run, not this process's 1
  EXPECT_NE(test::read_file(run() / "metrics.csv").find("\n2,validation,"), std::string::npos);
}

TEST_F(ResumeTest, ADifferingPipelineFileIsRefusedKeyByKey) {
  const HostResult r = run_host(
      "run '" + kMfConfig + "' --resume '" + run().string() + "' --set training.epochs=2 --set training.batch_size=512",
      data_env());
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("model.embedding_dim: the run has 16, this pipeline 10"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("training.batch_size: the run has 4096, this pipeline 512"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("shape differs"), std::string::npos) << r.output;  // refused before loading weights
}

TEST_F(ResumeTest, AFinishedRunSaysSoAndLogsNoSecondTestResult) {
  const fs::path test_metric =
      fs::path(read_json(run() / "run.json").at("mlflow_run").get<std::string>()) / "metrics" / "test_roc_auc";
  const std::string before = test::read_file(test_metric);
  ASSERT_FALSE(before.empty());
  const HostResult r = run_host("run --resume '" + run().string() + "'", data_env());
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("is finished (1 epoch"), std::string::npos) << r.output;
  EXPECT_EQ(test::read_file(test_metric), before);
}

TEST_F(ResumeTest, EvaluateAndRecommendWorkFromAnotherFolderWithAnEmptyEnvironment) {
  // The run trained with a relative RECSYS_DATA_DIR in its own folder; from elsewhere, with
  // nothing set, its config.toml must still find the data and run.json the plugins.
  test::TempDir elsewhere;
  const std::string bare = "cd '" + elsewhere.path().string() + "' && env -i PATH=/usr/bin:/bin";
  const HostResult evaluated = run_host("evaluate '" + run().string() + "'", bare);
  EXPECT_EQ(evaluated.status, 0) << evaluated.output;
  EXPECT_NE(evaluated.output.find("roc_auc"), std::string::npos) << evaluated.output;
  const HostResult recommended = run_host("recommend '" + run().string() + "' --user 1 --k 3", bare);
  EXPECT_EQ(recommended.status, 0) << recommended.output;
  EXPECT_TRUE(fs::is_empty(elsewhere.path()));  // nothing downloaded or created there
}

}  // namespace
}  // namespace recsys
