// The own-data issue end to end through recsys-host: ml-100k written as RecBole atomic files
// trained with the shipped config and asked for recommendations by string id, labelled
// MovieLens, and the refusals that protect labelled data.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "recbole_atomic.hpp"
#include "test_support.hpp"

namespace recsys {
namespace {

namespace fs = std::filesystem;
using test::run_host;

std::string config(const std::string& name) {
  return "'" + std::string(RECSYS_TEST_SOURCE_DIR) + "/configs/" + name + "'";
}

/// The test ROC-AUC of the one run under `output`/`experiment`.
double test_auc(const fs::path& output, const std::string& experiment) {
  const fs::path run = fs::canonical(output / experiment / "latest");
  return nlohmann::json::parse(test::read_file(run / "summary.json")).at("test").at("roc_auc").get<double>();
}

TEST(OwnData, RecBoleAtomicMl100kTrainsMfAboveTheFloorAndRecommendsByStringId) {
  RECSYS_REQUIRE_MOVIELENS_100K();
  test::TempDir dir;
  test::write_recbole_ml100k(test::data_root() / "ml-100k", dir.path() / "atomic");
  const std::string out = (dir.path() / "runs").string();
  const auto run = run_host("run " + config("recbole_ml100k_mf.toml") + " --set dataset.data_dir='" +
                            (dir.path() / "atomic").string() + "' --set logging.output_dir='" + out + "'");
  ASSERT_EQ(run.status, 0) << run.output;
  EXPECT_NE(run.output.find("dataset files: 942 users, 1447 items, 55376 positives"), std::string::npos);
  EXPECT_GE(test_auc(out, "recbole_ml100k_mf"), 0.865);  // the floor (0.8982 measured)
  const std::string latest = (dir.path() / "runs" / "recbole_ml100k_mf" / "latest").string();
  const auto top = run_host("recommend '" + latest + "' --user 1 --k 3 --format json", "", false);
  ASSERT_EQ(top.status, 0) << top.output;
  const auto items = nlohmann::json::parse(top.output);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_TRUE(items[0].at("item").is_string());
  EXPECT_FALSE(items[0].at("title").get<std::string>().empty());
  const auto unknown = run_host("recommend '" + latest + "' --user u-nobody");
  EXPECT_EQ(unknown.status, 2);
  EXPECT_NE(unknown.output.find("--user u-nobody: no such user"), std::string::npos) << unknown.output;
}

TEST(OwnData, LabelledMovieLensTrainsLrOnItsOwnLabels) {
  RECSYS_REQUIRE_MOVIELENS_100K();
  test::TempDir dir;
  const std::string out = (dir.path() / "runs").string();
  const auto run =
      run_host("run " + config("labelled_lr.toml") + " --set logging.output_dir='" + out + "'", test::data_env());
  ASSERT_EQ(run.status, 0) << run.output;
  // Every rating one row: 100,000 rows, 55,376 labelled 1 (rating >= 4), on 943 users.
  EXPECT_NE(run.output.find("943 users, 1682 items, 100000 labelled rows (55376 positive)"), std::string::npos)
      << run.output;
  // RecBole's published LR on this labelling and split: 0.7765; ours within 0.02.
  EXPECT_NEAR(test_auc(out, "labelled_lr"), 0.7765, 0.02);
}

TEST(OwnData, LabelledDataRefusesSamplersAndRankingProtocols) {
  RECSYS_REQUIRE_MOVIELENS_100K();
  const auto sampler =
      run_host("run " + config("labelled_lr.toml") + " --set sampler.plugin=uniform", test::data_env());
  EXPECT_EQ(sampler.status, 2);
  EXPECT_NE(sampler.output.find("sampler.plugin: the dataset gives labelled feedback"), std::string::npos)
      << sampler.output;
  const auto protocol = run_host("run " + config("labelled_lr.toml") + " --set evaluation.protocol=full" +
                                     " --set 'evaluation.metrics=[\"hr@10\"]' --set early_stopping.monitor=hr@10",
                                 test::data_env());
  EXPECT_EQ(protocol.status, 2);
  EXPECT_NE(protocol.output.find("'full' needs implicit feedback"), std::string::npos) << protocol.output;
  const auto none =
      run_host("run " + config("labelled_lr.toml") + " --set dataset.feedback=implicit", test::data_env());
  EXPECT_EQ(none.status, 2);
  EXPECT_NE(none.output.find("\"none\" needs labelled feedback"), std::string::npos) << none.output;
}

TEST(OwnData, PreSplitFilesTrainWithTheirOwnSplit) {
  test::TempDir dir;
  // 40 users x 20 items: each user's items u .. u+5 train, u+6 validates, u+7 tests.
  std::string train = "user_id,item_id\n", valid = train, test_rows = train;
  for (int u = 0; u < 40; ++u) {
    for (int k = 0; k < 6; ++k) train += "u" + std::to_string(u) + ",i" + std::to_string((u + k) % 20) + "\n";
    valid += "u" + std::to_string(u) + ",i" + std::to_string((u + 6) % 20) + "\n";
    test_rows += "u" + std::to_string(u) + ",i" + std::to_string((u + 7) % 20) + "\n";
  }
  dir.write("train.csv", train);
  dir.write("valid.csv", valid);
  dir.write("test.csv", test_rows);
  dir.write("split.toml", "[dataset]\nplugin = \"files\"\ndata_dir = \"" + dir.path().string() +
                              "\"\ninteractions = \"train.csv\"\nvalidation = \"valid.csv\"\ntest = \"test.csv\"\n"
                              "[split]\nstrategy = \"given\"\n[model]\narchitecture = \"inner_product\"\n"
                              "[training]\nepochs = 2\nthreads = 1\n[logging]\noutput_dir = \"" +
                              (dir.path() / "runs").string() + "\"\n");
  const std::string file = "'" + (dir.path() / "split.toml").string() + "'";
  const auto run = run_host("run " + file);
  ASSERT_EQ(run.status, 0) << run.output;
  EXPECT_NE(run.output.find("split: 240 train / 40 validation / 40 test positives"), std::string::npos) << run.output;
  const auto random = run_host("run " + file + " --set split.strategy=random");
  EXPECT_EQ(random.status, 2);
  EXPECT_NE(random.output.find("split.strategy: the dataset comes split"), std::string::npos) << random.output;
}

TEST(OwnData, RecommendTakesContextValuesByName) {
  test::TempDir dir;
  std::string clicks = "user_id,item_id,device,price\n";
  for (int u = 0; u < 30; ++u) {
    for (int k = 0; k < 6; ++k) {
      clicks += "u" + std::to_string(u) + ",i" + std::to_string((u * 3 + k) % 25) + "," + (k % 2 ? "mobile" : "tv") +
                "," + std::to_string(10 * k + u % 7) + "\n";
    }
  }
  dir.write("clicks.csv", clicks);
  dir.write(
      "ctx.toml",
      "[dataset]\nplugin = \"files\"\ndata_dir = \"" + dir.path().string() +
          "\"\ninteractions = \"clicks.csv\"\nscaling = \"standard\"\n[dataset.columns.device]\nrole = \"context\"\n"
          "[dataset.columns.price]\nrole = \"context\"\nkind = \"numeric\"\n"
          "[model]\narchitecture = \"fm\"\n[training]\nepochs = 1\nthreads = 1\n[logging]\n"
          "experiment_name = \"ctx\"\noutput_dir = \"" +
          (dir.path() / "runs").string() + "\"\n");
  ASSERT_EQ(run_host("run '" + (dir.path() / "ctx.toml").string() + "'").status, 0);
  const std::string latest = "'" + (dir.path() / "runs" / "ctx" / "latest").string() + "'";
  const auto mobile = run_host("recommend " + latest + " --user u1 --k 3 --context device=mobile", "", false);
  const auto tv = run_host("recommend " + latest + " --user u1 --k 3 --context device=tv", "", false);
  ASSERT_EQ(mobile.status, 0) << mobile.output;
  ASSERT_EQ(tv.status, 0) << tv.output;
  EXPECT_NE(mobile.output, tv.output);  // the device changes the scores
  const auto fridge = run_host("recommend " + latest + " --user u1 --context device=fridge");
  EXPECT_EQ(fridge.status, 2);
  EXPECT_NE(fridge.output.find("--context device=fridge: 'device' has no value 'fridge'"), std::string::npos)
      << fridge.output;
  const auto colour = run_host("recommend " + latest + " --user u1 --context colour=red");
  EXPECT_EQ(colour.status, 2);
  EXPECT_NE(colour.output.find("no context field 'colour' (fields: device, price)"), std::string::npos)
      << colour.output;
  // A numeric context field, standardised by the fit: the raw number given is scaled as in training.
  const auto cheap = run_host("recommend " + latest + " --user u1 --k 3 --context price=1", "", false);
  const auto dear = run_host("recommend " + latest + " --user u1 --k 3 --context price=900", "", false);
  ASSERT_EQ(cheap.status, 0) << cheap.output;
  EXPECT_NE(cheap.output, dear.output);
  const auto bad = run_host("recommend " + latest + " --user u1 --context price=cheap");
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.output.find("--context price=cheap: 'cheap' is not a finite number"), std::string::npos) << bad.output;
}

}  // namespace
}  // namespace recsys
