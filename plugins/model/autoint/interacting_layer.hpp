#pragma once
/// @file
/// AutoInt's interacting layer (Song et al. 2019, "AutoInt: Automatic Feature Interaction
/// Learning via Self-Attentive Neural Networks", section 4.3): multi-head self-attention over
/// the field embeddings, e_m^h = sum_k softmax_k(<W_q^h e_m, W_k^h e_k> / sqrt(d_h)) W_v^h e_k,
/// heads concatenated, then e_m^Res = ReLU(e_m^att + W_res e_m) (eq. 5-8). The scaling by
/// sqrt(d_h) follows Vaswani et al. 2017; the paper's eq. 5 leaves it out.

#include <cmath>

#include <torch/torch.h>

#include "small_attention.hpp"

namespace recsys::autoint {

/// forward(x float32 [B, F, D]) -> float32 [B, F, D]. Parameters: 4 D^2 with residual
/// (W_q, W_k, W_v, W_res, no biases as in the paper), 3 D^2 without.
class InteractingLayerImpl : public torch::nn::Module {
 public:
  InteractingLayerImpl(std::int64_t dim, std::int64_t heads, bool residual) : heads_(heads) {
    auto linear = [&](const char* name) {
      return register_module(name, torch::nn::Linear(torch::nn::LinearOptions(dim, dim).bias(false)));
    };
    query_ = linear("query");
    key_ = linear("key");
    value_ = linear("value");
    if (residual) residual_ = linear("residual");
  }

  torch::Tensor forward(const torch::Tensor& x) {
    const std::int64_t head_dim = x.size(2) / heads_;
    const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
    torch::Tensor out = multi_head_attention(query_->forward(x), key_->forward(x), value_->forward(x), heads_, scale);
    if (residual_) out = out + residual_->forward(x);
    return out.relu_();  // in place: neither the sum nor the attention keeps its output for backward
  }

 private:
  std::int64_t heads_;
  torch::nn::Linear query_{nullptr}, key_{nullptr}, value_{nullptr}, residual_{nullptr};
};
TORCH_MODULE(InteractingLayer);

}  // namespace recsys::autoint
