// The roc_auc and pr_auc metrics, loaded through the host's loader. Expected values are
// worked out by hand or with scikit-learn 1.2 (roc_auc_score, average_precision_score).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <future>
#include <limits>
#include <optional>
#include <thread>

#include <torch/torch.h>

#include "oracle.hpp"
#include "recsys/conformance_gtest.hpp"
#include "test_support.hpp"

namespace recsys {
namespace {

class PointwiseMetricTest : public ::testing::Test {
 protected:
  std::shared_ptr<Metric> make(const std::string& name) {
    return registry.create<PluginKind::metric>(name, Config::empty("evaluation"));
  }
  static void add(Metric& m, std::vector<float> scores, std::vector<float> labels) {
    const auto n = static_cast<std::int64_t>(scores.size());
    m.update(torch::tensor(scores), torch::tensor(labels), torch::zeros({n}, torch::kInt64));
  }
  double value(const std::string& name, std::vector<float> scores, std::vector<float> labels) {
    auto m = make(name);
    add(*m, scores, labels);
    return m->compute();
  }
  core::PluginRegistry registry = test::registry_with("metric_pointwise");
};

TEST_F(PointwiseMetricTest, TiesCountOneHalf) {
  EXPECT_DOUBLE_EQ(value("roc_auc", {0.8f, 0.8f, 0.3f, 0.3f}, {1, 0, 1, 0}), 0.5);
  EXPECT_DOUBLE_EQ(value("pr_auc", {0.8f, 0.8f, 0.3f, 0.3f}, {1, 0, 1, 0}), 0.5);
}

TEST_F(PointwiseMetricTest, AllScoresEqual) {
  EXPECT_DOUBLE_EQ(value("pr_auc", {0.5f, 0.5f, 0.5f, 0.5f}, {1, 0, 0, 0}), 0.25);
  EXPECT_DOUBLE_EQ(value("roc_auc", {0.5f, 0.5f, 0.5f, 0.5f}, {1, 0, 0, 0}), 0.5);
}

TEST_F(PointwiseMetricTest, ComputedOverTheWholeSplitNotAveragedOverBatches) {
  // Each batch alone has ROC-AUC 1; the split as a whole 0.75 (the pair 0.3 vs 0.8 is wrong).
  auto m = make("roc_auc");
  add(*m, {0.9f, 0.8f}, {1, 0});
  add(*m, {0.3f, 0.2f}, {1, 0});
  EXPECT_DOUBLE_EQ(m->compute(), 0.75);
}

TEST_F(PointwiseMetricTest, MatchesScikitLearnWithTies) {
  const std::vector<float> scores = {0.6f, 0.9f, 0.8f, 0.2f, 0.3f, 0.9f, 0.0f, 0.8f, 0.8f, 0.5f, 0.3f, 0.3f,
                                     0.3f, 0.4f, 0.5f, 0.6f, 1.0f, 0.8f, 0.6f, 1.0f, 0.2f, 0.2f, 0.6f, 0.0f};
  const std::vector<float> labels = {1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0};
  EXPECT_NEAR(value("roc_auc", scores, labels), 0.6107142857142858, 1e-12);
  EXPECT_NEAR(value("pr_auc", scores, labels), 0.48359649122807014, 1e-12);
}

TEST_F(PointwiseMetricTest, ResetForgetsEverything) {
  auto m = make("roc_auc");
  add(*m, {0.1f, 0.9f}, {1, 0});
  EXPECT_DOUBLE_EQ(m->compute(), 0.0);
  m->reset();
  add(*m, {0.9f, 0.1f}, {1, 0});
  EXPECT_DOUBLE_EQ(m->compute(), 1.0);
}

TEST_F(PointwiseMetricTest, OneClassOnlyIsNaN) {
  EXPECT_TRUE(std::isnan(value("roc_auc", {0.1f, 0.9f}, {1, 1})));
  EXPECT_TRUE(std::isnan(value("pr_auc", {0.1f, 0.9f}, {0, 0})));
  auto m = make("roc_auc");
  EXPECT_TRUE(std::isnan(m->compute()));  // nothing added
}

/// Computes `m` on a detached thread: a metric that loops forever fails the test instead of
/// hanging it. nullopt when it did not finish within 20 s.
std::optional<double> compute_within_seconds(const std::shared_ptr<Metric>& m) {
  auto done = std::make_shared<std::promise<double>>();
  std::future<double> result = done->get_future();
  std::thread([m, done] { done->set_value(m->compute()); }).detach();
  if (result.wait_for(std::chrono::seconds(20)) != std::future_status::ready) return std::nullopt;
  return result.get();
}

// The probe's hang: the tie loop of roc_auc never advanced past a NaN score (NaN == NaN is false).
TEST_F(PointwiseMetricTest, NanOrInfiniteScoresGiveNanWithoutHanging) {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  for (const std::string name : {"roc_auc", "pr_auc", "gauc", "log_loss", "rmse", "mae"}) {
    for (const float bad : {nan, inf, -inf}) {
      auto m = make(name);
      add(*m, {0.9f, bad, 0.3f, 0.2f, bad}, {1, 0, 1, 0, 1});
      const std::optional<double> v = compute_within_seconds(m);
      ASSERT_TRUE(v.has_value()) << name << " did not finish on a score of " << bad;
      EXPECT_TRUE(std::isnan(*v)) << name << " on a score of " << bad << " gave " << *v;
    }
  }
}

TEST_F(PointwiseMetricTest, FiniteScoresAfterANanSplitAreComputedAgain) {
  auto m = make("roc_auc");
  add(*m, {std::numeric_limits<float>::quiet_NaN(), 0.1f}, {1, 0});
  EXPECT_TRUE(std::isnan(m->compute()));
  m->reset();
  add(*m, {0.9f, 0.1f}, {1, 0});
  EXPECT_DOUBLE_EQ(m->compute(), 1.0);
}

TEST_F(PointwiseMetricTest, LargeSplitMatchesTheRankFormula) {
  // With distinct scores (float64, no ties), AUC = (rank sum of positives - P(P+1)/2) / (P N).
  torch::manual_seed(3);
  const std::int64_t n = 200000;
  torch::Tensor labels = torch::rand({n}).lt(0.2).to(torch::kFloat32);
  torch::Tensor scores = torch::randn({n}, torch::kFloat64) + labels.to(torch::kFloat64) * 0.7;  // no ties
  torch::Tensor ranks = torch::empty({n}, torch::kFloat64);
  ranks.index_put_({std::get<1>(torch::sort(scores))}, torch::arange(1, n + 1, torch::kFloat64));
  const double p = labels.sum().item<double>(), q = n - p;
  const double expected = ((ranks * labels.to(torch::kFloat64)).sum().item<double>() - p * (p + 1) / 2) / (p * q);
  auto m = make("roc_auc");
  for (std::int64_t begin = 0; begin < n; begin += 4096) {
    const std::int64_t end = std::min(n, begin + 4096);
    m->update(scores.slice(0, begin, end), labels.slice(0, begin, end), torch::zeros({end - begin}, torch::kInt64));
  }
  EXPECT_NEAR(m->compute(), expected, 1e-9);
}

TEST_F(PointwiseMetricTest, GaucMatchesScikitLearnOnARandomCase) {
  const test::RankingOracle oracle = test::load_ranking_oracle();
  auto m = make("gauc");
  m->update(torch::tensor(oracle.score), torch::tensor(oracle.label), torch::tensor(oracle.group, torch::kInt64));
  EXPECT_NEAR(m->compute(), oracle.expected.at("gauc"), 1e-12);
}

TEST_F(PointwiseMetricTest, GaucWeightsUsersByTheirExamplesAndSkipsOneClassUsers) {
  // User 0: AUC 1 over 2 examples; user 1: AUC 0.5 (a tie) over 4; user 2: one class, skipped.
  auto m = make("gauc");
  m->update(torch::tensor({0.9f, 0.1f, 0.5f, 0.5f, 0.2f, 0.8f, 0.3f}),
            torch::tensor({1.f, 0.f, 1.f, 0.f, 0.f, 1.f, 1.f}), torch::tensor({0, 0, 1, 1, 1, 1, 2}, torch::kInt64));
  // User 1: positives 0.5, 0.8; negatives 0.5, 0.2: pairs (0.5,0.5)=1/2, (0.5,0.2)=1, (0.8,*)=2: 3.5/4.
  EXPECT_NEAR(m->compute(), (1.0 * 2 + 0.875 * 4) / 6.0, 1e-12);
}

TEST_F(PointwiseMetricTest, ErrorsAndLogLoss) {
  // Scores [2, -1, 0.5] against labels [1, 0, 0].
  const std::vector<float> s{2.f, -1.f, 0.5f}, l{1.f, 0.f, 0.f};
  EXPECT_NEAR(value("rmse", s, l), std::sqrt((1.0 + 1.0 + 0.25) / 3.0), 1e-12);
  EXPECT_NEAR(value("mae", s, l), (1.0 + 1.0 + 0.5) / 3.0, 1e-12);
  // -log(sigmoid(2)) - log(1 - sigmoid(-1)) - log(1 - sigmoid(0.5)) = log(1+e^-2) + log(1+e^-1) + log(1+e^0.5).
  EXPECT_NEAR(value("log_loss", s, l),
              (std::log1p(std::exp(-2.0)) + std::log1p(std::exp(-1.0)) + std::log1p(std::exp(0.5))) / 3.0, 1e-12);
  EXPECT_FALSE(make("rmse")->higher_is_better());
  EXPECT_FALSE(make("log_loss")->higher_is_better());
  EXPECT_TRUE(make("gauc")->higher_is_better());
}

TEST_F(PointwiseMetricTest, EveryMetricConforms) {
  for (const char* name : {"roc_auc", "pr_auc", "gauc", "log_loss", "rmse", "mae"}) {
    SCOPED_TRACE(name);
    RECSYS_EXPECT_CONFORMS(conformance::check_metric(*make(name)));
  }
  // The worked example, through the suite's known-value check.
  RECSYS_EXPECT_CONFORMS(
      conformance::check_metric_value(*make("roc_auc"), {0.8f, 0.8f, 0.3f, 0.3f}, {1, 0, 1, 0}, {0, 0, 0, 0}, 0.5));
}

}  // namespace
}  // namespace recsys
