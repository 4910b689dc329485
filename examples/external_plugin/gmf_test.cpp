// The gmf plugin, loaded as recsys-host loads it, against the SDK's conformance suite.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "recsys/conformance_gtest.hpp"
#include "recsys/core/pipeline_config.hpp"
#include "recsys/core/plugin_registry.hpp"

namespace {

class GMFTest : public ::testing::Test {
 protected:
  void SetUp() override { registry.load_library(RECSYS_PLUGIN_FILE); }
  std::shared_ptr<recsys::Model> make(const std::string& table = "") {
    configs.push_back(std::make_unique<recsys::core::PipelineConfig>(
        recsys::core::PipelineConfig::parse("[model]\n" + table, "test.toml")));
    return registry.create<recsys::PluginKind::model>("gmf", configs.back()->section("model"), &schema);
  }
  recsys::core::PluginRegistry registry;
  recsys::FeatureSchema schema = recsys::conformance::synthetic_schema();
  std::vector<std::unique_ptr<recsys::core::PipelineConfig>> configs;
};

TEST_F(GMFTest, Conforms) {
  RECSYS_EXPECT_CONFORMS(recsys::conformance::check_model([&] { return make(); }, schema));
}

TEST_F(GMFTest, ParameterCountMatchesTheLayerSizes) {
  // 50 users and 80 items of width 8, plus the 8 + 1 output weights.
  std::int64_t n = 0;
  for (const auto& p : make("embedding_dim = 8\n")->parameters()) n += p.numel();
  EXPECT_EQ(n, (50 + 80) * 8 + 8 + 1);
}

TEST_F(GMFTest, ScoreIsTheWeightedElementwiseProduct) {
  auto model = make("embedding_dim = 2\n");
  auto p = model->named_parameters();
  torch::NoGradGuard no_grad;
  p["user.weight"][3].copy_(torch::tensor({1.0f, 2.0f}));
  p["item.weight"][5].copy_(torch::tensor({3.0f, 4.0f}));
  p["out.weight"].copy_(torch::tensor({{0.5f, 0.25f}}));
  p["out.bias"].fill_(0.1f);
  recsys::Batch batch = recsys::conformance::random_batch(schema, 1);
  batch.user_id = torch::tensor({3}, torch::kInt64);
  batch.item_id = torch::tensor({5}, torch::kInt64);
  // 0.5 * (1 * 3) + 0.25 * (2 * 4) + 0.1 = 3.6
  EXPECT_NEAR(model->forward(batch).item<float>(), 3.6f, 1e-6);
}

}  // namespace
