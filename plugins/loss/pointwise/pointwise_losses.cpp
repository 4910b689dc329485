// Point-wise losses on logits [B] and labels [B] in {0, 1}.
//  - `mse`: mean squared error on the raw model output (as the original notebooks trained;
//    the output is then a score, not a probability).
//  - `bce`: binary cross-entropy on logits, log(1 + exp(-|x|)) formulation
//    (torch's binary_cross_entropy_with_logits), stable for any logit.
#include <torch/torch.h>

#include "recsys/plugin.hpp"

namespace recsys::losses {

class MeanSquaredError final : public Loss {
 public:
  explicit MeanSquaredError(const PluginArgs&) {}
  torch::Tensor forward(const torch::Tensor& logits, const Batch& batch) override {
    return torch::mse_loss(logits, batch.label);
  }
};

class BinaryCrossEntropy final : public Loss {
 public:
  explicit BinaryCrossEntropy(const PluginArgs&) {}
  torch::Tensor forward(const torch::Tensor& logits, const Batch& batch) override {
    return torch::binary_cross_entropy_with_logits(logits, batch.label);
  }
};

}  // namespace recsys::losses

RECSYS_PLUGIN_LIBRARY(RECSYS_PLUGIN(loss, "mse", recsys::losses::MeanSquaredError, RECSYS_PLUGIN_VERSION,
                                    "Mean squared error on the raw output", "MSE"),
                      RECSYS_PLUGIN(loss, "bce", recsys::losses::BinaryCrossEntropy, RECSYS_PLUGIN_VERSION,
                                    "Binary cross-entropy on logits (numerically stable)", "BCE,bce_with_logits"));
