#pragma once
/// @file
/// Inverted dropout (Srivastava et al. 2014, "Dropout: A Simple Way to Prevent Neural Networks
/// from Overfitting"): in training, each element is kept with probability 1 - p and scaled by
/// 1 / (1 - p), else zeroed; in evaluation, the identity. The same function as
/// torch::nn::Dropout, with a cheaper source of randomness.
///
/// Why not torch::nn::Dropout: on CPU, libtorch 1.13 without MKL draws its mask with one
/// Mersenne Twister number per element on one thread (`bernoulli_`), about a fifth of a DCN-V2
/// training step. Here the mask of element i is a counter-based hash (the SplitMix64 finalizer,
/// Steele et al. 2014) of (seed + i), so the mask is computed in parallel and in any order with
/// the same result; the seed is one draw from torch's default CPU generator per call, so
/// torch::manual_seed and checkpointed generator states make masks reproducible as before.
/// Keep decisions use 32 random bits: p is honoured to within 2^-32.

#include <cstdint>
#include <mutex>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <torch/nn/cloneable.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/torch.h>

namespace recsys::nn {

namespace detail {

/// SplitMix64's output function: a bijective, well-mixed hash of a 64-bit counter.
inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// One 64-bit seed from torch's default CPU generator (under its lock, as torch's own
/// samplers take it).
inline std::uint64_t draw_seed() {
  auto generator = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(generator.mutex());
  return generator.get<at::CPUGeneratorImpl>()->random64();
}

}  // namespace detail

/// The scaled keep mask: float32/float64 tensor shaped like `like`, each element 1 / (1 - p)
/// with probability 1 - p, else 0, from `seed` (element i uses bits of splitmix64(seed + i/2)).
inline torch::Tensor dropout_mask(const torch::Tensor& like, double p, std::uint64_t seed) {
  torch::Tensor mask = torch::empty(like.sizes(), like.options().device(torch::kCPU).requires_grad(false));
  const std::int64_t n = mask.numel();
  // Keep when the 32 random bits are >= p * 2^32.
  const auto threshold = static_cast<std::uint64_t>(p * 4294967296.0);
  AT_DISPATCH_FLOATING_TYPES(mask.scalar_type(), "recsys_dropout_mask", [&] {
    scalar_t* out = mask.data_ptr<scalar_t>();
    const auto scale = static_cast<scalar_t>(1.0 / (1.0 - p));
    // Chunks start at even indices, so a hash's two halves never straddle two chunks.
    at::parallel_for(0, (n + 1) / 2, 8192, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t pair = begin; pair < end; ++pair) {
        const std::uint64_t bits = detail::splitmix64(seed + static_cast<std::uint64_t>(pair));
        const std::int64_t i = 2 * pair;
        out[i] = (bits & 0xffffffffULL) >= threshold ? scale : scalar_t(0);
        if (i + 1 < n) out[i + 1] = (bits >> 32) >= threshold ? scale : scalar_t(0);
      }
    });
  });
  return like.device().is_cpu() ? mask : mask.to(like.device());
}

/// Autograd function: y = x * mask; dx = dy * mask.
class DropoutFunction : public torch::autograd::Function<DropoutFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, double p) {
    const torch::Tensor mask = dropout_mask(x, p, detail::draw_seed());
    ctx->save_for_backward({mask});
    return x * mask;
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    return {grads[0] * ctx->get_saved_variables()[0], torch::Tensor()};
  }
};

/// Options of Dropout: the probability of zeroing an element, in [0, 1).
struct DropoutOptions {
  /* implicit */ DropoutOptions(double p = 0.5) : p_(p) {}
  TORCH_ARG(double, p);
};

/// forward(x float [*]) -> the same shape: x * mask in training (p > 0), x in evaluation.
/// No parameters. Throws std::invalid_argument for p outside [0, 1).
class DropoutImpl : public torch::nn::Cloneable<DropoutImpl> {
 public:
  explicit DropoutImpl(const DropoutOptions& options = {}) : options(options) { reset(); }
  void reset() override {
    if (!(options.p() >= 0.0 && options.p() < 1.0)) throw std::invalid_argument("dropout p must be in [0, 1)");
  }
  torch::Tensor forward(const torch::Tensor& x) {
    if (!is_training() || options.p() == 0.0) return x;
    return DropoutFunction::apply(x, options.p());
  }
  DropoutOptions options;
};
TORCH_MODULE(Dropout);

}  // namespace recsys::nn
