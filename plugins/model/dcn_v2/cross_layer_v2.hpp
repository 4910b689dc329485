#pragma once
/// @file
/// The DCN-V2 cross layer (Wang et al. 2021, "DCN V2: Improved Deep & Cross Network", eq. 1):
/// x_{l+1} = x0 * (W_l x_l + b_l) + x_l, with a full-rank W_l in R^{d x d} (d^2 + d parameters).

#include <torch/torch.h>

namespace recsys::dcn_v2 {

/// forward(x0 float32 [B, d], x float32 [B, d]) -> float32 [B, d].
class CrossLayerV2Impl : public torch::nn::Module {
 public:
  explicit CrossLayerV2Impl(std::int64_t d) { linear_ = register_module("linear", torch::nn::Linear(d, d)); }
  torch::Tensor forward(const torch::Tensor& x0, const torch::Tensor& x) { return x0 * linear_->forward(x) + x; }
  torch::nn::Linear& linear() { return linear_; }

 private:
  torch::nn::Linear linear_{nullptr};
};
TORCH_MODULE(CrossLayerV2);

}  // namespace recsys::dcn_v2
