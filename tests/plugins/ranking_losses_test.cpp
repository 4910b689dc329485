// The bpr and softmax losses, loaded through the host's loader: known answers worked out by
// hand, gradients against finite differences, and the logQ-corrected sampled softmax against
// the full softmax over a catalogue.
#include <gtest/gtest.h>

#include <cmath>
#include <utility>

#include <torch/torch.h>

#include "recsys/conformance_gtest.hpp"
#include "test_support.hpp"

namespace recsys {
namespace {

class RankingLossTest : public ::testing::Test {
 protected:
  std::shared_ptr<Loss> make(const std::string& name, const std::string& table = "") {
    configs.push_back(std::make_unique<core::PipelineConfig>(test::parse_config("[loss]\n" + table)));
    return registry.create<PluginKind::loss>(name, configs.back()->section("loss"));
  }
  static Batch groups(std::int64_t size, torch::Tensor log_q = {}) {
    Batch batch;
    batch.group_size = size;
    batch.log_q = std::move(log_q);
    return batch;
  }
  core::PluginRegistry registry = test::registry_with("loss_ranking");
  std::vector<std::unique_ptr<core::PipelineConfig>> configs;
};

TEST_F(RankingLossTest, PassesTheConformanceSuite) {
  for (const char* name : {"bpr", "softmax"}) {
    auto loss = make(name);
    EXPECT_TRUE(loss->grouped());
    EXPECT_EQ(loss->scores(), LossScores::rows);
    RECSYS_EXPECT_CONFORMS(conformance::check_loss(*loss));
  }
  for (const auto& [negatives, scores] :
       {std::pair{"in_batch", LossScores::in_batch}, std::pair{"catalogue", LossScores::catalogue}}) {
    auto loss = make("softmax", std::string("negatives = \"") + negatives + "\"\n");
    EXPECT_FALSE(loss->grouped()) << negatives;
    EXPECT_EQ(loss->scores(), scores) << negatives;
    RECSYS_EXPECT_CONFORMS(conformance::check_loss(*loss));
  }
}

TEST_F(RankingLossTest, AnUnknownNegativesValueIsRefusedNamingTheKey) {
  try {
    make("softmax", "negatives = \"batch\"\n");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("negatives"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("in_batch"), std::string::npos) << e.what();
  }
}

TEST_F(RankingLossTest, BprIsTheMeanOfMinusLogSigmoidOfTheMargins) {
  // Groups [2, 1, -1] and [0, 0.5, 0]: margins 1, 3 and -0.5, 0.
  const torch::Tensor logits = torch::tensor({2.0f, 1.0f, -1.0f, 0.0f, 0.5f, 0.0f});
  const double expected =
      (std::log1p(std::exp(-1.0)) + std::log1p(std::exp(-3.0)) + std::log1p(std::exp(0.5)) + std::log(2.0)) / 4;
  EXPECT_NEAR(make("bpr")->forward(logits, groups(3)).item<double>(), expected, 1e-6);
}

TEST_F(RankingLossTest, SoftmaxIsTheCrossEntropyOfThePositiveWithTemperatureAndLogQ) {
  const torch::Tensor logits = torch::tensor({1.0f, 0.0f, 2.0f});
  // Temperature 0.5: logits 2, 0, 4; -log(e^2 / (e^2 + 1 + e^4)).
  const double plain = -2.0 + std::log(std::exp(2.0) + 1.0 + std::exp(4.0));
  EXPECT_NEAR(make("softmax", "temperature = 0.5\n")->forward(logits, groups(3)).item<double>(), plain, 1e-5);
  // log q = [-1, -2, -3] subtracted from every logit: 2, 2, 5.
  const torch::Tensor log_q = torch::tensor({-1.0f, -2.0f, -3.0f});
  const double corrected = -2.0 + std::log(2 * std::exp(2.0) + std::exp(5.0));
  EXPECT_NEAR(make("softmax")->forward(logits, groups(3, log_q)).item<double>(), corrected, 1e-5);
  // The positive left as it is: 1, 2, 5.
  const double negatives_only = -1.0 + std::log(std::exp(1.0) + std::exp(2.0) + std::exp(5.0));
  EXPECT_NEAR(make("softmax", "correct_positive = false\n")->forward(logits, groups(3, log_q)).item<double>(),
              negatives_only, 1e-5);
}

/// Three positives scored against each other: logits [3, 3], log q of the batch's items, the
/// third item an accidental hit of the first user.
Batch in_batch_positives() {
  Batch batch;
  batch.user_id = torch::tensor({0, 1, 2}, torch::kInt64);
  batch.item_id = torch::tensor({7, 8, 9}, torch::kInt64);
  batch.log_q = torch::tensor({-1.0f, -2.0f, -0.5f});
  batch.accidental_hits = torch::zeros({3, 3}, torch::kBool);
  batch.accidental_hits[0][2] = true;
  return batch;
}

TEST_F(RankingLossTest, InBatchSoftmaxLeavesOutAccidentalHitsAndSubtractsLogQ) {
  const torch::Tensor logits = torch::tensor({{1.0f, 0.0f, 2.0f}, {0.5f, 1.0f, 0.0f}, {0.0f, 0.0f, 1.0f}});
  // Minus log q by column (+1, +2, +0.5): row 0 [2, 2, masked], row 1 [1.5, 3, 0.5], row 2 [1, 2, 1.5];
  // the positives on the diagonal.
  const double expected = (std::log(2.0) + (-3.0 + std::log(std::exp(1.5) + std::exp(3.0) + std::exp(0.5))) +
                           (-1.5 + std::log(std::exp(1.0) + std::exp(2.0) + std::exp(1.5)))) /
                          3;
  auto loss = make("softmax", "negatives = \"in_batch\"\n");
  EXPECT_NEAR(loss->forward(logits, in_batch_positives()).item<double>(), expected, 1e-5);
  // Without the correction: row 0 [1, 0, masked], row 1 [0.5, 1, 0], row 2 [0, 0, 1].
  const double plain =
      ((-1.0 + std::log(std::exp(1.0) + 1.0)) + (-1.0 + std::log(std::exp(0.5) + std::exp(1.0) + 1.0)) +
       (-1.0 + std::log(2.0 + std::exp(1.0)))) /
      3;
  auto uncorrected = make("softmax", "negatives = \"in_batch\"\nlogq_correction = false\n");
  EXPECT_NEAR(uncorrected->forward(logits, in_batch_positives()).item<double>(), plain, 1e-5);
}

TEST_F(RankingLossTest, CatalogueSoftmaxIsTheCrossEntropyOverEveryItem) {
  const torch::Tensor logits = torch::tensor({{1.0f, 2.0f, 0.0f, -1.0f}, {0.0f, 0.0f, 3.0f, 1.0f}});
  Batch batch;
  batch.user_id = torch::tensor({0, 1}, torch::kInt64);
  batch.item_id = torch::tensor({1, 3}, torch::kInt64);
  const double expected = ((-2.0 + std::log(std::exp(1.0) + std::exp(2.0) + 1.0 + std::exp(-1.0))) +
                           (-1.0 + std::log(2.0 + std::exp(3.0) + std::exp(1.0)))) /
                          2;
  EXPECT_NEAR(make("softmax", "negatives = \"catalogue\"\n")->forward(logits, batch).item<double>(), expected, 1e-5);
}

TEST_F(RankingLossTest, InBatchGradientsMatchFiniteDifferences) {
  auto loss = make("softmax", "negatives = \"in_batch\"\ntemperature = 0.5\n");
  Batch batch = in_batch_positives();
  batch.log_q = batch.log_q.to(torch::kFloat64);
  torch::Tensor x = torch::tensor({0.3, -1.2, 0.8, 1.5, 0.1, -0.4, 0.9, 0.2, -0.7}, torch::kFloat64).view({3, 3});
  x = x.clone().requires_grad_();
  loss->forward(x, batch).backward();
  for (std::int64_t j = 0; j < 9; ++j) {
    const double h = 1e-6;
    torch::Tensor up = x.detach().clone(), down = x.detach().clone();
    up.view({-1})[j] += h;
    down.view({-1})[j] -= h;
    const double numeric =
        (loss->forward(up, batch).item<double>() - loss->forward(down, batch).item<double>()) / (2 * h);
    EXPECT_NEAR(x.grad().view({-1})[j].item<double>(), numeric, 1e-7) << "logit " << j;
  }
  EXPECT_EQ(x.grad()[0][2].item<double>(), 0.0);  // the accidental hit gets no gradient
}

TEST_F(RankingLossTest, GradientsMatchFiniteDifferences) {
  const torch::Tensor log_q = torch::tensor({-0.5, -1.0, -2.0, -0.2, -3.0, -1.5}, torch::kFloat64);
  for (const char* name : {"bpr", "softmax"}) {
    auto loss = make(name, std::string(name) == "softmax" ? "temperature = 0.7\n" : "");
    torch::Tensor x = torch::tensor({0.3, -1.2, 0.8, 1.5, 0.1, -0.4}, torch::kFloat64).requires_grad_();
    loss->forward(x, groups(3, log_q)).backward();
    for (std::int64_t j = 0; j < 6; ++j) {
      const double h = 1e-6;
      torch::Tensor up = x.detach().clone(), down = x.detach().clone();
      up[j] += h;
      down[j] -= h;
      const double numeric =
          (loss->forward(up, groups(3, log_q)).item<double>() - loss->forward(down, groups(3, log_q)).item<double>()) /
          (2 * h);
      EXPECT_NEAR(x.grad()[j].item<double>(), numeric, 1e-7) << name << " logit " << j;
    }
  }
}

TEST_F(RankingLossTest, AGroupOfOneIsRefusedWithAReason) {
  try {
    make("bpr")->forward(torch::zeros({4}), groups(1));
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("num_negatives >= 1"), std::string::npos) << e.what();
  }
}

/// The relative error of the mean gradient (over `trials` draws of K negatives from q) of the
/// logQ-corrected sampled softmax, against the full softmax's gradient, for 1,000 items.
double sampled_softmax_gradient_error(Loss& loss, std::int64_t k, std::int64_t trials) {
  torch::manual_seed(7);
  const std::int64_t n = 1000, positive = 3;
  const torch::Tensor scores = torch::randn({n}, torch::kFloat64) * 2.0;
  // q: popularity-like, proportional to 1 / (rank + 10).
  const torch::Tensor q = 1.0 / (torch::arange(n, torch::kFloat64) + 10.0);
  const torch::Tensor p = q / q.sum();
  torch::Tensor full = scores.clone().requires_grad_();
  (-torch::log_softmax(full, 0)[positive]).backward();
  const torch::Tensor mean = torch::zeros({n}, torch::kFloat64);
  for (std::int64_t t = 0; t < trials; ++t) {
    const torch::Tensor drawn = torch::multinomial(p, k, /*replacement=*/true);
    const torch::Tensor items = torch::cat({torch::tensor({positive}), drawn});
    torch::Tensor logits = scores.index_select(0, items).clone().requires_grad_();
    Batch batch;
    batch.group_size = k + 1;
    batch.log_q = (p.index_select(0, items) * static_cast<double>(k)).log();
    loss.forward(logits, batch).backward();
    mean.index_add_(0, items, logits.grad() / static_cast<double>(trials));
  }
  return (mean - full.grad()).norm().item<double>() / full.grad().norm().item<double>();
}

TEST_F(RankingLossTest, LogQCorrectedSampledSoftmaxApproachesTheFullSoftmaxGradient) {
  auto loss = make("softmax");
  const double e16 = sampled_softmax_gradient_error(*loss, 16, 2000);
  const double e64 = sampled_softmax_gradient_error(*loss, 64, 2000);
  const double e256 = sampled_softmax_gradient_error(*loss, 256, 2000);
  EXPECT_LT(e256, 0.05);
  EXPECT_LT(e64, e16);
  EXPECT_LT(e256, e64);
}

}  // namespace
}  // namespace recsys
