// Data-parallel training over c10d/Gloo as users run it: ranks started the torchrun way
// (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT) or by `recsys-host launch`, checked against
// one process training on the same global batches; a rank that dies; configuration errors.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <map>
#include <regex>
#include <sstream>

#include <torch/cuda.h>

#include "checkpoint_weights.hpp"
#include "recsys/core/distributed.hpp"
#include "test_support.hpp"

namespace recsys {
namespace {

namespace fs = std::filesystem;
using test::data_env;
using test::HostResult;
using test::run_host;
using test::spawn_host;

const std::string kConfig = std::string(RECSYS_TEST_SOURCE_DIR) + "/configs/movielens_mf.toml";

/// The run options both sides share: 2 epochs of inner_product (no dropout) with an odd
/// global batch, so the two ranks' shares differ by a row (2048 + 2047).
std::string common_options(const fs::path& output) {
  return "'" + kConfig + "' --set training.epochs=2 --set training.batch_size=4095 --set logging.output_dir='\"" +
         output.string() + "\"'";
}

/// The environment torchrun gives rank `rank` of 2.
std::string rank_env(int rank, int port) {
  return "RANK=" + std::to_string(rank) +
         " WORLD_SIZE=2 LOCAL_WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(port);
}

/// Exit status of a spawned host (-1 when a signal ended it).
int wait_for(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/// name -> value of the "  name  value" rows of a printed summary (loss and the metrics).
std::map<std::string, double> printed_metrics(const std::string& output) {
  std::map<std::string, double> out;
  const std::regex row(R"(^  (\w+)\s+(-?[0-9.]+)$)");
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_match(line, m, row)) out[m[1]] = std::stod(m[2]);
  }
  return out;
}

/// The weights of two checkpoints agree within 1e-5, name by name.
void expect_same_weights(const std::map<std::string, torch::Tensor>& expected,
                         const std::map<std::string, torch::Tensor>& actual) {
  ASSERT_EQ(actual.size(), expected.size());
  for (const auto& [name, tensor] : expected) {
    ASSERT_TRUE(actual.count(name)) << name;
    EXPECT_LE((actual.at(name) - tensor).abs().max().item<double>(), 1e-5) << name;
  }
}

/// One process trained on the shipped MF config; the data-parallel runs are compared with it.
class DistributedTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!test::have_movielens_100k()) return;
    dir = new test::TempDir;
    single = run_host("run " + common_options(dir->path()) + " --set logging.run_name=single", data_env(), false);
    ASSERT_EQ(single.status, 0) << single.output;
  }
  static void TearDownTestSuite() { delete dir; }
  void SetUp() override { RECSYS_REQUIRE_MOVIELENS_100K(); }
  static fs::path run_path(const std::string& name) { return dir->path() / "movielens_mf" / name; }
  static inline test::TempDir* dir = nullptr;
  static inline HostResult single;
};

TEST_F(DistributedTest, TwoGlooRanksEndWithTheParametersAndMetricsOfOneProcess) {
  const int port = core::free_local_port();
  const std::string options = "run " + common_options(dir->path()) + " --set logging.run_name=ranks";
  const pid_t rank0 = spawn_host(options, dir->path() / "rank0.log", rank_env(0, port));
  const pid_t rank1 = spawn_host(options, dir->path() / "rank1.log", rank_env(1, port));
  ASSERT_EQ(wait_for(rank0), 0) << test::read_file(dir->path() / "rank0.log");
  ASSERT_EQ(wait_for(rank1), 0) << test::read_file(dir->path() / "rank1.log");
  const std::string log0 = test::read_file(dir->path() / "rank0.log");
  EXPECT_NE(log0.find("rank 0 of 2 connected (gloo backend"), std::string::npos) << log0;

  // Parameters after 2 epochs: the same global batches, gradients averaged over the ranks.
  const auto expected = test::read_checkpoint_weights(run_path("single") / "checkpoints" / "last.pt");
  const auto actual = test::read_checkpoint_weights(run_path("ranks") / "checkpoints" / "last.pt");
  expect_same_weights(expected, actual);
  // The training moved them (a test of two untrained models would pass trivially).
  EXPECT_GT((expected.at("user.id.weight") - expected.at("user.id.weight").mean()).abs().max().item<double>(), 0.0);

  // Test metrics over the whole split, as rank 0 printed them.
  const auto want = printed_metrics(single.output), got = printed_metrics(log0);
  ASSERT_EQ(want.size(), 3u) << single.output;  // loss, roc_auc, pr_auc
  for (const auto& [name, value] : want) {
    ASSERT_TRUE(got.count(name)) << name << "\n" << log0;
    EXPECT_NEAR(got.at(name), value, 1e-4) << name;
  }
  // Only rank 0 wrote a run directory (`latest` is a link to one of them).
  int runs = 0;
  for (const auto& entry : fs::directory_iterator(dir->path() / "movielens_mf")) {
    runs += entry.is_directory() && !entry.is_symlink() ? 1 : 0;
  }
  EXPECT_EQ(runs, 2);  // single, ranks
}

