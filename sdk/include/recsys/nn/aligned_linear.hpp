#pragma once
/// @file
/// A Linear layer whose matmuls see the input width rounded up to a multiple of 16 floats.

#include <cstdint>

#include <torch/nn/modules/linear.h>
#include <torch/torch.h>

namespace recsys::nn {

/// Input widths under this are padded; wider ones lose little (129: 86-87% of the GEMM peak)
/// and the padding copy would cost more than it saves.
constexpr std::int64_t kAlignedLinearMaxPaddedWidth = 128;

/// The width AlignedLinear's matmuls use for `in_features`: the next multiple of 16 below
/// kAlignedLinearMaxPaddedWidth, `in_features` itself from there on.
inline std::int64_t aligned_width(std::int64_t in_features) {
  if (in_features >= kAlignedLinearMaxPaddedWidth) return in_features;
  return (in_features + 15) / 16 * 16;
}

/// torch::nn::Linear (same options, parameters `weight` [out, in] and `bias` [out], same
/// checkpoints) that computes y = x W^T + b on inputs x [B, in] padded with zero columns to
/// aligned_width(in), and W padded the same way: the same values and gradients (the padding's
/// gradient is dropped by the pad's backward). Why: OpenBLAS 0.3.21 runs GEMMs with a thin
/// dimension that is not a multiple of 16 through slow edge code; for the input and weight
/// gradients of a [4096, 31] x [31, 512] layer (DCN's first deep layer) 42-46% of the GEMM peak
/// (Haswell kernels; 28-30% Cooperlake), for width 32 75-81% (60-69%). Inputs that are not 2-D
/// go through Linear's own forward.
/// forward: float32 [B, in] -> float32 [B, out].
class AlignedLinearImpl : public torch::nn::LinearImpl {
 public:
  using torch::nn::LinearImpl::LinearImpl;

  torch::Tensor forward(const torch::Tensor& input) {
    const std::int64_t in = weight.size(1);
    const std::int64_t padded = aligned_width(in);
    if (padded == in || input.dim() != 2) return torch::nn::LinearImpl::forward(input);
    const torch::Tensor x = torch::constant_pad_nd(input, {0, padded - in});
    const torch::Tensor w = torch::constant_pad_nd(weight, {0, padded - in});
    return bias.defined() ? torch::addmm(bias, x, w.t()) : torch::mm(x, w.t());
  }
};
TORCH_MODULE(AlignedLinear);

}  // namespace recsys::nn
