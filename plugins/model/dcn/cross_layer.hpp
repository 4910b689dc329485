#pragma once
/// @file
/// The DCN cross layer (Wang et al. 2017, "Deep & Cross Network for Ad Click Predictions",
/// eq. 3): x_{l+1} = x0 * (x_l . w_l) + b_l + x_l, with w_l, b_l in R^d (2d parameters).

#include <torch/torch.h>

namespace recsys::dcn {

/// forward(x0 float32 [B, d], x float32 [B, d]) -> float32 [B, d].
class CrossLayerImpl : public torch::nn::Module {
 public:
  explicit CrossLayerImpl(std::int64_t d) {
    w_ = register_module("w", torch::nn::Linear(torch::nn::LinearOptions(d, 1).bias(false)));
    b_ = register_parameter("b", torch::zeros({d}));
  }
  torch::Tensor forward(const torch::Tensor& x0, const torch::Tensor& x) {
    return x0 * w_->forward(x) + b_ + x;  // x . w is [B, 1], broadcast over d
  }
  torch::nn::Linear& w() { return w_; }
  torch::Tensor& b() { return b_; }

 private:
  torch::nn::Linear w_{nullptr};
  torch::Tensor b_;
};
TORCH_MODULE(CrossLayer);

}  // namespace recsys::dcn
