#pragma once
/// @file
/// AutoInt's interacting layer (Song et al. 2019, "AutoInt: Automatic Feature Interaction
/// Learning via Self-Attentive Neural Networks", section 4.3): multi-head self-attention over
/// the field embeddings, e_m^h = sum_k softmax_k(<W_q^h e_m, W_k^h e_k> / sqrt(d_h)) W_v^h e_k,
/// heads concatenated, then e_m^Res = ReLU(e_m^att + W_res e_m) (eq. 5-8). The scaling by
/// sqrt(d_h) follows Vaswani et al. 2017; the paper's eq. 5 leaves it out.

#include <cmath>

#include <torch/torch.h>

namespace recsys::autoint {

/// Splits the last dimension into heads: x float32 [B, F, D] -> [B, H, F, D / H]; head h
/// holds columns [h * D/H, (h + 1) * D/H) of every field.
inline torch::Tensor split_heads(const torch::Tensor& x, std::int64_t heads) {
  const std::int64_t b = x.size(0), f = x.size(1), d = x.size(2);
  return x.view({b, f, heads, d / heads}).transpose(1, 2);
}

/// Inverse of split_heads: [B, H, F, D / H] -> [B, F, D].
inline torch::Tensor merge_heads(const torch::Tensor& x) {
  const std::int64_t b = x.size(0), h = x.size(1), f = x.size(2), dh = x.size(3);
  return x.transpose(1, 2).reshape({b, f, h * dh});
}

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
    const torch::Tensor q = split_heads(query_->forward(x), heads_);
    const torch::Tensor k = split_heads(key_->forward(x), heads_);
    const torch::Tensor v = split_heads(value_->forward(x), heads_);
    const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(3)));
    const torch::Tensor attention = torch::softmax(torch::matmul(q, k.transpose(-2, -1)) * scale, -1);
    torch::Tensor out = merge_heads(torch::matmul(attention, v));
    if (residual_) out = out + residual_->forward(x);
    return torch::relu(out);
  }

 private:
  std::int64_t heads_;
  torch::nn::Linear query_{nullptr}, key_{nullptr}, value_{nullptr}, residual_{nullptr};
};
TORCH_MODULE(InteractingLayer);

}  // namespace recsys::autoint
