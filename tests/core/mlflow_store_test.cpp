// The MLflow file-store layout, checked against the facts of MLflow 2.x's file_store.py as
// listed in ../shared/docs/mlflow-file-store.md.
#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>

#include "recsys/core/mlflow_store.hpp"
#include "test_support.hpp"

namespace recsys::core {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream s(text);
  for (std::string line; std::getline(s, line);) out.push_back(line);
  return out;
}

/// The keys of a block-style YAML mapping, in file order.
std::vector<std::string> yaml_keys(const std::string& text) {
  std::vector<std::string> keys;
  for (const auto& line : lines(text)) keys.push_back(line.substr(0, line.find(':')));
  return keys;
}

TEST(MlflowStoreTest, CreatesTheDefaultExperimentTrashAndAnExperimentFolder) {
  test::TempDir dir;
  const fs::path root = dir.path() / "mlruns";
  MlflowRun run = MlflowRun::create(root, "movielens", "mf-1");
  EXPECT_TRUE(fs::is_directory(root / ".trash"));
  const std::string default_meta = test::read_file(root / "0" / "meta.yaml");
  EXPECT_EQ(yaml_keys(default_meta), (std::vector<std::string>{"artifact_location", "creation_time", "experiment_id",
                                                               "last_update_time", "lifecycle_stage", "name"}));
  EXPECT_NE(default_meta.find("experiment_id: '0'\n"), std::string::npos);
  EXPECT_NE(default_meta.find("lifecycle_stage: active\n"), std::string::npos);
  // The run sits in <root>/<experiment id>/<run id>; the experiment's meta names it.
  const fs::path experiment = run.directory().parent_path();
  const std::string id = experiment.filename().string();
  EXPECT_TRUE(std::regex_match(id, std::regex("^[a-zA-Z0-9][\\w\\-]{0,63}$"))) << id;
  const std::string meta = test::read_file(experiment / "meta.yaml");
  EXPECT_NE(meta.find("experiment_id: '" + id + "'\n"), std::string::npos) << meta;
  EXPECT_NE(meta.find("name: 'movielens'\n"), std::string::npos) << meta;
  EXPECT_NE(meta.find("artifact_location: file:///"), std::string::npos) << meta;
}

// The probe's control characters and invalid UTF-8 reached meta.yaml raw, which MLflow's YAML
// reader rejects. Expected lines checked with PyYAML 6: 'a\x07b\ufffd' and "it's".
TEST(MlflowStoreTest, ControlCharactersAndInvalidUtf8AreEscapedInMetaYaml) {
  test::TempDir dir;
  MlflowRun run = MlflowRun::create(dir.path() / "mlruns",
                                    "a\x07"
                                    "b\xff",
                                    "r");
  const std::string meta = test::read_file(run.directory().parent_path() / "meta.yaml");
  EXPECT_NE(meta.find("name: \"a\\u0007b\xEF\xBF\xBD\"\n"), std::string::npos) << meta;
  MlflowRun plain = MlflowRun::create(dir.path() / "mlruns", "it's caf\xC3\xA9", "r");
  EXPECT_NE(test::read_file(plain.directory().parent_path() / "meta.yaml").find("name: 'it''s caf\xC3\xA9'\n"),
            std::string::npos);
}

TEST(MlflowStoreTest, RunMetaHasEveryFieldInAlphabeticalOrder) {
  test::TempDir dir;
  MlflowRun run = MlflowRun::create(dir.path() / "mlruns", "e", "mf-1");
  EXPECT_TRUE(std::regex_match(run.run_id(), std::regex("^[0-9a-f]{32}$")));
  const std::string meta = test::read_file(run.directory() / "meta.yaml");
  const auto keys = yaml_keys(meta);
  EXPECT_EQ(keys,
            (std::vector<std::string>{"artifact_uri", "deleted_time", "end_time", "entry_point_name", "experiment_id",
                                      "lifecycle_stage", "run_id", "run_name", "run_uuid", "source_name", "source_type",
                                      "source_version", "start_time", "status", "tags", "user_id"}));
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
  EXPECT_NE(meta.find("run_id: " + run.run_id() + "\n"), std::string::npos);
  EXPECT_NE(meta.find("run_uuid: " + run.run_id() + "\n"), std::string::npos);
  EXPECT_NE(meta.find("status: 1\n"), std::string::npos) << "RUNNING = 1";
  EXPECT_NE(meta.find("end_time: null\n"), std::string::npos);
  EXPECT_NE(meta.find("source_type: 4\n"), std::string::npos);
  EXPECT_NE(meta.find("tags: []\n"), std::string::npos);
  EXPECT_NE(meta.find("run_name: 'mf-1'\n"), std::string::npos);
  EXPECT_TRUE(fs::is_directory(run.directory() / "artifacts"));

  run.set_status(MlflowStatus::finished);
  const std::string done = test::read_file(run.directory() / "meta.yaml");
  EXPECT_NE(done.find("status: 3\n"), std::string::npos) << "FINISHED = 3";
  EXPECT_TRUE(std::regex_search(done, std::regex("end_time: [0-9]{13}\n")));
  run.set_status(MlflowStatus::failed);
  EXPECT_NE(test::read_file(run.directory() / "meta.yaml").find("status: 4\n"), std::string::npos) << "FAILED = 4";
}

