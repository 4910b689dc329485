// The trainer: validation schedule, early stopping, best-epoch restore, determinism.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <csignal>

#include "recsys/core/stop.hpp"
#include "recsys/core/trainer.hpp"
#include "recsys/errors.hpp"
#include "test_support.hpp"

namespace recsys::core {
namespace {

/// Scores every row with one learnable constant: validation ROC-AUC is 0.5 whatever it learns.
class ConstantModel final : public Model {
 public:
  ConstantModel() { bias_ = register_parameter("bias", torch::zeros({1})); }
  torch::Tensor forward(const Batch& batch) override { return bias_.expand({batch.size()}); }

 private:
  torch::Tensor bias_;
};

/// Scores with user and item embeddings: learns, so validation ROC-AUC moves between epochs.
class DotModel final : public Model {
 public:
  DotModel(std::int64_t users, std::int64_t items) {
    user_ = register_module("user", torch::nn::Embedding(users, 4));
    item_ = register_module("item", torch::nn::Embedding(items, 4));
  }
  torch::Tensor forward(const Batch& b) override { return (user_(b.user_id) * item_(b.item_id)).sum(1); }

 private:
  torch::nn::Embedding user_{nullptr}, item_{nullptr};
};

class TrainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* lib : {"loss_pointwise", "metric_pointwise", "sampler_uniform"}) {
      registry.load_library(test::plugin_file(lib));
    }
    // 20 users x 30 items; user u likes items u .. u+7 (mod 30).
    std::vector<std::int64_t> users, items;
    for (std::int64_t u = 0; u < 20; ++u) {
      for (std::int64_t j = 0; j < 8; ++j) {
        users.push_back(u);
        items.push_back((u + j) % 30);
      }
    }
    InteractionData d;
    d.user_id = torch::tensor(users, torch::kInt64);
    d.item_id = torch::tensor(items, torch::kInt64);
    d.rating = torch::ones({d.user_id.size(0)});
    d.timestamp = torch::arange(d.user_id.size(0), torch::kInt64);
    d.schema.user.num_ids = 20;
    d.schema.item.num_ids = 30;
    d.user_features = {torch::zeros({20, 0}), torch::zeros({20, 0}, torch::kInt64)};
    d.item_features = {torch::zeros({30, 0}), torch::zeros({30, 0}, torch::kInt64)};
    for (std::int64_t i = 0; i < 30; ++i) d.item_original_id.push_back(std::to_string(i + 1));
    for (std::int64_t u = 0; u < 20; ++u) d.user_original_id.push_back(std::to_string(u + 1));
    sampler = registry.create<PluginKind::sampler>("uniform", empty);
    data = std::make_unique<TrainingData>(
        prepare_training_data(d, split_interactions(d, SplitOptions{}, 3), EvaluationOptions{}, sampler.get(), 3));
  }

  Trainer make(std::shared_ptr<Model> model, const std::string& training, const std::string& early_stopping) {
    configs.push_back(std::make_unique<PipelineConfig>(
        test::parse_config("[training]\n" + training + "\n[early_stopping]\n" + early_stopping + "\n")));
    const auto& config = *configs.back();
    std::vector<NamedMetric> metrics{{"roc_auc", registry.create<PluginKind::metric>("roc_auc", empty)}};
    TrainerOptions options = TrainerOptions::from_config(config.section("training"));
    options.batch_size = 32;
    auto stopping = EarlyStoppingOptions::from_config(config.section("early_stopping"), {"roc_auc"},
                                                      [](const std::string&) { return true; });
    return Trainer(options, std::move(model), registry.create<PluginKind::loss>("mse", empty), sampler,
                   std::move(metrics), stopping);
  }

  PluginRegistry registry;
  const Config empty = Config::empty("t");
  std::shared_ptr<Sampler> sampler;
  std::unique_ptr<TrainingData> data;
  std::vector<std::unique_ptr<PipelineConfig>> configs;
};

