// The inner_product model, loaded through the host's loader.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "model_checks.hpp"
#include "recsys/errors.hpp"

namespace recsys {
namespace {

RECSYS_MODEL_BASIC_TESTS(InnerProductBasicTest, "model_inner_product", "inner_product")

TEST_F(InnerProductBasicTest, DefaultParameterCountMatchesTheLayerSizes) {
  // ml-100k, d = 10. User encoder: (942 ids + 21 + 795) * 10 + 2 * 10 = 17600.
  // Item encoder: (1447 + 72) * 10 + 19 * 10 = 15380. Biases 942 + 1447 + 1 = 2390. Total 35370.
  EXPECT_EQ(test::count_parameters(*make()), 35370);
  EXPECT_EQ(test::count_parameters(*factory.make("NeuralInnerProduct", "", schema)), 35370);
}

FeatureSchema small_schema() {
  FeatureSchema s;
  s.user.num_ids = 3;
  s.user.continuous_dim = 2;
  s.user.categorical = {{"occupation", 5}, {"zip_code", 2}};
  s.item.num_ids = 4;
  s.item.continuous_dim = 4;
  s.item.categorical = {{"year", 3}};
  return s;
}

Batch small_batch(const FeatureSchema& s, std::int64_t b) {
  torch::manual_seed(0);
  Batch batch;
  batch.user_id = torch::randint(s.user.num_ids, {b}, torch::kInt64);
  batch.item_id = torch::randint(s.item.num_ids, {b}, torch::kInt64);
  batch.label = torch::randint(2, {b}).to(torch::kFloat32);
  batch.user_continuous = torch::rand({b, s.user.continuous_dim});
  batch.user_categorical =
      torch::stack({torch::randint(5, {b}, torch::kInt64), torch::randint(2, {b}, torch::kInt64)}, 1);
  batch.item_continuous = torch::rand({b, s.item.continuous_dim});
  batch.item_categorical = torch::randint(3, {b, 1}, torch::kInt64);
  return batch;
}

class InnerProductTest : public ::testing::Test {
 protected:
  std::shared_ptr<Model> make(const std::string& table) {
    configs.push_back(std::make_unique<core::PipelineConfig>(test::parse_config("[model]\n" + table)));
    torch::manual_seed(1);
    auto model = registry.create<PluginKind::model>("inner_product", configs.back()->section("model"), &schema);
    configs.back()->section("model").check_unknown_keys();
    return model;
  }
  static std::int64_t count(const Model& m) {
    std::int64_t n = 0;
    for (const auto& p : m.parameters()) n += p.numel();
    return n;
  }

  core::PluginRegistry registry = test::registry_with("model_inner_product");
  std::vector<std::unique_ptr<core::PipelineConfig>> configs;
  FeatureSchema schema = small_schema();
};

TEST_F(InnerProductTest, ParameterCountMatchesTheLayerSizes) {
  // d = 4. User encoder: (3 ids + 5 + 2 categorical) * 4 + 2 * 4 projection = 48.
  // Item encoder: (4 ids + 3) * 4 + 4 * 4 = 44. Biases: 3 + 4 + 1 = 8.
  EXPECT_EQ(count(*make("embedding_dim = 4\n")), 48 + 44 + 8);
  // Ids only: 3 * 4 + 4 * 4 + 8.
  EXPECT_EQ(count(*make("embedding_dim = 4\nuse_features = false\n")), 12 + 16 + 8);
  EXPECT_EQ(count(*make("embedding_dim = 4\nuse_features = false\ninclude_bias = false\n")), 28);
}

TEST_F(InnerProductTest, ComputesDotProductPlusBiases) {
  auto model = make("embedding_dim = 2\nuse_features = false\n");
  {
    torch::NoGradGuard no_grad;
    auto params = model->named_parameters();
    params["user.id.weight"].copy_(torch::tensor({1.f, 2.f, 3.f, 4.f, 5.f, 6.f}).view({3, 2}));
    params["item.id.weight"].copy_(torch::tensor({1.f, 0.f, 0.f, 1.f, 1.f, 1.f, 2.f, 2.f}).view({4, 2}));
    params["user_bias.weight"].copy_(torch::tensor({0.1f, 0.2f, 0.3f}).view({3, 1}));
    params["item_bias.weight"].copy_(torch::tensor({0.01f, 0.02f, 0.03f, 0.04f}).view({4, 1}));
    params["bias"].fill_(0.5f);
  }
  Batch batch = small_batch(schema, 2);
  batch.user_id = torch::tensor({1, 2}, torch::kInt64);
  batch.item_id = torch::tensor({2, 0}, torch::kInt64);
  // (3, 4).(1, 1) + 0.2 + 0.03 + 0.5 = 7.73; (5, 6).(1, 0) + 0.3 + 0.01 + 0.5 = 5.81.
  EXPECT_TRUE(torch::allclose(model->forward(batch), torch::tensor({7.73f, 5.81f})));
}

TEST_F(InnerProductTest, EmbeddingsStartFromASmallNormal) {
  schema.user.num_ids = 5000;
  auto model = make("embedding_dim = 8\n");
  const float std = model->named_parameters()["user.id.weight"].std().item<float>();
  EXPECT_NEAR(std, 0.01f, 0.001f);
}

TEST_F(InnerProductTest, BadOptionsAreConfigErrors) {
  EXPECT_THROW(make("embedding_dim = 0\n"), ConfigError);
  EXPECT_THROW(make("embedding_dim = 2.5\n"), ConfigError);
  EXPECT_THROW(make("embeding_dim = 8\n"), ConfigError);
}

}  // namespace
}  // namespace recsys