TEST(MlflowStoreTest, ParamsTagsAndMetricsUseMlflowsFileFormats) {
  test::TempDir dir;
  MlflowRun run = MlflowRun::create(dir.path() / "mlruns", "e", "mf-1");
  run.log_param("model.embedding_dim", "10");
  run.log_metric("validation_hr@10", 0.5, 1);
  run.log_metric("validation_hr@10", 2.0, 2);
  EXPECT_EQ(test::read_file(run.directory() / "params" / "model.embedding_dim"), "10");  // no trailing newline
  EXPECT_EQ(test::read_file(run.directory() / "tags" / "mlflow.runName"), "mf-1");       // equals run_name
  EXPECT_EQ(test::read_file(run.directory() / "tags" / "mlflow.source.type"), "LOCAL");
  // "@" is outside MLflow's key alphabet [/\w.\- ].
  const auto metric = lines(test::read_file(run.directory() / "metrics" / "validation_hr_at_10"));
  ASSERT_EQ(metric.size(), 2u);
  EXPECT_TRUE(std::regex_match(metric[0], std::regex("^[0-9]{13} 0.5 1$"))) << metric[0];
  EXPECT_TRUE(std::regex_match(metric[1], std::regex("^[0-9]{13} 2 2$"))) << metric[1];
}

TEST(MlflowStoreTest, RunsOfOneExperimentShareItsFolder) {
  test::TempDir dir;
  const fs::path root = dir.path() / "mlruns";
  MlflowRun a = MlflowRun::create(root, "movielens", "a");
  MlflowRun b = MlflowRun::create(root, "movielens", "b");
  MlflowRun c = MlflowRun::create(root, "other", "c");
  EXPECT_EQ(a.directory().parent_path(), b.directory().parent_path());
  EXPECT_NE(a.directory().parent_path(), c.directory().parent_path());
  EXPECT_NE(a.run_id(), b.run_id());
}

TEST(MlflowStoreTest, ReopenedRunIsRunningAgainAndKeepsItsIdentity) {
  test::TempDir dir;
  MlflowRun run = MlflowRun::create(dir.path() / "mlruns", "e", "r");
  run.set_status(MlflowStatus::failed);
  MlflowRun again = MlflowRun::reopen(run.directory());
  EXPECT_EQ(again.run_id(), run.run_id());
  const std::string meta = test::read_file(run.directory() / "meta.yaml");
  EXPECT_NE(meta.find("status: 1\n"), std::string::npos);
  EXPECT_NE(meta.find("run_name: 'r'\n"), std::string::npos);
}

/// Unsets an environment variable for one scope and restores it afterwards.
class UnsetEnvironment {
 public:
  explicit UnsetEnvironment(const char* name) : name_(name) {
    if (const char* value = std::getenv(name)) saved_ = value;
    unsetenv(name);
  }
  ~UnsetEnvironment() {
    if (saved_) setenv(name_, saved_->c_str(), 1);
  }
  UnsetEnvironment(const UnsetEnvironment&) = delete;
  UnsetEnvironment& operator=(const UnsetEnvironment&) = delete;

 private:
  const char* name_;
  std::optional<std::string> saved_;
};

TEST(MlflowStoreTest, UserIsTheAccountsNameWhenUserAndLognameAreUnset) {
  const passwd* account = getpwuid(geteuid());
  if (!account) RECSYS_SKIP_OUTSIDE_CI("this process's user id " << geteuid() << " has no account entry");
  const std::string expected = account->pw_name;
  test::TempDir dir;
  const UnsetEnvironment user("USER"), logname("LOGNAME");
  MlflowRun run = MlflowRun::create(dir.path() / "mlruns", "e", "r");
  EXPECT_EQ(test::read_file(run.directory() / "tags" / "mlflow.user"), expected);
  EXPECT_NE(test::read_file(run.directory() / "meta.yaml").find("user_id: '" + expected + "'\n"), std::string::npos);
}

TEST(MlflowKeyTest, KeysAreSanitised) {
  EXPECT_EQ(mlflow_key("validation_ndcg@10"), "validation_ndcg_at_10");
  EXPECT_EQ(mlflow_key("model.layers"), "model.layers");
  EXPECT_EQ(mlflow_key("a:b"), "a_b");
}

}  // namespace
}  // namespace recsys::core