TEST_F(TrainerTest, StopsWhenTheMonitoredMetricStallsForPatienceEvaluations) {
  // ROC-AUC of a constant model is 0.5 at every epoch: epoch 1 is best, epochs 2 and 3 do not
  // improve, so patience 2 stops after epoch 3 of 10.
  Trainer trainer = make(std::make_shared<ConstantModel>(), "epochs = 10", "patience = 2");
  const TrainResult result = trainer.fit(*data);
  EXPECT_TRUE(result.stopped_early);
  EXPECT_EQ(result.epochs.size(), 3u);
  EXPECT_EQ(result.best_epoch, 1);
}

TEST_F(TrainerTest, TestFiguresComeFromTheBestEpochsWeights) {
  torch::manual_seed(0);
  auto model = std::make_shared<DotModel>(20, 30);
  Trainer trainer = make(model, "epochs = 6\nlearning_rate = 0.05", "monitor = \"roc_auc\"");
  const TrainResult result = trainer.fit(*data);
  ASSERT_GE(result.best_epoch, 1);
  double best = -1.0;
  for (const auto& e : result.epochs) best = std::max(best, e.validation.metric("roc_auc"));
  EXPECT_EQ(result.epochs[result.best_epoch - 1].validation.metric("roc_auc"), best);
  // The model holds the best epoch's weights: validating again gives that epoch's figure.
  EXPECT_EQ(trainer.evaluate(*data->validation, *data).metric("roc_auc"), best);
}

TEST_F(TrainerTest, ValidatesEveryNEpochsAndAfterTheLast) {
  Trainer trainer = make(std::make_shared<ConstantModel>(), "epochs = 5\neval_every = 2", "");
  const TrainResult result = trainer.fit(*data);
  std::vector<std::int64_t> validated;
  for (const auto& e : result.epochs) {
    if (e.validated) validated.push_back(e.epoch);
  }
  EXPECT_EQ(validated, (std::vector<std::int64_t>{2, 4, 5}));
}

TEST_F(TrainerTest, EvaluatingTwiceIsBitIdentical) {
  torch::manual_seed(0);
  Trainer trainer = make(std::make_shared<DotModel>(20, 30), "epochs = 2\nlearning_rate = 0.05", "");
  trainer.fit(*data);
  const Evaluation a = trainer.evaluate(*data->test, *data), b = trainer.evaluate(*data->test, *data);
  EXPECT_EQ(a.loss, b.loss);
  EXPECT_EQ(a.metric("roc_auc"), b.metric("roc_auc"));
}

TEST_F(TrainerTest, MicroBatchesTrainLikeTheWholeBatch) {
  // One epoch of SGD on 32-row batches, whole or as passes of 10, 10, 10 and 2 rows: each pass's
  // mean loss weighted by its share of the batch sums to the batch's gradient, so the weights
  // agree to rounding (unweighted passes would take steps about 3x too large).
  const auto train = [&](const std::string& micro) {
    torch::manual_seed(0);
    auto model = std::make_shared<DotModel>(20, 30);
    Trainer trainer = make(model, "epochs = 1\noptimizer = \"sgd\"\nlearning_rate = 0.5\n" + micro, "");
    const EpochResult epoch = trainer.train_epoch(*data, 1);
    return std::make_pair(epoch.train_loss, torch::nn::utils::parameters_to_vector(model->parameters()));
  };
  const auto [whole_loss, whole] = train("");
  const auto [micro_loss, micro] = train("micro_batch_size = 10");
  torch::manual_seed(0);
  const torch::Tensor initial = torch::nn::utils::parameters_to_vector(DotModel(20, 30).parameters());
  EXPECT_GT((whole - initial).abs().max().item<double>(), 1e-3);  // it trained
  EXPECT_TRUE(torch::allclose(micro, whole, /*rtol=*/1e-5, /*atol=*/1e-6));
  EXPECT_NEAR(micro_loss, whole_loss, 1e-6);
}