// Lazy Adam is the sparse rule whose result depends on which rows a step touched (untouched rows
// keep their moments): the ranks must update exactly the rows of the global batch, the union of
// their own, although the gradients travel dense.
TEST_F(DistributedTest, LazyAdamOnTwoRanksUpdatesTheRowsOneProcessWould) {
  const std::string options = "run " + common_options(dir->path()) +
                              " --set training.epochs=1 --set training.sparse_optimizer=lazy_adam"
                              " --set training.sparse_learning_rate=0.001";
  const HostResult one = run_host(options + " --set logging.run_name=lazy_single", data_env(), false);
  ASSERT_EQ(one.status, 0) << one.output;
  const int port = core::free_local_port();
  const pid_t rank0 =
      spawn_host(options + " --set logging.run_name=lazy_ranks", dir->path() / "lazy0.log", rank_env(0, port));
  const pid_t rank1 =
      spawn_host(options + " --set logging.run_name=lazy_ranks", dir->path() / "lazy1.log", rank_env(1, port));
  ASSERT_EQ(wait_for(rank0), 0) << test::read_file(dir->path() / "lazy0.log");
  ASSERT_EQ(wait_for(rank1), 0) << test::read_file(dir->path() / "lazy1.log");
  const auto expected = test::read_checkpoint_weights(run_path("lazy_single") / "checkpoints" / "last.pt");
  const auto actual = test::read_checkpoint_weights(run_path("lazy_ranks") / "checkpoints" / "last.pt");
  expect_same_weights(expected, actual);
}

TEST_F(DistributedTest, LaunchPrintsTheSummaryOfOneProcess) {
  const HostResult launched = run_host(
      "launch --nproc 2 " + common_options(dir->path()) + " --set logging.run_name=launched", data_env(), false);
  ASSERT_EQ(launched.status, 0) << launched.output;
  // The same summary line for line; the figures printed to 4 decimals agree to rounding.
  std::istringstream want(single.output), got(launched.output);
  std::string a, b;
  while (std::getline(want, a)) {
    ASSERT_TRUE(std::getline(got, b)) << launched.output;
    if (a.rfind("Run directory:", 0) == 0 || a.rfind("Run time:", 0) == 0) continue;
    if (printed_metrics(a).empty()) {
      EXPECT_EQ(b, a);
    }
  }
  const auto want_metrics = printed_metrics(single.output), got_metrics = printed_metrics(launched.output);
  ASSERT_EQ(got_metrics.size(), want_metrics.size()) << launched.output;
  for (const auto& [name, value] : want_metrics) EXPECT_NEAR(got_metrics.at(name), value, 2e-4) << name;
  EXPECT_TRUE(fs::exists(run_path("launched") / "summary.json"));
}

