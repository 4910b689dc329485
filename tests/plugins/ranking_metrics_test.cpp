// The ranking metrics (hr@k, ndcg@k, recall@k, precision@k, mrr@k, map@k), loaded through
// the host's loader. Known answers worked out by hand; a random case against scikit-learn.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include <torch/torch.h>

#include "oracle.hpp"
#include "recsys/conformance_gtest.hpp"
#include "recsys/errors.hpp"
#include "test_support.hpp"

namespace recsys {
namespace {

class RankingMetricTest : public ::testing::Test {
 protected:
  /// "ndcg", 3 -> the ndcg@k plugin with k = 3.
  std::shared_ptr<Metric> make(const std::string& name, std::int64_t k) {
    configs.push_back(
        std::make_unique<core::PipelineConfig>(test::parse_config("[metric]\nk = " + std::to_string(k) + "\n")));
    return registry.create<PluginKind::metric>(name + "@k", configs.back()->section("metric"));
  }
  double value(const std::string& name, std::int64_t k, std::vector<float> scores, std::vector<float> labels,
               std::vector<std::int64_t> groups) {
    auto m = make(name, k);
    m->update(torch::tensor(scores), torch::tensor(labels), torch::tensor(groups, torch::kInt64));
    return m->compute();
  }
  core::PluginRegistry registry = test::registry_with("metric_ranking");
  std::vector<std::unique_ptr<core::PipelineConfig>> configs;
};

TEST_F(RankingMetricTest, NdcgAtThreeWithThreeRelevantItems) {
  // Hits at ranks [1, 0, 0]: DCG 1; IDCG 1 + 1/log2(3) + 1/2 = 2.13093: 0.46928.
  // Hits at ranks [1, 0, 1]: (1 + 1/2) / 2.13093 = 0.70392. Relevant rows beyond rank 3 count
  // in #relevant only.
  EXPECT_NEAR(value("ndcg", 3, {0.9f, 0.8f, 0.7f, 0.1f, 0.05f}, {1, 0, 0, 1, 1}, {0, 0, 0, 0, 0}), 0.46928, 1e-5);
  EXPECT_NEAR(value("ndcg", 3, {0.9f, 0.8f, 0.7f, 0.1f, 0.05f}, {1, 0, 1, 1, 0}, {0, 0, 0, 0, 0}), 0.70392, 1e-5);
}

TEST_F(RankingMetricTest, NdcgOfTwoUsersAveragesTheLists) {
  // A: scores [0.9, 0.2, 0.4], relevant the third: rank 2, 1/log2(3) = 0.63093. B: rank 1, 1.0.
  EXPECT_NEAR(value("ndcg", 3, {0.9f, 0.2f, 0.4f, 0.3f, 0.1f, 0.2f}, {0, 0, 1, 1, 0, 0}, {0, 0, 0, 1, 1, 1}), 0.81546,
              1e-5);
}

TEST_F(RankingMetricTest, TiesArePessimistic) {
  // One positive and 4 negatives, all equal: the positive ranks last, so HR@2 = 0; a constant
  // model never scores 1.
  EXPECT_EQ(value("hr", 2, {0.5f, 0.5f, 0.5f, 0.5f, 0.5f}, {1, 0, 0, 0, 0}, {0, 0, 0, 0, 0}), 0.0);
  EXPECT_EQ(value("ndcg", 5, {0.5f, 0.5f}, {1, 0}, {3, 3}), 1.0 / std::log2(3.0));
  EXPECT_EQ(value("mrr", 5, {0.5f, 0.5f, 0.5f}, {1, 0, 0}, {0, 0, 0}), 1.0 / 3.0);
}

TEST_F(RankingMetricTest, EachMetricOnOneList) {
  // Ranked: 0.9 (rel), 0.8, 0.7 (rel), 0.6, 0.5 (rel); 3 relevant; k = 4.
  const std::vector<float> s{0.5f, 0.6f, 0.7f, 0.8f, 0.9f}, l{1, 0, 1, 0, 1};
  const std::vector<std::int64_t> g{0, 0, 0, 0, 0};
  EXPECT_EQ(value("hr", 4, s, l, g), 1.0);
  EXPECT_NEAR(value("recall", 4, s, l, g), 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(value("precision", 4, s, l, g), 2.0 / 4.0, 1e-12);
  EXPECT_NEAR(value("mrr", 4, s, l, g), 1.0, 1e-12);
  // AP@4: precision at the hits (ranks 1 and 3) = 1 and 2/3, over min(4, 3) = 3.
  EXPECT_NEAR(value("map", 4, s, l, g), (1.0 + 2.0 / 3.0) / 3.0, 1e-12);
}

TEST_F(RankingMetricTest, ListsWithoutARelevantRowAreSkipped) {
  EXPECT_EQ(value("hr", 1, {0.9f, 0.1f, 0.9f, 0.1f}, {1, 0, 0, 0}, {0, 0, 1, 1}), 1.0);
  EXPECT_TRUE(std::isnan(value("hr", 1, {0.9f, 0.1f}, {0, 0}, {0, 0})));
}

TEST_F(RankingMetricTest, ListsMaySpanSeveralUpdatesAndResetForgets) {
  auto m = make("hr", 1);
  m->update(torch::tensor({0.1f}), torch::tensor({1.0f}), torch::tensor({7}, torch::kInt64));
  m->update(torch::tensor({0.9f}), torch::tensor({0.0f}), torch::tensor({7}, torch::kInt64));
  EXPECT_EQ(m->compute(), 0.0);  // one list: the negative 0.9 ranks first
  m->reset();
  m->update(torch::tensor({0.9f}), torch::tensor({1.0f}), torch::tensor({7}, torch::kInt64));
  EXPECT_EQ(m->compute(), 1.0);
}

TEST_F(RankingMetricTest, KMustBePositive) {
  EXPECT_THROW(make("hr", 0), ConfigError);
}

TEST_F(RankingMetricTest, NanOrInfiniteScoresGiveNan) {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  for (const std::string name : {"hr", "ndcg", "mrr", "precision", "recall", "map"}) {
    for (const float bad : {nan, inf}) {
      EXPECT_TRUE(std::isnan(value(name, 2, {0.9f, bad, 0.3f, 0.2f}, {1, 0, 0, 1}, {0, 0, 0, 0}))) << name << bad;
    }
  }
}

TEST_F(RankingMetricTest, MatchesScikitLearnAndTextbookDefinitionsOnARandomCase) {
  const test::RankingOracle oracle = test::load_ranking_oracle();
  ASSERT_EQ(oracle.expected.size(), 19u);
  for (const auto& [name, expected] : oracle.expected) {
    if (name == "gauc") continue;  // a point-wise metric, see pointwise_metrics_test
    const auto at = name.find('@');
    auto m = make(name.substr(0, at), std::stoll(name.substr(at + 1)));
    // Fed in 7 uneven batches, as an evaluation would.
    const auto n = static_cast<std::int64_t>(oracle.score.size());
    const torch::Tensor s = torch::tensor(oracle.score), l = torch::tensor(oracle.label),
                        g = torch::tensor(oracle.group, torch::kInt64);
    for (std::int64_t begin = 0; begin < n; begin += 1000) {
      const std::int64_t end = std::min(n, begin + 1000);
      m->update(s.slice(0, begin, end), l.slice(0, begin, end), g.slice(0, begin, end));
    }
    EXPECT_NEAR(m->compute(), expected, 1e-12) << name;
  }
}

TEST_F(RankingMetricTest, EveryMetricConforms) {
  for (const char* name : {"hr", "ndcg", "recall", "precision", "mrr", "map"}) {
    SCOPED_TRACE(name);
    RECSYS_EXPECT_CONFORMS(conformance::check_metric(*make(name, 3)));
  }
  // NDCG@3 with hits at ranks [1, 0, 0] and 3 relevant items: 0.46928.
  RECSYS_EXPECT_CONFORMS(conformance::check_metric_value(*make("ndcg", 3), {0.9f, 0.8f, 0.7f, 0.1f, 0.05f},
                                                         {1, 0, 0, 1, 1}, {0, 0, 0, 0, 0}, 0.469278, 1e-6));
}

}  // namespace
}  // namespace recsys