TEST_F(TrainerTest, AStopInMidEpochResumesToTheUninterruptedWeightsAndFigures) {
  const std::string training = "epochs = 2\nlearning_rate = 0.05";
  torch::manual_seed(0);
  auto straight_model = std::make_shared<DotModel>(20, 30);
  Trainer straight = make(straight_model, training, "");
  const TrainResult expected = straight.fit(*data);

  // A stop requested before the first batch ends the pass after it.
  torch::manual_seed(0);
  auto stopped_model = std::make_shared<DotModel>(20, 30);
  Trainer stopped = make(stopped_model, training, "");
  request_stop(SIGINT);
  try {
    stopped.fit(*data);
    ADD_FAILURE() << "fit did not stop";
  } catch (const Interrupted& stop) {
    EXPECT_EQ(stop.signal(), SIGINT);
    EXPECT_NE(std::string(stop.what()).find("in epoch 1 after batch 1 of"), std::string::npos) << stop.what();
  }
  clear_stop_request();
  ASSERT_TRUE(stopped.in_mid_epoch());
  test::TempDir dir;
  const auto last = dir.write("last.pt", stopped.save("config"));

  torch::manual_seed(7);  // other initial weights: the checkpoint must overwrite them all
  auto resumed_model = std::make_shared<DotModel>(20, 30);
  Trainer resumed = make(resumed_model, training, "");
  resumed.load(last, dir.path() / "best.pt");
  EXPECT_EQ(resumed.epoch(), 0);
  EXPECT_EQ(resumed.next_batch(), 1);
  const TrainResult result = resumed.fit(*data);
  ASSERT_EQ(result.epochs.size(), 2u);
  EXPECT_EQ(result.last_epoch, 2);
  EXPECT_EQ(result.epochs[0].train_loss, expected.epochs[0].train_loss);
  EXPECT_EQ(result.epochs[0].samples, expected.epochs[0].samples);
  EXPECT_EQ(result.epochs[1].validation.metric("roc_auc"), expected.epochs[1].validation.metric("roc_auc"));
  EXPECT_EQ(result.test.loss, expected.test.loss);
  EXPECT_TRUE(torch::equal(torch::nn::utils::parameters_to_vector(resumed_model->parameters()),
                           torch::nn::utils::parameters_to_vector(straight_model->parameters())));
}

TEST(TrainerOptionsTest, NegativeMicroBatchSizeNamesTheKey) {
  const PipelineConfig config = test::parse_config("[training]\nmicro_batch_size = -1\n");
  try {
    TrainerOptions::from_config(config.section("training"));
    FAIL() << "no ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("training.micro_batch_size"), std::string::npos) << e.what();
  }
}

TEST(EarlyStoppingOptionsTest, MonitorAndDirectionAreChecked) {
  const auto higher = [](const std::string& name) { return name != "rmse"; };
  const auto c = test::parse_config("[e]\nmonitor = \"ndcg@10\"\n");
  EXPECT_THROW(EarlyStoppingOptions::from_config(c.section("e"), {"roc_auc"}, higher), ConfigError);
  const auto d = test::parse_config("[e]\nmonitor = \"rmse\"\n");
  EXPECT_FALSE(EarlyStoppingOptions::from_config(d.section("e"), {"roc_auc", "rmse"}, higher).maximize);
  const auto e = test::parse_config("[e]\nmonitor = \"loss\"\n");
  EXPECT_FALSE(EarlyStoppingOptions::from_config(e.section("e"), {"roc_auc"}, higher).maximize);
  const auto f = test::parse_config("[e]\ndirection = \"up\"\n");
  EXPECT_THROW(EarlyStoppingOptions::from_config(f.section("e"), {"roc_auc"}, higher), ConfigError);
}

}  // namespace
}  // namespace recsys::core
