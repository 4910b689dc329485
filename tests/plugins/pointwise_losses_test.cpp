// The mse and bce losses, loaded through the host's loader.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "recsys/conformance_gtest.hpp"
#include "test_support.hpp"

namespace recsys {
namespace {

class PointwiseLossTest : public ::testing::Test {
 protected:
  double loss(const std::string& name, std::vector<float> logits, std::vector<float> labels) {
    auto l = registry.create<PluginKind::loss>(name, Config::empty("loss"));
    Batch batch;
    batch.label = torch::tensor(labels);
    return l->forward(torch::tensor(logits), batch).item<double>();
  }
  core::PluginRegistry registry = test::registry_with("loss_pointwise");
};

TEST_F(PointwiseLossTest, MseOnTheRawOutput) {
  // ((100-0)^2 + (-3-1)^2 + (0.5-1)^2 + (2-0)^2) / 4 = (10000 + 16 + 0.25 + 4) / 4
  EXPECT_NEAR(loss("mse", {100.f, -3.f, 0.5f, 2.f}, {0.f, 1.f, 1.f, 0.f}), 2505.0625, 1e-3);
}

TEST_F(PointwiseLossTest, BceOnLogitsIsStableForLargeLogits) {
  // Per row: x - x*y + log(1 + exp(-x)) for x >= 0, log(1 + exp(x)) - x*y otherwise:
  // 100 + ~0, log(1 + e^3) = 3.048587, log(1 + e^-0.5) = 0.474077, 2 + log(1 + e^-2) = 2.126928.
  EXPECT_NEAR(loss("bce", {100.f, -3.f, 0.5f, 2.f}, {0.f, 1.f, 1.f, 0.f}),
              (100.0 + 3.048587 + 0.474077 + 2.126928) / 4.0, 1e-4);
  EXPECT_NEAR(loss("bce", {-1000.f}, {0.f}), 0.0, 1e-6);
}

TEST_F(PointwiseLossTest, AliasesResolve) {
  EXPECT_NEAR(loss("MSE", {1.f}, {0.f}), 1.0, 1e-6);
  EXPECT_NEAR(loss("BCE", {0.f}, {1.f}), std::log(2.0), 1e-6);
}

TEST_F(PointwiseLossTest, EveryLossConforms) {
  for (const char* name : {"mse", "bce"}) {
    SCOPED_TRACE(name);
    RECSYS_EXPECT_CONFORMS(conformance::check_loss(*registry.create<PluginKind::loss>(name, Config::empty("loss"))));
  }
}

}  // namespace
}  // namespace recsys