/// Starts two ranks of a long run, waits for rank 0's first epoch, then `signal`s rank 1;
/// returns rank 0's exit status, its log and how long it took to exit.
struct FaultOutcome {
  int status = 0;
  std::string log;
  double seconds = 0.0;
};
FaultOutcome fault_rank_one(const fs::path& output, int signal, double timeout_seconds) {
  const int port = core::free_local_port();
  const std::string options = "run '" + kConfig + "' --set training.epochs=200 --set training.batch_size=256" +
                              " --set distributed.timeout_seconds=" + std::to_string(timeout_seconds) +
                              " --set logging.run_name=fault --set logging.output_dir='\"" + output.string() + "\"'";
  const pid_t rank0 = spawn_host(options, output / "rank0.log", rank_env(0, port));
  const pid_t rank1 = spawn_host(options, output / "rank1.log", rank_env(1, port));
  const fs::path metrics = output / "movielens_mf" / "fault" / "metrics.csv";
  for (int i = 0; i < 6000 && test::read_file(metrics).find("\n1,") == std::string::npos; ++i) usleep(10000);
  kill(rank1, signal);
  const auto start = std::chrono::steady_clock::now();
  FaultOutcome outcome;
  outcome.status = wait_for(rank0);
  outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  outcome.log = test::read_file(output / "rank0.log");
  kill(rank1, SIGKILL);
  wait_for(rank1);
  return outcome;
}

TEST_F(DistributedTest, KilledRankMakesTheOtherExitWithAnError) {
  test::TempDir output;
  const FaultOutcome outcome = fault_rank_one(output.path(), SIGKILL, 30.0);
  EXPECT_EQ(outcome.status, 1) << outcome.log;
  EXPECT_LT(outcome.seconds, 30.0);
  EXPECT_NE(outcome.log.find("rank 0 of 2: gradient all-reduce failed"), std::string::npos) << outcome.log;
}

TEST_F(DistributedTest, RankThatStopsAnsweringMakesTheOtherExitAfterTheTimeout) {
  test::TempDir output;
  // SIGSTOP keeps rank 1's sockets open: only the timeout can free rank 0.
  const FaultOutcome outcome = fault_rank_one(output.path(), SIGSTOP, 3.0);
  EXPECT_EQ(outcome.status, 1) << outcome.log;
  EXPECT_LT(outcome.seconds, 3.0 + 10.0);
  EXPECT_NE(outcome.log.find("timeout_seconds = 3"), std::string::npos) << outcome.log;
}

TEST(DistributedConfigTest, UnavailableBackendsAndDevicesAreConfigErrors) {
  const HostResult nccl = run_host("run '" + kConfig + "' --set distributed.backend=nccl", data_env());
  EXPECT_EQ(nccl.status, 2) << nccl.output;
  EXPECT_NE(nccl.output.find("distributed.backend"), std::string::npos) << nccl.output;
  EXPECT_NE(nccl.output.find("use \"gloo\""), std::string::npos) << nccl.output;
  if (!torch::cuda::is_available()) {
    const HostResult cuda = run_host("run '" + kConfig + "' --set training.device=cuda:0", data_env());
    EXPECT_EQ(cuda.status, 2) << cuda.output;
    EXPECT_NE(cuda.output.find("training.device"), std::string::npos) << cuda.output;
    EXPECT_NE(cuda.output.find("no CUDA"), std::string::npos) << cuda.output;
  }
  const HostResult tpu = run_host("run '" + kConfig + "' --set training.device=tpu", data_env());
  EXPECT_EQ(tpu.status, 2) << tpu.output;
  EXPECT_NE(tpu.output.find("unknown device 'tpu'"), std::string::npos) << tpu.output;
}

TEST(DistributedConfigTest, IncompleteLaunchEnvironmentNamesTheVariable) {
  const HostResult no_rank = run_host("run '" + kConfig + "'", data_env() + " WORLD_SIZE=2 MASTER_ADDR=127.0.0.1");
  EXPECT_EQ(no_rank.status, 2) << no_rank.output;
  EXPECT_NE(no_rank.output.find("RANK is not set"), std::string::npos) << no_rank.output;
  const HostResult bad_port =
      run_host("run '" + kConfig + "'", data_env() + " WORLD_SIZE=2 RANK=0 MASTER_ADDR=127.0.0.1 MASTER_PORT=http");
  EXPECT_EQ(bad_port.status, 2) << bad_port.output;
  EXPECT_NE(bad_port.output.find("MASTER_PORT='http'"), std::string::npos) << bad_port.output;
}

}  // namespace
}  // namespace recsys
