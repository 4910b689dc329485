// The dcn model, loaded through the host's loader, and its cross layer.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "cross_layer.hpp"
#include "model_checks.hpp"
#include "recsys/errors.hpp"

namespace recsys {
namespace {

RECSYS_MODEL_BASIC_TESTS(DCNTest, "model_dcn", "dcn")

TEST_F(DCNTest, DefaultParameterCountMatchesTheLayerSizes) {
  // ml-100k: 3277 categorical rows in 5 fields, 21 continuous columns; embedding_dim 2.
  // Embeddings 3277 * 2 = 6554. x0 width d0 = 5*2 + 21 = 31. Cross: 3 layers * (31 + 31) = 186.
  // MLP 31 -> 512 -> 256 -> 128: 32*512 + 513*256 + 257*128 = 16384 + 131328 + 32896.
  // Output (31 + 128) + 1 = 160. Total 187508.
  EXPECT_EQ(test::count_parameters(*make()), 187508);
}

// The probe's cross_layers = 1e12 (as an integer) allocated until it failed, naming no key.
TEST_F(DCNTest, ALayerCountPastWhatFitsIsAConfigErrorNamingTheKey) {
  try {
    make("cross_layers = 1000000000000");
    ADD_FAILURE() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("model.cross_layers: must be in [0, 256]"), std::string::npos) << e.what();
  }
  try {
    make("embedding_dim = 4294967296");
    ADD_FAILURE() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("model.embedding_dim: must be in [1, 65536]"), std::string::npos) << e.what();
  }
}

TEST(CrossLayerTest, KnownAnswer) {
  // x_{l+1} = x0 * (x_l . w) + b + x_l with x0 = x_l = [1, 2], w = [0.5, 0.5], b = [0.1, 0.1]:
  // x . w = 1.5, so [1.5, 3] + [0.1, 0.1] + [1, 2] = [2.6, 5.1].
  dcn::CrossLayer layer(2);
  torch::NoGradGuard no_grad;
  layer->w()->weight.copy_(torch::tensor({{0.5f, 0.5f}}));
  layer->b().copy_(torch::tensor({0.1f, 0.1f}));
  const torch::Tensor x = torch::tensor({{1.0f, 2.0f}});
  EXPECT_TRUE(torch::allclose(layer->forward(x, x), torch::tensor({{2.6f, 5.1f}})));
}

TEST_F(DCNTest, EachCrossLayerHasItsOwnWeightAndBias) {
  auto p = make()->named_parameters();
  for (int l = 0; l < 3; ++l) {
    ASSERT_TRUE(p.contains("cross." + std::to_string(l) + ".w.weight")) << l;
    ASSERT_TRUE(p.contains("cross." + std::to_string(l) + ".b")) << l;
  }
  EXPECT_NE(p["cross.0.w.weight"].data_ptr(), p["cross.1.w.weight"].data_ptr());
  EXPECT_FALSE(torch::equal(p["cross.0.w.weight"], p["cross.1.w.weight"]));  // separately initialised
}

TEST_F(DCNTest, NotebookNameIsAnAlias) {
  EXPECT_EQ(test::count_parameters(*factory.make("DCN", "", schema)), 187508);
}

}  // namespace
}  // namespace recsys

namespace recsys {
namespace {

TEST_F(DCNTest, CrossOnlyNetworkWithoutDeepLayers) {
  // deep_layers = []: the output reads [cross(x0), x0]; d0 = 5*2 + 21 = 31.
  EXPECT_EQ(make("deep_layers = []\n")->named_parameters()["out.weight"].sizes(), torch::IntArrayRef({1, 31 + 31}));
  RECSYS_EXPECT_CONFORMS(conformance::check_model([&] { return make("deep_layers = []\n"); }, schema));
}

}  // namespace
}  // namespace recsys
